#!/usr/bin/env bash
# Configures and builds Weft into build/ (or $WEFT_BUILD_DIR). Extra arguments
# go to the configure step, e.g. -DWEFT_SANITIZE=ON. WEFT_TARGETS="a b" builds
# only those targets (the demo needs no tests).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WEFT_BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >&2
elif [ $# -gt 0 ]; then
  cmake "$build" "$@" >&2
fi
targets=()
for t in ${WEFT_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build" -j"${WEFT_JOBS:-$(nproc)}" "${targets[@]}" >&2
