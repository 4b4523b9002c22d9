#!/usr/bin/env bash
# TLS against plaintext on the real stream path (issue 5): tributary-loadgen flat out through
# the native protocol with acks into a real tributary-parent, plaintext then TLS (verified,
# TLS 1.3), the same load, for each memory mode (dbengine, ram) and agent count (1, 10); then
# new connections per second at the parent (loadgen --handshakes: connect, TLS handshake,
# STREAM line, reply, goodbye, close), plaintext and TLS. Each run gets a fresh parent (its own
# data dir: no run inherits another's resume points or blocks) whose port is `tls.mode:
# optional` with a certificate signed by a CA made for the run. Markdown on stdout.
#
#   tests/bench/tls_stream_bench.sh [BUILD_DIR]
#   BENCH_SECONDS=10 BENCH_AGENTS="1 10" BENCH_MODES="dbengine ram" BENCH_CHARTS=50
#   BENCH_DIMS=20 BENCH_THREADS=1 BENCH_REPEAT=5 BENCH_HANDSHAKE_SECONDS=5
#   BENCH_HANDSHAKE_CLIENTS=4 BENCH_PORT=29984 BENCH_CIPHERS= BENCH_COMPRESS= ...
#
# Plaintext and TLS runs are interleaved, BENCH_REPEAT pairs per case, the pair's order
# alternating (plaintext first, then TLS first), so a drift in the machine's load hits both
# alike. Reported: the medians, and the TLS / plaintext ratio of each pair as min / median.
# "Parent CPU-s per M samples" is utime + stime of the parent over the run divided by the
# millions of samples it acknowledged: on a shared machine, where wall-clock throughput depends
# on who else runs, it is the steadier measure of what TLS costs the parent (and the loadgen's,
# which shares the cores). BENCH_CIPHERS sets the parent's `tls.ciphers` (TLS 1.3 suites, its
# preference first; empty: the built-in default); the suite negotiated is printed.
# BENCH_COMPRESS=1: the loadgen sends zstd frames (`--compress`), as agents stream by default;
# otherwise uncompressed frames (~9 bytes a sample through the cipher).
set -euo pipefail

BUILD=${1:-build/release}
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
AGENT_COUNTS=${BENCH_AGENTS:-"1 10"}
MODES=${BENCH_MODES:-"dbengine ram"}
CHARTS=${BENCH_CHARTS:-50}
DIMS=${BENCH_DIMS:-20}
THREADS=${BENCH_THREADS:-1}
REPEAT=${BENCH_REPEAT:-5}
CIPHERS=${BENCH_CIPHERS:-}
HANDSHAKE_SECONDS=${BENCH_HANDSHAKE_SECONDS:-5}
HANDSHAKE_CLIENTS=${BENCH_HANDSHAKE_CLIENTS:-4}
PORT=${BENCH_PORT:-29984}
COMPRESS_ARGS=()
[ -n "${BENCH_COMPRESS:-}" ] && COMPRESS_ARGS=(--compress)
KEY=$(cat /proc/sys/kernel/random/uuid)
WORK=$(mktemp -d /tmp/trib-tls-stream-bench.XXXXXX)
PARENT_PID=
cleanup() {
  if [ -n "$PARENT_PID" ]; then kill -TERM "$PARENT_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

for bin in tributary-parent tributary-loadgen; do
  [ -x "$BUILD/$bin" ] || { echo "$BUILD/$bin not built" >&2; exit 2; }
done

# A CA and a server certificate for 127.0.0.1 signed by it (EC P-256, as tests/support makes).
make_certs() {
  local d=$WORK/certs
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=tls-bench-ca -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$d/ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -days 2 -extfile "$d/ext" -out "$d/server.pem" 2>/dev/null
}

cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }

