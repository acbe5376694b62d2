"""edgenet vs onnxruntime, float and int8, on real task models (issues 8 and 14): pip install -e .[tasks]

    python benchmarks/task_models.py [--runs 30] [--threads 1] [--models ocr,yolo] [--write]

For each model (tests/task_models.py: the PP-OCRv4 recognizer from rapidocr_onnxruntime and
nudenet's YOLOv8n 320n detector) it builds
  - edgenet float, edgenet int8 with the accuracy search (the test's calibration, validation
    samples and task metric) and edgenet plain int8 (same calibration, no search);
  - onnxruntime float32: the original .onnx (dynamic input shapes, as shipped), intra-op threads
    = --threads, 1 inter-op thread, all graph optimizations;
  - onnxruntime int8: quantize_static (QDQ, per-channel int8 weights, int8 activations, MinMax)
    calibrated on the same calibration feeds as edgenet, reduce_range on x86 without VNNI
    (benchmarks/runtimes.py's helpers, shared with benchmarks/run.py; they upgrade a model below
    opset 13 to 13 for per-channel QDQ and skip symbolic shape inference where ORT's
    pre-processing cannot do it, and the results say so). If it still fails, the reason is
    recorded and the model's other rows still run.
It runs each ORT session once (against edgenet float) before timing, checks the task on the
held-out inputs (each int8 model against its own runtime's float model, with the test's metric),
then times all five interleaved in the same rounds (warm-up, then --runs rounds of one call
each, a short pause before every call) on the first held-out input, so machine load hits
every variant alike. Ratios are edgenet median / onnxruntime median (below 1 = edgenet
faster); edgenet's int8 rows are compared with the faster of onnxruntime's float and int8.
--write saves the table, the task agreement, the CPU and its SIMD flags, and the edgenet
kernels that ran (profiler) to benchmarks/TASK_RESULTS.md.
"""
import argparse
import datetime
import os
import pathlib
import platform
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
# tests/task_models.py must be imported before run.py: run.py puts benchmarks/ first on sys.path,
# where `task_models` would be this script.
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

import edgenet  # noqa: E402
import task_models  # noqa: E402  (tests/task_models.py)

sys.path.insert(1, HERE)
import run as benchmark  # noqa: E402  (benchmarks/run.py: CPU model/flags, edgenet kernels)
import runtimes  # noqa: E402  (benchmarks/runtimes.py: onnxruntime session and int8 helpers)

RESULTS = pathlib.Path(__file__).with_name("TASK_RESULTS.md")
MODEL_KEYS = ("ocr", "yolo")


def _first(outputs):
    return next(iter(outputs.values()))


def models(keys):
    if "ocr" in keys:
        path = task_models.ocr_model_path()
        characters = task_models.ocr_characters(path)
        yield ("PP-OCRv4 recognizer", path, {"x": task_models.OCR_INPUT_SHAPE},
               task_models.ocr_feeds(task_models.OCR_LINES_CALIBRATION, 0),
               task_models.ocr_feeds(task_models.OCR_LINES_VALIDATION, 5),
               task_models.ocr_feeds(task_models.OCR_LINES_HELD_OUT, 3),
               lambda a, b: task_models.ctc_decode(a, characters) == task_models.ctc_decode(b, characters))
    if "yolo" in keys:
        yield ("YOLOv8n detector (nudenet 320n)", task_models.detector_model_path(),
               {"images": task_models.DETECTOR_INPUT_SHAPE}, task_models.detector_feeds("calibration"),
               task_models.detector_feeds("validation"), task_models.detector_feeds("held_out"),
               task_models.same_top_detection)


class OrtRunner:
    """An onnxruntime session with edgenet's Interpreter.run shape: feeds dict -> {name: array}."""

    def __init__(self, path, threads):
        self.session = runtimes.ort_session(path, threads)
        self.names = [o.name for o in self.session.get_outputs()]

    def run(self, feeds):
        return dict(zip(self.names, self.session.run(None, feeds)))


