#!/usr/bin/env bash
# otlp source -> otlp sink with the real binary (docs/otlp.md): an instrumented application's OTLP logs received over
# HTTP/protobuf and forwarded to a collector, as a node agent in the Collector's DaemonSet mode does. Loaded by wrk
# posting one ExportLogsServiceRequest of 100 records (bench/otlp-body.py) for SECONDS per line. The collector is a
# second pipeline process (otlp source -> blackhole): a real OTLP receiver on loopback, not counted.
# The first line, otlp -> blackhole, is the baseline in the same run: what receiving and decoding cost alone.
# Each line: events delivered per second of wall time, and the measured process's CPU-seconds per event (utime + stime
# from /proc/PID/stat over the measured interval only: start-up and JIT left out). wrk and the collector share the
# machine's cores.
#   bench/otlp.sh [SECONDS (8)]
#   PIPELINE=path/to/pipeline.dll overrides the Release build.
set -euo pipefail
seconds=${1:-8}
pipeline=${PIPELINE:-src/Pipeline/bin/Release/net10.0/pipeline.dll}
[ -f "$pipeline" ] || { echo "missing $pipeline: dotnet build -c Release src/Pipeline" >&2; exit 1; }
command -v wrk > /dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
. "$(dirname "$0")/measure.sh"
start() { # $1: config file; prints nothing, sets $pid
  dotnet "$pipeline" run --config "$1" > "$1.log" 2>&1 &
  started+=($!)
  pid=$!
  wait_for "curl -sf http://127.0.0.1:$2/readyz > /dev/null || ! kill -0 $pid 2> /dev/null"
  kill -0 "$pid" 2> /dev/null || { tail -20 "$1.log" >&2; exit 1; }
}

echo "# $(nproc) cores; $(dotnet --version 2> /dev/null || echo dotnet); collector: a second pipeline, otlp -> blackhole"
python3 "$(dirname "$0")/otlp-body.py" 100 > "$work/body.pb"
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-protobuf"
local f = assert(io.open("$work/body.pb", "rb"))
wrk.body = f:read("*a")
f:close()
LUA

collector_admin=$(free_port); collector_grpc=$(free_port); collector_http=$(free_port)
cat > "$work/collector.yaml" <<YAML
name: bench-collector
data_dir: $work/collector-data
admin: { address: "127.0.0.1:$collector_admin" }
sources:
  apps: { type: otlp, grpc: { address: "127.0.0.1:$collector_grpc" }, http: { address: "127.0.0.1:$collector_http" } }
sinks:
  out: { type: blackhole, inputs: [apps] }
YAML
start "$work/collector.yaml" "$collector_admin"

run() { # $1: label, $2: the sink's YAML mapping
  local admin http pid
  admin=$(free_port); http=$(free_port)
  cat > "$work/agent.yaml" <<YAML
name: bench-otlp
data_dir: $work/agent-data
admin: { address: "127.0.0.1:$admin" }
sources:
  apps: { type: otlp, http: { address: "127.0.0.1:$http" } }
sinks:
  out: $2
YAML
  start "$work/agent.yaml" "$admin"
  # Warm-up: JIT, the sink's connection.
  wrk -t1 -c8 -d2s -s "$work/post.lua" "http://127.0.0.1:$http/v1/logs" > /dev/null
  wait_for "[ \$(counter $admin pipeline_component_sent_events_total out) -ge \$(counter $admin pipeline_component_received_events_total apps) ]"
  local sent_before cpu_before t0 cpu_after t1 sent
  sent_before=$(counter "$admin" pipeline_component_sent_events_total out)
  cpu_before=$(cpu_ticks "$pid"); t0=$(now)
  wrk -t1 -c8 -d"${seconds}s" -s "$work/post.lua" "http://127.0.0.1:$http/v1/logs" > "$work/wrk.out"
  # Delivered means answered by the collector: wait for what wrk's last requests left in flight.
  wait_for "[ \$(counter $admin pipeline_component_sent_events_total out) -ge \$(counter $admin pipeline_component_received_events_total apps) ]"
  cpu_after=$(cpu_ticks "$pid"); t1=$(now)
  sent=$(( $(counter "$admin" pipeline_component_sent_events_total out) - sent_before ))
  [ "$(counter "$admin" pipeline_component_dead_lettered_events_total out)" -eq 0 ] || { echo "$1: events were dead-lettered" >&2; exit 1; }
  report "$1" "$sent" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$((cpu_after - cpu_before))"
  stop_last "$pid"
}

run "otlp -> blackhole (baseline)" "{ type: blackhole, inputs: [apps] }"
run "otlp -> otlp grpc isolates=1" "{ type: otlp, inputs: [apps], endpoint: \"http://127.0.0.1:$collector_grpc\" }"
run "otlp -> otlp grpc isolates=2" "{ type: otlp, inputs: [apps], endpoint: \"http://127.0.0.1:$collector_grpc\", isolates: 2 }"
run "otlp -> otlp http/protobuf isolates=1" "{ type: otlp, inputs: [apps], endpoint: \"http://127.0.0.1:$collector_http\", protocol: http/protobuf }"
echo "collector received $(counter "$collector_admin" pipeline_component_received_events_total apps) records in all"
