# shellcheck shell=bash
# Start and stop stock Debian Netdata 1.37 instances (parent and child) on 127.0.0.1, each
# confined to a directory of its own, for the benchmarks and the Netdata interop tests.
# Source it:  . tests/support/netdata.sh
#
#   netdata_ensure_installed              apt-get install netdata if missing, never leave the
#                                         packaged service running (it would take port 19999)
#   netdata_start_parent DIR PORT KEY [MODE]
#                                         [db] mode = MODE (default ram), accepts KEY into
#                                         MODE, own plugins off
#   netdata_start_child DIR DEST KEY [MODE [WEB_PORT]]
#                                         default plugins, update every 1, [db] mode = MODE
#                                         (default none), streams to DEST (host:port) with KEY;
#                                         web on WEB_PORT, or no web server if WEB_PORT is empty
#   netdata_stop DIR                      TERM then KILL the instance started in DIR
#   netdata_pid DIR                       pid of the main netdata process of DIR
#   netdata_guid DIR                      the instance's machine GUID (known once it started)
#   netdata_wait_listening PORT [SECS]    until something answers HTTP on 127.0.0.1:PORT
#   netdata_wait_mirrored PORT GUID [SECS]  until the parent on PORT lists GUID as reachable
#   netdata_http PORT PATH                GET http://127.0.0.1:PORT/PATH to stdout
#
# What it takes to run the Debian package unprivileged, in a directory of its own
# (learned on bookworm, netdata 1.37.1-2):
# - Every path lives in [directories] of the netdata.conf given with -c: config (user config:
#   stream.conf, python.d.conf, ... are read from here), stock config (/usr/lib/netdata/conf.d),
#   lib (machine GUID in lib/registry/netdata.public.unique.id), cache, log, lock, home,
#   registry, health config. Plugins get them as NETDATA_*_DIR variables, so they follow.
# - The package's service runs `netdata -D` directly as user `netdata` (systemd User=), with
#   apps.plugin given cap_dac_read_search,cap_sys_ptrace by file capabilities. We do the same:
#   as root we exec netdata through `setpriv` as `netdata` (no extra process in the tree, no
#   root daemon phase); as a non-root user it simply runs as that user. The instance
#   directory is chowned to the user it runs as.
# - `-D` keeps it in the foreground (we own the pid), `-P` writes the pid file.
# - [logs] debug/error/access/health = paths under the instance dir (or `none`).
# - [web] bind to = 127.0.0.1:PORT; `[web] mode = none` turns the web server off (a child
#   still streams without it).
# - Telemetry: the package opts out with /etc/netdata/.opt-out-from-anonymous-statistics,
#   but that file is looked up in the *user config dir*, so each instance dir gets one too,
#   and DISABLE_TELEMETRY=1 / DO_NOT_TRACK=1 are exported.
# - A child in `[db] mode = none` keeps no history; its charts are read on the parent at
#   /host/<hostname or guid>/api/v1/charts. The parent's /api/v1/info lists it in
#   mirrored_hosts and in mirrored_hosts_status[] {guid, reachable}.
# - The package postinst tries to start the service; in containers policy-rc.d (exit 101) and
#   the absence of a running systemd stop it, elsewhere we stop and disable it.

NETDATA_BIN=${NETDATA_BIN:-/usr/sbin/netdata}
NETDATA_STOCK_CONFIG=${NETDATA_STOCK_CONFIG:-/usr/lib/netdata/conf.d}
NETDATA_PLUGINS_DIR=${NETDATA_PLUGINS_DIR:-/usr/lib/netdata/plugins.d}
NETDATA_WEB_DIR=${NETDATA_WEB_DIR:-/usr/share/netdata/web}

export DISABLE_TELEMETRY=1 DO_NOT_TRACK=1

_netdata_log() { echo "netdata.sh: $*" >&2; }

# The user the instances run as: `netdata` when we are root (as the packaged service does),
# ourselves otherwise.
netdata_run_user() {
  if [ "$(id -u)" = 0 ]; then echo netdata; else id -un; fi
}

netdata_ensure_installed() {
  if ! dpkg-query -W -f='${Status}' netdata 2>/dev/null | grep -q "install ok installed"; then
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    _netdata_log "installing Debian package netdata"
    $sudo apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq netdata >/dev/null || return 1
  fi
  _netdata_stop_packaged_service
}

