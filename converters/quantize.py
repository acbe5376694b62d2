"""Post-training int8 quantization: rewrite a float graph into the quantized IR.

    ranges = calibration.collect_ranges(graph, samples)            # {tensor name: (lo, hi)}
    summary = quantize_graph(graph, ranges, io_dtype="float32")    # rewrites `graph` in place

The scheme and the exact integer arithmetic are in docs/QUANTIZATION.md (the contract
with the integer reference in edgenet/ops and the C kernels). In short:

- weights: int8, symmetric, one scale per output channel, values in [-127, 127];
- activations: int8, asymmetric, one scale and zero point per tensor, from the calibrated
  range widened to include 0 (so zero padding and relu are exact);
- bias: int32 at scale s_in * s_w[c] (implied, not stored: see quantize_bias);
- max_pool2d / reshape / transpose / pad pass their input's parameters through;
  sigmoid / tanh / softmax have fixed output parameters; sigmoid / tanh / hard_swish /
  softmax get their lookup table as a second, constant input.

An op that has no int8 kernel (its OpDef has no `reference_int8`), or whose int8 form is
not possible here (non-constant weights, a requantization multiplier out of range), stays
float, with `dequantize` / `quantize` inserted where its neighbours are int8. Model inputs
and outputs stay float32 unless io_dtype="int8".
"""
import dataclasses
import logging

import numpy as np

from edgenet import quant_math
from edgenet.graph import Node, QuantParams, Tensor
from edgenet.ops.base import OpDef
from edgenet.ops.normalization import softmax_table

log = logging.getLogger("edgenet.quantize")

IO_DTYPES = ("float32", "int8")
# The smallest activation scale. A degenerate calibrated range (an all-zero tensor, e.g. a dead
# relu) gets it instead of 0, so nothing divides by zero; it is not smaller so that the
# requantization multipliers of the ops reading that tensor stay in the range the C core accepts.
MIN_SCALE = 1e-6

# Where the output channel of each weighted op's weights is (docs/QUANTIZATION.md).
WEIGHT_CHANNEL_AXIS = {"conv2d": 0, "depthwise_conv2d": 3, "fully_connected": 0}
# Data-movement ops: output quantization == input quantization.
PASS_THROUGH_OPS = ("max_pool2d", "reshape", "transpose", "pad")
# Fixed output quantization (scale, zero point) of ops whose output range is known.
SOFTMAX_OUTPUT_QUANT = (1.0 / 256, -128)


@dataclasses.dataclass
class QuantizationSummary:
    """What the quantizer did; printable. Attached to the converted model as `.quantization`."""

    calibration_method: str
    calibration_samples: int
    io_dtype: str
    int8_ops: list = dataclasses.field(default_factory=list)  # node names
    float_ops: list = dataclasses.field(default_factory=list)  # (node name, op, reason)
    inserted_ops: list = dataclasses.field(default_factory=list)  # quantize/dequantize node names
    optimized: bool = True  # whether convert ran the optimization passes first (the report redoes them)

    def __str__(self):
        lines = [f"int8 quantization: {len(self.int8_ops)} ops int8, {len(self.float_ops)} float fallback, "
                 f"{len(self.inserted_ops)} quantize/dequantize inserted; calibration {self.calibration_method!r} "
                 f"on {self.calibration_samples} samples; model inputs/outputs {self.io_dtype}"]
        lines += [f"  float fallback: {name} ({op}): {reason}" for name, op, reason in self.float_ops]
        return "\n".join(lines)


# ---- quantization parameters --------------------------------------------------------


def per_tensor(scale, zero_point):
    return QuantParams(np.array([scale], np.float32), np.array([zero_point], np.int64))


