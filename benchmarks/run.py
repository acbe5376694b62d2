"""edgenet vs peer runtimes: latency, peak memory, file size and int8 agreement, in one run.

    python benchmarks/run.py                      # everything (a few minutes per model)
    python benchmarks/run.py --quick              # small CNN + MobileNetV2, 10 runs
    python benchmarks/run.py --models mobilenet_v2,resnet18 --runs 50 --runtimes edgenet,litert

For every model (benchmarks/models.py) it exports one ONNX file, builds each runtime's float32
and int8 model with that runtime's own tools (benchmarks/runtimes.py), then
  1. checks accuracy on held-out images: each float model against PyTorch, and each int8 model's
     top-1 against its own float model (a fast int8 model that is wrong would be no win);
  2. measures peak memory and file size (benchmarks/memory_probe.py, a fresh process each);
  3. times all of them interleaved in this one process (warm-up, then `--runs` rounds, each
     round runs every model once, so machine noise hits every runtime alike), at 1 and 2 threads.
It prints a table per model and writes benchmarks/RESULTS.md (CPU, package versions, date).
A runtime that is not installed, or cannot build a model, is listed with the reason.
"""
import argparse
import dataclasses
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import runtimes  # noqa: E402

CALIBRATION_IMAGES = 32
EVAL_IMAGES = 64
QUICK_MODELS = ["small_cnn", "mobilenet_v2"]


@dataclasses.dataclass
class Variant:
    """One runtime's model at one precision, and everything measured about it."""

    runtime: str
    precision: str
    files: list = None
    skipped: str = None        # why there is no measurement
    file_size: int = None
    peak_memory: int = None
    startup: dict = None       # memory_probe.py's create_ms_first / create_ms_median / create_rss_delta (+ edgenet split)
    kernels: list = None       # edgenet: the kernel variants its ops ran (profiler), 1 thread
    agreement: str = None      # int8: top-1 vs own float; float32: top-1 vs PyTorch
    cosine: float = None       # same pairs, cosine of the centered logits
    times: dict = dataclasses.field(default_factory=dict)  # threads -> list of seconds

    @property
    def label(self):
        return f"{self.runtime} {self.precision}"

    def median(self, threads):
        samples = self.times.get(threads)
        return statistics.median(samples) if samples else None


def main():
    args = parse_args()
    from models import MODELS
    models = QUICK_MODELS if args.quick and not args.models else (args.models.split(",") if args.models else list(MODELS))
    runs = args.runs or (10 if args.quick else 30)
    threads_list = [int(t) for t in args.threads.split(",")]
    unknown = [m for m in models if m not in MODELS] + [r for r in args.runtimes.split(",") if r not in runtimes.RUNTIMES]
    if unknown:
        sys.exit(f"unknown model or runtime {unknown}; models: {list(MODELS)}, runtimes: {list(runtimes.RUNTIMES)}")

    versions, available = {}, []
    for name in args.runtimes.split(","):
        try:
            versions[name] = runtimes.RUNTIMES[name].version()
            available.append(name)
        except Exception as error:  # not installed, or the native extension does not load
            versions[name] = f"not available ({type(error).__name__}: {runtimes._first_line(error)})"
    print("runtimes:", json.dumps(versions, indent=1), flush=True)

    results = {}
    for model in models:
        print(f"\n=== {model}", flush=True)
        job = prepare_job(model, args.workdir)
        variants = build_variants(job, available, versions, args.workdir)
        check_accuracy(job, variants)
        if not args.no_memory:
            measure_memory(job, variants)
        record_edgenet_kernels(job, variants)
        time_interleaved(job, variants, threads_list, runs, args.warmup, args.pause_ms / 1000)
        results[model] = variants
        print(format_model_table(model, variants, threads_list), flush=True)

    report = format_report(results, threads_list, runs, versions, models, args.note)
    print("\n" + report)
    if not args.no_write:
        with open(os.path.join(HERE, "RESULTS.md"), "w") as f:
            f.write(report)
        print(f"wrote {os.path.join(HERE, 'RESULTS.md')}")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"models {QUICK_MODELS}, 10 runs")
    parser.add_argument("--models", help="comma-separated subset of benchmarks/models.py MODELS")
    parser.add_argument("--runtimes", default=",".join(runtimes.RUNTIMES), help="comma-separated subset")
    parser.add_argument("--runs", type=int, help="timed rounds per thread count (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs per model before timing")
    parser.add_argument("--pause-ms", type=float, default=20, help="idle time before each timed call")
    parser.add_argument("--threads", default="1,2", help="thread counts to time")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory probes")
    parser.add_argument("--no-write", action="store_true", help="do not write benchmarks/RESULTS.md")
    parser.add_argument("--note", help="a line for RESULTS.md about the conditions (e.g. a shared machine)")
    parser.add_argument("--workdir", default=os.path.join(HERE, "build"), help="where model files go (wiped)")
    return parser.parse_args()


