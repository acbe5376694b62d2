"""Load-time cost of the model checksum (format version 2) on a 14 MB float MobileNetV2.

    python benchmarks/checksum_load.py [--repeats 50]

Times loading the model only (enet_model_load_*: verification, no prepare), with and without the
CRC32C check (verify_checksum=False = ENET_LOAD_SKIP_CHECKSUM), from bytes (the core copies them into
fresh memory first) and from a file (memory-mapped; the page cache is warm after the first run). The C
core uses the CPU's CRC32C instruction where it has one (x86 SSE4.2; aarch64 built with +crc), else a
portable table version (native/tests/test_kernels.c checks that both agree). Also times the numpy CRC
the converter uses when writing. Prints medians in milliseconds.
"""
import argparse
import os
import pathlib
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from mobilenet_v2_graph import mobilenet_v2  # noqa: E402

import edgenet  # noqa: E402
from edgenet import _native, integrity  # noqa: E402


def median_ms(fn, repeats):
    fn()  # warm-up: page cache, allocator
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    data = edgenet.convert(mobilenet_v2()).to_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "mobilenet_v2.enet")
        with open(path, "wb") as f:
            f.write(data)
        print(f"model: float MobileNetV2, {len(data) / 1e6:.1f} MB, format v{edgenet.load(data).version}")
        for source, load in (("bytes", lambda v: _native.Model.from_buffer(data, v)),
                             ("file (mmap)", lambda v: _native.Model.from_file(path, v))):
            checked = median_ms(lambda: load(True), args.repeats)
            skipped = median_ms(lambda: load(False), args.repeats)
            print(f"load from {source:12s} verify_checksum=True {checked:7.2f} ms   False {skipped:7.2f} ms   "
                  f"cost {checked - skipped:6.2f} ms")
    writer = median_ms(lambda: integrity.crc32c(data), max(3, args.repeats // 10))
    print(f"writer side: edgenet.integrity.crc32c (numpy) {writer:.0f} ms")


if __name__ == "__main__":
    main()
