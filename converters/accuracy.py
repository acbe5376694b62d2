"""Accuracy-aware int8: judge a quantized model by a metric on held-out inputs, and keep the
fewest layers in float until the metric is met.

    target = edgenet.AccuracyTarget(metric=same_text, samples=held_out, tolerance=0.0)
    qmodel = edgenet.convert(graph, quantize="int8", calibration=calib, accuracy=target)
    print(qmodel.accuracy_report)        # metric before/after, layers kept in float and their cost

    edgenet.compare(float_model, qmodel, held_out, metric="cosine")   # a Comparison

A metric compares a reference model's outputs with a candidate's, one sample at a time
(both as {output name: array}):

    "cosine"  cosine similarity of all outputs (flattened together); the sample passes when
              it is >= 1 - tolerance (default tolerance 0.001).
    "sqnr"    signal-to-quantization-noise ratio in dB; passes when >= tolerance (default 30 dB).
    "topk"    the candidate's top-1 index (last axis of the first output, every row) is among
              the reference's top k (AccuracyTarget(k=...), default 1); passes or not.
    callable  f(reference_outputs, candidate_outputs) -> bool: does this sample keep the task
              ("decoded text equal", "same top box")?

A target is met when at most a `tolerance` fraction of the samples fail for the pass/fail
metrics ("topk", callables; default 0: every sample must pass), and when every sample
passes for "cosine" and "sqnr".

The search (search()): quantize everything; if the target is missed, order the layers two ways:
nearest the input first (their error passes through every later layer), and by how much error
int8 adds inside each one alone (its output's SQNR when its inputs are the exact float values,
quantized). For each order, find the smallest k whose first k layers kept float meet the target
(doubling, then bisection; a third of the builds each); take the order that needs fewer, then drop
kept layers that are not needed after all (halves of the list, quarters, ..., single layers).
Candidates are judged by running the C core on the held-out samples; about
AccuracyTarget(max_builds=48) candidates are built, each logged with the running count.
"""
import dataclasses
import logging
import math
import time

import numpy as np

from edgenet import quant_math, reference

from . import quantize as quantize_lib
from .model import EnetModel
from .progress import Progress, track
from .serialize import to_bytes

log = logging.getLogger("edgenet.accuracy")

BUILTIN_METRICS = ("cosine", "sqnr", "topk")
DEFAULT_TOLERANCE = {"cosine": 1e-3, "sqnr": 30.0, "topk": 0.0, "callable": 0.0}
SENSITIVITY_SAMPLES = 4  # held-out samples the per-layer sensitivity is measured on
# Candidate models the search builds and judges at most (AccuracyTarget(max_builds=...)): enough
# for the doubling + bisection over a few hundred layers (~16) and a good part of the pruning.
DEFAULT_MAX_BUILDS = 48


class AccuracyTarget:
    """What "int8 keeps the task" means for a model: a metric, held-out samples (feed dicts not
    used for calibration) and a tolerance (see the module docstring for each metric's meaning)."""

    def __init__(self, metric="cosine", samples=None, tolerance=None, k=1, max_builds=DEFAULT_MAX_BUILDS):
        if not callable(metric) and metric not in BUILTIN_METRICS:
            raise ValueError(f"metric must be one of {BUILTIN_METRICS} or a callable(reference_outputs, "
                             f"candidate_outputs) -> bool, got {metric!r}")
        if samples is None or isinstance(samples, dict):
            raise ValueError("AccuracyTarget needs samples=: a list of held-out feed dicts ({input name: array}) "
                             "not used for calibration")
        self.samples = list(samples)
        if not self.samples:
            raise ValueError("AccuracyTarget samples are empty: give at least one held-out feed dict")
        self.metric = metric
        self.kind = "callable" if callable(metric) else metric
        self.tolerance = DEFAULT_TOLERANCE[self.kind] if tolerance is None else float(tolerance)
        if int(k) < 1:
            raise ValueError(f"k must be >= 1, got {k!r}")
        self.k = int(k)
        if int(max_builds) < 2:
            raise ValueError(f"max_builds must be >= 2 (plain int8 and one mixed candidate), got {max_builds!r}")
        self.max_builds = int(max_builds)

    @property
    def name(self):
        return getattr(self.metric, "__name__", "metric") if self.kind == "callable" else self.kind

    def describe(self):
        if self.kind == "cosine":
            return f"cosine >= {1 - self.tolerance:.6g} on every sample"
        if self.kind == "sqnr":
            return f"SQNR >= {self.tolerance:.3g} dB on every sample"
        what = f"top-1 in reference top-{self.k}" if self.kind == "topk" else self.name
        return f"{what} on all but {self.tolerance:.0%} of samples" if self.tolerance else f"{what} on every sample"

    def score(self, reference_outputs, candidate_outputs):
        """This sample's value: cosine / SQNR dB (float), or pass/fail (bool)."""
        if self.kind == "callable":
            return bool(self.metric(reference_outputs, candidate_outputs))
        if self.kind == "topk":
            return topk_agrees(_first(reference_outputs), _first(candidate_outputs), self.k)
        f, q = _flat(reference_outputs), _flat(candidate_outputs)
        return cosine(f, q) if self.kind == "cosine" else sqnr_db(f, q)

    def passes(self, value):
        if self.kind == "cosine":
            return value >= 1.0 - self.tolerance
        if self.kind == "sqnr":
            return value >= self.tolerance
        return bool(value)

    def met(self, values):
        failures = sum(not self.passes(v) for v in values)
        if self.kind in ("cosine", "sqnr"):
            return failures == 0
        return failures <= self.tolerance * len(values) + 1e-9


