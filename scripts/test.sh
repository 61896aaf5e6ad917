#!/usr/bin/env bash
# Runs every test: unit tests, integration tests against real servers, and slow system tests
# (child JVMs, kill -9, outages; tagged "slow"). Installs the system packages the tests need when
# they are missing. CI runs it as is (.ci/run).
#   --fast   skip the slow tier (for development); other arguments go to Maven
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/java-env.sh
args=()
for a in "$@"; do
  if [ "$a" = "--fast" ]; then
    args+=(-Dtests.excludedGroups=slow)
  else
    args+=("$a")
  fi
done
bash scripts/install-deps.sh
echo "test.sh: JAVA_HOME=$JAVA_HOME" >&2
exec mvn -B -ntp verify ${args[@]+"${args[@]}"}
