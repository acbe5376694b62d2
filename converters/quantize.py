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
from edgenet.ops.elementwise import lookup_table
from edgenet.ops.normalization import softmax_table

log = logging.getLogger("edgenet.quantize")

IO_DTYPES = ("float32", "int8")
# The smallest activation scale. A degenerate calibrated range (an all-zero tensor, e.g. a dead
# relu) gets it instead of 0, so nothing divides by zero; it is not smaller so that the
# requantization multipliers of the ops reading that tensor stay in the range the C core accepts.
MIN_SCALE = 1e-6
# The smallest per-channel weight scale, relative to the tensor's largest (see quantize_weights).
WEIGHT_SCALE_FLOOR = 2.0 ** -16

# Where the output channel of each weighted op's weights is (docs/QUANTIZATION.md).
WEIGHT_CHANNEL_AXIS = {"conv2d": 0, "depthwise_conv2d": 3, "fully_connected": 0}
# Data-movement ops: output quantization == input quantization (every output of a split).
PASS_THROUGH_OPS = ("max_pool2d", "reshape", "transpose", "pad", "split", "slice", "gather", "broadcast_to",
                    "depth_to_space", "space_to_depth", "border_pad")
# Ops whose `reference_int8` handles plain integer tensors (indices, casts), not quantized values.
PLAIN_INTEGER_OPS = ("cast", "argmax", "argmin")
# A concat whose inputs' ranges (or a split whose outputs' ranges) differ by more than this factor
# would cost its small-range slices more than 4 of their 8 bits under one shared scale, so it runs
# in float instead: each slice keeps its own int8 scale (boxes in pixels next to scores in [0, 1]).
MIXED_RANGE_RATIO = 16.0
# The output tail (see output_tail) ends at weighted layers, and just after softmax / sigmoid / tanh:
# those run in float on their int8 input when they compute a model output (a probability on a 1/256
# grid would turn near-ties in CTC / argmax / thresholds into exact ties or flips), and stop the walk:
# their input's int8 grid is set by their saturating range (SATURATING_INPUT_RANGE), not by the output.
TAIL_STOP_OPS = ("softmax", "sigmoid", "tanh")
# Fixed output quantization (scale, zero point) of ops whose output range is known.
SOFTMAX_OUTPUT_QUANT = (1.0 / 256, -128)
# Input ranges outside which a unary op's output no longer changes (or changes by less than its int8
# output can show): a tensor read only by such ops needs its int8 grid only inside, so a conv output in
# [-100, 100] feeding hard_swish gets a grid on [-3, 100]. Exact for hard_swish, relu, relu6, clip,
# hard_sigmoid; sigmoid (output step 1/256) and tanh (1/128) reach their int8 end levels inside these
# bounds; silu(x) for x < -8 is within 0.003 of 0.
SATURATING_INPUT_RANGE = {"hard_swish": (-3.0, np.inf), "relu": (0.0, np.inf), "relu6": (0.0, 6.0),
                          "sigmoid": (-6.5, 6.5), "tanh": (-3.5, 3.5), "silu": (-8.0, np.inf)}
# Ops whose int8 output grid is fixed to their whole output range: a tensor read only by them gets its
# grid on their whole non-saturated input range (SATURATING_INPUT_RANGE), calibrated or not. A class
# logit that never passed 0 on the calibration images still reaches a 0.95 score on a new image
# (instead of stopping at 0.5); the grid step stays <= 13/255, at most ~1.6 output steps of error.
FULL_GRID_READERS = ("sigmoid", "tanh")
# Ops whose outputs only hold elements of their inputs, unchanged (a split's slices, a concat's parts):
# a tensor's elements are followed through them to the ops that compute with them (clip_to_consumers).
DATA_MOVEMENT_OPS = ("reshape", "transpose", "concat", "split", "slice", "gather", "broadcast_to",
                     "depth_to_space", "space_to_depth")


