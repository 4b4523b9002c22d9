#!/usr/bin/env bash
# Heartbeats per second at tributary-parent's heartbeat server: wrk with HB_CLIENTS (200)
# keep-alive connections POSTing Telegraf-shaped heartbeats (heartbeat_bench.lua) for
# HB_AGENTS (10,000) agent ids, every 2xx durable (answered after its group commit):
#   1. SQLite (the default fleet.db: WAL, synchronous=FULL, so one fsync per group commit);
#   2. PostgreSQL (a server started here, fsync and synchronous_commit on), unless --no-postgres
#      or no PostgreSQL is installed;
#   3. nginx answering 204 to the same load, the ceiling of HTTP handling on this machine, with
#      one worker (one loop, as the heartbeat server has) and with one per core.
# While each heartbeat run goes, GET /api/agents is timed every 100 ms on the main port.
# Prints a Markdown block; --record appends it to docs/benchmarks.md.
#   tests/bench/heartbeat_bench.sh [--quick] [--record] [--no-postgres] BUILD_DIR
# Environment: HB_CLIENTS, HB_THREADS (wrk threads, 2), HB_DURATION (s, 20), HB_WARMUP (s, 5),
# HB_AGENTS; BENCH_KEEP_TMP=1 keeps the temp dir (configs, logs, databases).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
quick=0
record=0
postgres=1
build_dir=""
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --record) record=1 ;;
    --no-postgres) postgres=0 ;;
    *) build_dir=$arg ;;
  esac
done
if [ -z "$build_dir" ]; then
  echo "usage: $0 [--quick] [--record] [--no-postgres] BUILD_DIR" >&2
  exit 2
fi
build_dir=$(cd "$build_dir" && pwd)
parent_bin="$build_dir/tributary-parent"
[ -x "$parent_bin" ] || { echo "$parent_bin not built" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }

clients=${HB_CLIENTS:-200}
threads=${HB_THREADS:-2}
duration=${HB_DURATION:-20}
warmup=${HB_WARMUP:-5}
agents=${HB_AGENTS:-10000}
if [ "$quick" = 1 ]; then
  duration=${HB_DURATION:-5}
  warmup=${HB_WARMUP:-2}
fi
export HB_AGENTS=$agents HB_THREADS=$threads

tmp=$(mktemp -d /tmp/trib-heartbeat-bench.XXXXXX)
chmod 755 "$tmp"
pids=()
pg_data=""
pg_user=tributary-test
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$pg_data" ]; then
    runuser -u "$pg_user" -- "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ "${BENCH_KEEP_TMP:-0}" = 1 ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http() {  # port path
  for _ in $(seq 1 100); do
    curl -fs -o /dev/null "http://127.0.0.1:$1$2" && return 0
    sleep 0.1
  done
  echo "nothing answers http://127.0.0.1:$1$2" >&2
  return 1
}

# Times GET /api/agents on `port` every 100 ms until `stop_file` exists; prints a JSON line.
probe_api() {  # port stop_file
  python3 - "$1" "$2" <<'PY'
import http.client, json, os, sys, time
port, stop = int(sys.argv[1]), sys.argv[2]
took, failed = [], 0
while not os.path.exists(stop):
    start = time.perf_counter()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/api/agents?pageSize=50")
        r = c.getresponse(); r.read(); c.close()
        if r.status != 200: failed += 1
        else: took.append((time.perf_counter() - start) * 1000)
    except Exception:
        failed += 1
    time.sleep(0.1)
took.sort()
pct = lambda p: took[min(len(took) - 1, int(len(took) * p / 100))] if took else float("nan")
print(json.dumps({"count": len(took), "failed": failed, "p50_ms": pct(50), "p99_ms": pct(99)}))
PY
}

