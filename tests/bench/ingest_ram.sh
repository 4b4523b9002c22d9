#!/usr/bin/env bash
# RAM per collected series at the parent (issue 4: target <= 2 KiB): tributary-loadgen at a
# real rate (one sample per second per series, one collection per batch, as agents send) into
# a dbengine tributary-parent. The parent's RSS before any agent connects is subtracted from
# its RSS during the last third of the run; the difference divided by the series is the cost
# of a series. Prints one Markdown table row per RSS kind: total, anonymous (heap) and file
# (LMDB's map pages the process touched, clean page cache the kernel can take back).
#
#   tests/bench/ingest_ram.sh [BUILD_DIR]
#   BENCH_SECONDS=900 BENCH_AGENTS=100 BENCH_CHARTS=50 BENCH_DIMS=20 ...
#
# A series' open block fills for block_samples (512) seconds before it is sealed, so the run
# must last well past that for the RSS to reach its steady state (default 15 minutes).
set -euo pipefail

BUILD=${1:-build/release}
SECONDS_PER_RUN=${BENCH_SECONDS:-900}
AGENTS=${BENCH_AGENTS:-100}
CHARTS=${BENCH_CHARTS:-50}
DIMS=${BENCH_DIMS:-20}
PORT=${BENCH_PORT:-29983}
KEY=$(cat /proc/sys/kernel/random/uuid)
WORK=$(mktemp -d /tmp/trib-ingest-ram.XXXXXX)
PARENT_PID=
cleanup() {
  if [ -n "$PARENT_PID" ]; then kill -TERM "$PARENT_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

rss_kib() {  # VmRSS RssAnon RssFile of a pid, KiB
  awk '/^VmRSS/ {r=$2} /^RssAnon/ {a=$2} /^RssFile/ {f=$2} END {print r, a, f}' \
    "/proc/$1/status"
}

mkdir -p "$WORK/etc" "$WORK/data"
printf '[%s]\n  enabled = yes\n  default memory mode = dbengine\n' "$KEY" >"$WORK/etc/stream.conf"
# No heartbeat server: its port (8000) may be taken, and it is not what is measured.
echo 'fleet: {enabled: false}' >"$WORK/etc/parent.yaml"
"$BUILD/tributary-parent" --config-dir "$WORK/etc" --data-dir "$WORK/data" --port "$PORT" \
  >"$WORK/parent.log" 2>&1 &
PARENT_PID=$!
sleep 5
read -r empty_rss empty_anon empty_file < <(rss_kib $PARENT_PID)

series=$((AGENTS * CHARTS * DIMS))
"$BUILD/tributary-loadgen" --api-key "$KEY" --destination 127.0.0.1:$PORT --agents "$AGENTS" \
  --charts "$CHARTS" --dimensions "$DIMS" --duration "$SECONDS_PER_RUN" --rate "$series" \
  --ticks-per-batch 1 >"$WORK/loadgen.json" &
LOADGEN_PID=$!
samples=$WORK/rss.txt
start=$(date +%s)
while kill -0 $LOADGEN_PID 2>/dev/null; do
  now=$(date +%s)
  echo "$((now - start)) $(rss_kib $PARENT_PID)" >>"$samples"
  sleep 10
done
wait $LOADGEN_PID || true
python3 - "$samples" "$SECONDS_PER_RUN" "$series" "$empty_rss" "$empty_anon" "$empty_file" \
  "$(cat "$WORK/loadgen.json")" <<'PY'
import json, sys
path, secs, series, e_rss, e_anon, e_file, report = sys.argv[1:]
secs, series = float(secs), int(series)
empty = [int(e_rss), int(e_anon), int(e_file)]
rows = [list(map(int, line.split())) for line in open(path) if line.strip()]
window = [r for r in rows if r[0] >= secs * 2 / 3]
report = json.loads(report)
print(f"loadgen: {report['samples_sent']} samples sent, {report['samples_acked']} acked, "
      f"{report['agents_failed']} agents failed; {len(window)} RSS samples in the last third")
print("| RSS | empty parent MiB | loaded, mean MiB | loaded, max MiB | per series, mean | per series, max |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for i, name in enumerate(["total (VmRSS)", "anonymous (RssAnon)", "file (RssFile)"]):
    values = [r[i + 1] for r in window]
    mean, peak = sum(values) / len(values), max(values)
    print(f"| {name} | {empty[i] / 1024:.1f} | {mean / 1024:.1f} | {peak / 1024:.1f} | "
          f"{(mean - empty[i]) * 1024 / series:.0f} B | {(peak - empty[i]) * 1024 / series:.0f} B |")
PY