# ----------------------------------------------------------------------------- building

def prepare_job(model, workdir):
    import models

    out = os.path.join(workdir, model)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    size = models.MODELS[model][1]
    module = models.build_model(model)
    onnx_path = os.path.join(out, f"{model}.onnx")
    models.export_onnx(module, size, onnx_path)
    # Each use has its own crops (models.image_seeds): nothing is evaluated on what set the model up.
    seeds = models.image_seeds()
    job = runtimes.BuildJob(model, onnx_path, module, models.sample_images(CALIBRATION_IMAGES, size, seeds["calibration"]))
    job.eval_images = models.sample_images(EVAL_IMAGES, size, seeds["evaluation"])
    import torch
    with torch.no_grad():
        job.torch_logits = module(torch.from_numpy(job.eval_images)).numpy()
    job.out = out
    return job


def build_variants(job, available, versions, workdir):
    variants = []
    for name in versions:  # the runtimes asked for (--runtimes), installed or not
        for precision in runtimes.PRECISIONS:
            variant = Variant(name, precision)
            variants.append(variant)
            if name not in available:
                variant.skipped = f"not installed: {versions[name]}"
                continue
            started = time.perf_counter()
            try:
                variant.files = runtimes.RUNTIMES[name].build(job, precision, job.out)
                variant.file_size = sum(os.path.getsize(f) for f in variant.files)
                print(f"built {variant.label}: {variant.file_size / 1024:.0f} KiB "
                      f"in {time.perf_counter() - started:.1f} s", flush=True)
            except runtimes.Unsupported as reason:
                variant.skipped = str(reason)
            except Exception as error:  # a peer's converter failing is a result, not a crash
                variant.skipped = f"build failed: {type(error).__name__}: {runtimes._first_line(error)}"
            if variant.skipped:
                print(f"skip {variant.label}: {variant.skipped}", flush=True)
    return variants


# ----------------------------------------------------------------------------- measuring

def check_accuracy(job, variants):
    """float32 vs PyTorch and int8 vs the same runtime's float32, top-1 on the eval images.
    A variant whose float output is far from PyTorch is marked and not timed."""
    logits = {}
    for variant in live(variants):
        try:
            run = runtimes.RUNTIMES[variant.runtime].load(variant.files, 1)
            logits[variant.label] = np.concatenate([run(image[None]).reshape(1, -1) for image in job.eval_images])
        except Exception as error:
            variant.skipped = f"run failed: {type(error).__name__}: {runtimes._first_line(error)}"
            print(f"skip {variant.label}: {variant.skipped}", flush=True)
    for variant in live(variants):
        ours = logits[variant.label]
        reference = job.torch_logits if variant.precision == "float32" else logits.get(f"{variant.runtime} float32")
        if reference is None:
            continue
        same = int((ours.argmax(1) == reference.argmax(1)).sum())
        variant.agreement = f"{same}/{len(ours)}"
        variant.cosine = centered_cosine(ours, reference)
        if variant.precision == "float32" and variant.cosine < 0.99:
            variant.skipped = f"float32 output differs from PyTorch (cosine {variant.cosine:.4f})"
            print(f"skip {variant.label}: {variant.skipped}", flush=True)


