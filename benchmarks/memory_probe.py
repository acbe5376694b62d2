"""Start-up time and memory of one runtime running one model, measured in a fresh process.

    python benchmarks/memory_probe.py RUNTIME THREADS N,C,H,W FILE [FILE ...]
    python benchmarks/memory_probe.py --edgenet-split THREADS FILE.enet

Prints one JSON line:
  peak_rss_delta  bytes: peak resident size added by creating the session and running it 3 times
  create_rss_delta  bytes: resident size added by creating the session (before any run)
  create_ms_first, create_ms_median  session creation (the adapter's load(): edgenet's Interpreter
                  = load + verify + prepare/pack; onnxruntime's InferenceSession; LiteRT's
                  Interpreter + allocate_tensors; ncnn's Net load_param + load_model; MNN's
                  load_module_from_file): the first in this process, and the median of 5 more
  baseline_rss    bytes after importing the runtime (not counted in the deltas)
With --edgenet-split it prints model_rss_delta (the file loaded and verified) and pack_rss_delta
(what creating the interpreter, which packs the weights, adds on top), in a process of its own
(memory freed by an earlier session would be reused and hide the growth).
The peak covers only the session, not the imports: the kernel's peak-RSS counter is reset
(`/proc/self/clear_refs`, value 5) after them, and the heap the imports freed is first given back
to the system (glibc malloc_trim), or the session would reuse those resident pages and hide its
growth (importing edgenet left 32 MB of free heap: its packing then read as 0 MB). run.py starts one probe per runtime/model/precision.
"""
import importlib
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import runtimes  # noqa: E402

MORE_CREATIONS = 5


def _release_free_heap():
    """Returns the heap's free pages to the system (glibc), so later allocations show in VmRSS."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to release this way
        pass


def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def _edgenet_split(path, threads):
    """RSS added by loading + verifying the model, then by creating the interpreter (packing)."""
    from edgenet import _native

    np.zeros(1)  # numpy initialized before the first reading
    _release_free_heap()
    before = _status_kib("VmRSS")
    model = _native.Model.from_file(path)
    loaded = _status_kib("VmRSS")
    interpreter = _native.NativeInterpreter(model, threads)
    packed = _status_kib("VmRSS")
    del interpreter, model
    return (loaded - before) * 1024, (packed - loaded) * 1024


def main(argv):
    if argv[0] == "--edgenet-split":
        model_rss, pack_rss = _edgenet_split(argv[2], int(argv[1]))
        print(json.dumps({"model_rss_delta": model_rss, "pack_rss_delta": pack_rss}))
        return
    runtime_name, threads, shape, files = argv[0], int(argv[1]), argv[2], argv[3:]
    adapter = runtimes.RUNTIMES[runtime_name]
    importlib.import_module(adapter.module)  # the runtime's own import cost is not the model's
    x = np.random.default_rng(0).standard_normal([int(d) for d in shape.split(",")]).astype(np.float32)
    _release_free_heap()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM (peak RSS) to the current RSS
    baseline = _status_kib("VmRSS")
    started = time.perf_counter()
    run = adapter.load(files, threads)
    create_first = time.perf_counter() - started
    created = _status_kib("VmRSS")
    for _ in range(3):
        run(x)
    peak = _status_kib("VmHWM")
    result = {"peak_rss_delta": (peak - baseline) * 1024, "create_rss_delta": (created - baseline) * 1024,
              "baseline_rss": baseline * 1024, "create_ms_first": create_first * 1000}
    del run
    times = []
    for _ in range(MORE_CREATIONS):
        started = time.perf_counter()
        session = adapter.load(files, threads)
        times.append(time.perf_counter() - started)
        del session
    result["create_ms_median"] = statistics.median(times) * 1000
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
