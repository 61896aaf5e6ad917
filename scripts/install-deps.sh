#!/usr/bin/env bash
# Installs, when missing, the Debian packages that tests start real servers from.
# Today's tests need only what Maven brings (the embedded Kafka broker, DuckDB); the list grows as
# ClickHouse, PostgreSQL, Redis, Mosquitto, Prometheus and Chromium tests arrive.
set -euo pipefail
need=()
command -v mvn >/dev/null || need+=(maven)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing ${need[*]}; run as root or install them" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${need[@]}"
fi