def centered_cosine(a, b):
    """Cosine between two sets of logits after removing each class's mean over the images: the
    part of the logits that depends on the input (a constant offset would make any pair agree)."""
    a = a - a.mean(0)
    b = b - b.mean(0)
    return float((a * b).sum() / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-30))


def measure_memory(job, variants):
    """Peak memory and start-up (session creation time and memory) per variant, each in a fresh
    process (memory_probe.py); for edgenet also what packing the weights adds over the loaded file."""
    shape = ",".join(str(d) for d in job.eval_images[:1].shape)
    probe_path = os.path.join(HERE, "memory_probe.py")
    for variant in live(variants):
        try:
            variant.startup = _probe([sys.executable, probe_path, variant.runtime, "1", shape, *variant.files])
            variant.peak_memory = variant.startup.pop("peak_rss_delta")
            if variant.runtime == "edgenet":
                variant.startup.update(_probe([sys.executable, probe_path, "--edgenet-split", "1", variant.files[0]]))
        except RuntimeError as error:
            print(f"memory probe failed for {variant.label}: {error}", flush=True)


def _probe(command):
    probe = subprocess.run(command, capture_output=True, text=True)
    try:
        return json.loads(probe.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError) as error:
        raise RuntimeError(probe.stderr.strip()[-300:]) from error


def record_edgenet_kernels(job, variants):
    """The kernel variants edgenet's ops ran (its profiler's names), so RESULTS.md says which ISA
    family was measured."""
    for variant in live(variants):
        if variant.runtime != "edgenet":
            continue
        variant.kernels = edgenet_kernels(variant.files[0], job.eval_images[:1])


def edgenet_kernels(model, x):
    """The sorted kernel variant names (profiler) edgenet's ops ran for `model` (a path or bytes)
    at 1 thread; `x` is the array for the first input or a {name: array} feeds dict."""
    import edgenet

    interpreter = edgenet.Interpreter(model, num_threads=1)
    feeds = x if isinstance(x, dict) else {interpreter.inputs[0].name: x}
    return sorted({op.kernel for op in interpreter.profile(feeds, runs=1).ops})


def time_interleaved(job, variants, threads_list, runs, warmup, pause):
    x = job.eval_images[:1]
    for threads in threads_list:
        runners = {}
        for variant in live(variants):
            runners[variant.label] = (variant, runtimes.RUNTIMES[variant.runtime].load(variant.files, threads))
        for variant, run in runners.values():
            for _ in range(warmup):
                run(x)
            variant.times[threads] = []
        for _ in range(runs):
            for variant, run in runners.values():
                # Let the previous runtime's worker threads (OpenMP, onnxruntime) stop spinning
                # before the next call, or with 2 threads they steal its cores.
                time.sleep(pause)
                started = time.perf_counter()
                run(x)
                variant.times[threads].append(time.perf_counter() - started)
        del runners  # free this thread count's interpreters before the next


def live(variants):
    return [v for v in variants if not v.skipped]


# ----------------------------------------------------------------------------- reporting

POOR_INT8_TOP1 = 0.75  # int8 top-1 agreement with its own float model below this: the row is flagged


def poor_agreement(variant):
    """An int8 variant whose top-1 agreement with its own float32 model is below POOR_INT8_TOP1."""
    if variant.precision != "int8" or not variant.agreement:
        return False
    same, total = (int(n) for n in variant.agreement.split("/"))
    return same < POOR_INT8_TOP1 * total


def ms(seconds):
    return "-" if seconds is None else f"{seconds * 1000:.2f}"


def fastest_peer(variants, precision, threads, peers=None):
    """(median seconds, runtime, precision) of the fastest peer at this thread count, or None.
    `precision`: one precision, or a tuple of them (the fastest of any)."""
    precisions = (precision,) if isinstance(precision, str) else precision
    candidates = [(v.median(threads), v.runtime, v.precision) for v in live(variants)
                  if v.runtime != "edgenet" and v.precision in precisions and v.median(threads)
                  and (peers is None or v.runtime in peers)]
    return min(candidates) if candidates else None


