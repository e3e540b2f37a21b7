#!/usr/bin/env bash
# The Kafka tiers end to end with the real binary (docs/kafka.md), over librdkafka's mock cluster (three brokers on
# loopback, hosted by `Pipeline.Bench kafka-cluster`; no broker of our own to install):
#   agent:      http -> kafka, loaded by wrk (100 NDJSON lines a request), the kafka sink at 1 and 2 isolates;
#   aggregator: kafka -> filter -> blackhole over a pre-filled topic, the filter at 1 and 2 isolates, and at several
#               partition counts (a stage behind the kafka source keeps each partition on one isolate, so fewer
#               partitions than isolates leaves isolates idle).
# Each line: events delivered per second of wall time, and the pipeline process's CPU-seconds per event (utime + stime
# from /proc/PID/stat over the measured interval only: start-up and JIT left out). The mock brokers and the load
# generator are other processes and not counted, but they share the machine's cores.
#   bench/kafka.sh [EVENTS (500000)] [SECONDS (10)] [PARTITIONS ("1 4 8")]
#   PIPELINE=path/to/pipeline.dll and BENCH=path/to/Pipeline.Bench.dll override the Release builds;
#   ONLY=agent or ONLY=aggregator runs one half.
set -euo pipefail
events=${1:-500000}
seconds=${2:-10}
partition_counts=${3:-"1 4 8"}
pipeline=${PIPELINE:-src/Pipeline/bin/Release/net10.0/pipeline.dll}
bench=${BENCH:-bench/Pipeline.Bench/bin/Release/net10.0/Pipeline.Bench.dll}
for built in "$pipeline" "$bench"; do
  [ -f "$built" ] || { echo "missing $built: dotnet build -c Release src/Pipeline bench/Pipeline.Bench" >&2; exit 1; }
done
command -v wrk > /dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
. "$(dirname "$0")/measure.sh"

start_cluster() { # $@: kafka-cluster options; sets $bootstrap
  dotnet "$bench" kafka-cluster "$@" > "$work/cluster.out" 2>&1 &
  started+=($!)
  cluster=$!
  wait_for "grep -q '^ready' '$work/cluster.out'"
  bootstrap=$(awk '/^bootstrap_servers/ { print $2 }' "$work/cluster.out")
  retained=$(awk '/^retained/ { print $2 }' "$work/cluster.out")
}

start_pipeline() { # $1: config file; sets $pid
  dotnet "$pipeline" run --config "$1" > "$work/pipeline.log" 2>&1 &
  started+=($!)
  pid=$!
  wait_for "curl -sf http://127.0.0.1:$admin/readyz > /dev/null || ! kill -0 $pid 2> /dev/null"
  kill -0 "$pid" 2> /dev/null || { tail -20 "$work/pipeline.log" >&2; exit 1; }
}

echo "# $(nproc) cores; $(dotnet --version 2> /dev/null || echo dotnet) ; mock cluster: 3 brokers"

# The agent: the wrk body is 100 events, as the http source's users batch them.
awk 'BEGIN { printf "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/x-ndjson\"\nwrk.body = [[" ;
  for (i = 0; i < 100; i++) printf "{\"level\":\"info\",\"service\":\"checkout\",\"status\":200,\"message\":\"request %d served in 12 ms\"}\n", i;
  printf "]]\n" }' > "$work/post.lua"
for isolates in 1 2; do
  [ "${ONLY:-agent}" = agent ] || break
  start_cluster --topic agent --partitions 4
  admin=$(free_port); ingest=$(free_port)
  cat > "$work/agent.yaml" <<YAML
name: bench-agent
data_dir: $work/agent-data
admin: { address: "127.0.0.1:$admin" }
sources:
  ingest: { type: http, address: "127.0.0.1:$ingest" }
sinks:
  to_kafka: { type: kafka, inputs: [ingest], bootstrap_servers: "$bootstrap", topic: agent, isolates: $isolates }
YAML
  start_pipeline "$work/agent.yaml"
  # Warm-up: JIT and tiered PGO, the producer's connections to every partition leader.
  wrk -t1 -c8 -d2s -s "$work/post.lua" "http://127.0.0.1:$ingest/v1/events" > /dev/null
  wait_for "[ \$(counter $admin pipeline_component_sent_events_total to_kafka) -ge \$(counter $admin pipeline_component_received_events_total ingest) ]"
  sent_before=$(counter "$admin" pipeline_component_sent_events_total to_kafka)
  cpu_before=$(cpu_ticks "$pid"); t0=$(now)
  wrk -t1 -c8 -d"${seconds}s" -s "$work/post.lua" "http://127.0.0.1:$ingest/v1/events" > "$work/wrk.out"
  # Delivered means acknowledged by the brokers: wait for what wrk's last requests left in flight.
  wait_for "[ \$(counter $admin pipeline_component_sent_events_total to_kafka) -ge \$(counter $admin pipeline_component_received_events_total ingest) ]"
  cpu_after=$(cpu_ticks "$pid"); t1=$(now)
  sent=$(( $(counter "$admin" pipeline_component_sent_events_total to_kafka) - sent_before ))
  report "agent http->kafka isolates=$isolates" "$sent" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$((cpu_after - cpu_before))"
  stop_last "$pid"; stop_last "$cluster"
done

# The aggregator: a pre-filled topic read to its end; measured from the first delivered event to the last.
for partitions in $partition_counts; do
  [ "${ONLY:-aggregator}" = aggregator ] || break
  start_cluster --topic aggregate --partitions "$partitions" --fill "$events"
  for isolates in 1 2; do
    admin=$(free_port)
    cat > "$work/aggregator.yaml" <<YAML
name: bench-aggregator
data_dir: $work/aggregator-data
admin: { address: "127.0.0.1:$admin" }
sources:
  records: { type: kafka, bootstrap_servers: "$bootstrap", group_id: bench-$partitions-$isolates, topics: [aggregate], auto_offset_reset: earliest }
stages:
  keep: { type: filter, inputs: [records], condition: '.level != "debug"', isolates: $isolates }
sinks:
  out: { type: blackhole, inputs: [keep] }
YAML
    start_pipeline "$work/aggregator.yaml"
    # The debug quarter is filtered out: the end is every record received by the filter.
    wait_for "[ \$(counter $admin pipeline_component_received_events_total keep) -gt 0 ]"
    first=$(counter "$admin" pipeline_component_received_events_total keep)
    cpu_before=$(cpu_ticks "$pid"); t0=$(now)
    # Every record the topic still holds (the mock cluster keeps about 5 MB a partition and drops the oldest beyond).
    wait_for "[ \$(counter $admin pipeline_component_received_events_total keep) -ge $retained ]"
    cpu_after=$(cpu_ticks "$pid"); t1=$(now)
    report "aggregator partitions=$partitions isolates=$isolates" "$((retained - first))" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$((cpu_after - cpu_before))"
    stop_last "$pid"
  done
  stop_last "$cluster"
done