# ---- metric helpers ---------------------------------------------------------------------


def _flat(outputs):
    return np.concatenate([np.asarray(outputs[name], np.float64).reshape(-1) for name in sorted(outputs)])


def _first(outputs):
    return np.asarray(next(iter(outputs.values())), np.float64)


def cosine(f, q):
    norm = math.sqrt(float(np.sum(f * f)) * float(np.sum(q * q)))
    return 1.0 if norm == 0 and not np.any(f) and not np.any(q) else (float(np.sum(f * q)) / norm if norm else 0.0)


def sqnr_db(f, q):
    noise = float(np.sum((f - q) ** 2))
    return math.inf if noise == 0 else 10.0 * math.log10(max(float(np.sum(f * f)), 1e-300) / noise)


def topk_agrees(reference_scores, candidate_scores, k):
    """Every row's (last axis) candidate top-1 index is among the reference's top k."""
    ref = reference_scores.reshape(-1, reference_scores.shape[-1])
    cand = candidate_scores.reshape(-1, candidate_scores.shape[-1])
    top_k = np.argsort(-ref, axis=1, kind="stable")[:, :k]
    return bool(np.all(np.any(top_k == cand.argmax(axis=1)[:, None], axis=1)))


# ---- running models -------------------------------------------------------------------------


class _Runner:
    """Runs a model on feed dicts: an EnetModel / .enet path / bytes in the C core, a Graph in the
    numpy reference executor. Outputs come back as {name: float64 array} (int8 dequantized)."""

    def __init__(self, model):
        from edgenet.graph import Graph
        from edgenet.interpreter import Interpreter

        self.graph = model if isinstance(model, Graph) else None
        if self.graph is None:
            self.interpreter = Interpreter(model.to_bytes() if isinstance(model, EnetModel) else model)

    def run(self, feeds):
        if self.graph is not None:
            return {k: np.asarray(v, np.float64) for k, v in reference.run(self.graph, feeds).items()}
        outputs = self.interpreter.run(_as_input_dtypes(self.interpreter, feeds))
        return {info.name: _dequantized(info, outputs[info.name]) for info in self.interpreter.outputs}


def _as_input_dtypes(interpreter, feeds):
    """Float feeds for a model with int8 inputs (io_dtype="int8") are quantized with its parameters."""
    feeds = dict(feeds)
    for info in interpreter.inputs:
        if info.dtype == np.int8 and info.name in feeds and feeds[info.name].dtype != np.int8:
            scale, zero_point = float(info.quantization.scale[0]), int(info.quantization.zero_point[0])
            feeds[info.name] = quant_math.quantize_float(feeds[info.name], scale, zero_point).astype(np.int8)
    return feeds


def _dequantized(info, value):
    if value.dtype == np.int8 and info.quantization is not None:
        scale, zero_point = float(info.quantization.scale[0]), int(info.quantization.zero_point[0])
        return (value.astype(np.float64) - zero_point) * scale
    return np.asarray(value, np.float64)


@dataclasses.dataclass
class Comparison:
    """How model b agrees with model a (the reference) on some samples under a metric."""

    metric: str
    requirement: str
    values: list  # per sample: cosine / SQNR dB / pass-fail
    passed: list  # per sample: bool
    met: bool

    @property
    def worst(self):
        return min(self.values, key=float)

    def __str__(self):
        ok = sum(self.passed)
        if isinstance(self.values[0], bool):
            detail = f"{ok}/{len(self.values)} samples pass"
        else:
            detail = f"{ok}/{len(self.values)} samples pass, worst {float(self.worst):.4f}, " \
                     f"mean {float(np.mean(self.values)):.4f}"
        return f"{self.metric}: {detail} ({self.requirement}: {'met' if self.met else 'NOT met'})"

    __repr__ = __str__


