"""onnxruntime's dynamic quantization (quantize_dynamic): MatMul layers import as run-time int8
(hybrid fully connected), the rest as the float computation it approximates.

What such a model computes, per layer (ORT writes these nodes):
    x_q, s_x, zp_x = DynamicQuantizeLinear(x)        # uint8, scale and zero point from x's range
    acc = ConvInteger(x_q, w_q, zp_x, zp_w)          # or MatMulInteger: int32 sum of (x_q-zp_x)(w_q-zp_w)
    acc = acc + Cast(Floor(bias / (s_x * s_w)))      # optional: the bias in the accumulator's units
    y = Cast(acc, float) * (s_x * s_w)
and com.microsoft DynamicQuantizeLSTM / DynamicQuantizeMatMul (int8 weights, float activations).

Hybrid int8 (MatMulInteger with a constant 2-d B whose product meets only its `* (s_x * s_w)`, and
DynamicQuantizeMatMul): a fully_connected with float input and output and the model's own integer
weights, transposed to (N, K) (uint8 weights become int8 exactly: q - 128 with zero point zp - 128),
their zero points and scales per column. The C kernel recomputes DynamicQuantizeLinear at each run,
sums in int32 and scales by s_x * s_w (edgenet/ops/conv.py `is_hybrid`, docs/QUANTIZATION.md
"Hybrid layers"), so results equal onnxruntime's up to float rounding (measured 6e-8 ..
2.4e-7 on a torch MLP and attention block, against 3e-3 .. 7e-3 for the float import).

Float (everything else: ConvInteger, a batched or computed B, a bias folded into the accumulator,
a product reshaped before its scale, DynamicQuantizeLSTM): each integer value is tracked as its
float meaning: x_q - zp_x is x / s_x, the accumulator is conv(x, w_q - zp_w) / s_x, and the final
`* (s_x * s_w)` cancels s_x, leaving conv(x, (w_q - zp_w) * s_w) + bias: the float model whose
weights are the dequantized integers. It differs from onnxruntime by ORT's rounding of x (and of
the bias) to the uint8 grid, about 1/255 of x's range per layer. (No hybrid conv kernel yet; and
DynamicQuantizeLSTM quantizes per tensor and asymmetric, edgenet's int8 LSTM per vector and
symmetric, so mapping it would not match onnxruntime either.) The float form of every MatMulInteger
is emitted first and becomes dead code when the hybrid layer replaces it.
"""
import dataclasses

import numpy as np

from edgenet.graph import Graph, Tensor
from edgenet.quant_math import QuantParams

from .registry import Unsupported, input_name

# Ops that commute with a common scale: f(a / s, b / s) = f(a, b) / s. Input 0 (all inputs for
# Add, Sub, Concat) may be a scaled value; the rest are ordinary (shapes, axes, indices).
_SCALE_COMMUTING = {"Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Slice", "Gather", "Add", "Sub",
                    "Concat", "Identity"}
_ALL_INPUTS_SCALED = {"Add", "Sub", "Concat"}
_ROUNDING = {"Floor", "Ceil", "Round", "Cast"}  # the rounding to integers is what the import drops

CONTRIB_OPS = {"DynamicQuantizeLSTM", "DynamicQuantizeMatMul"}  # com.microsoft ops translated here


def is_contrib_op(node):
    return node.domain == "com.microsoft" and node.op_type in CONTRIB_OPS


@dataclasses.dataclass
class Quantized:
    """x_q of DynamicQuantizeLinear(x): x_q - zp_x = x / s_x."""

    source: str


@dataclasses.dataclass
class ZeroPoint:
    source: str


@dataclasses.dataclass
class Scale:
    """s_x * factor, a run-time scalar (factor: a constant array, e.g. the weights' scales)."""

    source: str
    factor: np.ndarray


@dataclasses.dataclass
class IntegerWeights:
    """MatMulInteger's constant B as a hybrid fully connected layer's weights: (N, K) int8 and a
    zero point per output column (uint8 shifted by 128: exact)."""

    values: np.ndarray
    zero_point: np.ndarray