def _reason(error):
    return f"{type(error).__name__}: {runtimes._first_line(error)}"


def ort_variants(path, calibration, probe, threads, workdir):
    """(float runner or None, int8 runner or None, why float failed, why int8 failed, quantization
    note or None); each session has run once on `probe` before it is returned."""
    runners, reasons = [None, None], [None, None]
    try:
        runners[0] = OrtRunner(path, threads)
        runners[0].run(probe)
    except Exception as error:
        runners[0], reasons[0] = None, f"session failed: {_reason(error)}"
    int8_path = os.path.join(workdir, "ort_int8.onnx")
    try:
        note = runtimes.ort_quantize_static(path, int8_path, calibration, os.path.join(workdir, "ort_prep.onnx"))
    except Exception as error:
        return runners[0], None, reasons[0], f"quantize_static failed: {_reason(error)}", None
    try:
        runners[1] = OrtRunner(int8_path, threads)
        runners[1].run(probe)
    except Exception as error:
        runners[1], reasons[1] = None, f"int8 session failed: {_reason(error)}"
    return runners[0], runners[1], reasons[0], reasons[1], note


def interleaved_medians(runners, feeds, runs, warmup, pause):
    """Median ms per runner (None for a missing one): warm-up, then `runs` rounds, each calling
    every runner once after `pause` seconds (other runtimes' worker threads stop spinning)."""
    live = [(i, r) for i, r in enumerate(runners) if r is not None]
    times = {i: [] for i, _ in live}
    for _, runner in live:
        for _ in range(warmup):
            runner.run(feeds)
    for _ in range(runs):
        for i, runner in live:
            time.sleep(pause)
            start = time.perf_counter()
            runner.run(feeds)
            times[i].append(time.perf_counter() - start)
    return [1e3 * float(np.median(times[i])) if i in times else None for i in range(len(runners))]


def ratio(ours, theirs):
    return None if ours is None or theirs is None else ours / theirs


def faster_of(float_ms, int8_ms):
    """(median ms, label) of onnxruntime's faster precision, or (None, None) without either."""
    candidates = [(ms, label) for ms, label in ((float_ms, "float"), (int8_ms, "int8")) if ms is not None]
    return min(candidates) if candidates else (None, None)


def _ms(value):
    return "-" if value is None else f"{value:.2f}"


def _x(value):
    return "-" if value is None else f"{value:.2f}"


def measure(name, path, shapes, calibration, validation, held_out, same_task, args, workdir):
    float_model = edgenet.convert(path, input_shapes=shapes)
    target = edgenet.AccuracyTarget(metric=lambda r, c: same_task(_first(r), _first(c)), samples=validation)
    int8_model = edgenet.convert(path, input_shapes=shapes, quantize="int8", calibration=calibration,
                                 accuracy=target, verbose=False)
    plain_model = edgenet.convert(path, input_shapes=shapes, quantize="int8", calibration=calibration,
                                  verbose=False)
    f, q, plain = (edgenet.Interpreter(m.to_bytes(), num_threads=args.threads)
                   for m in (float_model, int8_model, plain_model))
    ort_float, ort_int8, ort_float_failed, ort_int8_failed, ort_int8_note = ort_variants(
        path, calibration, held_out[0], args.threads, workdir)

    def kept(reference, candidate):
        if reference is None or candidate is None:
            return None
        return sum(same_task(_first(reference.run(x)), _first(candidate.run(x))) for x in held_out)

    r = dict(name=name, n=len(held_out), kept=kept(f, q), kept_plain=kept(f, plain),
             ort_vs_edgenet_float=kept(f, ort_float), kept_ort=kept(ort_float, ort_int8),
             ort_float_failed=ort_float_failed, ort_int8_failed=ort_int8_failed, ort_int8_note=ort_int8_note,
             float_size=float_model.size, int8_size=int8_model.size)
    weighted = [n for n in int8_model.graph.nodes if n.op in ("conv2d", "depthwise_conv2d", "fully_connected")]
    r["weighted"] = len(weighted)
    r["float_weighted"] = sum(n.outputs[0].dtype != "int8" for n in weighted)
    r["kernels"] = {label: benchmark.edgenet_kernels(m.to_bytes(), held_out[0])
                    for label, m in (("float", float_model), ("int8 (search)", int8_model), ("plain int8", plain_model))}
    del float_model, int8_model, plain_model
    (r["float_ms"], r["int8_ms"], r["plain_ms"], r["ort_float_ms"], r["ort_int8_ms"]) = interleaved_medians(
        [f, q, plain, ort_float, ort_int8], held_out[0], args.runs, args.warmup, args.pause_ms / 1000)
    best_ms, r["ort_best"] = faster_of(r["ort_float_ms"], r["ort_int8_ms"])
    r["ratio_float"] = ratio(r["float_ms"], r["ort_float_ms"])
    r["ratio_int8"] = ratio(r["int8_ms"], best_ms)
    r["ratio_plain"] = ratio(r["plain_ms"], best_ms)
    return r