def format_model_table(model, variants, threads_list):
    """Markdown table: one row per runtime/precision; ratio = edgenet median / this row's
    median at the same precision and thread count (< 1 means edgenet is faster)."""
    edgenet = {v.precision: v for v in live(variants) if v.runtime == "edgenet"}
    header = ["runtime", "precision"]
    for t in threads_list:
        header += [f"{t}T median ms", f"{t}T min ms", f"edgenet/this {t}T"]
    header += ["peak MB", "file KB", "top-1 agree", "cosine"]
    rows = [header, ["---"] * len(header)]
    for v in variants:
        if v.skipped:
            rows.append([v.runtime, v.precision, f"skipped: {v.skipped}"] + [""] * (len(header) - 3))
            continue
        row = [v.runtime, v.precision]
        for t in threads_list:
            ours = edgenet.get(v.precision)
            ratio = ours.median(t) / v.median(t) if ours and ours.median(t) and v.median(t) else None
            row += [ms(v.median(t)), ms(min(v.times[t]) if v.times.get(t) else None),
                    "-" if ratio is None or v.runtime == "edgenet" else f"{ratio:.2f}"]
        row += ["-" if v.peak_memory is None else f"{v.peak_memory / 2**20:.1f}",
                f"{v.file_size / 1024:.0f}", (v.agreement or "-") + (" POOR" if poor_agreement(v) else ""),
                "-" if v.cosine is None else f"{v.cosine:.4f}"]
        rows.append(row)
    return f"\n### {model}\n\n" + "\n".join("| " + " | ".join(r) + " |" for r in rows) + "\n"


def format_targets(results):
    """The issue's targets, each with its measured value and met / not met / not measured."""
    lines = []
    versus = ("litert", "onnxruntime")  # the issue names these two for the latency targets

    def verdict(ok):
        return "not measured" if ok is None else ("met" if ok else "NOT met")

    for model in ("mobilenet_v2", "resnet18"):
        variants = results.get(model)
        for precision in ("int8", "float32"):
            for threads in (1,):
                ours = next((v for v in live(variants or []) if v.runtime == "edgenet" and v.precision == precision), None)
                best = fastest_peer(variants or [], precision, threads, versus)
                if ours and ours.median(threads) and best:
                    ratio = ours.median(threads) / best[0]
                    claim = verdict(ratio <= 1.0)
                    if poor_agreement(ours):  # a fast int8 model that disagrees with its float model proves nothing
                        claim = f"not claimed (edgenet int8 top-1 agreement {ours.agreement} is poor)"
                    lines.append(f"- {model} {precision}, {threads} thread: edgenet {ms(ours.median(threads))} ms vs "
                                 f"{best[1]} {ms(best[0])} ms = {ratio:.2f}x (target <= 1.0): {claim}")
                else:
                    lines.append(f"- {model} {precision}, {threads} thread: {verdict(None)}")
    variants = live(results.get("mobilenet_v2") or [])
    edgenet = {v.precision: v for v in variants if v.runtime == "edgenet"}
    for precision, v in edgenet.items():
        if v.median(1) and v.median(2):
            speedup = v.median(1) / v.median(2)
            lines.append(f"- mobilenet_v2 {precision}, 2 threads vs 1: {speedup:.2f}x (target >= 1.7): {verdict(speedup >= 1.7)}")
    if "int8" in edgenet and "float32" in edgenet and edgenet["int8"].median(1):
        gain = edgenet["float32"].median(1) / edgenet["int8"].median(1)
        lines.append(f"- mobilenet_v2 int8 vs float32 in edgenet, 1 thread: {gain:.2f}x (target >= 1.5): {verdict(gain >= 1.5)}")
    else:
        lines.append("- mobilenet_v2 int8 vs float32 in edgenet: not measured")
    peers_memory = [v.peak_memory for v in variants if v.runtime != "edgenet" and v.precision == "int8" and v.peak_memory]
    if "int8" in edgenet and edgenet["int8"].peak_memory and peers_memory:
        ours = edgenet["int8"].peak_memory
        lines.append(f"- mobilenet_v2 int8 peak memory: edgenet {ours / 2**20:.1f} MB vs lowest peer "
                     f"{min(peers_memory) / 2**20:.1f} MB: {verdict(ours <= min(peers_memory))}")
    else:
        lines.append("- mobilenet_v2 int8 peak memory: not measured")
    size = core_library_size()
    lines.append(f"- stripped core library (x86-64): "
                 + (f"{size / 1024:.0f} KB (target <= 600 KB): {verdict(size <= 600 * 1024)}" if size else "not measured"))
    return "\n".join(lines)


