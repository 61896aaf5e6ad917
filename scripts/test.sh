#!/usr/bin/env bash
# Runs every test: unit tests, integration tests against real servers, and slow system tests
# (child JVMs, kill -9). Installs the system packages the tests need when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/java-env.sh
bash scripts/install-deps.sh
echo "test.sh: JAVA_HOME=$JAVA_HOME" >&2
exec mvn -B -ntp verify "$@"