def _evaluate(target, reference_outputs, candidate):
    runner = _Runner(candidate)
    values = [target.score(ref, runner.run(feeds)) for ref, feeds in zip(reference_outputs, target.samples)]
    return Comparison(target.name, target.describe(), values, [target.passes(v) for v in values], target.met(values))


def compare(model_a, model_b, samples, metric="cosine", tolerance=None, k=1):
    """Compare model_b against model_a (the reference) on `samples` (feed dicts) with a metric
    ("cosine", "sqnr", "topk" or a callable, as in AccuracyTarget). Models: EnetModel, .enet path,
    bytes, or a Graph (run in the numpy reference executor). Returns a Comparison."""
    target = AccuracyTarget(metric, samples, tolerance, k)
    runner = _Runner(model_a)
    return _evaluate(target, [runner.run(feeds) for feeds in target.samples], model_b)


# ---- sensitivity ----------------------------------------------------------------------------


def layer_sensitivity(float_graph, qgraph, samples, verbose=False, progress=None):
    """[(node name, SQNR dB)] for each int8 layer of `qgraph`, lowest (most sensitive) first: the
    error int8 adds inside that layer alone, with its inputs the float values quantized."""
    probe = float_graph.copy()
    probe.outputs = [t for t in probe.tensors if not t.is_constant]
    float_names = {t.name for t in probe.outputs}
    layers = [n for n in qgraph.nodes if n.outputs[0].dtype == "int8" and n.op not in ("quantize", "dequantize")
              and not n.opdef.quant_pass_through and _float_name(n.outputs[0]) in float_names]
    # Tensors whose grid the quantizer narrowed to where their saturating readers still change
    # (quantize.clip_to_consumers): only the error inside the grid counts.
    saturated = quantize_lib.saturated_tensors(float_graph)
    signal = {n.name: 0.0 for n in layers}
    noise = dict(signal)
    for feeds in track(samples, "accuracy search: layer sensitivity", None, verbose, progress):
        values = reference.run(probe, feeds)
        for node in layers:
            inputs, quants = [], []
            for t in node.inputs:
                quants.append(None if t is None else t.quant)
                if t is None:
                    inputs.append(None)
                elif t.is_constant:
                    inputs.append(t.data.astype(np.int64 if t.dtype != "float32" else np.float64))
                elif t.dtype == "int8":
                    real = values[_float_name(t)]
                    inputs.append(quant_math.quantize_float(real, *_scalars(t.quant)).astype(np.int64))
                else:
                    inputs.append(values[_float_name(t)])
            out = node.outputs[0]
            q = node.opdef.reference_int8(inputs, node.attrs, quants, [t.quant for t in node.outputs])[0]
            f = values[_float_name(out)]
            if _float_name(out) in saturated:  # values beyond the int8 grid change nothing downstream
                f = np.clip(f, *quantize_lib.grid_ends(out.quant))
            q = quant_math.dequantize_int8(q, *_scalars(out.quant)).astype(np.float64)
            signal[node.name] += float(np.sum(f * f))
            noise[node.name] += float(np.sum((f - q) ** 2))
    ranked = [(name, math.inf if noise[name] == 0 else 10 * math.log10(max(signal[name], 1e-300) / noise[name]))
              for name in signal]
    return sorted(ranked, key=lambda item: item[1])


def _float_name(t):
    """The float graph's name for a quantized graph's tensor: through an inserted quantize, and
    without the "/int8" suffix an int8 model output's own tensor gets (its dequantized twin takes
    the output's name)."""
    while t.producer is not None and t.producer.op == "quantize":
        t = t.producer.inputs[0]
    return t.name[:-len("/int8")] if t.name.endswith("/int8") else t.name


def _scalars(quant):
    return float(quant.scale[0]), int(quant.zero_point[0])


def _computing_node(t):
    """The node computing tensor t, through an inserted dequantize."""
    node = t.producer
    while node is not None and node.op == "dequantize" and node.inputs[0].producer is not None:
        node = node.inputs[0].producer
    return node


# ---- the search -----------------------------------------------------------------------------


@dataclasses.dataclass
class LayerCost:
    node: str
    op: str
    sensitivity_db: float  # the layer's own int8 SQNR (lower = more sensitive)
    size_bytes: int  # extra file bytes for keeping it float
    latency_ms: float  # extra latency for keeping it float (measured; noisy on a loaded machine)


