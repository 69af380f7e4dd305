#!/usr/bin/env python3
"""Print `WIDTH HEIGHT DISTINCT_COLOURS NON_BACKGROUND_SHARE BACKGROUND` for a PNG.

Standard library only (zlib), so CI needs nothing beyond python3. Handles
8-bit RGB and RGBA, non-interlaced: what Chromium's --screenshot writes.
The background is the most common colour (printed as `rrggbb`); the share
is the fraction of pixels that differ from it, in percent.
"""
import struct
import sys
import zlib
from collections import Counter


def main(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG")
    pos, idat, header = 8, [], None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None:
        sys.exit(f"{path}: no IHDR")
    width, height, depth, colour, _, _, interlace = header
    channels = {2: 3, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace != 0:
        sys.exit(f"{path}: unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    prev = bytearray(stride)
    colours = Counter()
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        row = bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:  # Sub
            for i in range(channels, stride):
                row[i] = (row[i] + row[i - channels]) & 0xFF
        elif kind == 2:  # Up
            row = bytearray((a + b) & 0xFF for a, b in zip(row, prev))
        elif kind == 3:  # Average
            for i in range(stride):
                left = row[i - channels] if i >= channels else 0
                row[i] = (row[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:  # Paeth
            for i in range(stride):
                a = row[i - channels] if i >= channels else 0
                b = prev[i]
                c = prev[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                row[i] = (row[i] + pred) & 0xFF
        elif kind != 0:
            sys.exit(f"{path}: bad filter type {kind} in row {y}")
        colours.update(bytes(row[i:i + 3]) for i in range(0, stride, channels))
        prev = row
    total = width * height
    bg, bg_count = colours.most_common(1)[0] if colours else (b"\0\0\0", total)
    share = 100.0 * (total - bg_count) / total if total else 0.0
    print(f"{width} {height} {len(colours)} {share:.1f} {bg.hex()}")


if __name__ == "__main__":
    main(sys.argv[1])
