# Sourced by the end-to-end benchmarks (kafka.sh, elasticsearch.sh, otlp.sh): a scratch directory and the processes
# started into it, removed on exit; free loopback ports; the CPU a process spent; waiting for a condition; a counter
# from a pipeline's /metrics; and the one line each measurement prints.
work=$(mktemp -d)
started=()
cleanup() { for p in "${started[@]}"; do kill "$p" 2> /dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks=$(getconf CLK_TCK)
# utime + stime of a process, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
now() { date +%s.%N; }
# At most 150 s for any condition: a run that stalls fails instead of hanging.
wait_for() { for _ in $(seq 1 3000); do if eval "$1"; then return 0; fi; sleep 0.05; done; echo "timed out: $1" >&2; exit 1; }
# The sum of a counter's series for one component, from the admin /metrics.
counter() { curl -s "http://127.0.0.1:$1/metrics" | awk -v name="$2" -v id="component_id=\"$3\"" '$1 ~ "^"name"[{]" && index($1, id) { sum += $2 } END { printf "%d\n", sum }'; }
stop_last() { kill "$1"; wait "$1" 2> /dev/null || true; }
report() { # $1: label, $2: events, $3: wall seconds, $4: CPU ticks
  awk -v l="$1" -v n="$2" -v w="$3" -v c="$4" -v hz="$ticks" \
    'BEGIN { printf "%-40s %9d events %8.0f ev/s %9.2f µs CPU/event (%.2f CPU-s)\n", l, n, n / w, c / hz / n * 1e6, c / hz }'
}
