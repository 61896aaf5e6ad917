#!/usr/bin/env bash
# Installs, when missing, the Debian packages that tests start real servers or clients from.
# - maven, curl: the build
# - python3-confluent-kafka, python3-avro, python3-requests: Confluent's own Python client, which the
#   registry tests use as a client nobody on the team wrote (ConfluentPythonClientIT)
# - chromium, chromium-driver: the dashboard's browser test (DashboardBrowserIT), headless
# (The servers the tests start are installed by the second block below.)
set -euo pipefail
need=()
command -v mvn >/dev/null || need+=(maven)
command -v curl >/dev/null || need+=(curl)
if ! /usr/bin/python3 -c 'import confluent_kafka.avro, confluent_kafka.schema_registry, requests' >/dev/null 2>&1; then
  need+=(python3-confluent-kafka python3-avro python3-requests)
fi
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing ${need[*]}; run as root or install them" >&2
    exit 1
  fi
  echo "install-deps: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${need[@]}"
fi
# Servers the tests start themselves (their own ports and data directories), without the extra daemons their
# packages recommend:
# - prometheus (with promtool): ObservabilityIT scrapes a running Sluice; DeployConfigTest runs promtool
# - clickhouse-server, postgresql, redis-server: the store tests (LocalServersIT starts each)
norec=()
{ command -v promtool >/dev/null && command -v prometheus >/dev/null; } || norec+=(prometheus)
[ -x /usr/sbin/clickhouse-server ] || norec+=(clickhouse-server)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || norec+=(postgresql)
[ -x /usr/bin/redis-server ] || norec+=(redis-server)
if [ ${#norec[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing ${norec[*]}; run as root or install them" >&2
    exit 1
  fi
  echo "install-deps: installing ${norec[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  [ ${#need[@]} -gt 0 ] || apt-get update -q
  apt-get install -y -q --no-install-recommends "${norec[@]}"
fi
