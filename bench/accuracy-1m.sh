#!/usr/bin/env bash
# The 1-million-event accuracy run: the ecommerce pipeline (embedded broker, processor, DuckDB) as a child
# process, sluice loadgen sending 1,000,000 events with every fault injected, then sluice verify against the
# loadgen truth and against a recompute from the raw events. Results in BENCHMARKS.md, "Accuracy".
# Usage: bash bench/accuracy-1m.sh [EVENTS] [RATE]   (defaults 1000000 20000); about 4 minutes here.
set -u
EVENTS=${1:-1000000}
RATE=${2:-20000}
cd "$(dirname "$0")/.."
DATA=$(mktemp -d)
./sluice run examples/ecommerce/pipeline.yaml --data-dir "$DATA" --port 18081 --kafka-port 19093 > "$DATA/server.log" 2>&1 &
SP=$!
for i in $(seq 1 90); do curl -sf localhost:18081/health/ready >/dev/null && break; sleep 1; done
echo "ready after $i s"
./sluice loadgen examples/ecommerce/loadgen.yaml --url http://127.0.0.1:18081 --events "$EVENTS" --rate "$RATE" --truth "$DATA/truth.json" 2>&1 | grep -v "^WARNING" | grep -v "^\[" | tail -4
for i in $(seq 1 300); do
  out=$(./sluice verify --url http://127.0.0.1:18081 --truth "$DATA/truth.json" 2>&1 | grep -v WARNING)
  echo "$out" | grep -q "verify: OK" && break
  sleep 2
done
echo "verify (truth) after $((i*2)) s:"; echo "$out" | tail -8
./sluice verify --url http://127.0.0.1:18081 --view gmv_by_country --recompute 2>&1 | grep -v WARNING | tail -8
curl -s localhost:18081/v1/lag | head -c 600; echo
curl -s localhost:18081/metrics | grep -E "^sluice_events_(received|emitted|refused)_total|^sluice_events_discarded_total.*(duplicate|late|filtered)" | grep -v " 0.0$"
kill $SP; wait $SP
rm -rf "$DATA"
echo done
