"""Peak memory of one runtime running one model, measured in a fresh process.

    python benchmarks/memory_probe.py RUNTIME THREADS N,C,H,W FILE [FILE ...]

Prints one JSON line: {"peak_rss_delta": bytes, "baseline_rss": bytes}. The baseline is the
resident size after importing the runtime; then the kernel's peak-RSS counter is reset
(`/proc/self/clear_refs`, value 5) so the peak covers only loading the model and running it
(three times), not the imports. run.py starts one probe per runtime/model/precision.
"""
import importlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import runtimes  # noqa: E402


def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def main(argv):
    runtime_name, threads, shape, files = argv[0], int(argv[1]), argv[2], argv[3:]
    adapter = runtimes.RUNTIMES[runtime_name]
    importlib.import_module(adapter.module)  # the runtime's own import cost is not the model's
    x = np.random.default_rng(0).standard_normal([int(d) for d in shape.split(",")]).astype(np.float32)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM (peak RSS) to the current RSS
    baseline = _status_kib("VmRSS")
    run = adapter.load(files, threads)
    for _ in range(3):
        run(x)
    peak = _status_kib("VmHWM")
    print(json.dumps({"peak_rss_delta": (peak - baseline) * 1024, "baseline_rss": baseline * 1024}))


if __name__ == "__main__":
    main(sys.argv[1:])
