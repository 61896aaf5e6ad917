#!/usr/bin/env bash
# Memory under load: `./sluice run examples/ecommerce/pipeline.yaml` as a user starts it (the launcher's defaults),
# `sluice loadgen` sending the ecommerce scenario over HTTP faster than the processor keeps up, then the backlog
# drained. Prints the server's RSS at rest and its maximum (sampled every 0.5 s) from the first event until the
# processor and the sink have caught up. Results in BENCHMARKS.md, "Memory".
#
# Usage: bash bench/memory.sh [--events 1000000] [--rate 20000] [--nmt] [--out DIR] [-- SLUICE RUN OPTIONS...]
# Every 10 s: RSS and sluice_memory_used_bytes (RocksDB, DuckDB) in DIR/gauges.txt.
#   --nmt  also start the JVM with -XX:NativeMemoryTracking=summary and keep, every 10 s, `jcmd VM.native_memory
#          summary` and `jcmd GC.heap_info` in DIR (the breakdown of where the memory goes; NMT costs a few MB).
# Environment: SLUICE_JAVA_OPTS (the server JVM's options, after the launcher's own).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EVENTS=1000000
RATE=20000
NMT=0
OUT="$HERE/sluice-bench/target/memory"
while [ $# -gt 0 ]; do
  case "$1" in
    --events) EVENTS=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --nmt) NMT=1; shift ;;
    --out) OUT=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "memory.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
source "$HERE/scripts/java-env.sh"
cd "$HERE"
mkdir -p "$OUT"
DATA=$(mktemp -d "$OUT/data-XXXXXX")
PORT=18181
KPORT=19193
if [ "$NMT" = 1 ]; then
  export SLUICE_JAVA_OPTS="-XX:NativeMemoryTracking=summary ${SLUICE_JAVA_OPTS:-}"
fi
./sluice run examples/ecommerce/pipeline.yaml --data-dir "$DATA" --port $PORT --kafka-port $KPORT "$@" \
  > "$OUT/server.log" 2>&1 &
PID=$!
cleanup() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT
for i in $(seq 1 120); do
  curl -sf "localhost:$PORT/health/ready" >/dev/null && break
  kill -0 "$PID" 2>/dev/null || { echo "memory.sh: sluice exited, see $OUT/server.log" >&2; exit 1; }
  sleep 1
done
sleep 5
rss() { awk '/^VmRSS:/ {print int($2 / 1024)}' "/proc/$PID/status" 2>/dev/null || echo 0; }
snapshot() { # $1: a label
  echo "$1 RSS $(rss) MB $(curl -sf "localhost:$PORT/metrics" | awk '/^sluice_memory_used_bytes/ {
    match($0, /component="[a-z]+"/); printf "%s %d MB  ", substr($0, RSTART + 11, RLENGTH - 12), $NF / 1048576 }')" \
    >> "$OUT/gauges.txt"
  [ "$NMT" = 1 ] || return 0
  { echo "== $1 RSS $(rss) MB"; grep -E '^Rss' "/proc/$PID/status"; jcmd "$PID" GC.heap_info
    jcmd "$PID" VM.native_memory summary; } >> "$OUT/snapshots.txt" 2>&1 || true
}
: > "$OUT/snapshots.txt"
: > "$OUT/gauges.txt"
REST=$(rss)
snapshot "rest"
echo "memory: sluice (pid $PID) ready, RSS at rest $REST MB; java options: $(tr '\0' ' ' < "/proc/$PID/cmdline" | cut -c1-400)" >&2
: > "$OUT/rss.txt"
(
  n=0
  while kill -0 "$PID" 2>/dev/null; do
    echo "$(date +%s.%N | cut -c1-14) $(rss)" >> "$OUT/rss.txt"
    n=$((n + 1))
    [ $((n % 20)) = 0 ] && snapshot "t+$((n / 2))s"
    sleep 0.5
  done
) &
SAMPLER=$!
START=$(date +%s)
./sluice loadgen examples/ecommerce/loadgen.yaml --url "http://127.0.0.1:$PORT" --events "$EVENTS" --rate "$RATE" \
  > "$OUT/loadgen.log" 2>&1 || { echo "memory.sh: loadgen failed, see $OUT/loadgen.log" >&2; }
SENT=$(date +%s)
# the lag of each consumer group (processor, sink) every second until all are 0, in lag.txt
: > "$OUT/lag.txt"
for i in $(seq 1 600); do
  J=$(curl -sf "localhost:$PORT/v1/lag" || echo '{"groups":[]}')
  echo "$(( $(date +%s) - SENT )) $(echo "$J" | jq -r '[.groups[] | "\(.group)=\(.lag)"] | join(" ")')" >> "$OUT/lag.txt"
  L=$(echo "$J" | jq '[.groups[].lag] | add // -1')
  [ "$L" = 0 ] && break
  sleep 1
done
DRAINED=$(date +%s)
snapshot "drained"
if [ "$NMT" = 1 ]; then # the live set: what is left of the heap after a full collection
  { jcmd "$PID" GC.run >/dev/null; echo "== after a full GC"; jcmd "$PID" GC.heap_info; } >> "$OUT/snapshots.txt" 2>&1 || true
fi
CPU=$(awk '{printf "%.0f", ($14 + $15) / 100}' "/proc/$PID/stat")
GC=$(curl -sf "localhost:$PORT/metrics" | awk '/^jvm_gc_pause_seconds_(sum|count)/ {v[$1 ~ /sum/ ? "s" : "n"] += $NF}
  END {printf "%d pauses, %.1f s", v["n"], v["s"]}')
sleep 2
kill "$SAMPLER" 2>/dev/null || true
MAX=$(awk 'BEGIN {m = 0} $2 > m {m = $2} END {print m}' "$OUT/rss.txt")
echo "memory: $EVENTS events at $RATE/s sent in $((SENT - START)) s, drained $((DRAINED - SENT)) s later (lag $L)" >&2
echo "memory: server CPU $CPU s in all; GC $GC" >&2
echo "memory: lag when the last event was sent: $(head -1 "$OUT/lag.txt" | cut -d' ' -f2-)" >&2
echo "| server RSS at rest / under load (max) | $REST MB / $MAX MB |"
