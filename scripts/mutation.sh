#!/usr/bin/env bash
# Mutation testing with PIT (docs/testing.md, "Mutation testing"): mutates the classes of sluice-pipeline,
# sluice-wire, sluice-processor and the sinks' bookkeeping, runs the unit tests (*Test) against each mutant, and prints each
# module's score. Reports (XML and HTML) land in <module>/target/pit-reports/. Not part of CI: it takes about
# half an hour on two cores.
#   bash scripts/mutation.sh                      all four modules
#   bash scripts/mutation.sh processor sinks      some of them (pipeline, wire, processor, sinks)
# Extra Maven flags (e.g. -o) go in MVN_FLAGS.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/java-env.sh
echo "mutation.sh: JAVA_HOME=$JAVA_HOME" >&2

all=(pipeline wire processor sinks)
chosen=("$@")
[ ${#chosen[@]} -eq 0 ] && chosen=("${all[@]}")
modules=() skips=()
for m in "${all[@]}"; do
  if [[ " ${chosen[*]} " == *" $m "* ]]; then modules+=("sluice-$m"); else skips+=("-Dpit.skip.$m=true"); fi
done
for m in "${chosen[@]}"; do
  [[ " ${all[*]} " == *" $m "* ]] || { echo "mutation.sh: unknown module '$m' (one of: ${all[*]})" >&2; exit 2; }
done
for m in "${modules[@]}"; do rm -rf "$m/target/pit-reports"; done

started=$(date +%s)
# shellcheck disable=SC2086
mvn -B -ntp ${MVN_FLAGS:-} -Pmutation -pl "$(IFS=,; echo "${modules[*]}")" -am test "${skips[@]}"
took=$(( $(date +%s) - started ))

count() { grep -o "$1" "$2" | wc -l || true; } # grep finds nothing: 0, not an error

echo
echo "mutation score (killed = detected by a test, timeouts included), $((took / 60)) min $((took % 60)) s:"
for m in "${modules[@]}"; do
  xml="$m/target/pit-reports/mutations.xml"
  if [ ! -f "$xml" ]; then echo "  $m: no report ($xml)"; continue; fi
  total=$(count "<mutation " "$xml")
  killed=$(count "detected='true'" "$xml")
  survived=$(count "status='SURVIVED'" "$xml")
  uncovered=$(count "status='NO_COVERAGE'" "$xml")
  pct=$(( total == 0 ? 0 : killed * 1000 / total ))
  pct="$((pct / 10)).$((pct % 10))"
  echo "  $m: $killed/$total killed ($pct %), $survived survived, $uncovered not covered by any test"
done
