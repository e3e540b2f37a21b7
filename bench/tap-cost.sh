#!/usr/bin/env bash
# What a tap costs the pipeline (docs/inspect.md): stdin -> filter -> blackhole over an NDJSON file, with no tap, a tap
# at sample 1.0 and a tap at sample 0.01 on the filter's output, interleaved runs. CPU is the pipeline process's own
# during the load (utime + stime at exit, minus what it had used when the input started: start-up left out); the
# tap's client (curl, writing to /dev/null) is another process and not counted.
#   bench/tap-cost.sh INPUT.ndjson [RUNS (3)]      PIPELINE=path/to/pipeline.dll overrides the build
#   BASELINE=path/to/other/pipeline.dll adds an untapped run of that build to each round (before/after a change)
set -euo pipefail
input=${1:?usage: bench/tap-cost.sh INPUT.ndjson [RUNS]}
runs=${2:-3}
pipeline=${PIPELINE:-src/Pipeline/bin/Release/net10.0/pipeline.dll}
lines=$(wc -l < "$input")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/tap-cost.yaml" <<YAML
name: tap-cost
data_dir: $work/data
admin: { address: "127.0.0.1:$port" }
sources:
  in: { type: stdin }
stages:
  keep: { type: filter, inputs: [in], condition: '.level != "debug"' }
sinks:
  out: { type: blackhole, inputs: [keep] }
YAML
ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
wait_for() { for _ in $(seq 1 600); do if eval "$1"; then return 0; fi; sleep 0.05; done; echo "timed out: $1" >&2; exit 1; }

run() { # $1: none, or the tap's sample rate; $2: the build (default $pipeline)
  rm -f "$work/fifo" && mkfifo "$work/fifo"
  DOTNET_GCgen0size=0x400000 /usr/bin/time -f "%U %S" -o "$work/time" dotnet "${2:-$pipeline}" run --config "$work/tap-cost.yaml" \
    < "$work/fifo" > "$work/log" 2>&1 &
  local timer=$!
  exec 3> "$work/fifo"
  wait_for "curl -sf http://127.0.0.1:$port/readyz > /dev/null"
  local pid; pid=$(pgrep -P "$timer")
  if [ "$1" != none ]; then
    curl -sN "http://127.0.0.1:$port/tap?component=keep&sample=$1" > "$work/tap.out" 3>&- &
    wait_for "curl -s http://127.0.0.1:$port/metrics | grep -q '^pipeline_taps{.*tap_point=\"keep\"} 1'"
  fi
  local before; before=$(cpu_ticks "$pid")
  cat "$input" >&3
  exec 3>&-
  wait "$timer"
  local total; total=$(awk '{ print $1 + $2 }' "$work/time")
  local seconds; seconds=$(awk -v t="$total" -v b="$before" -v hz="$ticks" 'BEGIN { printf "%.2f", t - b / hz }')
  local tapped="" 
  if [ "$1" != none ]; then
    wait
    tapped=$(tail -1 "$work/tap.out")
  fi
  local label="tap=$1"
  if [ -n "${2:-}" ]; then label=baseline; fi
  awk -v n="$lines" -v s="$seconds" -v l="$label" -v t="$tapped" 'BEGIN { printf "%-10s %6.2f CPU-s %10.0f ev/cpu-s  %s\n", l, s, n / s, t }'
}

for round in $(seq 1 "$runs"); do
  if [ -n "${BASELINE:-}" ]; then
    run none "$BASELINE"
  fi
  for variant in none 1.0 0.01; do
    run "$variant"
  done
done
