#!/usr/bin/env bash
# Starts (or stops) a Tributary parent and agent on 127.0.0.1 for a first look: `make run`.
# Everything lives under ./run/: config dirs, data dirs (separate, so each has its own machine
# GUID) and logs. Usage: packaging/dev-run.sh start|stop BUILD_DIR
set -euo pipefail
action=${1:?start|stop}
build=${2:?build dir}
top=$(cd "$(dirname "$0")/.." && pwd)
run="$top/run"
port=${PORT:-19999}

stop_one() {
  local pidfile="$run/$1.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill "$(cat "$pidfile")"
    for _ in $(seq 50); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}

if [ "$action" = stop ]; then
  stop_one agent
  stop_one parent
  echo "stopped"
  exit 0
fi

stop_one agent
stop_one parent
mkdir -p "$run"/{parent,agent}/{etc,data} "$run/log"
keyfile="$run/api.key"
[ -s "$keyfile" ] || cat /proc/sys/kernel/random/uuid >"$keyfile"
key=$(cat "$keyfile")

cat >"$run/parent/etc/stream.conf" <<CONF
# Written by make run: this parent accepts agents that present this API key.
[$key]
    enabled = yes
    default memory mode = ram
    default history = 3600
CONF
# Agent and parent share this machine's hostname; the agent takes its own, so that
# /host/<hostname>/ tells them apart.
printf 'hostname: %s-agent\n' "$(hostname)" >"$run/agent/etc/agent.yaml"
cat >"$run/agent/etc/stream.conf" <<CONF
# Written by make run: stream to the local parent.
[stream]
    enabled = yes
    destination = 127.0.0.1:$port
    api key = $key
CONF

"$top/$build/tributary-parent" --config-dir "$run/parent/etc" --data-dir "$run/parent/data" \
  --port "$port" >"$run/log/parent.log" 2>&1 &
echo $! >"$run/parent.pid"
for _ in $(seq 50); do
  curl -fsS "http://127.0.0.1:$port/api/v1/info" >/dev/null 2>&1 && break
  sleep 0.1
done
"$top/$build/tributary-agent" --config-dir "$run/agent/etc" --data-dir "$run/agent/data" \
  >"$run/log/agent.log" 2>&1 &
echo $! >"$run/agent.pid"
sleep 1
guid=$(cat "$run/agent/data/machine.guid" 2>/dev/null || echo "<agent guid>")

cat <<TXT
Tributary is running on 127.0.0.1:$port (parent pid $(cat "$run/parent.pid"), agent pid $(cat "$run/agent.pid")).
  config:  $run/parent/etc  $run/agent/etc
  logs:    $run/log/parent.log  $run/log/agent.log
  try:     curl -s localhost:$port/api/v1/info
           curl -s 'localhost:$port/host/$guid/api/v1/data?chart=system.cpu&after=-10'
  stop:    make stop
TXT
