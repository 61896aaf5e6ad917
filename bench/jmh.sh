#!/usr/bin/env bash
# JMH benchmarks of the processor's hot loops (sluice-bench/src/main/java/dev/sluice/bench/jmh): per-event parse,
# fields and filter, window update, view record encode/decode. Extra arguments go to JMH (e.g. -f 1 -wi 2 -i 3).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$HERE/scripts/java-env.sh"
cd "$HERE"
echo "bench: building (mvn package, tests skipped)..." >&2
mvn -q -o -B -ntp -DskipTests -Dspotless.check.skip=true package >&2
CP="$HERE/sluice-bench/target/classes:$(cat "$HERE/sluice-bench/target/classpath.txt")"
exec "$JAVA_HOME/bin/java" -cp "$CP" -Dsluice.home="$HERE" org.openjdk.jmh.Main \
  -jvmArgs "-Dsluice.home=$HERE --enable-native-access=ALL-UNNAMED" "$@" 'dev.sluice.bench.jmh.*'
