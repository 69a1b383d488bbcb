#!/usr/bin/env python3
"""Draws the Ringdesk icons (RGBA PNG) with the standard library only.

A green rounded square with a white ring and a centre dot: a call ringing at a desk.
Run from anywhere: `python3 icons/generate.py`; it rewrites the PNGs beside this file.
"""

import math
import os
import struct
import zlib

GREEN = (31, 122, 92)
WHITE = (255, 255, 255)
SUPERSAMPLE = 4
SIZES = {"32x32.png": 32, "128x128.png": 128, "128x128@2x.png": 256, "icon.png": 512}


def coverage(size: int, x: int, y: int) -> tuple[float, float]:
    """Fractions of pixel (x, y) covered by the square and by the white mark."""
    inside_square = inside_mark = 0
    radius = size * 0.22
    for sy in range(SUPERSAMPLE):
        for sx in range(SUPERSAMPLE):
            px = (x + (sx + 0.5) / SUPERSAMPLE) / size
            py = (y + (sy + 0.5) / SUPERSAMPLE) / size
            # Rounded square with a margin of 4 %.
            m, r = 0.04, radius / size
            qx = max(abs(px - 0.5) - (0.5 - m - r), 0.0)
            qy = max(abs(py - 0.5) - (0.5 - m - r), 0.0)
            if math.hypot(qx, qy) > r:
                continue
            inside_square += 1
            d = math.hypot(px - 0.5, py - 0.5)
            if 0.24 <= d <= 0.31 or d <= 0.11:
                inside_mark += 1
    total = SUPERSAMPLE * SUPERSAMPLE
    return inside_square / total, inside_mark / total


def render(size: int) -> bytes:
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter type 0 (none) for each scanline
        for x in range(size):
            square, mark = coverage(size, x, y)
            if square == 0:
                row += bytes((0, 0, 0, 0))
                continue
            t = mark / square
            rgb = [round(g * (1 - t) + w * t) for g, w in zip(GREEN, WHITE)]
            row += bytes((*rgb, round(255 * square)))
        rows.append(bytes(row))
    return png(size, size, b"".join(rows))


def png(width: int, height: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    for name, size in SIZES.items():
        with open(os.path.join(here, name), "wb") as out:
            out.write(render(size))


if __name__ == "__main__":
    main()
