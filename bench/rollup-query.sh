#!/usr/bin/env bash
# Dashboard queries from ClickHouse rollups over many raw events (default 100 million): starts Debian's
# clickhouse-server on a free loopback port with its own data directory, makes the ecommerce tables and rollup
# materialized views (examples/ecommerce/pipeline-scale.yaml), loads the events server-side, then times the
# rollup queries the API runs, against the same aggregation computed from the raw table. See BENCHMARKS.md,
# "Rollups".
# Usage: bash bench/rollup-query.sh [--events N] [--runs N]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$HERE/scripts/java-env.sh"
cd "$HERE"
[ -x /usr/sbin/clickhouse-server ] || bash scripts/install-deps.sh
echo "bench: building (mvn package, tests skipped)..." >&2
mvn -q -o -B -ntp -DskipTests -Dspotless.check.skip=true package >&2
DIR=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
TCP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$DIR/log"
cat > "$DIR/config.xml" <<XML
<yandex>
  <logger><level>warning</level><log>$DIR/log/server.log</log><errorlog>$DIR/log/error.log</errorlog></logger>
  <http_port>$PORT</http_port><tcp_port>$TCP</tcp_port><listen_host>127.0.0.1</listen_host>
  <path>$DIR/data/</path><tmp_path>$DIR/tmp/</tmp_path><user_files_path>$DIR/uf/</user_files_path>
  <format_schema_path>$DIR/fs/</format_schema_path><users_config>$DIR/users.xml</users_config>
  <default_profile>default</default_profile><default_database>default</default_database>
  <mark_cache_size>5368709120</mark_cache_size>
</yandex>
XML
cat > "$DIR/users.xml" <<XML
<yandex><profiles><default><max_memory_usage>10000000000</max_memory_usage></default></profiles>
<users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
<quotas><default></default></quotas></yandex>
XML
/usr/sbin/clickhouse-server --config-file="$DIR/config.xml" > "$DIR/log/stdout.log" 2>&1 &
CH=$!
trap 'kill $CH 2>/dev/null; wait $CH 2>/dev/null; rm -rf "$DIR"' EXIT
for i in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/ping" >/dev/null && break; sleep 1; done
echo "bench: $(nproc) cores, ClickHouse on port $PORT, data in $DIR" >&2
CP="$HERE/sluice-bench/target/classes:$(cat "$HERE/sluice-bench/target/classpath.txt")"
"$JAVA_HOME/bin/java" -Xmx2g --enable-native-access=ALL-UNNAMED -cp "$CP" dev.sluice.bench.RollupQueryBench \
  --home "$HERE" --url "http://127.0.0.1:$PORT" "$@" 2>&1 | grep -v "^WARNING"
echo "disk: $(du -sh "$DIR/data" | cut -f1)"