start_parent() {  # memory mode
  local dir=$WORK/parent
  rm -rf "$dir"
  mkdir -p "$dir/etc" "$dir/data"
  printf '[%s]\n  enabled = yes\n  default memory mode = %s\n' "$KEY" "$1" >"$dir/etc/stream.conf"
  # No heartbeat server: its port (8000) may be taken, and it is not what is measured.
  printf 'fleet: {enabled: false}\ntls:\n  mode: optional\n  certificate: %s\n  key: %s\n' \
    "$WORK/certs/server.pem" "$WORK/certs/server.key" >"$dir/etc/parent.yaml"
  if [ -n "$CIPHERS" ]; then printf '  ciphers: "%s"\n' "$CIPHERS" >>"$dir/etc/parent.yaml"; fi
  "$BUILD/tributary-parent" --config-dir "$dir/etc" --data-dir "$dir/data" --port "$PORT" \
    >"$dir/parent.log" 2>&1 &
  PARENT_PID=$!
  for _ in $(seq 50); do
    grep -q ' listening on ' "$dir/parent.log" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "the parent did not start:" >&2
  cat "$dir/parent.log" >&2
  exit 1
}

stop_parent() {
  kill -TERM "$PARENT_PID"
  wait "$PARENT_PID" || true
  PARENT_PID=
}

tls_args() {  # transport
  if [ "$1" = tls ]; then echo "--tls --tls-ca $WORK/certs/ca.pem"; fi
}

# One streaming run; appends "mode agents transport acked_per_s parent_cpu_per_M
# loadgen_cpu_per_M suite" to $WORK/stream.tsv.
stream_run() {  # memory-mode agents transport
  start_parent "$1"
  local cpu0 report cpu1
  cpu0=$(cpu_seconds "$PARENT_PID")
  # shellcheck disable=SC2046
  report=$(/usr/bin/time -f "%U %S" -o "$WORK/loadgen.time" "$BUILD/tributary-loadgen" \
    --api-key "$KEY" --destination "127.0.0.1:$PORT" --threads "$THREADS" --agents "$2" \
    --charts "$CHARTS" --dimensions "$DIMS" --duration "$SECONDS_PER_RUN" --flat-out "${COMPRESS_ARGS[@]}" $(tls_args "$3"))
  cpu1=$(cpu_seconds "$PARENT_PID")
  stop_parent
  local acked secs failed lg suite
  acked=$(echo "$report" | json_field samples_acked)
  suite=$(echo "$report" | python3 -c "import json,sys; print(json.load(sys.stdin).get('tls', '-'))")
  secs=$(echo "$report" | json_field seconds)
  failed=$(echo "$report" | json_field agents_failed)
  lg=$(awk '{print $1 + $2}' "$WORK/loadgen.time")
  if [ "$failed" != 0 ]; then echo "warning: $failed agents failed: $report" >&2; fi
  python3 -c "
import sys
mode, agents, transport, acked, secs, c0, c1, lg, suite = sys.argv[1:]
acked, cpu = int(acked), float(c1) - float(c0)
m = acked / 1e6
print(mode, agents, transport, acked / float(secs), cpu / m, float(lg) / m, suite, sep='\t')
" "$1" "$2" "$3" "$acked" "$secs" "$cpu0" "$cpu1" "$lg" "$suite" >>"$WORK/stream.tsv"
}

# One handshake run; appends "transport handshakes_per_s parent_cpu_ms_per_handshake" to
# $WORK/handshakes.tsv.
handshake_run() {  # transport
  start_parent ram
  local cpu0 report cpu1
  cpu0=$(cpu_seconds "$PARENT_PID")
  # shellcheck disable=SC2046
  report=$("$BUILD/tributary-loadgen" --api-key "$KEY" --destination "127.0.0.1:$PORT" \
    --agents "$HANDSHAKE_CLIENTS" --duration "$HANDSHAKE_SECONDS" --handshakes $(tls_args "$1"))
  cpu1=$(cpu_seconds "$PARENT_PID")
  stop_parent
  local n secs
  n=$(echo "$report" | json_field handshakes)
  secs=$(echo "$report" | json_field seconds)
  python3 -c "
import sys
transport, n, secs, c0, c1 = sys.argv[1:]
n = int(n)
print(transport, n / float(secs), (float(c1) - float(c0)) * 1e3 / n, sep='\t')
" "$1" "$n" "$secs" "$cpu0" "$cpu1" >>"$WORK/handshakes.tsv"
}