@dataclasses.dataclass
class AccuracyReport:
    """What convert(..., accuracy=target) did."""

    requirement: str
    before: Comparison  # plain int8 vs float
    after: Comparison  # the returned model vs float
    kept_float: list  # LayerCost, most sensitive first
    sensitivity: list  # [(node, SQNR dB)] of every int8 layer, most sensitive first
    evaluations: int  # candidate models built and run
    latency_ms: dict  # {"float": .., "int8": .., "mixed": ..} median ms on the first sample

    @property
    def met(self):
        return self.after.met

    def __str__(self):
        lines = [f"accuracy target: {self.requirement}",
                 f"  plain int8: {self.before}",
                 f"  returned  : {self.after}",
                 f"  layers kept in float: {len(self.kept_float)} (searched {self.evaluations} candidate models)"]
        if self.kept_float:
            lines.append("    (own int8 SQNR: the error the layer adds by itself, its inputs exact; the quantization "
                         "report's SQNR is the error accumulated up to a tensor. Costs: extra file bytes and "
                         "measured latency of float over int8; latency is noisy, a negative one is no cost)")
        for c in self.kept_float:
            lines.append(f"    {c.node} ({c.op}): own int8 SQNR {c.sensitivity_db:.1f} dB, {c.size_bytes:+,} bytes, "
                         f"{c.latency_ms:+.3f} ms")
        if self.latency_ms:
            lines.append("  latency (median, ms): " + ", ".join(f"{k} {v:.3f}" for k, v in self.latency_ms.items()))
        return "\n".join(lines)

    __repr__ = __str__


def median_latency_ms(model, feeds, runs=20):
    runner = _Runner(model)
    runner.run(feeds)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        runner.run(feeds)
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def _float_bytes_saved_by_int8(node):
    """File bytes the node's float constants take beyond their int8 form (weights: 4 -> 1 byte)."""
    return sum(3 * int(t.data.size) for t in node.inputs
               if t is not None and t.is_constant and t.dtype == "float32" and node.inputs.index(t) != 2)



def _smallest_prefix(names, build, budget, label):
    """(kept, model, comparison, builds) for the smallest k whose first k `names` kept float meet the
    target: k = 1, 2, 4, ... until one passes (or all of them are float), then bisection while builds
    remain of `budget`. Without a passing prefix: all of `names`, and its comparison."""
    results = {}

    def passes(k):
        if k not in results:
            results[k] = build(names[:k], f"{k} layers float, {label}")
        return results[k][1].met

    low, high = 0, 1  # passes(low) is False (plain int8)
    while high < len(names) and not passes(high):  # out of builds: the whole list is the last try
        low, high = high, min(2 * high, len(names)) if len(results) < budget - 1 else len(names)
    if not passes(high):
        return list(names), *results[high], len(results)
    while high - low > 1 and len(results) < budget:
        middle = (low + high) // 2
        low, high = (low, middle) if passes(middle) else (middle, high)
    return list(names[:high]), *results[high], len(results)


