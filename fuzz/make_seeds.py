#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/seed-* (re-runs to the same bytes).

Each seed is the `arbitrary` 1.x encoding of a target's input built from the paper's
parameters: integers little-endian, f64 as the bits of a little-endian u64, bool as a byte's
lowest bit, an enum variant k of n as a u32 u with (u * n) >> 32 == k, and a Vec as its
elements each preceded by a byte 1 ("one more"), then a byte 0. Check a seed with
`cargo fuzz fmt -s none TARGET FILE`.
"""

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def f64s(*xs):
    return b"".join(struct.pack("<d", x) for x in xs)


def variant(k, n):
    u = -(-(k << 32) // n)  # ceil(k 2^32 / n)
    assert (u * n) >> 32 == k
    return struct.pack("<I", u)


def u16(x):
    return struct.pack("<H", x)


def vec(elements):
    return b"".join(b"\x01" + e for e in elements) + b"\x00"


def schedule_precond():
    points = vec([f64s(x) for x in (0.002, 0.5, 1e-3, 1.0, 80.0, 1e-5)])
    cases = {
        "vp-paper": variant(0, 8) + f64s(19.9, 0.1),
        "vp-sigma-range": variant(1, 8) + f64s(0.002, 80.0, 1e-3),
        "ve": variant(2, 8),
        "edm": variant(3, 8),
        "iddpm-paper": variant(4, 8) + f64s(0.001, 0.008) + u16(1000),
        "edm-precond": variant(5, 8) + f64s(0.5),
        "vp-precond": variant(6, 8) + f64s(19.9, 0.1, 1000.0),
        "ve-precond": variant(7, 8),
    }
    return {name: case + points for name, case in cases.items()}


def steps():
    n18, n5 = u16(18), u16(5)
    return {
        "vp-paper": variant(0, 6) + f64s(19.9, 0.1, 1e-3) + n18 + bytes([0]),
        "vp-sigma-range": variant(1, 6) + f64s(0.002, 80.0, 1e-3) + n18 + bytes([3]),
        "ve-paper": variant(2, 6) + f64s(0.02, 100.0) + n18 + bytes([1]),
        "iddpm-paper": variant(3, 6) + f64s(0.001, 0.008) + u16(1000) + u16(8) + n18
        + bytes([2]),
        "iddpm-nvlabs": variant(4, 6) + f64s(0.001, 0.008) + u16(1000) + f64s(0.002, 81.0)
        + n5 + bytes([2]),
        "edm-paper": variant(5, 6) + f64s(0.002, 80.0, 7.0) + n18 + bytes([3]),
    }


def user_schedule():
    points = vec([f64s(x) for x in (0.1, 0.5, 0.9, 2.0)])
    tables = {
        "two-knots": [(0.0, 0.0), (1.0, 80.0)],
        "vp-like": [(0.0, 0.0), (0.25, 0.94), (0.5, 2.64), (0.75, 13.6), (1.0, 152.0)],
        "negative-times": [(-2.0, 0.002), (-1.0, 0.1), (3.0, 80.0)],
        "not-increasing": [(0.0, 1.0), (1.0, 0.5), (2.0, 3.0)],
        "one-knot": [(0.0, 1.0)],
    }
    return {
        name: vec([f64s(t, s) for t, s in knots]) + points
        for name, knots in tables.items()
    }


def sampler_step():
    x = vec([f64s(v) for v in (1.0, -2.0, 30.0)])
    gauss = f64s(0.3, 0.25)  # mu, v
    return {
        "edm-80-to-40": x + f64s(80.0, 40.0) + gauss + bytes([0]),
        "edm-to-zero": x + f64s(1.0, 0.0) + gauss + bytes([0]),
        "vp-1-to-half": x + f64s(1.0, 0.5) + gauss + bytes([1]),
        "backwards": x + f64s(1.0, 2.0) + gauss + bytes([0]),
    }


def discrete():
    def tail(zsnr, t, offset):
        return bytes([zsnr]) + u16(t) + bytes([offset])

    linear = [1e-4 + i / 999 * (0.02 - 1e-4) for i in range(1000)]
    return {
        "linear-1000": vec([f64s(b) for b in linear]) + tail(1, 1000, 1),
        "short-zsnr": vec([f64s(b) for b in (0.1, 0.2, 1.0)]) + tail(1, 10, 0),
        "bad-beta": vec([f64s(b) for b in (0.1, 0.0, 0.2)]) + tail(0, 7, 2),
    }


def main():
    for target, seeds in [
        ("schedule_precond", schedule_precond()),
        ("steps", steps()),
        ("user_schedule", user_schedule()),
        ("sampler_step", sampler_step()),
        ("discrete", discrete()),
    ]:
        d = os.path.join(HERE, "corpus", target)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, "seed-" + name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
