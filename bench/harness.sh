#!/usr/bin/env bash
# Throughput harness: in one run on this machine, the limit (raw Kafka produce+consume of the pipeline's own
# records on Sluice's broker; DuckDB's bulk append of the same rows), Sluice's sustained end-to-end rate (a
# ladder of rates, 60 s each, raw rows stored and the ecommerce view maintained), HTTP ingest with NDJSON
# batches, the server's RSS at rest and under load, and the same ladder for a hand-written Kafka Streams job doing
# the view's work (sluice-bench/.../baseline/HandWrittenStreams.java) on the same broker. Prints a Markdown table;
# details in sluice-bench/target/harness/ (harness.json, harness.md, the server's and the baseline's logs). See
# BENCHMARKS.md, "Throughput".
#
# Usage: bash bench/harness.sh [--smoke] [--rates 2000,4000,...] [--step-seconds 60] [--warmup-seconds 60] [--raw-events 1000000]
#                              [--ingest-events 300000] [--out DIR]
# Environment: BENCH_JAVA_OPTS (the harness JVM), SLUICE_JAVA_OPTS (the Sluice server JVM), BASELINE_JAVA_OPTS (the
# baseline's JVM).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$HERE/scripts/java-env.sh"
cd "$HERE"
echo "bench: building (mvn package, tests skipped)..." >&2
mvn -q -o -B -ntp -DskipTests -Dspotless.check.skip=true package >&2
echo "bench: $(nproc) cores, $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)" >&2
CP="$HERE/sluice-bench/target/classes:$(cat "$HERE/sluice-bench/target/classpath.txt")"
exec "$JAVA_HOME/bin/java" ${BENCH_JAVA_OPTS:--Xms1g -Xmx6g} --enable-native-access=ALL-UNNAMED \
  -cp "$CP" dev.sluice.bench.ThroughputHarness --home "$HERE" "$@"
