"""Produce Avro records the way a team already using Confluent's Python client does.

Usage: confluent_avro_producer.py produce REGISTRY_URL BOOTSTRAP TOPIC COUNT BASE_MS
       confluent_avro_producer.py consume REGISTRY_URL BOOTSTRAP TOPIC COUNT

consume reads COUNT records of TOPIC with Confluent's Avro deserializer, which looks up each record's writer
schema by the id in the wire format, and prints them as JSON lines.

Registers the schema with confluent_kafka's SchemaRegistryClient, then produces COUNT records with the
(legacy, fastavro-free) AvroProducer, which serializes in the Confluent wire format and looks up or
registers the schema under TOPIC-value itself. Prints one JSON line with what it did.
"""
import json
import sys

from confluent_kafka import avro
from confluent_kafka.avro import AvroProducer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

SCHEMA = {
    "type": "record",
    "name": "Tick",
    "namespace": "market",
    "fields": [
        {"name": "event_id", "type": "string"},
        {"name": "symbol", "type": {"type": "enum", "name": "Symbol", "symbols": ["AAPL", "MSFT", "NVDA"]}},
        {"name": "price", "type": "double"},
        {"name": "qty", "type": "long"},
        {"name": "venue", "type": ["null", "string"], "default": None},
        {"name": "ts", "type": "long"},
    ],
}


def consume():
    # Confluent's Avro deserializer (MessageSerializer), on the values only: Sluice's record keys are
    # plain text (the stream's key field), which AvroConsumer would also try to decode.
    from confluent_kafka import Consumer
    from confluent_kafka.avro.cached_schema_registry_client import CachedSchemaRegistryClient
    from confluent_kafka.avro.serializer.message_serializer import MessageSerializer
    import time

    registry_url, bootstrap, topic, count = sys.argv[2:6]
    count = int(count)
    serializer = MessageSerializer(CachedSchemaRegistryClient(registry_url))
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "python-" + topic,
        "auto.offset.reset": "earliest",
    })
    consumer.subscribe([topic])
    seen = 0
    deadline = time.time() + 60
    while seen < count and time.time() < deadline:
        msg = consumer.poll(1.0)
        if msg is None:
            continue
        if msg.error():
            raise SystemExit("consume error: %s" % msg.error())
        print(json.dumps(serializer.decode_message(msg.value()), sort_keys=True))
        seen += 1
    consumer.close()


def main():
    if sys.argv[1] == "consume":
        consume()
        return
    registry_url, bootstrap, topic, count, base_ms = sys.argv[2:7]
    count = int(count)
    base_ms = int(base_ms)
    text = json.dumps(SCHEMA)

    client = SchemaRegistryClient({"url": registry_url})
    registered_id = client.register_schema(topic + "-value", Schema(text, "AVRO"))
    latest = client.get_latest_version(topic + "-value")
    fetched = client.get_schema(registered_id)

    producer = AvroProducer(
        {"bootstrap.servers": bootstrap, "schema.registry.url": registry_url},
        default_value_schema=avro.loads(text),
    )
    symbols = SCHEMA["fields"][1]["type"]["symbols"]
    for i in range(count):
        producer.produce(
            topic=topic,
            value={
                "event_id": "tick-%d" % i,
                "symbol": symbols[i % 3],
                "price": 100.0 + i,
                "qty": i + 1,
                "venue": None if i % 2 else "XNAS",
                "ts": base_ms + i * 1000,
            },
        )
    producer.flush(30)
    print(json.dumps({
        "registered_id": registered_id,
        "latest_version": latest.version,
        "latest_id": latest.schema_id,
        "fetched_type": fetched.schema_type,
        "produced": count,
    }))


if __name__ == "__main__":
    main()
