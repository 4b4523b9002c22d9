#!/usr/bin/env bash
# Runs every fuzz target for N seconds (default 20) over its seed corpus.
# Usage: tests/fuzz/run-all.sh BUILD_DIR [SECONDS]
set -euo pipefail
build=${1:?build dir}
seconds=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
failed=0
for bin in "$build"/tests/fuzz/*_fuzz; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin" _fuzz)
  corpus="$here/corpus/$name"
  work=$(mktemp -d)
  seeds=()
  [ -d "$corpus" ] && seeds=("$corpus")
  echo "== fuzzing $name for ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -max_len=65536 -artifact_prefix="$work/" "$work" "${seeds[@]}" \
      >"$work/log" 2>&1; then
    echo "FAILED: $name (artifacts and log in $work)"; tail -30 "$work/log"; failed=1
  else
    grep -E '^#[0-9]+.*DONE' "$work/log" | tail -1 || true
    rm -rf "$work"
  fi
done
exit $failed