def activation_quant(lo, hi):
    """Asymmetric int8 parameters covering [lo, hi] widened to include 0 (real 0 is exact)."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = np.float32(max((hi - lo) / 255.0, MIN_SCALE))
    zero_point = quant_math.round_half_away(quant_math.INT8_MIN - lo / float(scale))
    return per_tensor(scale, int(np.clip(zero_point, quant_math.INT8_MIN, quant_math.INT8_MAX)))


def quantize_weights(w, axis):
    """Float weights -> (int8 values in [-127, 127], QuantParams with one scale per channel on `axis`)."""
    w = np.asarray(w, np.float64)
    other_axes = tuple(a for a in range(w.ndim) if a != axis)
    max_abs = np.max(np.abs(w), axis=other_axes)
    # An all-zero channel quantizes to zeros with any scale; 1/127 keeps its multiplier ordinary.
    scale = np.where(max_abs > 0, max_abs / 127.0, 1.0 / 127.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = quant_math.round_half_away(w / scale.astype(np.float64).reshape(shape))
    return np.clip(q, -127, 127).astype(np.int8), QuantParams(scale, np.zeros(scale.size, np.int64), axis)


def quantize_bias(b, input_scale, weight_scales, node_name):
    """Float bias -> int32 values at scale[c] = s_in * s_w[c] (zero point 0).

    The bias tensor carries no quantization parameters of its own: its scale is implied by
    the contract (docs/QUANTIZATION.md), the C core never reads one, and a stored copy could
    only disagree. (Per-channel parameters cost 12 bytes a channel, a visible share of a
    small model's file.)"""
    scale = np.float64(np.float32(input_scale)) * np.asarray(weight_scales, np.float32).astype(np.float64)
    q = quant_math.round_half_away(np.asarray(b, np.float64) / scale)
    limit = np.iinfo(np.int32)
    if (q < limit.min).any() or (q > limit.max).any():
        log.warning("%s: bias does not fit int32 at scale s_in * s_w (input scale %.3g); clamped", node_name,
                    input_scale)
    return np.clip(q, limit.min, limit.max).astype(np.int32)


def constant_quant(data):
    """Per-tensor asymmetric parameters for a constant operand (e.g. the `b` of an add)."""
    return activation_quant(np.min(data), np.max(data))


def has_int8_kernel(opdef):
    """Ops with integer semantics define `reference_int8` (and the C core has their int8 kernel)."""
    return type(opdef).reference_int8 is not OpDef.reference_int8


def _read_only(array):
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


# ---- the rewrite ------------------------------------------------------------------------


class _Plan:
    """One node's int8 form, computed before anything in the graph changes."""

    def __init__(self, node):
        self.node = node
        self.inputs = []  # per input: ("activation", Tensor) | ("constant", Tensor, int8 Tensor) | None
        self.output_quant = None
        self.extra_inputs = []  # lookup tables


class Quantizer:
    """Rewrites one graph; see quantize_graph."""

    def __init__(self, graph, ranges, io_dtype):
        self.graph = graph
        self.ranges = ranges
        self.io_dtype = io_dtype
        self.quant_of = {}  # id(activation Tensor) -> QuantParams of its int8 form
        self.converted = {}  # (id(Tensor), dtype) -> the converted Tensor (via quantize / dequantize)
        self.new_nodes = []
        self.summary = None

    # -- names ----------------------------------------------------------------------

    def _tensor_name(self, base):
        return self.graph._unique_name(base, self.graph._names)

    def _node_name(self, base):
        return self.graph._unique_name(base, self.graph._node_names)

    def _constant(self, name, data, dtype, quant=None):
        """A new constant. It may reuse the float constant's name: run() renames duplicates at
        the end, so a name stays unique even when the float original is still used elsewhere."""
        data = _read_only(np.asarray(data, dtype=dtype))
        return Tensor(self.graph, name, data.shape, dtype, data=data, quant=quant)

    # -- quantization parameters of activations -------------------------------------

    def calibrated_quant(self, t):
        if t.name not in self.ranges:
            raise ValueError(f"no calibration range for tensor {t.name!r}; was the graph calibrated after the same "
                             "passes?")
        return activation_quant(*self.ranges[t.name])

    def int8_quant(self, t):
        """The quantization parameters of activation `t`'s int8 form (its own, from calibration,
        unless an int8 node fixed them)."""
        if id(t) not in self.quant_of:
            self.quant_of[id(t)] = self.calibrated_quant(t)
        return self.quant_of[id(t)]

    # -- planning: can this node run in int8, and with which parameters? --------------

    def plan(self, node):
        """A _Plan for the node's int8 form, or raise ValueError saying why it stays float."""
        opdef = node.opdef
        if not has_int8_kernel(opdef):
            raise ValueError("no int8 kernel")
        plan = _Plan(node)
        weight_axis = WEIGHT_CHANNEL_AXIS.get(node.op)
        for role_index, t in enumerate(node.inputs):
            if t is None:
                plan.inputs.append(None)
            elif weight_axis is not None and role_index == 1:
                if not t.is_constant:
                    raise ValueError("weights are not constant")
                data, quant = quantize_weights(t.data, weight_axis)
                plan.inputs.append(("constant", t, self._constant(t.name, data, "int8", quant)))
            elif weight_axis is not None and role_index == 2:
                if not t.is_constant:
                    raise ValueError("bias is not constant")
                plan.inputs.append(("bias", t))  # needs the input scale: made below
            elif t.is_constant:
                quant = constant_quant(t.data)
                data = quant_math.quantize_float(t.data, *_scalars(quant))
                plan.inputs.append(("constant", t, self._constant(t.name, data, "int8", quant)))
            else:
                plan.inputs.append(("activation", t))

        in_quants = [self._planned_quant(entry) for entry in plan.inputs]
        if weight_axis is not None and plan.inputs[2] is not None:
            bias = plan.inputs[2][1]
            data = quantize_bias(bias.data, in_quants[0].scale[0], in_quants[1].scale, node.name)
            plan.inputs[2] = ("constant", bias, self._constant(bias.name, data, "int32"))

        output = node.outputs[0]
        s_in, zp_in = _scalars(in_quants[0])
        if node.op in PASS_THROUGH_OPS:
            plan.output_quant = in_quants[0]
        elif node.op == "softmax":
            plan.output_quant = per_tensor(*SOFTMAX_OUTPUT_QUANT)
            plan.extra_inputs = [self._constant(f"{node.name}/table", softmax_table(s_in, node.attrs["beta"]), "int32")]
        elif getattr(opdef, "output_quant", None) is not None:  # sigmoid, tanh
            plan.output_quant = per_tensor(*opdef.output_quant)
            plan.extra_inputs = [self._constant(f"{node.name}/table", opdef.table(s_in, zp_in), "int8")]
        else:
            plan.output_quant = self.calibrated_quant(output)
            if hasattr(opdef, "table"):  # relu, clip, hard_swish, ...: a table for a calibrated output
                table = opdef.table(s_in, zp_in, *_scalars(plan.output_quant), attrs=node.attrs)
                plan.extra_inputs = [self._constant(f"{node.name}/table", table, "int8")]
        self._probe(node, plan, in_quants)
        return plan

    def _planned_quant(self, entry):
        if entry is None or entry[0] == "bias":
            return None
        if entry[0] == "activation":
            return self.int8_quant(entry[1])
        return entry[2].quant

    def _probe(self, node, plan, in_quants):
        """Run the int8 reference once on zero-point inputs: it raises ValueError if some
        requantization multiplier is out of the range the C core accepts."""
        arrays = []
        for entry, quant in zip(plan.inputs, in_quants):
            if entry is None:
                arrays.append(None)
            elif entry[0] == "activation":
                shape = tuple(1 if d is None else d for d in entry[1].shape)
                arrays.append(np.full(shape, int(quant.zero_point[0]), np.int64))
            else:
                arrays.append(entry[2].data.astype(np.int64))
        arrays += [t.data.astype(np.int64) for t in plan.extra_inputs]
        in_quants = list(in_quants) + [None] * len(plan.extra_inputs)
        node.opdef.reference_int8(arrays, node.attrs, in_quants, [plan.output_quant])

    # -- conversions between float and int8 ------------------------------------------

    def as_dtype(self, t, dtype):
        """`t` itself if it already has `dtype`, else its converted twin (made once)."""
        if t.dtype == dtype:
            return t
        key = (id(t), dtype)
        if key not in self.converted:
            if dtype == "int8":
                twin = Tensor(self.graph, self._tensor_name(f"{t.name}/quantized"), t.shape, "int8",
                              quant=self.int8_quant(t))
                op = "quantize"
            else:
                twin = Tensor(self.graph, self._tensor_name(f"{t.name}/dequantized"), t.shape, "float32")
                op = "dequantize"
            self._emit(Node(op, [t], [twin], {}, self._node_name(twin.name)), inserted=True)
            self.converted[key] = twin
        return self.converted[key]

    def _emit(self, node, inserted=False):
        for t in node.outputs:
            t.producer = node
        self.new_nodes.append(node)
        if inserted:
            self.summary.inserted_ops.append(node.name)

    # -- driving ------------------------------------------------------------------------

    def run(self, summary):
        self.summary = summary
        graph = self.graph
        if self.io_dtype == "int8":
            for t in graph.inputs:
                t.dtype, t.quant = "int8", self.int8_quant(t)
        for node in graph.nodes:
            try:
                plan = self.plan(node)
            except ValueError as e:
                self._keep_float(node, str(e))
                continue
            self._make_int8(plan)
        self._fix_outputs()
        graph.nodes = self.new_nodes
        self._make_names_unique()
        for node in graph.nodes:  # every rewritten node must satisfy its op's shape/dtype rule
            inferred = node.opdef.infer(node.inputs, dict(node.attrs))
            for t, (shape, dtype) in zip(node.outputs, inferred):
                assert t.dtype == dtype, f"{node.name}: quantizer made {t.dtype} {t.name!r}, op says {dtype}"
        return summary

    def _make_names_unique(self):
        seen = set()
        for t in self.graph.tensors:
            if t.name in seen:
                t.name = self._tensor_name(t.name)
            seen.add(t.name)
            self.graph._names.add(t.name)

    def _keep_float(self, node, reason):
        node.inputs = [None if t is None else self.as_dtype(t, "float32") for t in node.inputs]
        self._emit(node)
        self.summary.float_ops.append((node.name, node.op, reason))
        log.info("quantize: %s (%s) stays float32: %s", node.name, node.op, reason)

    def _make_int8(self, plan):
        node = plan.node
        inputs = []
        for entry in plan.inputs:
            if entry is None:
                inputs.append(None)
            elif entry[0] == "activation":
                inputs.append(self.as_dtype(entry[1], "int8"))
            else:
                inputs.append(entry[2])
        node.inputs = inputs + plan.extra_inputs
        output = node.outputs[0]
        output.dtype, output.quant = "int8", plan.output_quant
        self.quant_of[id(output)] = plan.output_quant
        self._emit(node)
        self.summary.int8_ops.append(node.name)

    def _fix_outputs(self):
        """Give each graph output the model's io dtype: convert it, and let the converted
        tensor take over the output's name (the file's interface keeps its names)."""
        for i, t in enumerate(self.graph.outputs):
            if t.dtype == self.io_dtype:
                continue
            original_name = t.name
            t.name = self._tensor_name(f"{original_name}/{t.dtype}")
            twin = self.as_dtype(t, self.io_dtype)
            self.graph._names.discard(twin.name)
            twin.name = original_name
            self.graph.outputs[i] = twin


def _scalars(quant):
    """(scale, zero_point) of a per-tensor QuantParams as Python numbers."""
    return float(quant.scale[0]), int(quant.zero_point[0])


def quantize_graph(graph, ranges, io_dtype="float32", calibration_method="minmax", calibration_samples=0):
    """Rewrite `graph` (float, optimized, lowered to file ops) in place into int8.

    ranges: {tensor name: (lo, hi)} from calibration.collect_ranges on this same graph.
    Returns a QuantizationSummary (also logged at INFO on the "edgenet.quantize" logger)."""
    if io_dtype not in IO_DTYPES:
        raise ValueError(f"io_dtype must be one of {IO_DTYPES}, got {io_dtype!r}")
    not_float = [t for t in graph.tensors if t.dtype != "float32"]
    if not_float:
        raise ValueError(f"graph {graph.name!r} is already (partly) quantized: tensor {not_float[0].name!r} is "
                         f"{not_float[0].dtype}; quantize a float32 graph")
    summary = QuantizationSummary(calibration_method, calibration_samples, io_dtype)
    Quantizer(graph, ranges, io_dtype).run(summary)
    log.info("%s", summary)
    return summary
