#!/usr/bin/env bash
# Builds and starts the whole system on this machine: embedded Redis (real redis-server binary),
# embedded MongoDB-compatible store (mongo-java-server, H2 file under .local-data/), auth, history,
# chat and gateway services, with dev login enabled. LOCAL ONLY.
# Real servers instead: REDIS_HOST=... REDIS_PORT=... MONGODB_URI=mongodb://host:27017 ./run-local.sh
set -euo pipefail
cd "$(dirname "$0")"
echo "Building (first run downloads dependencies; later runs take ~30 s)..."
mvn -B -q -DskipTests install
exec java -Xmx512m -XX:+UseSerialGC -jar local-launcher/target/local-launcher-0.1.0-SNAPSHOT-exec.jar "$@"
