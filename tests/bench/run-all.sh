#!/usr/bin/env bash
# Runs every benchmark against BUILD_DIR (the Makefile's `bench` target: build/release).
# Extra arguments (--quick, --record) are passed to each benchmark.
#   tests/bench/run-all.sh BUILD_DIR [--quick] [--record]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR [--quick] [--record]" >&2
  exit 2
fi
build_dir=$1
shift
"$here/agent_footprint.sh" "$@" "$build_dir"