def _prune(kept, model, comparison, build, budget_left):
    """Drop kept layers the others make unnecessary: chunks of half the kept list, then a quarter,
    ... then single layers, least sensitive (end of the list) first; each drop that still meets the
    target stays dropped. Stops when budget_left() is False."""
    size = max(1, len(kept) // 2)
    while True:
        end = len(kept)
        while end > 0 and budget_left():
            chunk = kept[max(0, end - size):end]
            trial = [n for n in kept if n not in chunk]
            candidate, result = build(trial, f"{len(trial)} layers float (dropping {len(chunk)})")
            if result.met:
                kept, model, comparison = trial, candidate, result
            end -= len(chunk)
        if size == 1 or not budget_left():
            return kept, model, comparison
        size = max(1, size // 2)


def _float_latency_costs(float_model, int8_model, feeds, runs=5):
    """{node name: ms} what running each node in float costs over its int8 form, from one profile of
    each model (the C core's per-op timer; noisy on a loaded machine)."""
    from edgenet.interpreter import Interpreter

    def times(model):
        interpreter = Interpreter(model.to_bytes())
        return {op.name: op.time_ms for op in interpreter.profile(_as_input_dtypes(interpreter, feeds), runs).ops}

    float_ms, int8_ms = times(float_model), times(int8_model)
    return {name: ms - int8_ms[name] for name, ms in float_ms.items() if name in int8_ms}

def search(float_graph, stats, options, target, metadata, verbose=True, *, build_int8, progress=None):
    """convert(..., accuracy=target): the int8 model with the fewest float layers meeting `target`.

    Builds (quantize + serialize + run the samples in the C core) are the cost, so their number is
    bounded: plain int8 (1), for each of the two orders (nearest the input first, most sensitive first)
    the smallest prefix that meets the target (doubling then bisection, a third of max_builds each),
    then pruning the smaller prefix in halving chunks from its end until target.max_builds builds are
    spent. Each build is logged
    ("edgenet.accuracy" logger, INFO) with the running count.

    build_int8: quantize_and_serialize(float_graph, stats, options, metadata) -> EnetModel, the int8 build
    (pipeline.quantize_and_serialize; passed in, since the pipeline sits above this module).
    verbose / progress: as convert()'s (converters/progress.py); one step per build, of at most max_builds."""

    for i, feeds in enumerate(target.samples):
        try:
            reference.check_feeds(float_graph, feeds)
        except ValueError as e:
            raise ValueError(f"AccuracyTarget sample #{i}: {e}") from None
    float_model = EnetModel(to_bytes(float_graph, metadata))
    float_runner = _Runner(float_model)
    reference_outputs = [float_runner.run(feeds) for feeds in target.samples]
    evaluations = 0
    user_float = tuple(options["float_nodes"])
    started = time.perf_counter()
    builds = Progress("accuracy search: builds", target.max_builds, verbose, progress)

    def build(float_nodes, what):
        nonlocal evaluations
        evaluations += 1
        options_k = dict(options, float_nodes=user_float + tuple(float_nodes))
        model = build_int8(float_graph, stats, options_k, metadata)
        comparison = _evaluate(target, reference_outputs, model)
        log.info("accuracy search: build %d (of at most %d, %.0f s): %s: %s", evaluations, target.max_builds,
                 time.perf_counter() - started, what, comparison)
        builds.step(f"{what}: {'met' if comparison.met else 'not met'}")
        return model, comparison

    base, before = build((), "plain int8")
    kept, model, after, sensitivity = [], base, before, []
    if not before.met:
        sensitivity = layer_sensitivity(float_graph, base.graph, target.samples[:SENSITIVITY_SAMPLES], verbose,
                                        progress)
        # Layers that compute a model output come first: post-processing reads them directly (an
        # argmax over int8 probabilities can flip on a tie that costs almost no SQNR).
        at_outputs = {_computing_node(t).name for t in base.graph.outputs}
        by_sensitivity = sorted((name for name, _ in sensitivity if name not in user_float),
                                key=lambda n: n not in at_outputs)
        candidates = set(by_sensitivity)
        # A second order to grow the float set by: the weighted layers nearest the input first (the ops
        # after each, up to the next weighted layer, follow it into float as its float island). Their int8
        # error passes through every later layer; on YOLOv8n and PP-OCRv4 a prefix of the first layers
        # meets targets that need several times more layers from the sensitivity ranking. Each order gets
        # a third of the builds; the one meeting the target with fewer float layers is pruned with the rest.
        from_input = [n.name for n in float_graph.nodes if n.name in candidates and n.opdef.weight_axis is not None]
        share = max(2, target.max_builds // 3)
        best = None
        for order, label in ((from_input, "nearest the input first"), (by_sensitivity, "most sensitive first")):
            kept_k, model_k, after_k, _ = _smallest_prefix(order, build, share, label)
            if best is None or (after_k.met, -len(kept_k)) > (best[2].met, -len(best[0])):
                best = kept_k, model_k, after_k
        kept, model, after = best
        if after.met:
            kept, model, after = _prune(kept, model, after, build, lambda: evaluations < target.max_builds)
        else:
            log.warning("accuracy target not met (%d builds): %s", evaluations, after)
    builds.close()
    first = target.samples[0]
    latency = {"float": median_latency_ms(float_model, first), "int8": median_latency_ms(base, first)}
    costs = []
    if kept:
        latency["mixed"] = median_latency_ms(model, first)
        own = dict(sensitivity)
        nodes = {n.name: n for n in float_graph.nodes}
        extra_ms = _float_latency_costs(float_model, base, first)
        costs = [LayerCost(name, nodes[name].op, own.get(name, math.nan), _float_bytes_saved_by_int8(nodes[name]),
                           extra_ms.get(name, math.nan)) for name in kept]
    model.accuracy_report = AccuracyReport(target.describe(), before, after, costs, sensitivity, evaluations, latency)
    if verbose:
        log.info("%s", model.accuracy_report)
    return model