# Binary ops that, with a scalar constant operand, are a function of their other input alone.
SCALAR_BINARY_OPS = ("add", "sub", "mul")


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
    bias_corrected: list = dataclasses.field(default_factory=list)  # weighted nodes whose bias absorbed the
    # mean error of their int8 weights (bias_correction=True)
    tables: list = dataclasses.field(default_factory=list)  # (table node name, [the chain's node names]):
    # chains of elementwise ops computed by one int8 lookup table (table_chains)

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
    # A channel whose weights are vanishingly small next to the others' (a dead channel after
    # batch-norm folding, weights ~1e-38) gets at least WEIGHT_SCALE_FLOOR of the largest scale:
    # its output is far below the shared output scale's resolution anyway, and its requantization
    # multiplier stays in the range the C core accepts.
    floor = np.max(max_abs) / 127.0 * WEIGHT_SCALE_FLOOR
    scale = np.where(max_abs > 0, np.maximum(max_abs / 127.0, floor), 1.0 / 127.0).astype(np.float32)
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
    return type(opdef).reference_int8 is not OpDef.reference_int8 and opdef.name not in PLAIN_INTEGER_OPS


def _is_integer(t):
    """Plain integer/bool tensors (indices, shapes): not activations; an int8 tensor made by
    this quantizer carries quantization parameters."""
    return np.dtype(t.dtype).kind in "iub" and t.quant is None


def range_span(t, ranges):
    """Width of the int8 grid a tensor needs: its calibrated (or constant) range widened to include 0."""
    lo, hi = (np.min(t.data), np.max(t.data)) if t.is_constant else ranges[t.name]
    return max(float(hi), 0.0) - min(float(lo), 0.0)


def _mixed_range(tensors, ranges):
    """The ratio of the widest to the narrowest range among `tensors` when it exceeds
    MIXED_RANGE_RATIO, else None."""
    spans = [range_span(t, ranges) for t in tensors if t is not None and not _is_integer(t)]
    if len(spans) < 2 or min(spans) <= 0:
        return None
    ratio = max(spans) / min(spans)
    return ratio if ratio > MIXED_RANGE_RATIO else None


def output_tail(graph):
    """Nodes between the last weighted layer and each graph output (decode steps, activations, concats,
    reshapes), up to and including a softmax / sigmoid / tanh that computes an output: the part of the
    model that feeds post-processing."""
    tail, stack = [], [t.producer for t in graph.outputs if t.producer is not None]
    while stack:
        node = stack.pop()
        if node in tail or node.op in WEIGHT_CHANNEL_AXIS:
            continue
        tail.append(node)
        if node.op not in TAIL_STOP_OPS:
            stack += [t.producer for t in node.inputs if t is not None and t.producer is not None]
    return tail


def float_decisions(graph, ranges, io_dtype="float32", int8_outputs=False, float_nodes=()):
    """{node name: why it stays float} for nodes that could run in int8 but should not:

    - `float_nodes` (chosen by the user or by the accuracy search);
    - the output tail, unless int8_outputs or io_dtype="int8": model outputs feed post-processing
      (box decoding, CTC, thresholds), so they are computed in float from int8 layers;
    - concats / splits whose slices live on very different scales (MIXED_RANGE_RATIO)."""
    names = {n.name for n in graph.nodes}
    unknown = sorted(set(float_nodes) - names)
    if unknown:
        raise ValueError(f"float_layers names unknown node(s) {unknown}; the graph's nodes are "
                         f"{sorted(names)[:20]}{' ...' if len(names) > 20 else ''}")
    reasons = {name: "kept float (float_layers / accuracy target)" for name in float_nodes}
    if not int8_outputs and io_dtype == "float32":
        for node in output_tail(graph):
            reasons.setdefault(node.name, "feeds a model output (int8_outputs=False keeps the output tail float)")
    for node in graph.nodes:
        sliced = node.inputs if node.op == "concat" else node.outputs if node.op == "split" else None
        ratio = sliced and _mixed_range(sliced, ranges)
        if ratio:
            reasons.setdefault(node.name, f"{node.op} of ranges {ratio:.0f}x apart: float, each slice keeps its own "
                                          "int8 scale")
            if node.op == "concat":  # data movement after it would need one int8 scale again: float too
                _float_movers_after(graph, node.outputs[0], reasons, f"moves the output of {node.name} (mixed ranges)")
    _grow_float_islands(graph, reasons, set(float_nodes))
    return reasons