def format_issue14_targets(results):
    """Issue 14's bar at 1 thread: edgenet float32 at or below every peer's float32, and edgenet
    int8 at or below the faster of each peer's float32 and int8 (a user picks whichever is faster)."""
    lines = []
    for model in ("mobilenet_v2", "resnet18", "mobilenet_v3_small"):
        variants = live(results.get(model) or [])
        ours = {v.precision: v for v in variants if v.runtime == "edgenet"}
        for precision in ("float32", "int8"):
            mine = ours.get(precision)
            best = fastest_peer(variants, ("float32",) if precision == "float32" else ("float32", "int8"), 1)
            if not (mine and mine.median(1) and best):
                lines.append(f"- {model} {precision}: not measured")
                continue
            peer_time, peer, peer_precision = best
            ratio = mine.median(1) / peer_time
            claim = "met" if ratio <= 1.0 else "NOT met"
            if poor_agreement(mine):
                claim = f"not claimed (edgenet int8 top-1 agreement {mine.agreement} is poor)"
            lines.append(f"- {model} {precision}: edgenet {ms(mine.median(1))} ms vs fastest peer {peer} "
                         f"{peer_precision} {ms(peer_time)} ms = {ratio:.2f}x (target <= 1.0): {claim}")
        # The issue's other bar: edgenet's int8 at least 1.5x faster than its own float, on every model.
        if all(ours.get(p) and ours[p].median(1) for p in ("float32", "int8")):
            gain = ours["float32"].median(1) / ours["int8"].median(1)
            claim = "met" if gain >= 1.5 else "NOT met"
            if poor_agreement(ours["int8"]):
                claim = f"not claimed (edgenet int8 top-1 agreement {ours['int8'].agreement} is poor)"
            lines.append(f"- {model} int8 vs float32 in edgenet: {gain:.2f}x (target >= 1.5): {claim}")
        else:
            lines.append(f"- {model} int8 vs float32 in edgenet: not measured")
    return "\n".join(lines)


def core_library_size():
    """Bytes of the stripped C core as the Python extension links it (edgenet's _native module)."""
    try:
        import edgenet._native as native
    except Exception:
        return None
    stripped = os.path.join(os.path.dirname(os.path.abspath(__file__)), "build", "core_stripped.so")
    os.makedirs(os.path.dirname(stripped), exist_ok=True)
    if subprocess.run(["strip", "-o", stripped, native.__file__], capture_output=True).returncode != 0:
        return None
    return os.path.getsize(stripped)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


SIMD_FLAGS = ["sse4_1", "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
              "avx_vnni", "avx512_bf16", "amx_int8", "asimd", "asimddp", "i8mm", "sve"]


def cpu_flags():
    """The SIMD flags /proc/cpuinfo lists that edgenet or its peers use: (present, absent)."""
    flags = runtimes.cpu_flags()
    return [f for f in SIMD_FLAGS if f in flags], [f for f in SIMD_FLAGS if f not in flags]