@dataclasses.dataclass
class Scaled:
    """A value equal to (the ordinary value named `inner`) / s_source. `weights`: set when it is
    MatMulInteger(x_q, B) itself, so the Mul by its scale can become a hybrid fully connected."""

    inner: str
    source: str
    weights: IntegerWeights = None


def reads_dynamic_quant(imp, node):
    return node.op_type == "DynamicQuantizeLinear" and not imp.value(node.input[0]).is_const or \
        any(name in imp.dynamic_quant for name in node.input)


def translate(imp, node, attrs):
    """Import a node of the pattern above (reads_dynamic_quant(node) is true)."""
    op, marks = node.op_type, [imp.dynamic_quant.get(name) for name in node.input]
    if op == "DynamicQuantizeLinear":
        x = node.input[0]
        outputs = list(node.output) + ["", "", ""]
        imp.mark_dynamic_quant(outputs[0], Quantized(x))
        imp.mark_dynamic_quant(outputs[1], Scale(x, np.float32(1.0)))
        imp.mark_dynamic_quant(outputs[2], ZeroPoint(x))
    elif op in ("ConvInteger", "MatMulInteger"):
        _integer_product(imp, node, attrs, marks)
    elif op == "DequantizeLinear" and isinstance(marks[0], Quantized):
        if not (isinstance(marks[1], Scale) and marks[1].source == marks[0].source and
                np.all(marks[1].factor == 1) and isinstance(marks[2], ZeroPoint)):
            raise Unsupported("dequantizes a DynamicQuantizeLinear result with other parameters than its own")
        imp.alias(node.output[0], marks[0].source)
    elif op == "Mul":
        _mul(imp, node, marks)
    elif op == "Div" and marks[0] is None and isinstance(marks[1], Scale):
        constant = imp.require_const(node.input[0], "the dividend of a dynamic-quantization scale")
        inner = imp.internal_const(node.output[0] + "#float", constant.astype(np.float32) / marks[1].factor)
        imp.mark_dynamic_quant(node.output[0], Scaled(inner, marks[1].source))
    elif op in _ROUNDING and isinstance(marks[0], (Scaled, Scale)):
        imp.mark_dynamic_quant(node.output[0], marks[0])
    elif op in _SCALE_COMMUTING and isinstance(marks[0], Scaled):
        _scale_commuting(imp, node, attrs, marks)
    else:
        name, mark = next((n, m) for n, m in zip(node.input, marks) if m is not None)
        raise Unsupported(f"reads {name!r}, a {type(mark).__name__.lower()} value of onnxruntime's dynamic "
                          "quantization (DynamicQuantizeLinear) in a way edgenet does not import; supported: "
                          "DynamicQuantizeLinear -> ConvInteger / MatMulInteger -> Cast -> Mul by the scales")


def _integer_product(imp, node, attrs, marks):
    a, b = node.input[0], node.input[1]
    a_zp, b_zp = input_name(node, 2), input_name(node, 3)
    quantized = marks[0]
    if not isinstance(quantized, Quantized):
        raise Unsupported(f"input A ({a!r}) is not a DynamicQuantizeLinear result (static integer inputs are "
                          "not supported)")
    zero_point = imp.dynamic_quant.get(a_zp)
    if not (isinstance(zero_point, ZeroPoint) and zero_point.source == quantized.source):
        raise Unsupported(f"input A's zero point ({a_zp!r}) is not the one DynamicQuantizeLinear computed for it")
    weights = imp.require_const(b, "integer weights").astype(np.float32)
    weight_zp = np.zeros((), np.float32) if not b_zp else imp.require_const(b_zp, "weight zero point").astype(
        np.float32)
    if node.op_type == "ConvInteger":  # zero point per output channel (dim 0 of OIHW) or one
        weights = weights - weight_zp.reshape((-1,) + (1,) * (weights.ndim - 1))
        float_op, float_attrs = "Conv", attrs
    else:  # MatMulInteger: B is (..., K, N), zero point per column N or one
        weights = weights - weight_zp.reshape((1,) * (weights.ndim - 1) + (-1,))
        float_op, float_attrs = "MatMul", {}
    out = node.output[0]
    # The float form first: what every other use of the product (a Reshape, an Add...) reads. When the
    # product only meets its scale, _mul replaces it by a hybrid fully connected and it is dead code.
    inner = imp.emit(float_op, [quantized.source, imp.internal_const(out + "#weights", weights)], out, float_attrs)
    integer = None
    if node.op_type == "MatMulInteger":
        integer = _integer_weights(imp.const(b), imp.const(b_zp) if b_zp else None,
                                   imp.value(quantized.source).rank)
    imp.mark_dynamic_quant(out, Scaled(inner, quantized.source, integer))


