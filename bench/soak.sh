#!/usr/bin/env bash
# A soak run: steady mixed traffic on wxim (the launcher and a second gateway on core 0, the generator on core 1, as
# in bench/run-suite.sh) for SOAK_SECONDS, to see whether anything grows that should not (Redis keys and memory, the
# JVMs' heap after a full collection, RSS) and whether latency and loss stay put. At once:
#   1v1: 100 pairs at DIRECT_RATE messages/s; fan-out: 100 receivers, 25 senders, FANOUT_RATE messages/s (x100
#   deliveries); churn: rounds of CHURN_CONNECTIONS new users connecting, holding 10 s and closing, alternately on
#   each gateway, until the end.
# The 1v1 and fan-out runs report each STEP_SECONDS as a step at the same rate (latency and loss over time); every
# SAMPLE_SECONDS bench/soak_sample.py writes Redis's memory and keys by prefix and each process's RSS and CPU to
# samples.jsonl, with each JVM's heap after a full collection (jcmd GC.run: a pause in that step) every GC_EVERY-th.
#
#   SOAK_SECONDS=1200 bench/soak.sh     (default 900; OUT=dir; DIRECT_RATE=200 FANOUT_RATE=20 CHURN_CONNECTIONS=200)
#   python3 bench/soak_report.py $OUT/samples.jsonl     (the tables, Markdown)
#
# Needs: the jars (mvn -B -q -DskipTests package -pl local-launcher,gateway-service,bench -am), taskset, jcmd,
# python3, curl. Loopback only; every run is bounded by `timeout`.
set -euo pipefail
cd "$(dirname "$0")/.."
SOAK_SECONDS="${SOAK_SECONDS:-900}"
STEP_SECONDS="${STEP_SECONDS:-60}"
SAMPLE_SECONDS="${SAMPLE_SECONDS:-60}"
GC_EVERY="${GC_EVERY:-5}"
[ "$GC_EVERY" -ge 1 ] || { echo "GC_EVERY must be at least 1" >&2; exit 2; }
DIRECT_RATE="${DIRECT_RATE:-200}"
FANOUT_RATE="${FANOUT_RATE:-20}"
CHURN_CONNECTIONS="${CHURN_CONNECTIONS:-200}"
OUT="${OUT:-bench-results/$(date -u +%Y%m%dT%H%M%SZ)-soak}"
mkdir -p "$OUT"
# shellcheck source=servers.sh
. bench/servers.sh
B=(taskset -c "$BENCH_CPU" java -Xmx1g -jar bench/target/bench-0.1.0-SNAPSHOT-exec.jar)
start_launcher
start_gw2
WX=(--target wxim --url http://127.0.0.1:23080,http://127.0.0.1:23085 --server-pids "launcher=$LAUNCHER,gw2=$GW2,redis=$REDIS")
STEPS=$((SOAK_SECONDS / STEP_SECONDS))
same() { local r="$1" out="$1"; for _ in $(seq 2 "$STEPS"); do out="$out,$r"; done; echo "$out"; }
KEEP=(--step-seconds "$STEP_SECONDS" --drain-seconds 5 --warmup-seconds 15 --stop-loss-percent 100 --stop-p99-ms 100000000)
sample() { # label [--gc]; a failed sample is reported, the run goes on
  taskset -c "$BENCH_CPU" python3 bench/soak_sample.py --label "$1" --redis-port 23390 \
    --pids "launcher=$LAUNCHER,gw2=$GW2,redis=$REDIS" --heap launcher=24080,gw2=24085 "${@:2}" >> "$OUT/samples.jsonl" \
    || echo "sample $1 failed" >&2
}

sample start --gc
BOUND=$((SOAK_SECONDS + 300))
timeout "$BOUND" "${B[@]}" direct "${WX[@]}" --pairs 100 --rates "$(same "$DIRECT_RATE")" "${KEEP[@]}" \
  --out "$OUT/direct.json" --md "$OUT/results.md" > "$OUT/direct.txt" 2>&1 &
DIRECT=$!; PIDS+=("$DIRECT") # stopped with the servers if this script ends early
timeout "$BOUND" "${B[@]}" fanout "${WX[@]}" --receivers 100 --senders 25 --rates "$(same "$FANOUT_RATE")" "${KEEP[@]}" \
  --out "$OUT/fanout.json" --md "$OUT/results.md" > "$OUT/fanout.txt" 2>&1 &
FANOUT=$!; PIDS+=("$FANOUT")
END=$((SECONDS + SOAK_SECONDS + 20))
(round=0
 while [ "$SECONDS" -lt "$END" ] && kill -0 "$LAUNCHER" 2>/dev/null; do
   url=http://127.0.0.1:23085; [ $((round % 2)) = 1 ] && url=http://127.0.0.1:23080
   timeout 120 "${B[@]}" idle --target wxim --url "$url" --connections "$CHURN_CONNECTIONS" --hold-seconds 10 \
     --connect-timeout-seconds 60 --out "$OUT/churn-$round.json" 2>&1 | grep -E '^\| idle' | sed "s/^/round $round: /" || true
   round=$((round + 1))
 done) > "$OUT/churn.txt" 2>&1 &
CHURN=$!; PIDS+=("$CHURN")
n=0
while kill -0 "$DIRECT" 2>/dev/null || kill -0 "$FANOUT" 2>/dev/null; do
  sleep "$SAMPLE_SECONDS"; n=$((n + 1))
  if [ $((n % GC_EVERY)) = 0 ]; then sample "t+$((n * SAMPLE_SECONDS))s" --gc; else sample "t+$((n * SAMPLE_SECONDS))s"; fi
done
wait "$CHURN" || true
wait "$DIRECT" || echo "direct: exit $?" >&2
wait "$FANOUT" || echo "fanout: exit $?" >&2
sleep 5
sample end --gc
echo "WARN/ERROR lines: launcher $(grep -cE ' (WARN|ERROR) ' "$OUT/launcher.log" || true), gw2 $(grep -cE ' (WARN|ERROR) ' "$OUT/gw2.log" || true)" \
  | tee "$OUT/log-levels.txt"
echo "results: $OUT (direct.txt, fanout.txt, churn.txt, samples.jsonl)"
