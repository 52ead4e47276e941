#!/usr/bin/env bash
# Runs every test: unit, integration (Testcontainers when Docker is available, else embedded Redis +
# mongo-java-server) and end-to-end (two gateways, real WebSocket clients). Extra args go to Maven,
# e.g. ./run-tests.sh -pl gateway-service -am  or  -Dtest.infra=containers
set -euo pipefail
cd "$(dirname "$0")"
exec mvn -B verify "$@"