def _grow_float_islands(graph, reasons, kept_float):
    """Add to `reasons` the unweighted nodes whose neighbours on one side are all float ops (no int8
    kernel), nodes in `kept_float` or island nodes: every non-constant input computed by one, or
    every reader one. (The output tail and mixed-range concats are float for range reasons and do not
    grow islands: their int8 neighbours, e.g. a sigmoid, keep a useful int8 form.) In int8 such a node would
    only add a quantize / dequantize pair (two roundings) around float-only ops, e.g. the
    mean / sub / add / sqrt / mul of a layer norm spelled out around its float pow and div; as part of
    the float island it costs one dequantize where the island starts and one quantize where it ends."""
    readers = {}
    for node in graph.nodes:
        for t in node.inputs:
            if t is not None:
                readers.setdefault(id(t), []).append(node)
    outputs = {id(t) for t in graph.outputs}

    island = set(kept_float)

    def is_float(node):
        return node.name in island or not has_int8_kernel(node.opdef) or any(t.dtype != "float32"
                                                                              for t in node.outputs)

    changed = True
    while changed:
        changed = False
        for node in graph.nodes:
            if is_float(node) or node.op in WEIGHT_CHANNEL_AXIS or node.name in reasons:
                continue
            producers = [t.producer for t in node.inputs if t is not None and not t.is_constant and not _is_integer(t)]
            consumers = [r for t in node.outputs for r in readers.get(id(t), [])]
            from_float = producers and all(p is not None and is_float(p) for p in producers)
            into_float = consumers and all(is_float(r) for r in consumers) and not any(id(t) in outputs
                                                                                       for t in node.outputs)
            if from_float or into_float:
                reasons[node.name] = "joins a float island (int8 would only add quantize / dequantize around float ops)"
                island.add(node.name)
                changed = True


def _saturating_input_range(node):
    """(lo, hi) outside which `node`'s output saturates (see SATURATING_INPUT_RANGE), or None."""
    if node.op == "clip":
        return node.attrs["min"], node.attrs["max"]
    if node.op == "hard_sigmoid" and node.attrs["alpha"] > 0:
        alpha, beta = node.attrs["alpha"], node.attrs["beta"]
        return -beta / alpha, (1.0 - beta) / alpha
    return SATURATING_INPUT_RANGE.get(node.op)


def clip_to_consumers(graph, ranges):
    """`ranges` with each grid-defining tensor's range set by what its elements meet downstream.

    The elements are followed through data movement (DATA_MOVEMENT_OPS: a concat's part, a split's
    slice) to the ops that compute with them. When those are all saturating unary ops
    (SATURATING_INPUT_RANGE), the range is narrowed to where their outputs still change (values beyond
    saturate in int8 and the readers' outputs stay the same); when they are all sigmoid / tanh
    (FULL_GRID_READERS), it becomes their whole non-saturated input range. A concat's range is the
    union of its inputs' (its output holds nothing else). Graph outputs keep their full range; outputs
    of pass-through ops keep their input's grid in int8 and are left as they are."""
    clipped = dict(ranges)
    for node in graph.nodes:
        if node.op in PASS_THROUGH_OPS:
            continue
        for t in node.outputs:
            if t.name not in ranges:
                continue
            if node.op == "concat":
                parts = [clipped[u.name] if u.name in clipped else (np.min(u.data), np.max(u.data))
                         for u in node.inputs if u is not None and (u.name in clipped or u.is_constant)]
                if len(parts) == len(node.inputs):
                    clipped[t.name] = (min(p[0] for p in parts), max(p[1] for p in parts))
            readers = computing_readers(graph, t)
            bounds = [None if r is None else _saturating_input_range(r) for r in readers]
            if not readers or None in bounds:
                continue
            lo, hi = clipped[t.name]
            if all(r.op in FULL_GRID_READERS for r in readers):
                clipped[t.name] = (min(b[0] for b in bounds), max(b[1] for b in bounds))
            else:
                clipped[t.name] = (max(lo, min(b[0] for b in bounds)), min(hi, max(b[1] for b in bounds)))
    return clipped