# CPU seconds (user + system) used so far by the processes given, children's threads included.
cpu_seconds() {
  local ticks=0 pid
  for pid in "$@"; do
    ticks=$((ticks + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  python3 -c "import os, sys; print(int(sys.argv[1]) / os.sysconf('SC_CLK_TCK'))" "$ticks"
}

# Adds "cpu_us" (server CPU per request, in microseconds) to wrk's JSON line.
with_cpu() {  # wrk_json cpu_before cpu_after
  python3 -c "import json, sys; r = json.loads(sys.argv[1]); r['cpu_us'] = (float(sys.argv[3]) - float(sys.argv[2])) * 1e6 / max(1, r['requests']); print(json.dumps(r))" "$@"
}

run_wrk() {  # url seconds
  wrk -t"$threads" -c"$clients" -d"$2"s --timeout 10s -s "$here/heartbeat_bench.lua" "$1" \
    | sed -n 's/^HEARTBEAT_BENCH //p'
}

# Starts a parent with fleet database `$1` (empty: SQLite in the data dir) as `$2`; sets
# parent_port, heartbeat_port, parent_dir.
start_parent() {
  parent_dir="$tmp/$2"
  mkdir -p "$parent_dir/etc" "$parent_dir/data"
  parent_port=$(free_port)
  heartbeat_port=$(free_port)
  : >"$parent_dir/etc/stream.conf"
  cat >"$parent_dir/etc/parent.yaml" <<EOF
bind: 127.0.0.1
log:
  level: warn
storage:
  memory_mode: ram
fleet:
  database: "$1"
EOF
  "$parent_bin" --config-dir "$parent_dir/etc" --data-dir "$parent_dir/data" \
    --port "$parent_port" --heartbeat-port "$heartbeat_port" >"$parent_dir/parent.log" 2>&1 &
  parent_pid=$!
  pids+=("$parent_pid")
  wait_http "$parent_port" /api/v1/info
  wait_http "$heartbeat_port" /health
}

stop_parent() {
  kill "$parent_pid"
  wait "$parent_pid" || true
}

# One heartbeat run against the running parent; prints {"wrk": ..., "api": ...}.
measure_parent() {
  local url="http://127.0.0.1:$heartbeat_port/agents/heartbeat"
  run_wrk "$url" "$warmup" >/dev/null
  local stop="$tmp/stop-probe-$1"
  probe_api "$parent_port" "$stop" >"$tmp/probe-$1.json" &
  local probe=$!
  local result before
  before=$(cpu_seconds "$parent_pid")
  result=$(run_wrk "$url" "$duration")
  result=$(with_cpu "$result" "$before" "$(cpu_seconds "$parent_pid")")
  touch "$stop"
  wait "$probe"
  printf '{"wrk": %s, "api": %s}\n' "$result" "$(cat "$tmp/probe-$1.json")"
}

echo "SQLite ..." >&2
start_parent "" sqlite
sqlite_result=$(measure_parent sqlite)
stop_parent
sqlite_rows=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM agents').fetchone()[0])" "$parent_dir/data/fleet.db")

pg_result='null'
pg_version=""
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ "$postgres" = 1 ] && [ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ]; then
  echo "PostgreSQL ..." >&2
  id "$pg_user" >/dev/null 2>&1 ||
    useradd --system --no-create-home --shell /usr/sbin/nologin "$pg_user"
  mkdir -p "$tmp/pg"
  chown "$pg_user" "$tmp/pg"
  pg_port=$(free_port)
  runuser -u "$pg_user" -- "$pg_bin/initdb" -D "$tmp/pg/data" -U postgres --auth=trust -E UTF8 \
    >"$tmp/pg/initdb.log" 2>&1
  pg_data="$tmp/pg/data"
  runuser -u "$pg_user" -- "$pg_bin/pg_ctl" -D "$pg_data" -l "$tmp/pg/server.log" -w -t 60 \
    -o "-p $pg_port -k $tmp/pg -c listen_addresses=127.0.0.1" start >/dev/null
  runuser -u "$pg_user" -- "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres fleet
  pg_version=$("$pg_bin/postgres" --version | awk '{print $3}')
  start_parent "postgresql://postgres@127.0.0.1:$pg_port/fleet" postgres
  pg_result=$(measure_parent postgres)
  stop_parent
fi

# nginx: the same requests answered 204 without reading anything.
nginx_run() {  # workers
  local dir="$tmp/nginx-$1"
  mkdir -p "$dir"
  local port
  port=$(free_port)
  cat >"$dir/nginx.conf" <<EOF
worker_processes $1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$port;
    location / { return 204; }
  }
}
EOF
  nginx -p "$dir" -c "$dir/nginx.conf" >"$dir/out.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 50); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")" = 204 ] && break
    sleep 0.1
  done
  run_wrk "http://127.0.0.1:$port/agents/heartbeat" "$warmup" >/dev/null
  local workers before result
  workers=$(pgrep -P "$(cat "$dir/nginx.pid")" | tr '\n' ' ')
  # shellcheck disable=SC2086
  before=$(cpu_seconds $workers)
  result=$(run_wrk "http://127.0.0.1:$port/agents/heartbeat" "$duration")
  # shellcheck disable=SC2086
  with_cpu "$result" "$before" "$(cpu_seconds $workers)"
  kill "$pid"
  wait "$pid" || true
}
echo "nginx ..." >&2
nginx_one=$(nginx_run 1)
nginx_all=$(nginx_run "$(nproc)")

