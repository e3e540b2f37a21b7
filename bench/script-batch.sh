#!/usr/bin/env bash
# How the script stage's cost depends on its batch size (docs/scripting.md, Batches): generator -> script -> blackhole
# with the real binary, one isolate, the same four-line script at batch_size 1, 8, 64 and 256. Each line: events per
# second of wall time and the process's CPU-seconds per event over the whole run (generator and blackhole included, so
# the differences are the script stage's). A call into a JavaScript runtime has a fixed cost; this shows how much of it
# a batch saves.
#   bench/script-batch.sh [EVENTS (300000)] [ENGINE (v8)]
#   PIPELINE=path/to/pipeline.dll overrides the Release build.
set -euo pipefail
events=${1:-300000}
engine=${2:-v8}
pipeline=${PIPELINE:-src/Pipeline/bin/Release/net10.0/pipeline.dll}
[ -f "$pipeline" ] || { echo "missing $pipeline: dotnet build -c Release src/Pipeline" >&2; exit 1; }
. "$(dirname "$0")/measure.sh"

echo "# $(nproc) cores; $(dotnet --version 2> /dev/null || echo dotnet); engine $engine; $events events per line"
for batch in 1 8 64 256; do
  cat > "$work/batch-$batch.yaml" <<YAML
data_dir: $work/data-$batch
admin: { address: "127.0.0.1:0" }
sources:
  gen: { type: generator, count: $events, seed: 1 }
stages:
  js:
    type: script
    inputs: [gen]
    engine: $engine
    batch_size: $batch
    source: |
      function process(event, emit) {
        event.user = event.user.toLowerCase();
        event.slow = event.duration_ms > 500;
        delete event.request_id;
        emit(event);
      }
sinks:
  out: { type: blackhole, inputs: [js] }
YAML
  started_at=$(now)
  dotnet "$pipeline" run --config "$work/batch-$batch.yaml" > "$work/batch-$batch.log" 2>&1 &
  pid=$!
  started+=($pid)
  # The process's CPU is read just before it exits: /proc/PID/stat of a zombie still holds it.
  while kill -0 "$pid" 2> /dev/null && [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2> /dev/null)" != Z ]; do
    ticks_now=$(cpu_ticks "$pid" 2> /dev/null || echo "${ticks_now:-0}")
    sleep 0.05
  done
  wait "$pid" || { tail -20 "$work/batch-$batch.log" >&2; exit 1; }
  report "script batch_size=$batch" "$events" "$(echo "$(now) - $started_at" | bc)" "$ticks_now"
done
