#!/usr/bin/env bash
# Raw rows per second the DuckDB sink stores from a Kafka topic at full speed, against DuckDB's bare appender on
# the same rows and the sink's write step without Kafka (sluice-bench/src/main/java/dev/sluice/bench/DuckDbSinkBench.java).
# See BENCHMARKS.md, "DuckDB sink: raw rows per second".
# Usage: bash bench/duckdb-sink.sh [--events N]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$HERE/scripts/java-env.sh"
cd "$HERE"
echo "bench: building (mvn package, tests skipped)..." >&2
mvn -q -o -B -ntp -DskipTests -Dspotless.check.skip=true -pl sluice-bench -am package >&2
CP="$HERE/sluice-bench/target/classes:$(cat "$HERE/sluice-bench/target/classpath.txt")"
echo "bench: $(nproc) cores" >&2
"$JAVA_HOME/bin/java" -Xmx3g --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -cp "$CP" dev.sluice.bench.DuckDbSinkBench --home "$HERE" "$@" 2>&1 | grep -v "^WARNING"