def computing_readers(graph, t):
    """The nodes that compute with some element of tensor `t`, following its elements through data
    movement (DATA_MOVEMENT_OPS); None stands for "a graph output holds some". Only the outputs of a
    movement op that really hold elements of `t` are followed (found by moving element ids with the
    op's reference), so a split's slices go their own ways. [None] when shapes are unknown."""
    outputs = {id(u) for u in graph.outputs}
    found, stack = [], [(t, None)]
    while stack:
        tensor, ids = stack.pop()
        if id(tensor) in outputs:
            found.append(None)
        for reader in graph.consumers(tensor):
            if reader.op not in DATA_MOVEMENT_OPS:
                found.append(reader)
                continue
            if ids is None:
                if any(d is None for d in tensor.shape):
                    return [None]
                ids = np.arange(1, int(np.prod(tensor.shape)) + 1, dtype=np.float64).reshape(tensor.shape)
            inputs = [None if u is None else ids if u is tensor else u.data if u.is_constant
                      else np.zeros([1 if d is None else d for d in u.shape]) for u in reader.inputs]
            for out, moved in zip(reader.outputs, reader.opdef.reference(inputs, dict(reader.attrs))):
                if np.any(moved > 0):
                    stack.append((out, moved))
    return list(dict.fromkeys(found))


def _float_movers_after(graph, tensor, reasons, reason):
    for consumer in graph.consumers(tensor):
        if consumer.op in PASS_THROUGH_OPS and consumer.op != "split" and consumer.name not in reasons:
            reasons[consumer.name] = reason
            _float_movers_after(graph, consumer.outputs[0], reasons, reason)


def bias_correction(weights, quantized_weights, weight_quant, axis, op, input_mean):
    """The mean output error the int8 weights add, per output channel: sum (w_q - w) * E[x].

    Subtracting it from the bias (Nagel et al., "Data-Free Quantization", 2019) removes the
    systematic shift rounding the weights gives each channel; E[x] is the input's per-channel
    mean from calibration (zero padding is ignored)."""
    shape = [1] * weights.ndim
    shape[axis] = -1
    dequantized = quantized_weights.astype(np.float64) * weight_quant.scale.astype(np.float64).reshape(shape)
    error = dequantized - np.asarray(weights, np.float64)
    mean = np.asarray(input_mean, np.float64)
    if op == "fully_connected":  # (out, in) @ (in,)
        return error @ mean
    if op == "conv2d":  # OHWI
        return np.einsum("ohwi,i->o", error, mean)
    # depthwise (1, kh, kw, c*m): output channel k reads input channel k // m
    multiplier = error.shape[3] // mean.size
    return error.sum(axis=(0, 1, 2)) * np.repeat(mean, multiplier)


def _read_only(array):
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


def _elementwise_input(node, stay_float):
    """The one activation `node` is an elementwise function of, if `node` can join a lookup-table chain:
    an int8-capable unary op, or add / sub / mul with a scalar constant; else None."""
    if node.name in stay_float or not has_int8_kernel(node.opdef) or len(node.outputs) != 1:
        return None
    if hasattr(node.opdef, "table") and len(node.inputs) == 1 and not node.inputs[0].is_constant:
        return node.inputs[0]
    if node.op in SCALAR_BINARY_OPS and len(node.inputs) == 2:
        constants = [t for t in node.inputs if t.is_constant]
        variables = [t for t in node.inputs if not t.is_constant]
        if len(constants) == 1 and constants[0].data.size == 1 and len(variables) == 1 and \
                variables[0].shape == node.outputs[0].shape and not _is_integer(variables[0]):
            return variables[0]
    return None


def table_chains(graph, stay_float):
    """Chains of elementwise ops on one tensor that int8 computes as one lookup table: [node, ...] where
    each node is the only reader of the previous one's output (not a graph output) and a function of it
    alone (_elementwise_input). In int8 every such chain is one function of an int8 input: a 256-entry
    table does it with one rounding and one pass over memory (Paddle's hard_swish, * scale, + bias
    becomes one table instead of three int8 ops, each rounding). Lone scalar add / sub / mul count too
    (the table is exact where the int8 op first rounds the scalar itself)."""
    outputs = {id(t) for t in graph.outputs}
    chains, taken = [], set()
    for node in graph.nodes:
        x = None if node.name in taken else _elementwise_input(node, stay_float)
        if x is None or (x.producer is not None and x.producer.name in taken):
            continue  # not a chain op, or inside a chain found from an earlier head
        chain = [node]
        while id(chain[-1].outputs[0]) not in outputs:
            readers = graph.consumers(chain[-1].outputs[0])
            if len(readers) != 1 or _elementwise_input(readers[0], stay_float) is not chain[-1].outputs[0]:
                break
            chain.append(readers[0])
        if len(chain) > 1 or node.op in SCALAR_BINARY_OPS:
            chains.append(chain)
            taken.update(n.name for n in chain)
    return chains


