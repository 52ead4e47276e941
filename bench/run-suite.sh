#!/usr/bin/env bash
# One measurement session, side by side: starts wxim (the local launcher pinned to core 0 plus a second gateway
# process) and the Socket.IO + Redis peer (two instances, core 0), runs each scenario against both with the
# generator on core 1, writes JSON results, Markdown rows and plots to $OUT, and stops every process it started (by
# PID). Loopback only; every scenario is bounded by the tool's own limits and by `timeout` here.
#
#   bench/run-suite.sh [quick|full]      (quick: short steps, ~15 min; full: 30 s steps and 10k idle, ~45 min)
#   IDLE_CONNECTIONS=N STORM_CLIENTS=N  override the idle and storm sizes of either mode
#   WARMUP_SECONDS=N                    the traffic at each rate scenario's first rate before its steps (a steady state)
#   SERVER_JAVA_OPTS="..."              extra JVM options for the launcher and the second gateway (e.g. a JIT setting)
#   ONLY="direct-wxim-overload"         overload and recovery (not in a session; also fanout1000-wxim-overload;
#                                       OVERLOAD_RATES=r1,r2,... its steps)
#   SERVER_CPU=0 BENCH_CPU=1            the servers' and the generator's cores (taskset lists, e.g. 0-3 and 6-7)
#   MONGODB_URI=mongodb://...           a MongoDB you run instead of the launcher's embedded store
#
# Needs: the jars (mvn -B -q -DskipTests package -pl local-launcher,gateway-service,bench -am), node + npm ci in
# bench/socketio-peer, taskset (util-linux). Run it on a quiet machine: nothing else busy.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-quick}"
OUT="${OUT:-bench-results/$(date -u +%Y%m%dT%H%M%SZ)-$MODE}"
mkdir -p "$OUT"
# shellcheck source=servers.sh
. bench/servers.sh
B=(taskset -c "$BENCH_CPU" java -Xmx2g -jar bench/target/bench-0.1.0-SNAPSHOT-exec.jar)
start_launcher
start_gw2

