"""Where does int8 lose accuracy? Per-layer error of a quantized model against its float graph.

    qmodel = edgenet.convert(graph, quantize="int8", calibration=samples)
    report = edgenet.quantization_report(graph, qmodel, test_samples)
    print(report)              # the outputs' error, then a table, worst layers first
    report.rows                # LayerError per tensor, in graph order
    report.outputs             # the rows of the model outputs (the end-to-end error)
    open("report.svg", "w").write(report.to_svg())   # bar chart of per-layer SQNR

Both graphs run in the numpy reference executor (the int8 one with the C core's exact
integer semantics). Every tensor of the quantized graph that also exists in the float
graph (same name: the quantizer keeps names) is compared after dequantizing it:

    SQNR   = 10 log10(sum f^2 / sum (f - q)^2)  in dB over all samples (higher is better;
             each bit of precision is worth ~6 dB, so int8 at its best gives ~40-48 dB)
    cosine = sum f q / sqrt(sum f^2 * sum q^2)   (1.0 = same direction)

This is the error accumulated at that tensor (every layer before it runs in int8 too), which is
what reaches the outputs. The accuracy report (convert(accuracy=...)) ranks layers by their *own*
int8 SQNR instead: the error one layer adds when its inputs are exact; the two differ by design.
A tensor whose readers all saturate (a relu6 input, a sigmoid's, a silu's below -8) is compared
inside the range where they still respond (quantize.saturation_bounds): the quantizer cuts its int8
grid there (quantize.clip_to_consumers), and values beyond change nothing downstream.

Verdicts judge a layer against the others, not against a fixed bar: a layer is "low" when its SQNR
is OUTLIER_DB below the median layer's (int8 loses clearly more there than elsewhere) and below
LOW_SQNR_DB. A model whose layers all sit at a similar SQNR has no culprit layer; the outputs'
line says whether their error is small.

The float side is `graph` rebuilt with the same optimization passes convert ran, so fused
activations and folded batch norms line up. Rows name a tensor, and the layer (node) computing
it when the names differ; both are the source model's names for an imported model, and
convert(float_layers=...) / `edgenet convert --float-layers` accept either.
"""
import dataclasses
import math

import numpy as np

from edgenet import quant_math, reference

from . import calibration
from . import quantize as quantize_lib
from .passes import prepare
from .progress import track

# A layer is flagged "low" when its SQNR is this far below the median layer's, and below LOW_SQNR_DB.
OUTLIER_DB = 10.0
LOW_SQNR_DB = 20.0
# The outputs' error is called small at or above this SQNR (cosine ~0.9995); below, only a task metric can tell.
SMALL_OUTPUT_ERROR_DB = 30.0
# The SVG chart's bars stop here (an exact layer has infinite SQNR).
SVG_MAX_DB = 80.0
# Monospace labels: a character is 0.6 em wide in common monospace fonts; 7 px at 11 px leaves slack.
SVG_FONT_PX = 11
SVG_CHAR_WIDTH = 7


@dataclasses.dataclass
class LayerError:
    tensor: str  # tensor name (shared by the float and the quantized graph)
    op: str  # op computing it in the quantized graph (through inserted quantize/dequantize)
    dtype: str  # what that op computes in: "int8", or "float32" for a float-fallback op
    sqnr_db: float
    cosine: float
    layer: str = ""  # name of the node computing it (float_layers accepts it, or the tensor name)
    is_output: bool = False  # a model output: its error is the end-to-end one

    @property
    def label(self):
        """The tensor's name, with its layer's when that differs: "tensor [layer]"."""
        return self.tensor if self.layer in ("", self.tensor) else f"{self.tensor} [{self.layer}]"


