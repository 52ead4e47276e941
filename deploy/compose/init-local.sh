#!/usr/bin/env bash
# Prepares a LOCAL compose run: fills deploy/compose/.env from .env.example with fresh random secrets, makes the
# token signing key and a self-signed certificate for localhost. Never overwrites an existing file.
#   deploy/compose/init-local.sh && docker compose --env-file deploy/compose/.env up -d --build
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -f .env ]; then
  hex() { openssl rand -hex "$1"; }
  b64() { openssl rand -base64 32; }
  sed -e "s|^REDIS_PASSWORD=.*|REDIS_PASSWORD=$(hex 24)|" \
      -e "s|^MONGO_ROOT_PASSWORD=.*|MONGO_ROOT_PASSWORD=$(hex 24)|" \
      -e "s|^MONGO_REPLICA_KEY=.*|MONGO_REPLICA_KEY=$(hex 64)|" \
      -e "s|^MONGO_AUTH_PASSWORD=.*|MONGO_AUTH_PASSWORD=$(hex 24)|" \
      -e "s|^MONGO_CHAT_PASSWORD=.*|MONGO_CHAT_PASSWORD=$(hex 24)|" \
      -e "s|^MONGO_HISTORY_PASSWORD=.*|MONGO_HISTORY_PASSWORD=$(hex 24)|" \
      -e "s|^IM_AUTH_ADMIN_TOKEN=.*|IM_AUTH_ADMIN_TOKEN=$(hex 32)|" \
      -e "s|^IM_AUTH_KEY_ENCRYPTION_KEY=.*|IM_AUTH_KEY_ENCRYPTION_KEY=$(b64)|" \
      -e "s|^IM_GATEWAY_KEYS_TOKEN=.*|IM_GATEWAY_KEYS_TOKEN=$(hex 32)|" \
      -e "s|^IM_MEDIA_URL_KEY=.*|IM_MEDIA_URL_KEY=$(b64)|" \
      .env.example > .env
  chmod 600 .env
  echo "wrote deploy/compose/.env"
fi
if [ ! -f secrets/signing-key.pem ]; then
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out secrets/signing-key.pem 2>/dev/null
  # read by uid 10001 inside the container (compose bind-mounts file secrets with their host permissions)
  chmod 644 secrets/signing-key.pem
  echo "wrote deploy/compose/secrets/signing-key.pem"
fi
if [ ! -f certs/tls.crt ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout certs/tls.key -out certs/tls.crt 2>/dev/null
  echo "wrote deploy/compose/certs/tls.crt and tls.key (self-signed, localhost)"
fi
