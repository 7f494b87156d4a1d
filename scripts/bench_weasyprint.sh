#!/usr/bin/env bash
# The comparison for the document benchmark (issue 12): WeasyPrint (Debian's `weasyprint`)
# renders N sample invoices — the same records as weft_gen_invoices, the same page, fonts,
# logo, items table and QR payment code as actors/document/samples/invoice.html.mustache —
# from one plain HTML file, and we count its pages per second per core.
#
#   scripts/bench_weasyprint.sh [N]        (N invoices, default 200)
#
# The HTML is made by weft_weasyprint_input (tests/bench/weasyprint_input.cpp): the QR codes
# are pre-rendered PNGs (WeasyPrint has no barcodes), header and "Page X of Y" are CSS running
# elements and page counters (numbered through the file, not per document). Making the input is
# not timed; WeasyPrint runs once, single-threaded, and its CPU time (user + system) is what
# "per core" divides by. Prints, for scripts/bench.sh to quote side by side:
#   weasyprint_documents=N weasyprint_pages=P weasyprint_cpu_s=C weasyprint_wall_s=W
#   weasyprint_pages_per_s_per_core=X
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WEFT_BUILD_DIR:-$root/build}
count=${1:-200}
case $count in '' | *[!0-9]*) echo "usage: $0 [N]" >&2; exit 2 ;; esac
[ "$count" -gt 0 ] || { echo "usage: $0 [N] (N >= 1)" >&2; exit 2; }

WEFT_TARGETS="weft_weasyprint_input" "$root/scripts/build.sh"
command -v weasyprint >/dev/null || { echo "bench_weasyprint: weasyprint is not installed (scripts/setup.sh)" >&2; exit 1; }

work=$(mktemp -d /tmp/weft-bench-weasyprint.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$build/tests/bench/weft_weasyprint_input" --count "$count" --out "$work" >&2

# GNU time's format: user and system CPU seconds, wall seconds.
start=$(date +%s.%N)
/usr/bin/time -f '%U %S %e' -o "$work/time" weasyprint --quiet "$work/invoices.html" "$work/invoices.pdf"
end=$(date +%s.%N)
read -r user sys wall <"$work/time" || { user=0; sys=0; wall=$(echo "$end - $start" | bc -l); }
pages=$(pdfinfo "$work/invoices.pdf" | awk '/^Pages:/ {print $2}')
cpu=$(echo "$user + $sys" | bc -l)
rate=$(echo "scale=2; $pages / $cpu" | bc -l)
bytes=$(stat -c %s "$work/invoices.pdf")
echo "weasyprint_version=$(weasyprint --version | awk '{print $NF}')"
echo "weasyprint_documents=$count weasyprint_pages=$pages weasyprint_cpu_s=$cpu weasyprint_wall_s=$wall"
echo "weasyprint_bytes_per_page=$((bytes / pages))"
echo "weasyprint_pages_per_s_per_core=$rate"