class QuantizationReport:
    """Per-layer float-vs-int8 error; `print(report)` shows the outputs' error, then a table, worst
    layers first."""

    def __init__(self, rows, samples):
        self.rows = rows  # in graph order
        self.samples = samples

    @property
    def outputs(self):
        """The rows of the model outputs: the error that reaches post-processing."""
        return [r for r in self.rows if r.is_output]

    def worst(self, n=1):
        """The n layers with the lowest SQNR."""
        return sorted(self.rows, key=lambda r: r.sqnr_db)[:n]

    def low(self):
        """The rows flagged "low": OUTLIER_DB below the median layer's SQNR and below LOW_SQNR_DB."""
        finite = [r.sqnr_db for r in self.rows if math.isfinite(r.sqnr_db)]
        if not finite:
            return []
        bar = min(float(np.median(finite)) - OUTLIER_DB, LOW_SQNR_DB)
        return [r for r in self.rows if r.sqnr_db < bar]

    def __getitem__(self, name):
        """The row of a tensor, or of the layer (node) computing it."""
        for row in self.rows:
            if row.tensor == name:
                return row
        for row in self.rows:
            if row.layer == name:
                return row
        raise KeyError(f"no layer {name!r} in the report; layers: {[r.tensor for r in self.rows]}")

    def summary(self):
        """One line on the outputs' error: what the per-layer numbers add up to."""
        outputs = self.outputs
        if not outputs:
            return "model outputs: not compared (they have no float twin)"
        worst = min(outputs, key=lambda r: r.sqnr_db)
        verdict = ("small: int8 keeps the outputs close to float" if worst.sqnr_db >= SMALL_OUTPUT_ERROR_DB else
                   "whether it keeps the task, a task metric says (convert(accuracy=...) / --accuracy)")
        low = self.low()
        culprits = (f"{len(low)} layer(s) lose clearly more than the rest (<-- low)" if low else
                    "no layer stands out from the rest (none is flagged low)")
        return (f"model outputs: SQNR {worst.sqnr_db:.1f} dB, cosine {worst.cosine:.5f}"
                f"{f' (worst: {worst.tensor})' if len(outputs) > 1 else ''}; {verdict}; {culprits}")

    def __str__(self):
        width = max([len(r.label) for r in self.rows] + [6])
        lines = [f"quantization report: float vs int8 over {self.samples} samples, worst layers first",
                 f"{'tensor [layer]':<{width}}  {'op':<18} {'dtype':<8} {'SQNR dB':>8} {'cosine':>9}"]
        worst = self.worst()[0] if self.rows else None
        low = {id(r) for r in self.low()}
        for r in self.worst(len(self.rows)):
            flag = "  (model output)" if r.is_output else ""
            flag += "  <-- " + ", ".join(mark for mark, on in (("worst", r is worst), ("low", id(r) in low)) if on) \
                if r is worst or id(r) in low else ""
            lines.append(f"{r.label:<{width}}  {r.op:<18} {r.dtype:<8} {r.sqnr_db:>8.2f} {r.cosine:>9.5f}{flag}")
        lines += [self.summary(),
                  "SQNR: the error accumulated at each tensor (all layers before it in int8); the accuracy "
                  "report's \"own int8 SQNR\" is the error one layer adds alone (its inputs exact), so the two "
                  f"differ. low: {OUTLIER_DB:g} dB below the median layer and below {LOW_SQNR_DB:g} dB."]
        return "\n".join(lines)

    __repr__ = __str__

    def to_svg(self, max_db=SVG_MAX_DB):
        """A horizontal bar chart of per-layer SQNR in graph order (bars capped at max_db; red for
        the layers flagged low) as an SVG document string: save it next to the model and open it
        in a browser to see where int8 loses accuracy. Labels are monospace and the label column
        is as wide as the longest one, so no name is cut off."""
        labels = [f"{row.label} ({row.op}, {row.dtype})" for row in self.rows]
        label_width = SVG_CHAR_WIDTH * max([len(text) for text in labels] + [10]) + 8
        bar_width, row_height = 400, 16
        values = [max(0.0, min(r.sqnr_db, max_db)) for r in self.rows]
        top = max(values + [1e-9])
        low = {id(r) for r in self.low()}
        title = (f"per-layer SQNR (dB), int8 vs float, {self.samples} samples; red: low "
                 f"({OUTLIER_DB:g} dB below the median layer)")
        total_width = max(label_width + bar_width + 80, SVG_CHAR_WIDTH * len(title) + 8)
        height = row_height * (len(self.rows) + 2)
        parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_width:.0f}" height="{height}" '
                 f'font-family="monospace" font-size="{SVG_FONT_PX}">',
                 f'<text x="4" y="12" font-weight="bold">{_xml_escape(title)}</text>']
        for i, (row, value, text) in enumerate(zip(self.rows, values, labels)):
            y = row_height * (i + 1)
            width = bar_width * value / top
            color = "#d62728" if id(row) in low else "#1f77b4"
            parts.append(f'<text x="{label_width - 4:.0f}" y="{y + 12}" text-anchor="end">{_xml_escape(text)}</text>')
            parts.append(f'<rect class="bar" x="{label_width:.0f}" y="{y + 2}" width="{width:.2f}" '
                         f'height="{row_height - 4}" fill="{color}"/>')
            parts.append(f'<text x="{label_width + width + 4:.2f}" y="{y + 12}">{row.sqnr_db:.1f}</text>')
        parts.append("</svg>")
        return "\n".join(parts) + "\n"


