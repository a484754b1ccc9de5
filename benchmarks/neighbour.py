"""A neighbour on a shared machine, for running a benchmark beside it (BENCHMARKS.md, "Load").

Run from the repository root, in the background, for as many seconds as the benchmark takes::

    python benchmarks/neighbour.py 75 & python benchmarks/bench_load.py --rates 20,25,30

It keeps one core busy and the disk flushed: 1 MiB written at a time into a 64 MiB file in the
temporary folder, an fsync after every fourth, a spin of Python arithmetic between writes. The
file is removed at the end.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

MIB = 1 << 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seconds", type=float, help="how long to keep at it")
    args = parser.parse_args()
    end = time.monotonic() + args.seconds
    block = os.urandom(MIB)
    with tempfile.NamedTemporaryFile(prefix="neighbour-") as file:
        written = 0
        while time.monotonic() < end:
            os.pwrite(file.fileno(), block, (written % 64) * MIB)
            written += 1
            if written % 4 == 0:
                os.fsync(file.fileno())
            total = 0
            for i in range(200_000):
                total += i


if __name__ == "__main__":
    main()
