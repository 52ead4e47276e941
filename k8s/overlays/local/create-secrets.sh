#!/usr/bin/env bash
# Creates the Secrets of the local overlay with fresh random values (nothing is written to the repository) and a
# self-signed certificate for wxim.localtest.me. Existing Secrets are kept: delete one to regenerate it.
#   k8s/overlays/local/create-secrets.sh [namespace]     (needs kubectl and openssl)
set -euo pipefail
ns="${1:-wxim}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
kubectl get namespace "$ns" >/dev/null 2>&1 || kubectl create namespace "$ns"
hex() { openssl rand -hex "$1"; }
b64() { openssl rand -base64 32; }
create() { # name, then kubectl create secret args
  local name="$1"; shift
  if kubectl -n "$ns" get secret "$name" >/dev/null 2>&1; then echo "kept secret/$name"; return; fi
  kubectl -n "$ns" create secret "$@" && echo "created secret/$name"
}
redis_pw="$(hex 24)"; auth_pw="$(hex 24)"; chat_pw="$(hex 24)"; history_pw="$(hex 24)"; keys_token="$(hex 32)"
if kubectl -n "$ns" get secret wxim-mongo >/dev/null 2>&1; then
  # reuse the Mongo passwords already in the cluster so the service URIs match the users created at first start
  get() { kubectl -n "$ns" get secret wxim-mongo -o "jsonpath={.data.$1}" | base64 -d; }
  auth_pw="$(get MONGO_AUTH_PASSWORD)"; chat_pw="$(get MONGO_CHAT_PASSWORD)"; history_pw="$(get MONGO_HISTORY_PASSWORD)"
fi
if kubectl -n "$ns" get secret wxim-redis >/dev/null 2>&1; then
  redis_pw="$(kubectl -n "$ns" get secret wxim-redis -o 'jsonpath={.data.REDIS_PASSWORD}' | base64 -d)"
fi
if kubectl -n "$ns" get secret wxim-gateway >/dev/null 2>&1; then
  keys_token="$(kubectl -n "$ns" get secret wxim-gateway -o 'jsonpath={.data.IM_GATEWAY_KEYS_TOKEN}' | base64 -d)"
fi
uri() { echo "mongodb://wxim_$1:$2@mongo-0.mongo:27017/im_$1?replicaSet=rs0&authSource=admin&w=majority"; }

create wxim-redis generic wxim-redis --from-literal=REDIS_PASSWORD="$redis_pw"
create wxim-mongo generic wxim-mongo --from-literal=MONGO_ROOT_USERNAME=root \
  --from-literal=MONGO_ROOT_PASSWORD="$(hex 24)" --from-literal=MONGO_REPLICA_KEY="$(hex 64)" \
  --from-literal=MONGO_AUTH_PASSWORD="$auth_pw" --from-literal=MONGO_CHAT_PASSWORD="$chat_pw" \
  --from-literal=MONGO_HISTORY_PASSWORD="$history_pw"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/signing-key.pem" 2>/dev/null
create wxim-auth-signing-key generic wxim-auth-signing-key --from-file=signing-key.pem="$tmp/signing-key.pem"
create wxim-auth generic wxim-auth --from-literal=IM_AUTH_MONGODB_URI="$(uri auth "$auth_pw")" \
  --from-literal=IM_AUTH_ADMIN_TOKEN="$(hex 32)" --from-literal=IM_AUTH_KEY_ENCRYPTION_KEY="$(b64)" \
  --from-literal=IM_GATEWAY_KEYS_TOKEN="$keys_token"
create wxim-gateway generic wxim-gateway --from-literal=IM_GATEWAY_KEYS_TOKEN="$keys_token"
create wxim-history generic wxim-history --from-literal=SPRING_MONGODB_URI="$(uri history "$history_pw")" \
  --from-literal=IM_MEDIA_URL_KEY="$(b64)"
create wxim-chat generic wxim-chat --from-literal=MONGODB_URI="$(uri chat "$chat_pw")"
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=wxim.localtest.me" \
  -addext "subjectAltName=DNS:wxim.localtest.me" -keyout "$tmp/tls.key" -out "$tmp/tls.crt" 2>/dev/null
create wxim-tls tls wxim-tls --cert="$tmp/tls.crt" --key="$tmp/tls.key"
