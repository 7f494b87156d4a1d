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
# pages NAME PDF: writes every page of PDF as NAME.png (page 1), NAME-p2.png, ... (the test's
# names), after removing the old ones (a page less must not leave a stale reference behind)
pages() {
  local name=$1 pdf=$2 n
  rm -f "$golden/$name.png" "$golden/$name"-p[0-9]*.png
  n=$(pdfinfo "$pdf" | sed -n 's/^Pages: *//p')
  for p in $(seq 1 "$n"); do
    local out="$golden/$name-p$p"
    [ "$p" = 1 ] && out="$golden/$name"
    # the resolution the test compares (tests/document/golden_pages_test.cpp)
    pdftoppm -r 50 -png -f "$p" -l "$p" -singlefile "$pdf" "$out"
    echo "wrote $out.png"
  done
}
for tpl in "$golden"/*.html; do
  name="$(basename "$tpl" .html)"
  "$node" render --template "$tpl" --data "$golden/record.ndjson" --format pdf \
    --resources "$golden" --out "$tmp/$name.pdf"
  pages "$name" "$tmp/$name.pdf"
done
# the demo's sample invoice with the record of golden/invoice.ndjson
samples="$root/actors/document/samples"
"$node" render --template "$samples/invoice.html.mustache" --data "$golden/invoice.ndjson" \
  --format pdf --resources "$samples/resources" --out "$tmp/invoice.pdf"
pages invoice "$tmp/invoice.pdf"
