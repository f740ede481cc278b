#!/usr/bin/env bash
# Regenerates the checked-in seed corpora under tests/fuzz/corpus/ from the
# text-format requests below (protoc --encode). Each seed is one selector byte
# (which request type or RPC; see the fuzz target) and then the message, or for
# streams a sequence of 2-byte little-endian lengths and messages.
#   tests/fuzz/make_corpus.sh
# The fixed names of fuzz_service_requests' state (exchanges x, d, f; queues
# q, qf; consumer c) are what the service seeds use.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
corpus="$here/corpus"
command -v protoc >/dev/null || { echo "make_corpus.sh: protoc not found (scripts/deps.sh)" >&2; exit 1; }

# encode TYPE TEXT: the binary message (evrouter.v1.TYPE or a full name).
encode() {
  local type="$1"
  [[ "$type" == *.* ]] || type="evrouter.v1.$type"
  printf '%s' "$2" | protoc --proto_path="$repo/proto" --proto_path=/usr/include \
    --encode="$type" evrouter/v1/publisher.proto evrouter/v1/admin.proto \
    evrouter/v1/subscriber.proto grpc/health/v1/health.proto
}

# byte N: one raw byte.
byte() { printf "\\$(printf '%03o' "$1")"; }

# framed TYPE TEXT: a stream message with its 2-byte length.
framed() {
  local tmp
  tmp="$(mktemp)"
  encode "$1" "$2" >"$tmp"
  local n
  n=$(stat -c %s "$tmp")
  byte $((n & 255))
  byte $((n >> 8))
  cat "$tmp"
  rm -f "$tmp"
}

# seed TARGET NAME: stdin becomes corpus/TARGET/NAME.
seed() {
  mkdir -p "$corpus/$1"
  cat >"$corpus/$1/$2"
}

rm -rf "$corpus"

event='events { type: "order.created" source: "shop" content_type: "application/json" payload: "{\"id\":1}" headers { key: "trace" value: "abc" } }'
event_id='events { id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b" type: "a.b" time { seconds: 1700000000 nanos: 5000 } }'

# --- fuzz_validation: selector = request type (+0x80: small limits) ---------
v=fuzz_validation
{ byte 0; encode PublishRequest "exchange: \"orders\" $event $event_id"; } | seed $v publish
{ byte 128; encode PublishRequest "exchange: \"orders\" $event $event $event $event"; } | seed $v publish_small_limits
{ byte 0; encode PublishRequest 'exchange: "bad name!" events { type: "a..b" exchange: "x" offset: 3 }'; } | seed $v publish_bad
{ byte 1; encode PublishStreamRequest "batch_id: 7 exchange: \"orders\" $event"; } | seed $v publish_stream
{ byte 2; encode CreateExchangeRequest 'name: "orders" kind: EXCHANGE_KIND_TOPIC'; } | seed $v create_exchange
{ byte 3; encode CreateQueueRequest 'name: "billing" exchange: "orders" bindings: "order.*" bindings: "refund.#" bindings: "order.paid" limit_size: 100'; } | seed $v create_queue
{ byte 4; encode SeekConsumerRequest 'queue: "billing" name: "svc" time { seconds: 1700000000 }'; } | seed $v seek_time
{ byte 4; encode SeekConsumerRequest 'queue: "billing" name: "svc" offset: 42'; } | seed $v seek_offset
{ byte 5; encode SubscribeRequest 'start { queue: "billing" consumer: "svc" position: START_POSITION_TIME time { seconds: 1 } max_in_flight: 10 }'; } | seed $v subscribe
{ byte 6; encode FetchRequest 'queue: "billing" consumer: "svc" max_events: 10 wait { seconds: 5 }'; } | seed $v fetch
{ byte 7; encode AckRequest 'queue: "billing" consumer: "svc" offset: 2'; } | seed $v ack
{ byte 8; encode GetExchangeRequest 'name: "orders"'; } | seed $v named
{ byte 9; printf 'order.created'; } | seed $v raw_type
{ byte 9; printf 'caf\xc3\xa9.\xf0\x9f\x98\x80'; } | seed $v raw_utf8