def chain_function(chain):
    """The float function a table chain computes, of its input's values (each node's full semantics,
    fused activation included; the scalar constants broadcast)."""
    x = _elementwise_input(chain[0], ())

    def apply(values):
        current, tensor = np.asarray(values, np.float64), x
        for node in chain:
            inputs = [current if t is tensor else t.data.astype(np.float64).reshape(()) for t in node.inputs]
            current, tensor = np.asarray(node.opdef.evaluate(inputs, node.attrs)[0], np.float64), node.outputs[0]
        return current

    return apply


# ---- the rewrite ------------------------------------------------------------------------


class _Plan:
    """One node's int8 form, computed before anything in the graph changes."""

    def __init__(self, node):
        self.node = node
        self.inputs = []  # per input: ("activation", Tensor) | ("constant", Tensor, int8 Tensor) |
        #                   ("integer", Tensor) (indices: used as they are) | None
        self.output_quants = []  # one per output
        self.bias_corrected = False
        self.extra_inputs = []  # lookup tables


class Quantizer:
    """Rewrites one graph; see quantize_graph."""

    def __init__(self, graph, ranges, io_dtype, stay_float=None, channel_means=None):
        self.graph = graph
        self.ranges = ranges
        self.io_dtype = io_dtype
        self.stay_float = stay_float or {}  # {node name: reason} (float_decisions)
        self.channel_means = channel_means  # {tensor name: per-channel mean} enables bias correction
        self.quant_of = {}  # id(activation Tensor) -> QuantParams of its int8 form
        self.converted = {}  # (id(Tensor), dtype) -> the converted Tensor (via quantize / dequantize)
        self.new_nodes = []
        self.summary = None
        self.chains = {chain[0].name: chain for chain in table_chains(graph, self.stay_float)}
        self.in_chain = {node.name for chain in self.chains.values() for node in chain[1:]}

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
        if node.name in self.stay_float:
            raise ValueError(self.stay_float[node.name])
        if not has_int8_kernel(opdef) or any(t.dtype != "float32" for t in node.outputs):
            raise ValueError("no int8 kernel")
        plan = _Plan(node)
        weight_axis = WEIGHT_CHANNEL_AXIS.get(node.op)
        for role_index, t in enumerate(node.inputs):
            if t is None:
                plan.inputs.append(None)
            elif _is_integer(t):
                plan.inputs.append(("integer", t))
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
            bias_data = np.asarray(bias.data, np.float64)
            if self.channel_means is not None and node.inputs[0].name in self.channel_means:
                weights, (_, _, quantized) = node.inputs[1], plan.inputs[1]
                bias_data = bias_data - bias_correction(weights.data, quantized.data, quantized.quant, weight_axis,
                                                        node.op, self.channel_means[node.inputs[0].name])
                plan.bias_corrected = True
            data = quantize_bias(bias_data, in_quants[0].scale[0], in_quants[1].scale, node.name)
            plan.inputs[2] = ("constant", bias, self._constant(bias.name, data, "int32"))

        s_in, zp_in = _scalars(in_quants[0])
        if node.op in PASS_THROUGH_OPS:
            plan.output_quants = [in_quants[0]] * len(node.outputs)
        elif node.op == "softmax":
            plan.output_quants = [per_tensor(*SOFTMAX_OUTPUT_QUANT)]
            plan.extra_inputs = [self._constant(f"{node.name}/table", softmax_table(s_in, node.attrs["beta"]), "int32")]
        elif getattr(opdef, "output_quant", None) is not None:  # sigmoid, tanh
            plan.output_quants = [per_tensor(*opdef.output_quant)]
            plan.extra_inputs = [self._constant(f"{node.name}/table", opdef.table(s_in, zp_in), "int8")]
        else:
            plan.output_quants = [self.calibrated_quant(t) for t in node.outputs]
            if hasattr(opdef, "table"):  # relu, clip, hard_swish, ...: a table for a calibrated output
                table = opdef.table(s_in, zp_in, *_scalars(plan.output_quants[0]), attrs=node.attrs)
                plan.extra_inputs = [self._constant(f"{node.name}/table", table, "int8")]
        self._probe(node, plan, in_quants)
        return plan

    def _planned_quant(self, entry):
        if entry is None or entry[0] in ("bias", "integer"):
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
            elif entry[0] in ("activation", "integer"):
                t = entry[1]
                shape = tuple(1 if d is None else d for d in t.shape)
                fill = int(quant.zero_point[0]) if entry[0] == "activation" else 0
                arrays.append(t.data.astype(np.int64) if t.is_constant else np.full(shape, fill, np.int64))
            else:
                arrays.append(entry[2].data.astype(np.int64))
        arrays += [t.data.astype(np.int64) for t in plan.extra_inputs]
        in_quants = list(in_quants) + [None] * len(plan.extra_inputs)
        node.opdef.reference_int8(arrays, node.attrs, in_quants, plan.output_quants)

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
            if node.name in self.in_chain:
                continue  # computed by its chain's table (emitted at the chain's first node)
            if node.name in self.chains:
                try:
                    self._make_table(self.chains[node.name])
                    continue
                except ValueError as e:  # e.g. an unusable grid: the chain's ops go their own ways
                    log.info("quantize: chain from %s is not one table: %s", node.name, e)
                    self.in_chain -= {n.name for n in self.chains[node.name]}
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
        # int8 inputs (made int8 by their producer) are dequantized; float and integer ones stay.
        node.inputs = [self.as_dtype(t, "float32") if t is not None and t.dtype == "int8" else t
                       for t in node.inputs]
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
            elif entry[0] == "integer":
                inputs.append(entry[1])
            else:
                inputs.append(entry[2])
        node.inputs = inputs + plan.extra_inputs
        for output, quant in zip(node.outputs, plan.output_quants):
            output.dtype, output.quant = "int8", quant
            self.quant_of[id(output)] = quant
        self._emit(node)
        self.summary.int8_ops.append(node.name)
        if plan.bias_corrected:
            self.summary.bias_corrected.append(node.name)

    def _make_table(self, chain):
        """One `table` node computing the chain (see table_chains), named after its last node."""
        first, last = chain[0], chain[-1]
        x, out = _elementwise_input(first, ()), last.outputs[0]
        in_quant = self.int8_quant(x)
        fixed = getattr(last.opdef, "output_quant", None)  # sigmoid / tanh: their fixed full-range grid
        out_quant = per_tensor(*fixed) if fixed is not None else self.calibrated_quant(out)
        data = lookup_table(chain_function(chain), *_scalars(in_quant), *_scalars(out_quant))
        table = self._constant(f"{last.name}/table", data, "int8")
        node = Node("table", [self.as_dtype(x, "int8"), table], [out], {}, last.name)
        out.dtype, out.quant = "int8", out_quant
        self.quant_of[id(out)] = out_quant
        self._emit(node)
        self.summary.int8_ops.append(node.name)
        self.summary.tables.append((node.name, [n.name for n in chain]))

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


