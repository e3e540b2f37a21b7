#!/usr/bin/env bash
# A local observability stack without Docker: Prometheus (Debian's package) with deploy/prometheus/rules and
# exemplar storage, a real OTLP receiver (the Aspire dashboard from NuGet; it shows traces and logs and answers
# /api/telemetry/*), and the pipeline on its embedded default topology, wired together on free loopback ports.
# Prints the URLs, then runs until Ctrl-C, which stops all three.
#
#   scripts/dev-stack.sh            # build, start, print the URLs
#   CONFIG=deploy/compose/pipeline.yaml scripts/dev-stack.sh   # another topology (its admin address is overridden)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

command -v prometheus >/dev/null || { echo "prometheus is not installed: apt-get install -y prometheus" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

echo "building the pipeline and restoring the OTLP receiver package…" >&2
dotnet build src/Pipeline -v q -nologo >/dev/null
dotnet restore tests/Pipeline.IntegrationTests -v q >/dev/null
packages=${NUGET_PACKAGES:-$HOME/.nuget/packages}
receiver=$(ls -d "$packages"/aspire.dashboard.sdk.linux-x64/*/tools/Aspire.Dashboard | sort -V | tail -1)

work=$(mktemp -d -t pipeline-dev-stack-XXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

ui=$(free_port); grpc=$(free_port); otlp_http=$(free_port); prom=$(free_port); admin=$(free_port); ingest=$(free_port)

ASPNETCORE_URLS=http://127.0.0.1:$ui ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://127.0.0.1:$grpc \
ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL=http://127.0.0.1:$otlp_http ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS=true \
  "$receiver" >"$work/receiver.log" 2>&1 &
pids+=($!)

cat >"$work/prometheus.yml" <<YAML
global: { scrape_interval: 5s, evaluation_interval: 5s }
rule_files: [$(ls "$root"/deploy/prometheus/rules/*.yml | paste -sd, -)]
scrape_configs:
  - job_name: pipeline
    static_configs: [{ targets: ["127.0.0.1:$admin"] }]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" --web.listen-address=127.0.0.1:$prom \
  --enable-feature=exemplar-storage --log.level=warn >"$work/prometheus.log" 2>&1 &
pids+=($!)

config_args=()
[ -n "${CONFIG:-}" ] && config_args=(--config "$CONFIG")
PIPELINE_ADMIN_ADDRESS=127.0.0.1:$admin PIPELINE_HTTP_ADDRESS=127.0.0.1:$ingest PIPELINE_DATA_DIR="$work/data" \
OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$grpc OTEL_TRACES_SAMPLER_ARG=${OTEL_TRACES_SAMPLER_ARG:-0.1} PIPELINE_LOG_OTLP=true \
  src/Pipeline/bin/Debug/net10.0/pipeline run "${config_args[@]}" >"$work/pipeline.log" 2>&1 &
pids+=($!)

wait_for() { # url name log
  for _ in $(seq 1 150); do curl -fs -o /dev/null "$1" && return 0; sleep 0.2; done
  echo "$2 did not come up; its log:" >&2; tail -20 "$3" >&2; exit 1
}
wait_for "http://127.0.0.1:$ui/api/telemetry/traces?limit=1" "the OTLP receiver" "$work/receiver.log"
wait_for "http://127.0.0.1:$prom/-/ready" "prometheus" "$work/prometheus.log"
wait_for "http://127.0.0.1:$admin/readyz" "the pipeline" "$work/pipeline.log"

cat <<TEXT
Pipeline:         http://127.0.0.1:$admin/topology   /metrics   /readyz   (logs: $work/pipeline.log)
  ingest:         curl -s -H 'Content-Type: application/x-ndjson' --data-binary '{"level":"error"}' http://127.0.0.1:$ingest/v1/events
Prometheus:       http://127.0.0.1:$prom   (rules: deploy/prometheus/rules; exemplars on)
OTLP receiver UI: http://127.0.0.1:$ui   (traces and structured logs; API: /api/telemetry/traces?limit=10, /api/telemetry/logs?limit=10)
  OTLP endpoints: grpc http://127.0.0.1:$grpc   http/protobuf http://127.0.0.1:$otlp_http
Ctrl-C stops all three.
TEXT
wait -n "${pids[@]}"
echo "a process of the stack exited; stopping the others" >&2
