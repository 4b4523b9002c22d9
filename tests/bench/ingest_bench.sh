#!/usr/bin/env bash
# Ingest benchmark (issue 4): tributary-loadgen flat out into a tributary-parent in dbengine
# mode, then the same load over Netdata 1.37's text protocol into a stock netdata parent in
# dbengine mode, for 1, 10 and 100 agents. Per run: samples/s (wall clock), samples per CPU
# second of the parent process (= per core), peak RSS, and for Tributary bytes per sample on
# disk. Markdown table on stdout.
#
#   tests/bench/ingest_bench.sh [BUILD_DIR]
#   BENCH_SECONDS=20 BENCH_AGENTS="1 10 100" BENCH_CHARTS=50 BENCH_DIMS=20 BENCH_THREADS=1 ...
#
# The loadgen's own CPU time is reported too (as a share of the parent's): on a 2-core machine
# it competes with the parent for the cores.
set -euo pipefail

BUILD=${1:-build/release}
SECONDS_PER_RUN=${BENCH_SECONDS:-20}
AGENT_COUNTS=${BENCH_AGENTS:-"1 10 100"}
CHARTS=${BENCH_CHARTS:-50}
DIMS=${BENCH_DIMS:-20}
THREADS=${BENCH_THREADS:-1}
KEY=$(cat /proc/sys/kernel/random/uuid)
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../support/netdata.sh
. "$HERE/../support/netdata.sh"
WORK=$(mktemp -d /tmp/trib-ingest-bench.XXXXXX)
chmod 755 "$WORK"
trap 'rm -rf "$WORK"' EXIT

cpu_seconds() {  # utime + stime of a pid, in seconds
  awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"
}
peak_rss_mib() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
# Runs tributary-loadgen with the given arguments; its JSON report on stdout, and its CPU
# seconds (user + system) in $WORK/loadgen.cpu.
loadgen() {
  /usr/bin/time -f "%U %S" -o "$WORK/loadgen.time" "$BUILD/tributary-loadgen" --threads "$THREADS" "$@"
  awk '{print $1 + $2}' "$WORK/loadgen.time" >"$WORK/loadgen.cpu"
}

run_tributary() {
  local agents=$1 dir=$WORK/trib-$1 port=29981
  mkdir -p "$dir/etc" "$dir/data"
  printf '[%s]\n  enabled = yes\n  default memory mode = dbengine\n' "$KEY" >"$dir/etc/stream.conf"
  # No heartbeat server: its port (8000) may be taken, and it is not what is measured.
  echo 'fleet: {enabled: false}' >"$dir/etc/parent.yaml"
  "$BUILD/tributary-parent" --config-dir "$dir/etc" --data-dir "$dir/data" --port $port \
    >"$dir/parent.log" 2>&1 &
  local pid=$!
  sleep 1
  local cpu0; cpu0=$(cpu_seconds $pid)
  local report
  report=$(loadgen --api-key "$KEY" --destination 127.0.0.1:$port \
    --agents "$agents" --charts "$CHARTS" --dimensions "$DIMS" --duration "$SECONDS_PER_RUN" --flat-out)
  local cpu1; cpu1=$(cpu_seconds $pid)
  local rss; rss=$(peak_rss_mib $pid)
  kill -TERM $pid; wait $pid || true
  local acked secs disk
  acked=$(echo "$report" | json_field samples_acked)
  secs=$(echo "$report" | json_field seconds)
  # Bytes of the sealed blocks (keys included) per sample, as the parent logs it at exit.
  disk=$(sed -n 's/.* \([0-9.]*\) bytes per sample.*/\1/p' "$dir/parent.log" | tail -1)
  python3 - "$agents" "$acked" "$secs" "$cpu0" "$cpu1" "$rss" "$disk" "$(cat "$WORK/loadgen.cpu")" <<'PY'
import sys
agents, acked, secs, c0, c1, rss, disk, lg = sys.argv[1:]
acked, secs, cpu = int(acked), float(secs), float(c1) - float(c0)
print(f"| tributary-parent (dbengine) | {agents} | {acked/secs/1e6:.2f} M | "
      f"{acked/cpu/1e6:.2f} M | {cpu/secs:.2f} | {float(lg)/cpu:.2f} | {rss} MiB | {disk} |")
PY
  rm -rf "$dir"
}

run_netdata() {
  local agents=$1 dir=$WORK/nd-$1 port=29982
  mkdir -p "$dir"
  netdata_start_parent "$dir" $port "$KEY" dbengine >/dev/null
  local pid; pid=$(netdata_pid "$dir")
  local cpu0; cpu0=$(cpu_seconds "$pid")
  local report
  report=$(loadgen --api-key "$KEY" --destination 127.0.0.1:$port \
    --agents "$agents" --charts "$CHARTS" --dimensions "$DIMS" --duration "$SECONDS_PER_RUN" \
    --flat-out --protocol netdata)
  local cpu1; cpu1=$(cpu_seconds "$pid")
  local rss; rss=$(peak_rss_mib "$pid")
  netdata_stop "$dir" >/dev/null 2>&1 || true
  local sent secs failed
  sent=$(echo "$report" | json_field samples_sent)
  secs=$(echo "$report" | json_field seconds)
  failed=$(echo "$report" | json_field agents_failed)
  python3 - "$agents" "$sent" "$secs" "$cpu0" "$cpu1" "$rss" "$failed" "$(cat "$WORK/loadgen.cpu")" <<'PY'
import sys
agents, sent, secs, c0, c1, rss, failed, lg = sys.argv[1:]
sent, secs, cpu = int(sent), float(secs), float(c1) - float(c0)
note = f" ({failed} agents dropped)" if failed != "0" else ""
print(f"| netdata 1.37 (dbengine){note} | {agents} | {sent/secs/1e6:.2f} M | "
      f"{sent/cpu/1e6:.2f} M | {cpu/secs:.2f} | {float(lg)/cpu:.2f} | {rss} MiB | |")
PY
  rm -rf "$dir"
}

netdata_ensure_installed >/dev/null 2>&1 || true
echo "| parent | agents | samples/s | samples per CPU-second | cores used | loadgen CPU / parent CPU | peak RSS | bytes/sample on disk |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for n in $AGENT_COUNTS; do
  run_tributary "$n"
  if [ -x "$NETDATA_BIN" ]; then run_netdata "$n"; fi
done