def _xml_escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


class _ErrorSums:
    def __init__(self):
        self.signal = self.noise = self.dot = self.quantized = 0.0

    def add(self, f, q):
        self.signal += float(np.sum(f * f))
        self.noise += float(np.sum((f - q) ** 2))
        self.dot += float(np.sum(f * q))
        self.quantized += float(np.sum(q * q))

    def sqnr_db(self):
        if self.noise == 0:
            return math.inf
        if self.signal == 0:
            return -math.inf
        return 10.0 * math.log10(self.signal / self.noise)

    def cosine(self):
        if self.signal == 0 and self.quantized == 0:
            return 1.0
        if self.signal == 0 or self.quantized == 0:
            return 0.0
        return self.dot / math.sqrt(self.signal * self.quantized)


def _all_tensors_as_outputs(graph):
    """A copy of `graph` whose outputs are all its computed tensors (so reference.run returns them)."""
    probe = graph.copy()
    probe.outputs = [t for n in probe.nodes for t in n.outputs]
    return probe


def _as_real(t, values):
    if t.dtype == "int8":
        return quant_math.dequantize_int8(values, float(t.quant.scale[0]), int(t.quant.zero_point[0])).astype(
            np.float64)
    return np.asarray(values, np.float64)


def quantization_report(graph, qmodel, samples, verbose=True, progress=None):
    """Per-layer SQNR and cosine similarity between `graph` (float) and `qmodel` (the model
    `edgenet.convert(graph, quantize="int8", ...)` returned) on `samples` (feed dicts).
    verbose / progress: as convert()'s (converters/progress.py), one step per sample."""
    qgraph, summary = getattr(qmodel, "graph", None), getattr(qmodel, "quantization", None)
    if qgraph is None or summary is None:
        raise ValueError("quantization_report needs the model returned by edgenet.convert(graph, quantize='int8', "
                         "...) (it carries the quantized graph); a model loaded from a file does not")
    if callable(samples):
        samples = samples()
    float_graph = getattr(qmodel, "float_graph", None) or prepare(graph, optimized=summary.optimized)
    float_probe, int8_probe = _all_tensors_as_outputs(float_graph), _all_tensors_as_outputs(qgraph)
    float_names = {t.name for t in float_probe.outputs}
    compared = [t for t in int8_probe.outputs if t.name in float_names]
    sums = {t.name: _ErrorSums() for t in compared}
    # Compared inside the range their readers still respond to (see the module docstring).
    bounds = quantize_lib.saturation_bounds(float_graph)

    total = len(samples) if hasattr(samples, "__len__") else None
    count = 0
    for count, sample in enumerate(track(samples, "report", total, verbose, progress), 1):
        feeds = calibration.check_sample(float_graph, sample, count - 1)
        float_values = reference.run(float_probe, feeds)
        int8_feeds = {t.name: _to_input_dtype(t, feeds[t.name]) for t in qgraph.inputs}
        int8_values = reference.run(int8_probe, int8_feeds)
        for t in compared:
            f, q = float_values[t.name], _as_real(t, int8_values[t.name])
            if t.name in bounds:
                f, q = np.clip(f, *bounds[t.name]), np.clip(q, *bounds[t.name])
            sums[t.name].add(f, q)
    if count == 0:
        raise calibration.CalibrationError("quantization_report needs at least one sample ({input name: array})")
    output_names = {t.name for t in float_graph.outputs}
    rows = []
    for t in compared:
        computed_by = _computing_node(t)
        rows.append(LayerError(t.name, computed_by.op, computed_by.outputs[0].dtype, sums[t.name].sqnr_db(),
                               sums[t.name].cosine(), computed_by.name, t.name in output_names))
    return QuantizationReport(rows, count)


def _computing_node(t):
    """The node that computed `t`, looking through the quantize/dequantize the quantizer inserted
    (a float model output "probs" is computed by the int8 softmax, not by its dequantize)."""
    node = t.producer
    while node.op in ("quantize", "dequantize") and node.inputs[0].producer is not None:
        node = node.inputs[0].producer
    return node


def _to_input_dtype(t, array):
    """A float sample as the quantized model's input: itself, or quantized for an int8 input."""
    if t.dtype == "int8":
        return quant_math.quantize_float(array, float(t.quant.scale[0]), int(t.quant.zero_point[0]))
    return array
