#!/usr/bin/env bash
# http -> elasticsearch with the real binary (docs/elasticsearch.md), into a fast stand-in for _bulk that answers every
# item created (`Pipeline.Bench es-bulk`, Kestrel on loopback), so the pipeline's own cost is what is measured. Loaded
# by wrk (100 NDJSON events a request) for SECONDS per line; each line is the sink at one setting, and the http sink
# posting the same events to the same endpoint is the baseline in the same run.
# Each line: events delivered per second of wall time, and the pipeline process's CPU-seconds per event (utime + stime
# from /proc/PID/stat over the measured interval only: start-up and JIT left out). The endpoint and wrk are other
# processes and not counted, but they share the machine's cores.
#   bench/elasticsearch.sh [SECONDS (8)]
#   PIPELINE=path/to/pipeline.dll and BENCH=path/to/Pipeline.Bench.dll override the Release builds.
set -euo pipefail
seconds=${1:-8}
pipeline=${PIPELINE:-src/Pipeline/bin/Release/net10.0/pipeline.dll}
bench=${BENCH:-bench/Pipeline.Bench/bin/Release/net10.0/Pipeline.Bench.dll}
for built in "$pipeline" "$bench"; do
  [ -f "$built" ] || { echo "missing $built: dotnet build -c Release src/Pipeline bench/Pipeline.Bench" >&2; exit 1; }
done
command -v wrk > /dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
. "$(dirname "$0")/measure.sh"

echo "# $(nproc) cores; $(dotnet --version 2> /dev/null || echo dotnet); endpoint: Pipeline.Bench es-bulk (all items created)"
dotnet "$bench" es-bulk > "$work/es.out" 2>&1 &
started+=($!)
wait_for "grep -q '^ready' '$work/es.out'"
es=$(awk '/^url/ { print $2 }' "$work/es.out")

awk 'BEGIN { printf "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/x-ndjson\"\nwrk.body = [[" ;
  for (i = 0; i < 100; i++) printf "{\"timestamp\":\"2026-12-04T10:00:00.%06dZ\",\"level\":\"info\",\"service\":\"checkout\",\"host\":\"web-1\",\"status\":200,\"message\":\"request %d served in 12 ms\"}\n", i, i;
  printf "]]\n" }' > "$work/post.lua"

run() { # $1: label, $2: the sink's YAML mapping
  local admin ingest pid
  admin=$(free_port); ingest=$(free_port)
  cat > "$work/pipeline.yaml" <<YAML
name: bench-elasticsearch
data_dir: $work/data
admin: { address: "127.0.0.1:$admin" }
sources:
  ingest: { type: http, address: "127.0.0.1:$ingest" }
sinks:
  out: $2
YAML
  dotnet "$pipeline" run --config "$work/pipeline.yaml" > "$work/pipeline.log" 2>&1 &
  started+=($!)
  pid=$!
  wait_for "curl -sf http://127.0.0.1:$admin/readyz > /dev/null || ! kill -0 $pid 2> /dev/null"
  kill -0 "$pid" 2> /dev/null || { tail -20 "$work/pipeline.log" >&2; exit 1; }
  # Warm-up: JIT and tiered PGO, the sink's connections.
  wrk -t1 -c8 -d2s -s "$work/post.lua" "http://127.0.0.1:$ingest/v1/events" > /dev/null
  wait_for "[ \$(counter $admin pipeline_component_sent_events_total out) -ge \$(counter $admin pipeline_component_received_events_total ingest) ]"
  local sent_before cpu_before t0 cpu_after t1 sent
  sent_before=$(counter "$admin" pipeline_component_sent_events_total out)
  cpu_before=$(cpu_ticks "$pid"); t0=$(now)
  wrk -t1 -c8 -d"${seconds}s" -s "$work/post.lua" "http://127.0.0.1:$ingest/v1/events" > "$work/wrk.out"
  # Delivered means answered by the endpoint: wait for what wrk's last requests left in flight.
  wait_for "[ \$(counter $admin pipeline_component_sent_events_total out) -ge \$(counter $admin pipeline_component_received_events_total ingest) ]"
  cpu_after=$(cpu_ticks "$pid"); t1=$(now)
  sent=$(( $(counter "$admin" pipeline_component_sent_events_total out) - sent_before ))
  [ "$(counter "$admin" pipeline_component_dead_lettered_events_total out)" -eq 0 ] || { echo "$1: events were dead-lettered" >&2; exit 1; }
  report "$1" "$sent" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$((cpu_after - cpu_before))"
  stop_last "$pid"
}

run "http sink (baseline) isolates=1" "{ type: http, inputs: [ingest], uri: \"${es}/_bulk\" }"
run "elasticsearch data_stream isolates=1" "{ type: elasticsearch, inputs: [ingest], endpoints: [\"$es\"] }"
run "elasticsearch ecs isolates=1" "{ type: elasticsearch, inputs: [ingest], endpoints: [\"$es\"], encoding: ecs }"
run "elasticsearch bulk %Y.%m.%d isolates=1" "{ type: elasticsearch, inputs: [ingest], endpoints: [\"$es\"], mode: bulk, bulk: { index: \"app-{{ .service }}-%Y.%m.%d\" } }"
run "elasticsearch gzip isolates=1" "{ type: elasticsearch, inputs: [ingest], endpoints: [\"$es\"], compression: gzip }"
run "elasticsearch data_stream isolates=2" "{ type: elasticsearch, inputs: [ingest], endpoints: [\"$es\"], isolates: 2 }"