flags=""
[ "$quick" = 1 ] && flags="--quick "
block=$(python3 - "$sqlite_result" "$pg_result" "$nginx_one" "$nginx_all" "$sqlite_rows" \
  "$flags" "$clients" "$threads" "$duration" "$agents" "$pg_version" \
  "$(nginx -v 2>&1 | sed 's/.*nginx\///')" "$(wrk -v 2>&1 | head -1 | awk '{print $2}')" <<'PY'
import json, sys, datetime, os
sqlite, pg, n1, nall = (json.loads(a) if a != "null" else None for a in sys.argv[1:5])
rows, flags, clients, threads, duration, agents, pg_version, nginx_v, wrk_v = sys.argv[5:14]
cpu = "?"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip(); break
load = " ".join(open("/proc/loadavg").read().split()[:3])
now = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
ceiling = n1["per_second"]
def row(name, r, api=None):
    w = r["wrk"] if "wrk" in r else r
    cells = [name, f"{w['per_second']:,.0f}", f"{w['p50_ms']:.2f}", f"{w['p99_ms']:.2f}",
             f"{w['non_2xx'] + w['socket_errors']}"]
    a = r.get("api")
    cells.append(f"{a['p50_ms']:.1f} / {a['p99_ms']:.1f} ({a['count']} GETs)" if a else "")
    cells.append(f"{w['cpu_us']:.0f}")
    cells.append(f"{w['per_second'] / ceiling:.2f}")
    return "| " + " | ".join(cells) + " |"
print(f"### Heartbeat server, {now}\n")
print(f"`tests/bench/heartbeat_bench.sh {flags}build/release`: wrk {wrk_v}, {threads} threads, "
      f"{clients} keep-alive connections, {duration} s after a warm-up, Telegraf-shaped "
      f"heartbeats (schema 1, ~420 bytes) for {int(agents):,} agent ids round-robin; "
      f"{os.cpu_count()}-core {cpu}, load average at the end {load}; wrk, the parent and the "
      f"database share the cores. Every 2xx is durable: answered after the group commit that "
      f"stored it (SQLite: WAL with synchronous=FULL, one fsync per commit; PostgreSQL "
      f"{pg_version or '-'}: fsync and synchronous_commit on). `GET /api/agents` (main port, "
      f"page of 50) was timed every 100 ms during each run.\n")
print("| server | heartbeats/s | p50 ms | p99 ms | errors | GET /api/agents p50 / p99 ms | server CPU µs per request | / nginx 1 worker |")
print("| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
print(row("tributary-parent, SQLite", sqlite))
if pg: print(row("tributary-parent, PostgreSQL", pg))
print(row(f"nginx {nginx_v} `return 204`, 1 worker", n1))
print(row(f"nginx {nginx_v} `return 204`, {os.cpu_count()} workers", nall))
best = sqlite["wrk"]["per_second"]
target = "met" if best >= 20000 else "NOT met"
print(f"\nTarget ≥ 20,000 heartbeats/s on SQLite: {target}. Rows in fleet.db after the SQLite "
      f"run: {int(rows):,} (one per agent id). Server CPU per request: utime + stime of the "
      f"parent (all threads) or of the nginx workers over the measured run, divided by the "
      f"requests answered; on a shared machine it is the steadier figure.")
PY
)
echo "$block"
if [ "$record" = 1 ]; then
  printf '\n%s\n' "$block" >>"$here/../../docs/benchmarks.md"
  echo "recorded in docs/benchmarks.md"
fi
