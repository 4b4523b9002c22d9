#!/usr/bin/env bash
# Log delivery benchmarks on real binaries over loopback (issue 3; results in docs/benchmarks.md):
#   e2e   one file of 130-byte lines, start_at beginning: seconds from the agent's start until the
#         parent has stored (and so acknowledged) the last line, as MB/s
#   rss   the agent's RSS while it follows 1,000 files
# Usage: tests/bench/logs_bench.sh BUILD_DIR [MB]
# LOGS_BENCH_PERF=DIR also records perf profiles of both processes during e2e (DIR/{agent,parent}.data).
set -euo pipefail
build=${1:?usage: logs_bench.sh BUILD_DIR [MB]}
mb=${2:-200}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
key=11111111-2222-3333-4444-555555555555
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
port=$(free_port)
heartbeat_port=$(free_port)  # not 8000: another parent on the machine may hold it

mkdir -p "$work/parent/etc" "$work/agent/etc" "$work/logs" "$work/many"
printf '[%s]\n  enabled = yes\n  default memory mode = ram\n' "$key" > "$work/parent/etc/stream.conf"
printf '[stream]\n  enabled = yes\n  destination = 127.0.0.1:%s\n  api key = %s\n' "$port" "$key" \
  > "$work/agent/etc/stream.conf"
"$build/tributary-parent" --config-dir "$work/parent/etc" --data-dir "$work/parent/data" \
  --port "$port" --heartbeat-port "$heartbeat_port" > "$work/parent.log" 2>&1 &
parent=$!
until curl -sf "http://127.0.0.1:$port/api/v1/info" > /dev/null; do
  kill -0 "$parent" 2> /dev/null || { cat "$work/parent.log"; exit 1; }
  sleep 0.2
done

lines=$((mb * 1000000 / 130))
python3 - "$work/logs/big.log" "$lines" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    pad = "x" * 107
    for i in range(n - 1):
        f.write(f"{i:012d} {pad} {i % 97:08d}\n")
    f.write("LAST-LINE-MARKER" + "y" * 113 + "\n")
PY
bytes=$(stat -c %s "$work/logs/big.log")
start=$(date +%s.%N)
cat "$work/logs/big.log" > /dev/null
ceiling=$(echo "$(date +%s.%N) - $start" | bc)

cat > "$work/agent/etc/agent.yaml" <<YAML
hostname: bench
logs:
  sources:
    - paths: ["$work/logs/*.log"]
      start_at: beginning
YAML
# CPU seconds (user + system) a process has used so far.
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"
}
# CPU seconds per thread, busiest first: "name=seconds ...".
thread_cpu() {
  for t in /proc/$1/task/*; do
    awk -v hz="$(getconf CLK_TCK)" '{gsub(/[()]/, "", $2); print ($14 + $15) / hz, $2}' "$t/stat"
  done | sort -rn | awk '$1 > 0 {printf "%s=%ss ", $2, $1}'
}
parent_cpu_before=$(cpu_seconds "$parent")
start=$(date +%s.%N)
"$build/tributary-agent" --config-dir "$work/agent/etc" --data-dir "$work/agent/data" \
  > "$work/agent.log" 2>&1 &
agent=$!
perfs=()
if [[ -n "${LOGS_BENCH_PERF:-}" ]]; then  # a directory: perf profiles of both processes
  sleep 0.5  # the agent starts its threads first: perf -p follows only threads that exist
  for who in agent parent; do
    perf record -g -o "$LOGS_BENCH_PERF/$who.data" -p "${!who}" 2> /dev/null &
    perfs+=($!)
  done
fi
# Followed like a client tails a log: each poll continues at the cursor of the previous one, so
# the parent looks at each stored record once rather than at all of them on every poll.
cursor=
while :; do
  answer=$(curl -sf "http://127.0.0.1:$port/host/bench/api/v1/logs?q=LAST-LINE-MARKER&limit=1&cursor=$cursor" \
    || true)  # 404 until the agent has connected
  grep -q LAST-LINE-MARKER <<< "$answer" && break
  cursor=$(sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p' <<< "$answer")
  sleep 0.2
done
took=$(echo "$(date +%s.%N) - $start" | bc)
for p in "${perfs[@]}"; do kill -INT "$p"; wait "$p" || true; done
agent_cpu=$(cpu_seconds "$agent")
parent_cpu=$(echo "$(cpu_seconds "$parent") - $parent_cpu_before" | bc)
echo "e2e: $bytes bytes, $lines lines of 130 bytes: ${took}s = $(echo "$bytes / $took / 1000000" | bc -l | cut -c1-6) MB/s (cat > /dev/null: ${ceiling}s)"
echo "e2e CPU: agent ${agent_cpu}s, parent ${parent_cpu}s = $(echo "$bytes / ($agent_cpu + $parent_cpu) / 1000000" | bc -l | cut -c1-6) MB per CPU-second of both; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "e2e threads: agent $(thread_cpu "$agent"); parent (since its start) $(thread_cpu "$parent")"
kill "$agent"; wait "$agent" || true

# RSS with 1,000 open files.
for i in $(seq 1 1000); do printf 'line one of %d\n' "$i" > "$work/many/f$i.log"; done
cat > "$work/agent/etc/agent.yaml" <<YAML
hostname: bench
logs:
  sources:
    - paths: ["$work/many/*.log"]
      start_at: beginning
YAML
rm -rf "$work/agent/data/logs-checkpoints"
"$build/tributary-agent" --config-dir "$work/agent/etc" --data-dir "$work/agent/data" \
  > "$work/agent.log" 2>&1 &
agent=$!
sleep 15
fds=$(ls /proc/$agent/fd | wc -l)
rss=$(awk '/VmRSS/ {print $2}' /proc/$agent/status)
echo "rss: 1,000 files followed, $fds fds open, VmRSS $((rss / 1024)) MiB ($rss KiB)"
