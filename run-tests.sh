#!/usr/bin/env bash
# Runs every test: the static deploy checks and the JS SDK's unit tests, then Maven: unit, integration
# (Testcontainers when Docker is available, else embedded Redis + mongo-java-server) and end-to-end (two gateways,
# real WebSocket clients, the JS SDK's integration tests and the web demo in headless Chromium). Extra args go to
# Maven and skip the non-Maven checks, e.g. ./run-tests.sh -pl gateway-service -am  or  -Dtest.infra=containers
set -euo pipefail
cd "$(dirname "$0")"

# What the JS side needs: Node.js + npm (interop, SDK, browser, deploy checks) and Debian's chromium (browser tests).
missing=()
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "run-tests.sh: installing ${missing[*]} (apt) for the JS and browser tests..."
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
  else
    echo "run-tests.sh: missing ${missing[*]}: install Node.js 20+ with npm and Chromium" \
      "(Debian: apt-get install nodejs npm chromium), or set CHROMIUM_PATH." >&2
    exit 1
  fi
fi

for dir in clients/crypto-interop clients/js clients/miniprogram-demo clients/browser-e2e deploy/validate; do
  if [ ! -d "$dir/node_modules" ]; then
    npm ci --prefix "$dir" --no-audit --no-fund
  fi
done

if [ $# -eq 0 ]; then
  # Static checks of the deploy files (compose schema, k8s schemas, kustomize rendering, dashboard) and the
  # validator's self-test over broken copies: no Docker engine or cluster needed (deploy/README.md).
  node deploy/validate/validate.mjs
  node deploy/validate/self-test.mjs
  npm test --prefix clients/js
  npm test --prefix clients/miniprogram-demo
fi
exec mvn -B verify "$@"