make_certs
: >"$WORK/stream.tsv"
: >"$WORK/handshakes.tsv"
for mode in $MODES; do
  for agents in $AGENT_COUNTS; do
    for i in $(seq "$REPEAT"); do
      if [ $((i % 2)) = 1 ]; then
        stream_run "$mode" "$agents" plain
        stream_run "$mode" "$agents" tls
      else
        stream_run "$mode" "$agents" tls
        stream_run "$mode" "$agents" plain
      fi
    done
  done
done
for _ in $(seq "$REPEAT"); do
  handshake_run plain
  handshake_run tls
done

python3 - "$WORK/stream.tsv" "$WORK/handshakes.tsv" "$SECONDS_PER_RUN" "$CHARTS" "$DIMS" \
  "$REPEAT" "$HANDSHAKE_SECONDS" "$HANDSHAKE_CLIENTS" "$(openssl version)" \
  "${BENCH_COMPRESS:+zstd (--compress)}" <<'PY'
import collections, statistics, sys
stream_tsv, hs_tsv, secs, charts, dims, repeat, hs_secs, hs_clients, ossl, frames = sys.argv[1:]
frames = frames or "uncompressed"
runs = collections.defaultdict(list)
suites = set()
for line in open(stream_tsv):
    mode, agents, transport, rate, cpu_m, lg_m, suite = line.rstrip("\n").split("\t")
    runs[(mode, int(agents), transport)].append((float(rate), float(cpu_m), float(lg_m)))
    if transport == "tls":
        suites.add(suite)
med = lambda xs, i: statistics.median(x[i] for x in xs)
load = " ".join(open("/proc/loadavg").read().split()[:3])
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
            if l.startswith("model name")), "?")
print(f"Load: per agent {charts} charts x {dims} dimensions, loadgen flat out for {secs} s, "
      f"{repeat} interleaved pair(s) per case, frames {frames}; TLS suite negotiated: {', '.join(sorted(suites))}; "
      f"{ossl}; {cpu}; load average at the end {load}.\n")
print("| memory mode | agents | plaintext samples/s acked (median) | TLS (median) | "
      "TLS / plaintext per pair, min / median | parent CPU-s per M samples, plaintext | TLS | "
      "plaintext / TLS CPU per sample | loadgen CPU-s per M, plaintext / TLS |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for (mode, agents) in sorted({(m, a) for (m, a, _) in runs}):
    p, t = runs[(mode, agents, "plain")], runs[(mode, agents, "tls")]
    pr, tr, pc, tc = med(p, 0), med(t, 0), med(p, 1), med(t, 1)
    ratios = [b[0] / a[0] for a, b in zip(p, t)]
    print(f"| {mode} | {agents} | {pr/1e6:.2f} M | {tr/1e6:.2f} M | "
          f"{min(ratios):.2f} / {statistics.median(ratios):.2f} | "
          f"{pc:.3f} | {tc:.3f} | {pc/tc:.2f} | {med(p, 2):.3f} / {med(t, 2):.3f} |")
hs = collections.defaultdict(list)
for line in open(hs_tsv):
    transport, rate, ms = line.split("\t")
    hs[transport].append((float(rate), float(ms)))
print(f"\nNew connections at the parent ({hs_clients} clients back to back for {hs_secs} s: "
      "connect, handshake, STREAM line, reply, goodbye, close; ram mode):\n")
print("| transport | handshakes/s | parent CPU-ms per connection |")
print("| --- | --- | --- |")
for transport in ("plain", "tls"):
    if hs[transport]:
        name = "plaintext" if transport == "plain" else "TLS 1.3 (verified, ECDSA P-256)"
        print(f"| {name} | {med(hs[transport], 0):,.0f} | {med(hs[transport], 1):.3f} |")
PY
