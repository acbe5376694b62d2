"""int8 vs float latency on real task models (issue 8): pip install -e .[tasks]

    python benchmarks/task_models.py [--runs 30] [--threads 1] [--write]

Converts each model to float and to accuracy-aware int8 (the same calibration, validation
samples and task metric as the test), checks the task on the held-out inputs, then times
both in the C core, interleaved (float, int8, float, ...) so machine load hits both alike.
Prints one line per model: median latency float / int8 (searched) / plain int8, speedups, layers
kept float, task kept on the held-out inputs; --write also saves them to benchmarks/TASK_RESULTS.md.
"""
import argparse
import os
import pathlib
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))

import edgenet  # noqa: E402
import task_models  # noqa: E402  (tests/task_models.py)

RESULTS = pathlib.Path(__file__).with_name("TASK_RESULTS.md")


def _first(outputs):
    return next(iter(outputs.values()))


def models():
    path = task_models.ocr_model_path()
    characters = task_models.ocr_characters(path)
    yield ("PP-OCRv4 recognizer", path, {"x": task_models.OCR_INPUT_SHAPE},
           task_models.ocr_feeds(task_models.OCR_LINES_CALIBRATION, 0),
           task_models.ocr_feeds(task_models.OCR_LINES_VALIDATION, 5),
           task_models.ocr_feeds(task_models.OCR_LINES_HELD_OUT, 3),
           lambda a, b: task_models.ctc_decode(a, characters) == task_models.ctc_decode(b, characters))
    yield ("YOLOv8n detector (nudenet 320n)", task_models.detector_model_path(),
           {"images": task_models.DETECTOR_INPUT_SHAPE}, task_models.detector_feeds("calibration"),
           task_models.detector_feeds("validation"), task_models.detector_feeds("held_out"),
           task_models.same_top_detection)


def interleaved_medians(interpreters, feeds, runs):
    times = [[] for _ in interpreters]
    for interpreter in interpreters:  # warm up
        interpreter.run(feeds)
    for _ in range(runs):
        for i, interpreter in enumerate(interpreters):
            start = time.perf_counter()
            interpreter.run(feeds)
            times[i].append(time.perf_counter() - start)
    return [1e3 * float(np.median(t)) for t in times]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--write", action="store_true", help=f"also write {RESULTS}")
    args = parser.parse_args()
    lines = []
    for name, path, shapes, calibration, validation, held_out, same_task in models():
        float_model = edgenet.convert(path, input_shapes=shapes)
        target = edgenet.AccuracyTarget(metric=lambda r, c: same_task(_first(r), _first(c)), samples=validation)
        int8_model = edgenet.convert(path, input_shapes=shapes, quantize="int8", calibration=calibration,
                                     accuracy=target, verbose=False)
        plain_model = edgenet.convert(path, input_shapes=shapes, quantize="int8", calibration=calibration,
                                      verbose=False)
        f, q, plain = (edgenet.Interpreter(m.to_bytes(), num_threads=args.threads)
                       for m in (float_model, int8_model, plain_model))
        kept = sum(same_task(_first(f.run(x)), _first(q.run(x))) for x in held_out)
        kept_plain = sum(same_task(_first(f.run(x)), _first(plain.run(x))) for x in held_out)
        float_ms, int8_ms, plain_ms = interleaved_medians([f, q, plain], held_out[0], args.runs)
        weighted = [n for n in int8_model.graph.nodes if n.op in ("conv2d", "depthwise_conv2d", "fully_connected")]
        float_weighted = sum(n.outputs[0].dtype != "int8" for n in weighted)
        line = (f"{name}: float {float_ms:.2f} ms, int8 (accuracy search) {int8_ms:.2f} ms = "
                f"{float_ms / int8_ms:.2f}x faster, task kept on {kept}/{len(held_out)} held-out inputs, "
                f"{float_weighted} of {len(weighted)} weighted layers kept float; plain int8 {plain_ms:.2f} ms = "
                f"{float_ms / plain_ms:.2f}x, task kept on {kept_plain}/{len(held_out)}; file "
                f"{float_model.size / 1e6:.1f} MB -> {int8_model.size / 1e6:.1f} MB; threads {args.threads}")
        print(line, flush=True)
        lines.append(line)
    if args.write:
        load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
        RESULTS.write_text(f"# int8 that keeps the task: real models (issue 8)\n\nWritten by "
                           f"`python benchmarks/task_models.py --write` on {time.strftime('%Y-%m-%d')} "
                           f"({platform.machine()}, {os.cpu_count()} logical cores, load average {load}); "
                           f"medians of {args.runs} interleaved runs on the first held-out input.\n\n"
                           + "".join(f"- {line}\n" for line in lines))


if __name__ == "__main__":
    main()