(cd bench/socketio-peer && exec taskset -c "$SERVER_CPU" node --expose-gc server.mjs --port 23500 --redis redis://127.0.0.1:23390) > "$OUT/peer1.log" 2>&1 &
PEER1=$!; PIDS+=("$PEER1")
(cd bench/socketio-peer && exec taskset -c "$SERVER_CPU" node --expose-gc server.mjs --port 23501 --redis redis://127.0.0.1:23390) > "$OUT/peer2.log" 2>&1 &
PEER2=$!; PIDS+=("$PEER2")
wait_http http://127.0.0.1:23500/stats 30
wait_http http://127.0.0.1:23501/stats 30

WX=(--target wxim --url http://127.0.0.1:23080,http://127.0.0.1:23085 --server-pids "launcher=$LAUNCHER,gw2=$GW2,redis=$REDIS")
SIO=(--target socketio --url http://127.0.0.1:23500,http://127.0.0.1:23501 --server-pids "peer1=$PEER1,peer2=$PEER2,redis=$REDIS")
if [ "$MODE" = full ]; then STEP=(--step-seconds 30 --drain-seconds 5 --warmup-seconds 30); IDLE=10000; STORM=5000
else STEP=(--step-seconds 12 --drain-seconds 4 --warmup-seconds 15); IDLE=2000; STORM=1000; fi
if [ -n "${WARMUP_SECONDS:-}" ]; then STEP=("${STEP[@]:0:4}" --warmup-seconds "$WARMUP_SECONDS"); fi
IDLE="${IDLE_CONNECTIONS:-$IDLE}"; STORM="${STORM_CLIENTS:-$STORM}" # e.g. the storm target's 5,000 in a quick run
run() { # name args...   (ONLY="name ..." runs just those)
  local name=$1; shift
  if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then return 0; fi
  echo "== $name"
  timeout 1200 "${B[@]}" "$@" --out "$OUT/$name.json" --md "$OUT/results.md" 2>&1 | tee "$OUT/$name.txt" | grep -E '^\| [a-z]|^note|^result' || true
}

run fanout100-wxim     fanout "${WX[@]}"  --receivers 100 --senders 25 --rates 100,200,400,800,1600,3200 "${STEP[@]}"
run fanout100-socketio fanout "${SIO[@]}" --receivers 100 --senders 25 --rates 100,200,400,800,1600,3200 "${STEP[@]}"
run fanout1000-wxim     fanout "${WX[@]}"  --receivers 1000 --senders 20 --rates 10,20,40,80,160 "${STEP[@]}" --connect-timeout-seconds 300
# N=1000: steps of 10,000 deliveries/s between 40,000 and 80,000, where both saturate, so the ratio at p99 <= 50 ms
# can read between 1x and 2x
run fanout1000-socketio fanout "${SIO[@]}" --receivers 1000 --senders 20 --rates 10,20,40,50,60,70,80,160 "${STEP[@]}" --connect-timeout-seconds 300
# wxim keeps one command in flight per connection, so a sender's rate is bounded by 1 / its ack latency: the same
# rooms with 100 senders show what the server sustains when senders are not the limit.
run fanout100-wxim-100snd  fanout "${WX[@]}" --receivers 100 --senders 100 --rates 50,100,150,200,300 "${STEP[@]}"
run fanout1000-wxim-100snd fanout "${WX[@]}" --receivers 1000 --senders 100 --rates 10,20,40,50,60,70,80,120,160 "${STEP[@]}" \
  --connect-timeout-seconds 300
run direct-wxim     direct "${WX[@]}"  --pairs 100 --rates 100,200,400,800,1600,3200 "${STEP[@]}"
run direct-socketio direct "${SIO[@]}" --pairs 100 --rates 100,200,400,800,1600,3200 "${STEP[@]}"
# Overload and recovery (benchmarks section 27): 1v1 at twice the rate wxim sustains here, or fan-out at twice the
# deliveries it carried (section 18), for 40 s, then back to a rate it carries; stepping does not stop at saturation.
# Not part of a session: only with ONLY="direct-wxim-overload" or ONLY="fanout1000-wxim-overload".
if [[ " ${ONLY:-} " == *" direct-wxim-overload "* ]]; then
  run direct-wxim-overload direct "${WX[@]}" --pairs 100 --rates "${OVERLOAD_RATES:-200,200,1600,1600,200,200,200,200}" \
    --step-seconds 20 --drain-seconds 4 --warmup-seconds 15 --stop-loss-percent 100 --stop-p99-ms 100000000
fi
if [[ " ${ONLY:-} " == *" fanout1000-wxim-overload "* ]]; then
  run fanout1000-wxim-overload fanout "${WX[@]}" --receivers 1000 --senders 100 \
    --rates "${OVERLOAD_RATES:-20,20,320,320,20,20,20,20}" --step-seconds 20 --drain-seconds 4 --warmup-seconds 15 \
    --stop-loss-percent 100 --stop-p99-ms 100000000 --connect-timeout-seconds 300
fi
run idle-wxim idle --target wxim --url http://127.0.0.1:23085 --connections "$IDLE" --hold-seconds 20 --gc \
  --heap-url 'http://127.0.0.1:24085/actuator/metrics/jvm.memory.used?tag=area:heap' --server-pids "gw2=$GW2" \
  --connect-timeout-seconds 600
run idle-socketio idle --target socketio --url http://127.0.0.1:23500 --connections "$IDLE" --hold-seconds 20 \
  --heap-url http://127.0.0.1:23500/stats --server-pids "peer1=$PEER1" --connect-timeout-seconds 600
# Clients retry like the JS SDK: an attempt (handshake, welcome, sync) may take two heartbeats (50 s) before they give up.
run storm-wxim storm --target wxim --url http://127.0.0.1:23085 --fallback-url http://127.0.0.1:23080 --clients "$STORM" \
  --attempt-timeout-seconds 50 --kill-pid "$GW2" --server-pids "launcher=$LAUNCHER,redis=$REDIS" --timeout-seconds 120 --connect-timeout-seconds 600
run storm-socketio storm --target socketio --url http://127.0.0.1:23501 --fallback-url http://127.0.0.1:23500 \
  --clients "$STORM" --attempt-timeout-seconds 50 --kill-pid "$PEER2" --server-pids "peer1=$PEER1,redis=$REDIS" --timeout-seconds 120 \
  --connect-timeout-seconds 600

java -Djava.awt.headless=true -jar bench/target/bench-0.1.0-SNAPSHOT-exec.jar report --out "$OUT/plots" "$OUT"/*.json
echo "results: $OUT/results.md, plots: $OUT/plots"