# --- fuzz_topic_matcher: PATTERN\nKEY ---------------------------------------
t=fuzz_topic_matcher
printf 'order.*\norder.created' | seed $t star
printf 'order.#\norder' | seed $t hash_zero_words
printf '#.c\na.b.c' | seed $t hash_first
printf 'a.#.b.*\na.x.y.b.z' | seed $t mixed
printf '#.#.a.#\nb.b.b.b.b.b.b.b' | seed $t many_hashes
printf 'order.created\norder.created' | seed $t literal
printf 'a.b*\na.bc' | seed $t bad_pattern

# --- fuzz_service_requests: selector = RPC (kMethods order) -----------------
s=fuzz_service_requests
{ byte 0; encode PublishRequest "exchange: \"x\" $event $event_id"; } | seed $s publish
{ byte 0; encode PublishRequest 'exchange: "x" events { type: "" }'; } | seed $s publish_invalid
{ byte 1; framed PublishStreamRequest "batch_id: 1 exchange: \"x\" $event"
          framed PublishStreamRequest 'batch_id: 2 exchange: "nope" events { type: "a" }'
          framed PublishStreamRequest 'batch_id: 3 exchange: "d" events { type: "a" }'; } | seed $s publish_stream
{ byte 2; encode CreateExchangeRequest 'name: "y" kind: EXCHANGE_KIND_DIRECT'; } | seed $s create_exchange
{ byte 3; encode GetExchangeRequest 'name: "x"'; } | seed $s get_exchange
{ byte 4; } | seed $s list_exchanges
{ byte 5; encode DeleteExchangeRequest 'name: "y"'; } | seed $s delete_exchange
{ byte 6; encode CreateQueueRequest 'name: "q2" exchange: "x" bindings: "a.*" bindings: "#.c" limit_size: 4 from_earliest: true'; } | seed $s create_queue
{ byte 7; encode GetQueueRequest 'name: "q"'; } | seed $s get_queue
{ byte 8; encode ListQueuesRequest 'exchange: "x"'; } | seed $s list_queues
{ byte 9; encode DeleteQueueRequest 'name: "q2"'; } | seed $s delete_queue
{ byte 10; encode CreateConsumerRequest 'queue: "q" name: "c2"'; } | seed $s create_consumer
{ byte 11; encode ListConsumersRequest 'queue: "q"'; } | seed $s list_consumers
{ byte 12; encode SeekConsumerRequest 'queue: "q" name: "c" offset: 2'; } | seed $s seek_offset
{ byte 12; encode SeekConsumerRequest 'queue: "q" name: "c" time { seconds: 1 }'; } | seed $s seek_time
{ byte 13; encode DeleteConsumerRequest 'queue: "q" name: "c2"'; } | seed $s delete_consumer
{ byte 14; } | seed $s get_stats
{ byte 15; framed SubscribeRequest 'start { queue: "q" consumer: "c" position: START_POSITION_EARLIEST max_in_flight: 2 }'
           framed SubscribeRequest 'ack { offset: 1 }'
           framed SubscribeRequest 'ack { offset: 2 }'; } | seed $s subscribe
{ byte 15; framed SubscribeRequest 'start { queue: "qf" consumer: "t" auto_ack: true }'; } | seed $s subscribe_auto_ack
{ byte 16; encode FetchRequest 'queue: "q" consumer: "c" max_events: 2'; } | seed $s fetch
{ byte 17; encode AckRequest 'queue: "q" consumer: "c" offset: 1'; } | seed $s ack
{ byte 18; encode grpc.health.v1.HealthCheckRequest 'service: "evrouter.v1.Admin"'; } | seed $s health_check
{ byte 19; encode grpc.health.v1.HealthCheckRequest 'service: ""'; } | seed $s health_watch

for dir in "$corpus"/*; do
  echo "make_corpus.sh: $(ls "$dir" | wc -l) seeds in ${dir#"$repo"/}"
done