def summary_line(r, threads):
    """One readable line per model: medians, ratios, task agreement, what failed."""
    best = f"onnxruntime's faster, {r['ort_best']}" if r["ort_best"] else "no onnxruntime run"
    ort_int8 = f"int8 {_ms(r['ort_int8_ms'])}" if not r["ort_int8_failed"] else f"int8 {r['ort_int8_failed']}"
    ort_float = f"float {_ms(r['ort_float_ms'])}" if not r["ort_float_failed"] else f"float {r['ort_float_failed']}"
    return (f"{r['name']}, {threads} thread(s): median ms edgenet float {_ms(r['float_ms'])} / int8 (accuracy search) "
            f"{_ms(r['int8_ms'])} / plain int8 {_ms(r['plain_ms'])}; onnxruntime {ort_float} / {ort_int8}. "
            f"edgenet/onnxruntime: float {_x(r['ratio_float'])}, int8 (search) {_x(r['ratio_int8'])}, "
            f"plain int8 {_x(r['ratio_plain'])} (int8 vs {best}). " + agreement_text(r)
            + (f" onnxruntime int8: {r['ort_int8_note']}." if r["ort_int8_note"] else ""))


def agreement_text(r):
    n = r["n"]

    def of(value):
        return "-" if value is None else f"{value}/{n}"

    return (f"Task kept on held-out inputs (int8 vs its runtime's float): edgenet int8 (search) {of(r['kept'])} "
            f"({r['float_weighted']} of {r['weighted']} weighted layers kept float), plain int8 {of(r['kept_plain'])}, "
            f"onnxruntime int8 {of(r['kept_ort'])}; onnxruntime float vs edgenet float {of(r['ort_vs_edgenet_float'])}. "
            f"edgenet file {r['float_size'] / 1e6:.1f} MB float -> {r['int8_size'] / 1e6:.1f} MB int8 (search).")