def _integer_weights(b, zero_point, a_rank):
    """B (K, N) int8 / uint8 with a zero point per column or one, as IntegerWeights, or None when
    the hybrid fully connected cannot compute it (batched B, other integer types, A a vector)."""
    if b is None or b.ndim != 2 or a_rank < 2 or b.dtype not in (np.int8, np.uint8):
        return None
    zero_point = np.zeros((), b.dtype) if zero_point is None else zero_point
    if zero_point.dtype != b.dtype or zero_point.size not in (1, b.shape[1]):
        return None
    shift = 128 if b.dtype == np.uint8 else 0  # uint8 -> int8: q - 128 with zero point zp - 128, exact
    values = (b.astype(np.int32) - shift).astype(np.int8).T.copy()
    zero_point = np.broadcast_to(zero_point.astype(np.int64).reshape(-1) - shift, (b.shape[1],)).copy()
    return IntegerWeights(values, zero_point)


def _hybrid_fully_connected(imp, x, weights, scale, out, bias=None):
    """y = fully_connected(x, int8 weights, bias): the C core quantizes x at each run like
    DynamicQuantizeLinear, sums in int32 and scales by s_x * scale (edgenet/ops/conv.py, is_hybrid)."""
    columns = weights.values.shape[0]
    scale = np.asarray(scale, np.float32).reshape(-1)
    if scale.size not in (1, columns) or not np.all(np.isfinite(scale) & (scale > 0)):
        raise Unsupported(f"weight scales of {out!r}: need one positive scale or one per column ({columns})")
    quant = QuantParams(np.broadcast_to(scale, (columns,)).copy(), weights.zero_point, 0)
    g = imp.graph
    data = weights.values
    data.setflags(write=False)
    w = Tensor(g, Graph._unique_name(out + "/weights", g._names), data.shape, "int8", data=data, quant=quant)
    imp.set(out, g.fully_connected(imp.tensor(x), w, bias))


def _mul(imp, node, marks):
    out = node.output[0]
    scaled = [m for m in marks if isinstance(m, Scaled)]
    scales = [m for m in marks if isinstance(m, Scale)]
    if len(scales) == 1 and len(scaled) == 0:  # s_x * constant (the weights' scale)
        other = node.input[1] if isinstance(marks[0], Scale) else node.input[0]
        constant = imp.require_const(other, "a factor of a dynamic-quantization scale")
        imp.mark_dynamic_quant(out, Scale(scales[0].source, scales[0].factor * constant.astype(np.float32)))
    elif len(scales) == 1 and len(scaled) == 1 and scales[0].source == scaled[0].source:
        if scaled[0].weights is not None and scales[0].factor.size in (1, scaled[0].weights.values.shape[0]):
            _hybrid_fully_connected(imp, scaled[0].source, scaled[0].weights, scales[0].factor, out)
            return
        # (value / s_x) * (s_x * factor) = value * factor: back to an ordinary float value.
        factor = scales[0].factor
        rank = imp.value(scaled[0].inner).rank
        factor = factor.reshape((1,) * max(rank - factor.ndim, 0) + factor.shape)
        imp.emit("Mul", [scaled[0].inner, imp.internal_const(out + "#scale", factor)], out, {}, final=True)
    else:
        raise Unsupported("multiplies dynamic-quantization values of different sources")