# The packaged service must not run: it binds 19999, which other work on the machine uses.
_netdata_stop_packaged_service() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    $sudo systemctl disable --now netdata.service >/dev/null 2>&1 || true
  elif [ -x /etc/init.d/netdata ]; then
    $sudo /etc/init.d/netdata stop >/dev/null 2>&1 || true
  fi
  # Whatever is left is a daemon of the package (init script: -P /run/netdata.pid); ours always
  # run with -c and a pid file inside their own dir. Nothing else on 19999 is touched.
  local pidfile pid
  for pidfile in /run/netdata.pid /run/netdata/netdata.pid; do
    [ -r "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if [ -n "$pid" ] && grep -qx netdata "/proc/$pid/comm" 2>/dev/null &&
      ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- ' -c '; then
      _netdata_log "stopping the packaged netdata (pid $pid)"
      $sudo kill "$pid" 2>/dev/null || true
    fi
  done
  return 0
}

# netdata_write_conf DIR ROLE DB_MODE WEB (WEB: "127.0.0.1:PORT" or empty for no web server)
_netdata_write_conf() {
  local dir=$1 role=$2 mode=$3 web=$4
  mkdir -p "$dir"/{etc,lib/registry,lib/lock,cache,log,run}
  touch "$dir/etc/.opt-out-from-anonymous-statistics"
  {
    cat <<EOF
# Generated by tests/support/netdata.sh ($role)
[global]
	run as user = $(netdata_run_user)
	hostname = trib-nd-$role-$(hostname -s)

[db]
	mode = $mode
	update every = 1

[directories]
	config = $dir/etc
	stock config = $NETDATA_STOCK_CONFIG
	log = $dir/log
	web = $NETDATA_WEB_DIR
	cache = $dir/cache
	lib = $dir/lib
	lock = $dir/lib/lock
	home = $dir/lib
	registry = $dir/lib/registry
	plugins = "$NETDATA_PLUGINS_DIR" "$dir/etc/custom-plugins.d"
	health config = $dir/etc/health.d
	stock health config = $NETDATA_STOCK_CONFIG/health.d

[logs]
	debug = none
	error = $dir/log/error.log
	access = none
	health = $dir/log/health.log

[registry]
	enabled = no

EOF
    if [ -n "$web" ]; then
      printf '[web]\n\tbind to = %s\n\n' "$web"
    else
      printf '[web]\n\tmode = none\n\n'
    fi
    if [ "$role" = parent ]; then
      # The parent only receives: no collection of its own beyond what cannot be turned off,
      # no alarms, so the child's cost is not mixed with the parent's.
      cat <<'EOF'
[health]
	enabled = no

[plugins]
	enable running new plugins = no
	check for new plugins every = 3600
	proc = no
	diskspace = no
	cgroups = no
	tc = no
	idlejitter = no
	timex = no
	checks = no
	apps = no
	python.d = no
	charts.d = no
	statsd = no

[statsd]
	enabled = no
EOF
    fi
  } >"$dir/etc/netdata.conf"
}

_netdata_exec() {
  local dir=$1
  local user
  user=$(netdata_run_user)
  [ "$(id -u)" = 0 ] && chown -R "$user:" "$dir"
  # The instance dir must be reachable by the run-as user; mktemp -d makes 0700 dirs, so the
  # directory holding DIR is opened for traversal (a+x, not listing).
  chmod 755 "$dir"
  chmod a+x "$(dirname "$dir")"
  local cmd=("$NETDATA_BIN" -c "$dir/etc/netdata.conf" -D -P "$dir/run/netdata.pid")
  if [ "$(id -u)" = 0 ]; then
    cmd=(setpriv --reuid="$user" --regid="$user" --init-groups --reset-env -- env
      DISABLE_TELEMETRY=1 DO_NOT_TRACK=1 "${cmd[@]}")
  fi
  # setpriv and env exec, so $! is netdata's own pid.
  "${cmd[@]}" </dev/null >"$dir/log/stdout.log" 2>&1 &
  echo $! >"$dir/run/main.pid"
}

