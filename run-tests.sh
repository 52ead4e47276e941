#!/usr/bin/env bash
# Runs every test: unit, integration (Testcontainers when Docker is available, else embedded Redis +
# mongo-java-server) and end-to-end (two gateways, real WebSocket clients). Extra args go to Maven,
# e.g. ./run-tests.sh -pl gateway-service -am  or  -Dtest.infra=containers. First: the static deploy checks.
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

# Static checks of the deploy files (docker-compose.yml, k8s/ base and overlays, kustomize rendering, dashboard) and
# the validator's own self-test over broken copies; no Docker engine or cluster needed (deploy/README.md).
# WXIM_SKIP_DEPLOY_CHECKS=1 skips them (e.g. when iterating on one module).
if [ "${WXIM_SKIP_DEPLOY_CHECKS:-0}" != 1 ]; then
  if [ ! -d deploy/validate/node_modules ]; then
    npm ci --prefix deploy/validate --no-audit --no-fund
  fi
  node deploy/validate/validate.mjs
  node deploy/validate/self-test.mjs
fi

exec mvn -B verify "$@"