def format_table(results):
    header = ["model", "edgenet float", "edgenet int8 (search)", "edgenet plain int8", "ORT float", "ORT int8",
              "float: edgenet/ORT", "int8 (search): edgenet/ORT best", "plain int8: edgenet/ORT best"]
    rows = [header, ["---"] * len(header)]
    for r in results:
        rows.append([r["name"], _ms(r["float_ms"]), _ms(r["int8_ms"]), _ms(r["plain_ms"]),
                     _ms(r["ort_float_ms"]) if not r["ort_float_failed"] else "failed",
                     _ms(r["ort_int8_ms"]) if not r["ort_int8_failed"] else "failed",
                     _x(r["ratio_float"]),
                     f"{_x(r['ratio_int8'])} (vs ORT {r['ort_best']})" if r["ort_best"] else "-",
                     f"{_x(r['ratio_plain'])} (vs ORT {r['ort_best']})" if r["ort_best"] else "-"])
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def format_report(results, args):
    import onnxruntime

    present, absent = benchmark.cpu_flags()
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    notes = [f"- {r['name']}: onnxruntime {kind}: {r[key]}" for r in results
             for kind, key in (("float", "ort_float_failed"), ("int8", "ort_int8_failed"), ("int8", "ort_int8_note"))
             if r[key]]
    kernels = [f"- {r['name']} {label}: {', '.join(names)}" for r in results for label, names in r["kernels"].items()]
    return f"""# edgenet vs onnxruntime on real task models (issues 8 and 14)

Written by `python benchmarks/task_models.py --write` on {datetime.date.today().isoformat()}.

- CPU: {benchmark.cpu_model()}, {os.cpu_count()} logical cores, {platform.system()} {platform.machine()};
  load average at the end of the run {load}
- SIMD flags (/proc/cpuinfo): {" ".join(present) or "none listed"}; absent: {" ".join(absent) or "none"}
- edgenet {runtimes.Edgenet.version()}, onnxruntime {onnxruntime.__version__}, Python {platform.python_version()},
  numpy {np.__version__}; {args.threads} thread(s)
- Medians of {args.runs} rounds after {args.warmup} warm-up calls each, on the first held-out input; every round
  calls all five variants once ({args.pause_ms:g} ms pause before each call), so load hits them alike.
  Batch 1, float32 input and output.
- onnxruntime float: the original .onnx (dynamic input shapes, as shipped), all graph optimizations;
  onnxruntime int8: quantize_static, QDQ, per-channel int8 weights, int8 activations, MinMax, calibrated
  on edgenet's calibration feeds, reduce_range {runtimes.ort_reduce_range()} (7-bit weights only on x86
  without VNNI). edgenet converts with the fixed input shape.
- Ratios: edgenet median / onnxruntime median (below 1 = edgenet faster). Float vs float; edgenet's
  int8 rows vs the faster of onnxruntime float and int8 (issue 14).

## Latency (median ms) and ratios

{format_table(results)}

## Task agreement on the held-out inputs

The test's metric (tests/task_models.py: same decoded text; same top detection: class, IoU >= 0.5,
score within 0.1), each int8 model against its own runtime's float model.

{chr(10).join(f"- {r['name']}: {agreement_text(r)}" for r in results)}
{chr(10) + "## onnxruntime failures and notes" + chr(10) + chr(10) + chr(10).join(notes) + chr(10) if notes else ""}
## edgenet kernels that ran (profiler names, 1 thread)

{chr(10).join(kernels)}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls per variant before timing")
    parser.add_argument("--pause-ms", type=float, default=20, help="idle time before each timed call")
    parser.add_argument("--models", default=",".join(MODEL_KEYS), help=f"comma-separated subset of {MODEL_KEYS}")
    parser.add_argument("--write", action="store_true", help=f"also write {RESULTS}")
    args = parser.parse_args()
    keys = args.models.split(",")
    if set(keys) - set(MODEL_KEYS):
        parser.error(f"unknown models {sorted(set(keys) - set(MODEL_KEYS))}; choose from {MODEL_KEYS}")
    results = []
    with tempfile.TemporaryDirectory(prefix="edgenet-task-ort-") as workdir:
        for index, model in enumerate(models(keys)):
            model_dir = os.path.join(workdir, str(index))
            os.makedirs(model_dir)
            results.append(measure(*model, args, model_dir))
            print(summary_line(results[-1], args.threads), flush=True)
    report = format_report(results, args)
    if args.write:
        RESULTS.write_text(report)
        print(f"wrote {RESULTS}")
    else:
        print("\n" + report)


if __name__ == "__main__":
    main()
