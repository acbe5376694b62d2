"""Where does int8 lose accuracy? Per-layer error of a quantized model against its float graph.

    qmodel = edgenet.convert(graph, quantize="int8", calibration=samples)
    report = edgenet.quantization_report(graph, qmodel, test_samples)
    print(report)              # a table, worst layers first
    report.rows                # LayerError per tensor, in graph order
    open("report.svg", "w").write(report.to_svg())   # bar chart of per-layer SQNR

Both graphs run in the numpy reference executor (the int8 one with the C core's exact
integer semantics). Every tensor of the quantized graph that also exists in the float
graph (same name: the quantizer keeps names) is compared after dequantizing it:

    SQNR   = 10 log10(sum f^2 / sum (f - q)^2)  in dB over all samples (higher is better;
             each bit of precision is worth ~6 dB, so int8 at its best gives ~40-48 dB)
    cosine = sum f q / sqrt(sum f^2 * sum q^2)   (1.0 = same direction)

The float side is `graph` rebuilt with the same optimization passes convert ran, so fused
activations and folded batch norms line up.
"""
import dataclasses
import math

import numpy as np

from edgenet import quant_math, reference

from . import calibration
from .passes import prepare

# Rows below this SQNR are flagged in the printed table.
LOW_SQNR_DB = 20.0
# The SVG chart's bars stop here (an exact layer has infinite SQNR).
SVG_MAX_DB = 80.0


@dataclasses.dataclass
class LayerError:
    tensor: str  # tensor name (shared by the float and the quantized graph)
    op: str  # op computing it in the quantized graph (through inserted quantize/dequantize)
    dtype: str  # what that op computes in: "int8", or "float32" for a float-fallback op
    sqnr_db: float
    cosine: float


class QuantizationReport:
    """Per-layer float-vs-int8 error; `print(report)` shows a table, worst layers first."""

    def __init__(self, rows, samples):
        self.rows = rows  # in graph order
        self.samples = samples

    def worst(self, n=1):
        """The n layers with the lowest SQNR."""
        return sorted(self.rows, key=lambda r: r.sqnr_db)[:n]

    def __getitem__(self, tensor_name):
        for row in self.rows:
            if row.tensor == tensor_name:
                return row
        raise KeyError(f"no layer {tensor_name!r} in the report; layers: {[r.tensor for r in self.rows]}")

    def __str__(self):
        width = max([len(r.tensor) for r in self.rows] + [6])
        lines = [f"quantization report: float vs int8 over {self.samples} samples, worst layers first",
                 f"{'tensor':<{width}}  {'op':<18} {'dtype':<8} {'SQNR dB':>8} {'cosine':>9}"]
        worst = self.worst()[0] if self.rows else None
        for r in self.worst(len(self.rows)):
            flag = "  <-- worst" if r is worst else ("  <-- low" if r.sqnr_db < LOW_SQNR_DB else "")
            lines.append(f"{r.tensor:<{width}}  {r.op:<18} {r.dtype:<8} {r.sqnr_db:>8.2f} {r.cosine:>9.5f}{flag}")
        return "\n".join(lines)

    __repr__ = __str__

    def to_svg(self, max_db=SVG_MAX_DB):
        """A horizontal bar chart of per-layer SQNR in graph order (bars capped at max_db; red
        below LOW_SQNR_DB) as an SVG document string: save it next to the model and open it
        in a browser to see where int8 loses accuracy."""
        label_width, bar_width, row_height = 300, 400, 16
        values = [max(0.0, min(r.sqnr_db, max_db)) for r in self.rows]
        top = max(values + [1e-9])
        height = row_height * (len(self.rows) + 2)
        parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_width + bar_width + 80}" height="{height}" '
                 f'font-family="sans-serif" font-size="11">',
                 f'<text x="4" y="12" font-weight="bold">per-layer SQNR (dB), int8 vs float, {self.samples} samples; '
                 f'red: below {LOW_SQNR_DB:g} dB</text>']
        for i, (row, value) in enumerate(zip(self.rows, values)):
            y = row_height * (i + 1)
            width = bar_width * value / top
            color = "#d62728" if row.sqnr_db < LOW_SQNR_DB else "#1f77b4"
            label = _xml_escape(f"{row.tensor} ({row.op}, {row.dtype})")
            parts.append(f'<text x="{label_width - 4}" y="{y + 12}" text-anchor="end">{label}</text>')
            parts.append(f'<rect class="bar" x="{label_width}" y="{y + 2}" width="{width:.2f}" height="{row_height - 4}" '
                         f'fill="{color}"/>')
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


def quantization_report(graph, qmodel, samples, verbose=True):
    """Per-layer SQNR and cosine similarity between `graph` (float) and `qmodel` (the model
    `edgenet.convert(graph, quantize="int8", ...)` returned) on `samples` (feed dicts)."""
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

    total = len(samples) if hasattr(samples, "__len__") else None
    count = 0
    for count, sample in enumerate(calibration.progress(samples, total, "report", verbose), 1):
        feeds = calibration.check_sample(float_graph, sample, count - 1)
        float_values = reference.run(float_probe, feeds)
        int8_feeds = {t.name: _to_input_dtype(t, feeds[t.name]) for t in qgraph.inputs}
        int8_values = reference.run(int8_probe, int8_feeds)
        for t in compared:
            sums[t.name].add(float_values[t.name], _as_real(t, int8_values[t.name]))
    if count == 0:
        raise calibration.CalibrationError("quantization_report needs at least one sample ({input name: array})")
    rows = []
    for t in compared:
        computed_by = _computing_node(t)
        rows.append(LayerError(t.name, computed_by.op, computed_by.outputs[0].dtype, sums[t.name].sqnr_db(),
                               sums[t.name].cosine()))
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
