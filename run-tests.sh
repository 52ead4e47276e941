#!/usr/bin/env bash
# Runs every test: unit, integration (Testcontainers when Docker is available, else embedded Redis +
# mongo-java-server) and end-to-end (two gateways, real WebSocket clients). Extra args go to Maven,
# e.g. ./run-tests.sh -pl gateway-service -am  or  -Dtest.infra=containers
set -euo pipefail
cd "$(dirname "$0")"

# chat-protocol's JsInteropTests run the reference JS side of the secure channel (node-forge, node:crypto).
if [ ! -d clients/crypto-interop/node_modules ]; then
  if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "run-tests.sh: installing Node.js and npm (apt) for the JS interop tests..."
    DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "run-tests.sh: npm is missing. Install Node.js 18+ with npm (Debian: apt-get install nodejs npm);" \
      "the JS interop tests need clients/crypto-interop/node_modules." >&2
    exit 1
  fi
  npm ci --prefix clients/crypto-interop --no-audit --no-fund
fi

exec mvn -B verify "$@"