def format_startup(results, models):
    """Session creation per runtime (1 thread, fresh process): median ms of 5 (first in the process),
    resident MB it adds; for edgenet, what loading the file and what packing add."""
    rows = ["| model | runtime | precision | create ms (median of 5) | first create ms | create adds MB |",
            "|---|---|---|---|---|---|"]
    packing = []
    for model in models:
        for v in live(results[model]):
            if not v.startup:
                continue
            st = v.startup
            rows.append(f"| {model} | {v.runtime} | {v.precision} | {st['create_ms_median']:.2f} | "
                        f"{st['create_ms_first']:.2f} | {st['create_rss_delta'] / 2**20:.1f} |")
            if "pack_rss_delta" in st:
                packing.append(f"- {model} {v.precision}: file {v.file_size / 2**20:.1f} MB; loading + verifying it adds "
                               f"{st['model_rss_delta'] / 2**20:.1f} MB, creating the interpreter (packing the "
                               f"weights, planning the arena) {st['pack_rss_delta'] / 2**20:.1f} MB more")
    packing_header = ("edgenet packing memory (resident, fresh process; the file is memory-mapped, so loading "
                      "touches little, and packing reads every weight: the file's pages become resident too, "
                      "besides the packed copy and the arena):")
    return "\n".join(rows) + "\n\n" + packing_header + "\n\n" + "\n".join(packing)


def format_kernels(results, models):
    lines = []
    for model in models:
        for v in live(results[model]):
            if v.kernels:
                lines.append(f"- {model} {v.precision}: {', '.join(v.kernels)}")
    return "\n".join(lines) or "- (edgenet did not run)"


def format_report(results, threads_list, runs, versions, models, note=None):
    import models as models_module

    tables = "".join(format_model_table(m, results[m], threads_list) for m in models)
    present, absent = cpu_flags()
    version_lines = "\n".join(f"- {name}: {version}" for name, version in versions.items())
    return f"""# edgenet benchmark results

Written by `python benchmarks/run.py` on {datetime.date.today().isoformat()}.

- CPU: {cpu_model()}, {os.cpu_count()} logical cores, {platform.system()} {platform.machine()};
  load average at the end of the run {", ".join(f"{x:.1f}" for x in os.getloadavg())} (other work on the
  machine inflates medians, 2-thread ones most){chr(10) + "- " + note if note else ""}
- SIMD flags (/proc/cpuinfo): {" ".join(present) or "none listed"}; absent: {" ".join(absent)}
- Timed at {" and ".join(str(t) for t in threads_list)} thread(s); start-up and memory at 1 thread
- Python {platform.python_version()}, numpy {np.__version__}
{version_lines}
- {runs} timed rounds per thread count after warm-up; all models of a table run interleaved in
  one process, so noise hits every runtime alike. Times are per inference, batch 1, float32
  input and output (int8 models quantize/dequantize at the edges inside the timed call).
- "edgenet/this": edgenet's median / this row's median at the same precision and thread count
  (below 1 means edgenet is faster). "peak MB": resident memory added by loading the model and
  running it 3 times, 1 thread, in a fresh process. "top-1 agree"/"cosine": on {EVAL_IMAGES}
  held-out images, float32 rows vs PyTorch, int8 rows vs the same runtime's float32 model
  (cosine of the logits with each class's mean over the images removed); an int8 row agreeing
  on fewer than {POOR_INT8_TOP1:.0%} of the images is marked POOR and no target is claimed on it.
- Models (benchmarks/models.py): random convolutions with BatchNorm statistics from real image
  crops and scaled-down residual branches; the classifier is a prototype head (logit = similarity
  to one of {models_module.PROTOTYPE_CLASSES} k-means clusters of training crops' features; the 1000 outputs keep
  the real layer's size, rows past the clusters never rank first), so top-1 margins are real and
  int8 agreement is meaningful. Calibration ({CALIBRATION_IMAGES}), evaluation and set-up crops
  are disjoint. onnxruntime int8 uses reduce_range (7-bit weights) on x86 without VNNI, as its
  documentation advises.

## Targets (issue 5)

{format_targets(results)}

## Targets (issue 14: every peer at 1 thread; int8 against each peer's faster precision)

{format_issue14_targets(results)}

## edgenet kernels that ran (profiler names, 1 thread)

{format_kernels(results, models)}

## Start-up: session creation (load + verify + pack for edgenet)

{format_startup(results, models)}

## Tables
{tables}"""


if __name__ == "__main__":
    main()
