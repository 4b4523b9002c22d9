#!/usr/bin/env bash
# TLS against plaintext on the parent's connection path (tests/bench/tls_bench.cpp): bulk
# throughput through TcpConnection, new connections per second through the parent's
# TlsAcceptor, and the TLS engines alone in memory. Prints a Markdown block with the ratios;
# --record appends it to docs/benchmarks.md.
#   tests/bench/tls_throughput.sh [--quick] [--record] BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
quick=0
record=0
build_dir=""
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --record) record=1 ;;
    *) build_dir=$arg ;;
  esac
done
if [ -z "$build_dir" ]; then
  echo "usage: $0 [--quick] [--record] BUILD_DIR" >&2
  exit 2
fi
bench="$build_dir/tests/bench/tls_bench"
[ -x "$bench" ] || { echo "$bench not built (cmake --build --preset release --target tls_bench)" >&2; exit 2; }
min_time=3
[ "$quick" = 1 ] && min_time=0.5
json=$(mktemp)
trap 'rm -f "$json"' EXIT
"$bench" --benchmark_min_time="$min_time" --benchmark_format=json >"$json" 2>/dev/null

flags=""
[ "$quick" = 1 ] && flags="--quick "
block=$(python3 - "$json" "$min_time" "$flags" "$(openssl version 2>/dev/null || echo OpenSSL)" <<'PY'
import json, sys, datetime
data = json.load(open(sys.argv[1]))
runs = {b["name"].split("/min_time")[0]: b for b in data["benchmarks"]}
def get(name, key):
    return runs[name][key]
plain_bps = get("BM_StreamThroughput/tls:0", "bytes_per_second")
tls_bps = get("BM_StreamThroughput/tls:1", "bytes_per_second")
plain_cps = get("BM_NewConnections/tls:0", "connections_per_s")
tls_cps = get("BM_NewConnections/tls:1", "connections_per_s")
engine_bps = get("BM_EnginesInMemory", "bytes_per_second")
cpu = "?"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip(); break
cores = data["context"].get("num_cpus", "?")
load = " ".join(open("/proc/loadavg").read().split()[:3])
now = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
mb = lambda v: f"{v / 1e6:,.0f} MB/s"
print(f"### TLS versus plaintext, {now}\n")
print(f"`tests/bench/tls_throughput.sh {sys.argv[3]}build/release` "
      f"(min time {sys.argv[2]} s per case); {cores}-core {cpu}, load average {load}; "
      f"{sys.argv[4]}; server and client on 127.0.0.1 in two threads.\n")
print("| measure | plaintext | TLS | TLS / plaintext |")
print("| --- | --- | --- | --- |")
print(f"| bulk throughput, one connection, 64 MiB per run | {mb(plain_bps)} | {mb(tls_bps)} | {tls_bps / plain_bps:.2f} |")
print(f"| new connections per second (connect, first-byte sort, TLS 1.3 handshake, first answer) | {plain_cps:,.0f}/s | {tls_cps:,.0f}/s | {tls_cps / plain_cps:.2f} |")
print(f"| TLS engines alone in memory (encrypt + decrypt, one thread) | | {mb(engine_bps)} | |")
PY
)
echo "$block"
if [ "$record" = 1 ]; then
  printf '\n%s\n' "$block" >>"$here/../../docs/benchmarks.md"
  echo "recorded in docs/benchmarks.md"
fi
