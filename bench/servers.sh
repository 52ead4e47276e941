# Sourced by bench/run-suite.sh and bench/soak.sh: starts wxim for a measurement (the local launcher with embedded
# Redis and store, and a second gateway process, both pinned to $SERVER_CPU) and stops every process it started, by
# PID, when the sourcing script exits. Loopback only. Set before sourcing: OUT (the output folder, for the logs).
SERVER_CPU="${SERVER_CPU:-0}"
BENCH_CPU="${BENCH_CPU:-1}"
read -r -a SJ <<< "${SERVER_JAVA_OPTS:-}"
DATA="$(mktemp -d /tmp/wxim-bench-data.XXXXXX)"
PIDS=()
REDIS=""
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
# SIGTERM, then up to 30 s for the launcher's orderly stop (it stops its redis-server), then SIGKILL; a redis-server
# that outlived its launcher is stopped too (a later session on the same ports could not start otherwise), once the
# script knows its pid (it never stops a redis-server it did not find behind its own launcher).
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
            for _ in $(seq 1 30); do
              alive=0; for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
              [ "$alive" = 0 ] && break; sleep 1
            done
            for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
            if [ -n "$REDIS" ] && kill -0 "$REDIS" 2>/dev/null; then
              kill "$REDIS" 2>/dev/null || true
              for _ in $(seq 1 10); do kill -0 "$REDIS" 2>/dev/null || break; sleep 1; done
            fi
            rm -rf "$DATA" || true; }
trap cleanup EXIT

wait_http() { # url seconds
  for _ in $(seq 1 "$2"); do curl -fs -o /dev/null "$1" && return 0; sleep 1; done
  echo "not up: $1" >&2; return 1
}

# The per-connection frame limit (20/s) and the per-user send rate (50/s) are for people; the generator sends faster
# from one connection (one user each). Same for both gateways; said in docs/benchmarks.md.
export IM_GATEWAY_WS_RATEPERSECOND=2000 IM_GATEWAY_WS_RATEBURST=4000
export IM_GATEWAY_USERRATE_PERSECOND=2000 IM_GATEWAY_USERRATE_BURST=4000

# The launcher (gateway 23080, management 24080; Redis 23390), as LAUNCHER, its redis-server as REDIS.
start_launcher() {
  WXIM_PORT=23080 WXIM_REDIS_PORT=23390 WXIM_MONGO_PORT=23190 WXIM_DATA="$DATA" \
    taskset -c "$SERVER_CPU" java -Xmx1g -XX:+UseSerialGC ${SJ[@]+"${SJ[@]}"} -jar local-launcher/target/local-launcher-0.1.0-SNAPSHOT-exec.jar \
    > "$OUT/launcher.log" 2>&1 &
  LAUNCHER=$!; PIDS+=("$LAUNCHER")
  wait_http http://127.0.0.1:23080/ 180
  REDIS=$(pgrep -f 'redis-server.*:23390' | head -1)
}

# A second gateway (23085, management 24085) on the launcher's Redis and services, as GW2.
start_gw2() {
  REDIS_HOST=127.0.0.1 REDIS_PORT=23390 GATEWAY_NODE_ID="gwb$RANDOM" AUTH_JWKS_URI=http://127.0.0.1:23081/api/auth/jwks \
  AUTH_URL=http://127.0.0.1:23081 HISTORY_URL=http://127.0.0.1:23082 CHAT_URL=http://127.0.0.1:23083 \
    taskset -c "$SERVER_CPU" java -Xmx512m -XX:+UseSerialGC ${SJ[@]+"${SJ[@]}"} -jar gateway-service/target/gateway-service-0.1.0-SNAPSHOT-exec.jar \
    --server.port=23085 --management.server.port=24085 >> "$OUT/gw2.log" 2>&1 &
  GW2=$!; PIDS+=("$GW2")
  wait_http http://127.0.0.1:24085/actuator/health 120
}
