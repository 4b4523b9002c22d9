#!/usr/bin/env bash
# Agent footprint benchmark: the Tributary agent and a stock Debian Netdata 1.37 child, side by
# side in one run, each streaming to a parent of its own kind on 127.0.0.1.
#
#   tests/bench/agent_footprint.sh [--quick] [--record] [BUILD_DIR]
#
#   BUILD_DIR  holds tributary-agent and tributary-parent (also looked for in BUILD_DIR/agent,
#              BUILD_DIR/parent, BUILD_DIR/bin). Missing or not starting: only Netdata is
#              measured and the report says the Tributary side was skipped.
#   --quick    smoke run: 10 s warm-up, 20 s window.
#   --record   append the report to docs/benchmarks.md.
#   Environment: BENCH_WARMUP (s, default 30), BENCH_WINDOW (s, default 120), BENCH_INTERVAL
#   (sampling period, s, default 2), BENCH_KEEP_TMP=1 keeps the temp dir (logs, configs),
#   ND_PARENT_PORT (29999), ND_CHILD_WEB_PORT (29998, empty: child without web server),
#   TRIB_PARENT_PORT (29997), TRIB_HEARTBEAT_PORT (29996). A busy port is replaced by a free one.
#   BENCH_AGENT_YAML=FILE: the tributary agent's agent.yaml (default: none, all defaults), e.g.
#   tests/bench/apps-groups.yaml, process groups in the spirit of Netdata's apps_groups.conf,
#   so that both agents chart per-application processes.
#
# What is measured, for each child-side agent over the window (after the warm-up):
# - RSS of the main process and of its whole tree (main + all descendants: Netdata's
#   spawn server and plugins such as apps.plugin, nfacct.plugin, tc-qos-helper.sh), averaged
#   over samples; PSS of the tree too, since summing RSS counts shared pages once per process.
# - CPU as % of one core from utime+stime in /proc/<pid>/stat (tree: utime+stime+cutime+cstime
#   of every member, so plugins that exit and are reaped stay counted).
# - Dimensions of the child's charts as its parent serves them (/host/<guid>/api/v1/charts),
#   and dims/s (each chart weighted by 1/update_every); CPU % of the tree per 1,000 dims/s.
#
# Running stock Netdata unprivileged in a temp dir (details in tests/support/netdata.sh and
# tests/bench/README.md): one netdata.conf per instance with every [directories] path under the
# instance dir, [db] mode = none (child) or ram (parent), [web] bind to = 127.0.0.1:PORT,
# stream.conf [stream] (child) / [API_KEY] (parent); run as user `netdata` through setpriv
# when root (as the packaged systemd unit does), `-D` foreground, `-P` pid file; the packaged
# service is never left running (it would take 19999).

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_DIR=$ROOT/tests/bench
# shellcheck source=tests/support/netdata.sh
. "$ROOT/tests/support/netdata.sh"

usage() {
  sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

QUICK=0
RECORD=0
BUILD_DIR=""
ORIG_ARGS=("$@")
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1 ;;
    --record) RECORD=1 ;;
    -h | --help) usage 0 ;;
    -*) echo "agent_footprint: unknown option $1" >&2; usage 2 ;;
    *) BUILD_DIR=$1 ;;
  esac
  shift
done

if [ "$QUICK" = 1 ]; then
  WARMUP=${BENCH_WARMUP:-10}
  WINDOW=${BENCH_WINDOW:-20}
else
  WARMUP=${BENCH_WARMUP:-30}
  WINDOW=${BENCH_WINDOW:-120}
fi
INTERVAL=${BENCH_INTERVAL:-2}

log() { echo "[footprint $(date +%H:%M:%S)] $*" >&2; }

TMP=$(mktemp -d /tmp/trib-bench.XXXXXX)
TRIB_PIDS=()
WAIT_PID=""