def quantize_graph(graph, ranges, io_dtype="float32", calibration_method="minmax", calibration_samples=0,
                   int8_outputs=False, float_nodes=(), channel_means=None):
    """Rewrite `graph` (float, optimized, lowered to file ops) in place into int8.

    ranges: {tensor name: (lo, hi)} from calibration.collect_ranges on this same graph.
    int8_outputs: also compute the output tail (see output_tail) in int8; default float.
    float_nodes: names of nodes to keep in float (mixed precision).
    channel_means: {tensor name: per-channel mean} from calibration: enables bias correction.
    Returns a QuantizationSummary (also logged at INFO on the "edgenet.quantize" logger)."""
    if io_dtype not in IO_DTYPES:
        raise ValueError(f"io_dtype must be one of {IO_DTYPES}, got {io_dtype!r}")
    not_float = [t for t in graph.tensors if t.dtype != "float32"]
    if not_float:
        raise ValueError(f"graph {graph.name!r} is already (partly) quantized: tensor {not_float[0].name!r} is "
                         f"{not_float[0].dtype}; quantize a float32 graph")
    summary = QuantizationSummary(calibration_method, calibration_samples, io_dtype)
    ranges = clip_to_consumers(graph, ranges)  # the grids int8 gets; the mixed-range rule judges these too
    stay_float = float_decisions(graph, ranges, io_dtype, int8_outputs, float_nodes)
    Quantizer(graph, ranges, io_dtype, stay_float, channel_means).run(summary)
    log.info("%s", summary)
    return summary
