#!/usr/bin/env bash
# Regenerates the reference pages of the golden-page test (tests/document/golden/*.png) from the
# templates beside them, on purpose: run it after a deliberate change of the layout, look at
# the new PNGs, and commit them. The test (document_golden_pages) never writes them.
#
#   scripts/update_golden_pages.sh [build-dir]     (default: build)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
node="$build/runtime/caf-node"
golden="$root/tests/document/golden"
[ -x "$node" ] || { echo "no $node: build caf-node first" >&2; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for tpl in "$golden"/*.html; do
  name="$(basename "$tpl" .html)"
  "$node" render --template "$tpl" --data "$golden/record.ndjson" --format pdf \
    --resources "$golden" --out "$tmp/$name.pdf"
  # the resolution and pages the test compares (tests/document/golden_pages_test.cpp)
  pdftoppm -r 50 -png -f 1 -l 1 -singlefile "$tmp/$name.pdf" "$golden/$name"
  echo "wrote $golden/$name.png"
done