# Runs a command in the background and waits for it, so that INT/TERM are handled at once
# (bash runs traps only between foreground commands); cleanup ends it if still running.
interruptible() {
  "$@" &
  WAIT_PID=$!
  local rc=0
  wait "$WAIT_PID" || rc=$?
  WAIT_PID=""
  return "$rc"
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local pid _
  [ -n "$WAIT_PID" ] && kill -TERM "$WAIT_PID" 2>/dev/null
  for pid in "${TRIB_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 1 25); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL "$pid" 2>/dev/null || true
  done
  netdata_stop "$TMP/nd-child"
  netdata_stop "$TMP/nd-parent"
  if [ "${BENCH_KEEP_TMP:-0}" = 1 ]; then
    log "kept $TMP"
  else
    rm -rf "$TMP"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The preferred port if nothing listens on it, else one the kernel hands out.
pick_port() {
  python3 - "$1" <<'EOF'
import socket, sys
want = int(sys.argv[1]) if sys.argv[1] else 0
for port in (want, 0):
    s = socket.socket()
    # As servers do: a port left in TIME_WAIT by the previous run is free.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        print(s.getsockname()[1])
        break
    except OSError:
        pass
    finally:
        s.close()
EOF
}

# wait_tcp PORT SECS [PID]: until 127.0.0.1:PORT accepts; gives up early if PID exits.
wait_tcp() {
  local port=$1 secs=$2 pid=${3:-} _
  for _ in $(seq 1 $((secs * 5))); do
    (: </dev/tcp/127.0.0.1/"$port") 2>/dev/null && return 0
    [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && return 1
    sleep 0.2
  done
  return 1
}

find_binary() {
  local name=$1 d
  [ -n "$BUILD_DIR" ] || return 1
  for d in "$BUILD_DIR" "$BUILD_DIR/agent" "$BUILD_DIR/parent" "$BUILD_DIR/bin"; do
    [ -x "$d/$name" ] && [ -f "$d/$name" ] && { echo "$d/$name"; return 0; }
  done
  d=$(find "$BUILD_DIR" -maxdepth 3 -type f -name "$name" -perm -u+x 2>/dev/null | head -n 1)
  [ -n "$d" ] && echo "$d"
}

uuid() { cat /proc/sys/kernel/random/uuid; }

# --- Netdata ---------------------------------------------------------------------------------

ND_LABEL="netdata 1.37 child"
TRIB_LABEL="tributary-agent"

netdata_ensure_installed
if [ "$(id -u)" != 0 ] && ! id -nG | grep -qw netdata; then
  log "WARNING: not root and not in group netdata: apps.plugin (mode 0754 root:netdata) cannot" \
    "run, so Netdata's tree and dimensions are smaller than stock"
fi
ND_PARENT_PORT=$(pick_port "${ND_PARENT_PORT:-29999}")
ND_CHILD_WEB_PORT=${ND_CHILD_WEB_PORT-29998}
[ -n "$ND_CHILD_WEB_PORT" ] && ND_CHILD_WEB_PORT=$(pick_port "$ND_CHILD_WEB_PORT")
ND_KEY=$(uuid)

log "$(netdata -v 2>&1 | head -n 1): parent on 127.0.0.1:$ND_PARENT_PORT," \
  "child web ${ND_CHILD_WEB_PORT:-off}, dir $TMP"
netdata_start_parent "$TMP/nd-parent" "$ND_PARENT_PORT" "$ND_KEY"
netdata_start_child "$TMP/nd-child" "127.0.0.1:$ND_PARENT_PORT" "$ND_KEY" none "$ND_CHILD_WEB_PORT"
ND_GUID=$(netdata_guid "$TMP/nd-child")
if ! netdata_wait_mirrored "$ND_PARENT_PORT" "$ND_GUID" 60; then
  log "the netdata child ($ND_GUID) is not mirrored by its parent; logs:"
  tail -n 20 "$TMP/nd-child/log/error.log" "$TMP/nd-parent/log/error.log" >&2 || true
  exit 1
fi
log "netdata child $ND_GUID mirrored by its parent"

# --- Tributary -------------------------------------------------------------------------------

TRIB_SKIP=""
TRIB_AGENT_PID=""
TRIB_PARENT_PORT=""

start_tributary() {
  local agent parent
  agent=$(find_binary tributary-agent) || true
  parent=$(find_binary tributary-parent) || true
  if [ -z "$agent" ] || [ -z "$parent" ]; then
    TRIB_SKIP="tributary-agent/tributary-parent not found in '${BUILD_DIR:-<no build dir given>}'"
    return 1
  fi
  TRIB_PARENT_PORT=$(pick_port "${TRIB_PARENT_PORT:-29997}")
  local hb_port key p a
  hb_port=$(pick_port "${TRIB_HEARTBEAT_PORT:-29996}")
  key=$(uuid)
  p=$TMP/trib-parent
  a=$TMP/trib-agent
  mkdir -p "$p"/{etc,data,log} "$a"/{etc,data,log}
  printf '[%s]\n\tenabled = yes\n' "$key" >"$p/etc/stream.conf"
  printf '[stream]\n\tenabled = yes\n\tdestination = 127.0.0.1:%s\n\tapi key = %s\n' \
    "$TRIB_PARENT_PORT" "$key" >"$a/etc/stream.conf"
  if [ -n "${BENCH_AGENT_YAML:-}" ]; then cp "$BENCH_AGENT_YAML" "$a/etc/agent.yaml"; fi

  local pargs=(--config-dir "$p/etc" --data-dir "$p/data" --port "$TRIB_PARENT_PORT")
  # The heartbeat server defaults to 8000; keep it off ports others may use.
  local help
  help=$(timeout 5 "$parent" --help 2>&1) || true
  if grep -q -- --heartbeat-port <<<"$help"; then pargs+=(--heartbeat-port "$hb_port"); fi
  log "tributary-parent on 127.0.0.1:$TRIB_PARENT_PORT: $parent"
  HEARTBEAT_PORT=$hb_port "$parent" "${pargs[@]}" </dev/null >"$p/log/stdout.log" 2>&1 &
  TRIB_PIDS+=($!)
  if ! wait_tcp "$TRIB_PARENT_PORT" 15 "${TRIB_PIDS[-1]}"; then
    TRIB_SKIP="tributary-parent did not listen on $TRIB_PARENT_PORT ($(tail -n 3 "$p/log/stdout.log" | tr '\n' ' '))"
    return 1
  fi
  log "tributary-agent: $agent"
  "$agent" --config-dir "$a/etc" --data-dir "$a/data" </dev/null >"$a/log/stdout.log" 2>&1 &
  TRIB_AGENT_PID=$!
  TRIB_PIDS=("$TRIB_AGENT_PID" "${TRIB_PIDS[@]}")
  sleep 2
  if ! kill -0 "$TRIB_AGENT_PID" 2>/dev/null; then
    TRIB_SKIP="tributary-agent exited at start ($(tail -n 3 "$a/log/stdout.log" | tr '\n' ' '))"
    TRIB_AGENT_PID=""
    return 1
  fi
}

# The agent's host as its parent knows it: a mirrored GUID from /api/v1/info, else the hostname.
tributary_host() {
  local _ guid
  for _ in $(seq 1 30); do
    guid=$(python3 "$BENCH_DIR/footprint.py" mirrored-guid --port "$TRIB_PARENT_PORT" 2>/dev/null) &&
      { echo "$guid"; return 0; }
    python3 "$BENCH_DIR/footprint.py" dims --port "$TRIB_PARENT_PORT" --host "$(hostname)" \
      2>/dev/null | grep -q '"dimensions": [1-9]' && { hostname; return 0; }
    sleep 1
  done
  return 1
}

if start_tributary; then
  log "tributary-agent running (pid $TRIB_AGENT_PID)"
else
  log "SKIPPING the Tributary side: $TRIB_SKIP"
fi

# --- Measure ---------------------------------------------------------------------------------

log "warm-up ${WARMUP}s"
interruptible sleep "$WARMUP"
TRIB_HOST=""
if [ -n "$TRIB_AGENT_PID" ]; then
  TRIB_HOST=$(tributary_host) || log "the tributary parent does not list the agent's charts" \
    "(measuring RSS/CPU anyway)"
fi

targets=("$ND_LABEL=$(netdata_pid "$TMP/nd-child")")
[ -n "$TRIB_AGENT_PID" ] && targets+=("$TRIB_LABEL=$TRIB_AGENT_PID")
log "measuring for ${WINDOW}s (sample every ${INTERVAL}s): ${targets[*]}"
interruptible python3 "$BENCH_DIR/footprint.py" measure --out "$TMP/measure.json" --window "$WINDOW" \
  --interval "$INTERVAL" "${targets[@]}"

dims_args=()
if python3 "$BENCH_DIR/footprint.py" dims --port "$ND_PARENT_PORT" --host "$ND_GUID" \
  >"$TMP/dims-netdata.json"; then
  dims_args+=(--dims "$ND_LABEL=$TMP/dims-netdata.json")
fi
if [ -n "$TRIB_HOST" ] && python3 "$BENCH_DIR/footprint.py" dims --port "$TRIB_PARENT_PORT" \
  --host "$TRIB_HOST" >"$TMP/dims-tributary.json"; then
  dims_args+=(--dims "$TRIB_LABEL=$TMP/dims-tributary.json")
fi

# --- Report ----------------------------------------------------------------------------------

command_line="tests/bench/agent_footprint.sh ${ORIG_ARGS[*]}"
for v in BENCH_WARMUP BENCH_WINDOW BENCH_INTERVAL BENCH_AGENT_YAML; do
  [ -n "${!v:-}" ] && command_line="$v=${!v} $command_line"
done
window_note="Warm-up ${WARMUP} s, window ${WINDOW} s, samples every ${INTERVAL} s, collection every 1 s; netdata $(netdata -v 2>&1 | head -n 1 | awk '{print $2}') (Debian package $(dpkg-query -W -f='${Version}' netdata)), child \`[db] mode = none\` streaming to a \`[db] mode = ram\` parent."
[ -n "$TRIB_AGENT_PID" ] && [ -z "$TRIB_HOST" ] &&
  window_note="$window_note The tributary parent did not list the agent's charts: no dimension count."

python3 "$BENCH_DIR/footprint.py" report --measure "$TMP/measure.json" "${dims_args[@]}" \
  --command "$command_line" --baseline "$ND_LABEL" --candidate "$TRIB_LABEL" \
  --skip-reason "$TRIB_SKIP" --window-note "$window_note" >"$TMP/report.md"
echo
cat "$TMP/report.md"

if [ "$RECORD" = 1 ]; then
  doc=$ROOT/docs/benchmarks.md
  if [ ! -f "$doc" ]; then
    mkdir -p "$ROOT/docs"
    cat >"$doc" <<'EOF'
# Benchmarks

Measured runs, newest last. Each entry gives its command, machine and date; rerun it to compare.

- `make bench` (or `tests/bench/run-all.sh build/release`) runs every benchmark.
- `tests/bench/agent_footprint.sh [--quick] [--record] BUILD_DIR`: the agent's steady RSS and
  CPU next to a stock Debian Netdata 1.37 child (`memory mode = none`, streaming to a stock
  parent), in the same run. `--record` appends the result here. See `tests/bench/README.md`.

The machine is shared: note its load average, and compare runs made on the same machine class.

## Agent footprint
EOF
  fi
  { echo; cat "$TMP/report.md"; } >>"$doc"
  log "appended to $doc"
fi