def _scale_commuting(imp, node, attrs, marks):
    source = marks[0].source
    data = node.input if node.op_type in _ALL_INPUTS_SCALED else node.input[:1]
    inputs = list(node.input)
    for i, (name, mark) in enumerate(zip(node.input, marks)):
        if i < len(data) and name:
            if not (isinstance(mark, Scaled) and mark.source == source):
                raise Unsupported(f"{node.op_type} mixes {name!r} with a value in dynamic-quantization units")
            inputs[i] = mark.inner
        elif mark is not None:
            raise Unsupported(f"input {name!r} of {node.op_type} is a dynamic-quantization value")
    out = node.output[0]  # every op in _SCALE_COMMUTING has one output
    imp.mark_dynamic_quant(out, Scaled(imp.emit(node.op_type, inputs, out, attrs), source))


def translate_contrib(imp, node, attrs):
    """com.microsoft DynamicQuantizeLSTM / DynamicQuantizeMatMul: float activations, integer
    weights with their scales; imported as LSTM / MatMul (+ bias) on the dequantized weights."""
    if node.op_type == "DynamicQuantizeMatMul":  # A, B, b_scale, b_zero_point, bias
        out = node.output[0]
        bias = input_name(node, 4)
        b_zp = input_name(node, 3)
        integer = _integer_weights(imp.require_const(node.input[1], "integer weights"),
                                   imp.require_const(b_zp, "weight zero point") if b_zp else None,
                                   imp.value(node.input[0]).rank)
        bias_values = imp.const(bias) if bias else None
        if integer is not None and (not bias or (bias_values is not None and bias_values.ndim == 1)):
            scale = imp.require_const(node.input[2], "weight scale")
            _hybrid_fully_connected(imp, node.input[0], integer, scale, out,
                                    None if bias_values is None else bias_values.astype(np.float32))
            return
        weights = _dequantize(imp, node, 1, 2, 3, column_axis=-1)
        product = imp.emit("MatMul", [node.input[0], imp.internal_const(out + "#weights", weights)],
                           out, {}, final=not bias)
        if bias:
            imp.emit("Add", [product, bias], out, {}, final=True)
        return
    # DynamicQuantizeLSTM: X, W, R, B, sequence_lens, initial_h, initial_c, P, W_scale, W_zero_point,
    # R_scale, R_zero_point; W (dirs, input, 4*hidden) and R (dirs, hidden, 4*hidden) are the
    # transposes of LSTM's layout.
    w = np.swapaxes(_dequantize(imp, node, 1, 8, 9, column_axis=-1), 1, 2)
    r = np.swapaxes(_dequantize(imp, node, 2, 10, 11, column_axis=-1), 1, 2)
    first = node.output[0] if node.output else node.name
    inputs = [node.input[0], imp.internal_const(first + "#W", w), imp.internal_const(first + "#R", r)]
    inputs += [input_name(node, i) for i in range(3, 8)]
    while inputs and not inputs[-1]:
        inputs.pop()
    imp.emit("LSTM", inputs, list(node.output), attrs, final=True)


def _dequantize(imp, node, values_index, scale_index, zero_point_index, column_axis):
    """(q - zero_point) * scale of constant integer weights, with per-tensor, per-direction
    (leading dim) or per-column (last dim) parameters."""
    q = imp.require_const(input_name(node, values_index), "integer weights").astype(np.float32)
    scale = imp.require_const(input_name(node, scale_index), "weight scale").astype(np.float32)
    zp_name = input_name(node, zero_point_index)
    zero_point = imp.require_const(zp_name, "weight zero point").astype(np.float32) if zp_name else np.zeros(())

    def expand(p):
        if p.ndim == 0 or p.size == 1:
            return p.reshape(())
        if q.ndim == 3 and p.ndim == 1 and p.shape[0] == q.shape[0]:  # one per direction
            return p.reshape(-1, 1, 1)
        return p.reshape(p.shape[:-1] + (1,) * (q.ndim - p.ndim) + p.shape[-1:]) if p.ndim > 1 else \
            p.reshape((1,) * (q.ndim - 1) + (-1,))

    return (q - expand(zero_point)) * expand(scale)