netdata_start_parent() {
  local dir=$1 port=$2 key=$3 mode=${4:-ram}
  _netdata_write_conf "$dir" parent "$mode" "127.0.0.1:$port"
  cat >"$dir/etc/stream.conf" <<EOF
[$key]
	enabled = yes
	default memory mode = $mode
	health enabled by default = no
	allow from = *
EOF
  _netdata_exec "$dir"
  netdata_wait_listening "$port" 30 || {
    _netdata_log "parent in $dir did not listen on $port; see $dir/log/"
    return 1
  }
}

netdata_start_child() {
  local dir=$1 dest=$2 key=$3 mode=${4:-none} web_port=${5:-}
  local web=""
  [ -n "$web_port" ] && web="127.0.0.1:$web_port"
  _netdata_write_conf "$dir" child "$mode" "$web"
  cat >"$dir/etc/stream.conf" <<EOF
[stream]
	enabled = yes
	destination = $dest
	api key = $key
	timeout seconds = 60
	reconnect delay seconds = 5
EOF
  _netdata_exec "$dir"
  local _
  for _ in $(seq 1 100); do
    [ -s "$dir/lib/registry/netdata.public.unique.id" ] && return 0
    kill -0 "$(netdata_pid "$dir")" 2>/dev/null || break
    sleep 0.2
  done
  _netdata_log "child in $dir did not start; see $dir/log/"
  return 1
}

netdata_pid() { cat "$1/run/main.pid" 2>/dev/null; }

netdata_guid() { cat "$1/lib/registry/netdata.public.unique.id" 2>/dev/null; }

netdata_stop() {
  local dir=$1 pid _
  pid=$(netdata_pid "$dir") || true
  [ -n "$pid" ] || return 0
  # Plugins normally exit when netdata closes their pipes. Remember them first: one left behind
  # is re-parented away from netdata and could no longer be found under it.
  local -a plugins=()
  read -r -a plugins <<<"$(_netdata_descendants "$pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  fi
  local p
  for p in "${plugins[@]}"; do
    # Only if it is still the process we saw (same start time), not a reused pid.
    [ "$(_netdata_starttime "${p%:*}")" = "${p#*:}" ] && kill -KILL "${p%:*}" 2>/dev/null
  done
  rm -f "$dir/run/main.pid"
  return 0
}

# "pid:starttime" of every descendant of $1, space separated.
_netdata_descendants() {
  python3 - "$1" <<'EOF'
import os, sys
parent, start = {}, {}
for d in os.listdir("/proc"):
    if d.isdigit():
        try:
            raw = open(f"/proc/{d}/stat").read()
        except OSError:
            continue
        f = raw[raw.rindex(")") + 2:].split()
        parent[int(d)], start[int(d)] = int(f[1]), f[19]
out, todo = [], [int(sys.argv[1])]
while todo:
    p = todo.pop()
    kids = [c for c, pp in parent.items() if pp == p]
    out += kids
    todo += kids
print(" ".join(f"{p}:{start[p]}" for p in out))
EOF
}

# Field 22 of /proc/PID/stat (start time in ticks since boot), or nothing.
_netdata_starttime() {
  local raw
  raw=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  raw=${raw##*) }
  awk '{print $20}' <<<"$raw"
}

netdata_http() {
  python3 - "$1" "$2" <<'EOF'
import sys, urllib.request
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/{sys.argv[2].lstrip('/')}", timeout=10) as r:
        sys.stdout.write(r.read().decode("utf-8", "replace"))
except Exception as e:
    print(f"netdata_http: {e}", file=sys.stderr)
    sys.exit(1)
EOF
}

netdata_wait_listening() {
  local port=$1 secs=${2:-30} _
  for _ in $(seq 1 $((secs * 5))); do
    netdata_http "$port" /api/v1/info >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

netdata_wait_mirrored() {
  local port=$1 guid=$2 secs=${3:-60} _
  for _ in $(seq 1 "$secs"); do
    netdata_http "$port" /api/v1/info 2>/dev/null | python3 -c '
import json, sys
info = json.load(sys.stdin)
want = sys.argv[1].lower()
ok = any(h.get("guid", "").lower() == want and h.get("reachable", True)
         for h in info.get("mirrored_hosts_status", []))
sys.exit(0 if ok else 1)' "$guid" && return 0
    sleep 1
  done
  return 1
}
