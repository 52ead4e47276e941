#!/bin/bash
# wxim-healthcheck PORT [PATH]: exit 0 when GET http://127.0.0.1:PORT/PATH answers 200, else 1.
# Dependency-free (bash /dev/tcp), so the JRE image needs no curl or wget. Used by docker-compose.yml healthchecks;
# Kubernetes uses httpGet probes instead. PATH defaults to the actuator readiness group.
set -u
port="${1:?usage: wxim-healthcheck PORT [PATH]}"
path="${2:-/actuator/health/readiness}"
exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$path" >&3
IFS= read -r -t 3 status <&3 || exit 1
case "$status" in
  "HTTP/1.1 200"*|"HTTP/1.0 200"*) exit 0 ;;
  *) exit 1 ;;
esac
