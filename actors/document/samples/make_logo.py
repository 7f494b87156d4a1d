#!/usr/bin/env python3
"""Draws the sample invoice's logo (resources/logo.png): a woven square, warp and weft threads
in two colours passing over and under each other, with a 2 px antialiased edge. Pure Python
(zlib only), so it needs nothing installed; run once, the PNG is checked in:

    python3 actors/document/samples/make_logo.py actors/document/samples/resources/logo.png
"""
import struct
import sys
import zlib

SIZE = 120  # pixels; shown 18 mm wide that is about 170 dpi
BANDS = 5
WARP = (0x1F, 0x4E, 0x8C)  # blue, vertical threads
WEFT = (0xE0, 0x7A, 0x1F)  # orange, horizontal threads
GAP = 3  # pixels between threads


def colour_at(x, y):
    """The colour of pixel (x, y), or None for transparent."""
    band = SIZE / BANDS
    col, row = int(x // band), int(y // band)
    inside_x = (x % band) >= GAP / 2 and (x % band) < band - GAP / 2
    inside_y = (y % band) >= GAP / 2 and (y % band) < band - GAP / 2
    if not inside_x and not inside_y:
        return None
    if inside_x and inside_y:
        # Plain weave: warp over weft on alternate crossings.
        return WARP if (col + row) % 2 == 0 else WEFT
    return WARP if inside_x else WEFT


def pixel(x, y):
    # 4x4 supersampling for smooth thread edges.
    samples = [colour_at(x + (i + 0.5) / 4, y + (j + 0.5) / 4) for i in range(4) for j in range(4)]
    covered = [s for s in samples if s is not None]
    if not covered:
        return (0, 0, 0, 0)
    r = sum(s[0] for s in covered) // len(covered)
    g = sum(s[1] for s in covered) // len(covered)
    b = sum(s[2] for s in covered) // len(covered)
    return (r, g, b, 255 * len(covered) // len(samples))


def png(width, height, rows):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(v for p in row for v in p) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_logo.py OUT.png")
    rows = [[pixel(x, y) for x in range(SIZE)] for y in range(SIZE)]
    with open(sys.argv[1], "wb") as out:
        out.write(png(SIZE, SIZE, rows))


if __name__ == "__main__":
    main()
