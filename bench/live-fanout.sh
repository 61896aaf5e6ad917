#!/usr/bin/env bash
# Live fan-out benchmark: N concurrent SSE clients on one Sluice instance (default N = 1, 100, 1000, 10000) and
# the delay from the processor's emit of an update to its receipt by a client, against this machine's own
# loopback SSE delivery (the baseline), in one run. Prints a Markdown table; details in
# sluice-bench/target/bench/ (live-fanout.json, live-fanout.md, server logs). See BENCHMARKS.md.
#
# Usage: bash bench/live-fanout.sh [--clients 1,100,1000,10000] [--rate 200] [--groups 100] [--warmup 10]
#                                  [--duration 20] [--open-concurrency 200] [--await-idle 120] [--no-baseline] [--no-sluice]
# Environment: BENCH_JAVA_OPTS (the bench JVM, i.e. the clients), SLUICE_JAVA_OPTS (the Sluice server JVM).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$HERE/scripts/java-env.sh"
cd "$HERE"

echo "bench: building (mvn package, tests skipped)..." >&2
mvn -q -o -B -ntp -DskipTests -Dspotless.check.skip=true package >&2

# 10,000 clients need 10,000 sockets here and as many in the server (which inherits this limit)
want=25000
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ]; then
  ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fi
echo "bench: $(nproc) cores, open files limit $(ulimit -n), $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)" >&2

CP="$HERE/sluice-bench/target/classes:$(cat "$HERE/sluice-bench/target/classpath.txt")"
exec "$JAVA_HOME/bin/java" ${BENCH_JAVA_OPTS:--Xms1g -Xmx4g} -cp "$CP" dev.sluice.bench.LiveFanoutBench --home "$HERE" "$@"
