"""CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV, FULLY_CONNECTED, BATCH_MATMUL (TFLite is channels-last
with OHWI weights, like edgenet: weights are used as stored).

Dynamic-range ops (a float input, constant int8 weights: TF's converter with Optimize.DEFAULT and no
representative dataset) become edgenet's hybrid layers with the input quantization LiteRT's default
interpreter uses, found by experiment against numpy models of the candidates (LiteRT 2.3, x86-64;
tests/test_tflite_dynamic_range.py checks each against LiteRT):
  FULLY_CONNECTED    the XNNPACK delegate's qd8 per row (its asymmetric_quantize_inputs option is
                     ignored): "xnnpack_row".
  CONV_2D            XNNPACK qd8 per image ("xnnpack_batch"); a 1x1 stride-1 conv runs as a fully
                     connected layer, quantized per pixel: imported as one ("xnnpack_row").
  DEPTHWISE_CONV_2D  not delegated: TFLite's builtin hybrid kernel, AsymmetricQuantizeFloats per image
                     ("tflite_batch"; per-channel scales only, as LiteRT).
TRANSPOSE_CONV and BATCH_MATMUL with int8 weights are hybrid in LiteRT too, in kernels edgenet does not
have: refused, naming the op (a float import would differ from LiteRT by the activations' rounding).
"""
import numpy as np

from edgenet.graph import Graph, Tensor
from edgenet.quant_math import QuantParams

from ..reader import buffer_array
from ..registry import Unsupported, handles, option, padding_name
from .elementwise import set_activated


def is_dynamic_range(imp, op, x_index, w_index):
    """A float input with constant int8 weights (LiteRT quantizes the input at each run)."""
    return imp.dtype(op.inputs[x_index]) == "FLOAT32" and imp.dtype(op.inputs[w_index]) in ("INT8", "UINT8")


def hybrid_weights(imp, op, index, axis, what):
    """The int8 weights of a dynamic-range op as an edgenet int8 constant with the file's scales."""
    i = op.inputs[index]
    data = buffer_array(imp.model, imp.data, imp.tensors[i], "model")
    quant = imp.quantization(i)
    if data is None or quant is None or imp.dtype(i) != "INT8":
        raise Unsupported(f"dynamic-range {what}: weights {imp.name(i)!r} must be a constant int8 tensor with "
                          "quantization parameters")
    scale, zero_point, file_axis = quant
    if np.any(zero_point != 0):
        raise Unsupported(f"dynamic-range {what}: weights {imp.name(i)!r} have nonzero zero points (LiteRT's "
                          "hybrid kernels take symmetric int8 weights)")
    channels = data.shape[axis]
    if not (scale.size == 1 or (scale.size == channels and file_axis == axis)):
        raise Unsupported(f"dynamic-range {what}: weights {imp.name(i)!r} need one scale or one per output channel "
                          f"(axis {axis}), got {scale.size} on axis {file_axis}")
    if not np.all(np.isfinite(scale) & (scale > 0)):
        raise Unsupported(f"dynamic-range {what}: weight scales of {imp.name(i)!r} must be positive and finite")
    g = imp.graph
    data = np.array(data, np.int8)
    data.setflags(write=False)
    return Tensor(g, Graph._unique_name(imp.name(i), g._names), data.shape, "int8", data=data,
                  quant=QuantParams(scale.copy(), np.zeros(scale.size, np.int64), axis if scale.size > 1 else 0))


def hybrid(y, mode):
    """y's producer (a hybrid layer) quantizes its input the `mode` way (Operator.hybrid_quantization)."""
    y.producer.attrs = dict(y.producer.attrs, hybrid_quantization=mode)
    return y


def bias_input(imp, op, index):
    return imp.require_const(op.inputs[index], "bias") if len(op.inputs) > index and op.inputs[index] >= 0 else None


@handles("CONV_2D")
def conv_2d(imp, op):
    x = imp.tensor(op.inputs[0])
    if is_dynamic_range(imp, op, 0, 1):
        w = hybrid_weights(imp, op, 1, 0, "CONV_2D")
        strides = (option(op, "strideH", 1), option(op, "strideW", 1))
        if w.shape[1:3] == (1, 1) and strides == (1, 1) and w.shape[3] == x.shape[3]:  # XNNPACK: a fully connected
            flat = Tensor(imp.graph, Graph._unique_name(w.name + "/2d", imp.graph._names), (w.shape[0], w.shape[3]),
                          "int8", data=np.reshape(w.data, (w.shape[0], w.shape[3])), quant=w.quant)
            set_activated(imp, op, hybrid(imp.graph.fully_connected(x, flat, bias_input(imp, op, 2)), "xnnpack_row"))
            return
    else:
        w = imp.require_const(op.inputs[1], "weights")
    groups = x.shape[3] // w.shape[3] if w.shape[3] else 1
    if groups * w.shape[3] != x.shape[3]:
        raise Unsupported(f"weights {w.shape} do not divide the {x.shape[3]} input channels")
    y = imp.graph.conv2d(x, w, bias_input(imp, op, 2), strides=(option(op, "strideH", 1), option(op, "strideW", 1)),
                         padding=padding_name(option(op, "padding")), groups=groups,
                         dilation=(option(op, "dilationHFactor", 1), option(op, "dilationWFactor", 1)))
    set_activated(imp, op, hybrid(y, "xnnpack_batch") if w.dtype == "int8" else y)


@handles("DEPTHWISE_CONV_2D")
def depthwise_conv_2d(imp, op):
    x = imp.tensor(op.inputs[0])
    dynamic = is_dynamic_range(imp, op, 0, 1)
    w = hybrid_weights(imp, op, 1, 3, "DEPTHWISE_CONV_2D") if dynamic else imp.require_const(op.inputs[1], "weights")
    if dynamic and w.quant.scale.size == 1 and w.shape[3] > 1:
        raise Unsupported("dynamic-range DEPTHWISE_CONV_2D needs one weight scale per channel (LiteRT refuses "
                          "per-tensor scales too)")
    y = imp.graph.depthwise_conv2d(x, w, bias_input(imp, op, 2),
                                   strides=(option(op, "strideH", 1), option(op, "strideW", 1)),
                                   padding=padding_name(option(op, "padding")),
                                   dilation=(option(op, "dilationHFactor", 1), option(op, "dilationWFactor", 1)))
    set_activated(imp, op, hybrid(y, "tflite_batch") if dynamic else y)


def transposed_conv(imp, x, w, bias, out_hw, strides, padding):
    """x (N, H, W, Ci) -> (N, out_h, out_w, Co) with TFLite's padding rule (the forward conv's SAME/VALID
    padding computed from the output size, the odd cell at the end)."""
    pads, extra = [], []
    for in_size, out_size, k, s in zip(x.shape[1:3], out_hw, w.shape[1:3], strides):
        if padding == "same":
            total = max((-(-out_size // s) - 1) * s + k - out_size, 0)
        else:
            total = max((out_size - k) // s * s + k - out_size, 0) if out_size >= k else 0
        natural = (in_size - 1) * s + k - total
        if not 0 <= out_size - natural < max(s, 1) + total:
            raise Unsupported(f"output size {out_size} does not fit input {in_size}, kernel {k}, stride {s}")
        pads.append((total // 2, total - total // 2))
        extra.append(out_size - natural)
    return imp.graph.conv2d_transpose(x, w, bias, strides=tuple(strides), padding=tuple(pads),
                                      output_padding=tuple(extra))


@handles("TRANSPOSE_CONV")
def transpose_conv(imp, op):
    if is_dynamic_range(imp, op, 2, 1):
        raise Unsupported("dynamic-range TRANSPOSE_CONV (int8 weights, float input): LiteRT's hybrid kernel "
                          "quantizes the input at each run, which edgenet does not implement for this op")
    out_shape = [int(d) for d in imp.require_const(op.inputs[0], "output_shape")]
    w = imp.require_const(op.inputs[1], "weights")
    x = imp.tensor(op.inputs[2])
    y = transposed_conv(imp, x, w, bias_input(imp, op, 3), out_shape[1:3],
                        (option(op, "strideH", 1), option(op, "strideW", 1)), padding_name(option(op, "padding")))
    set_activated(imp, op, y)


@handles("FULLY_CONNECTED")
def fully_connected(imp, op):
    x = imp.tensor(op.inputs[0])
    dynamic = is_dynamic_range(imp, op, 0, 1)
    w = hybrid_weights(imp, op, 1, 0, "FULLY_CONNECTED") if dynamic else imp.require_const(op.inputs[1], "weights")
    if w.ndim != 2 or option(op, "weightsFormat", 0) != 0:
        raise Unsupported("only DEFAULT-format 2-D weights are supported")
    if not option(op, "keepNumDims", False) and x.ndim != 2:  # TFLite flattens to (-1, In)
        x = imp.graph.reshape(x, (-1, w.shape[1]))
    y = imp.graph.fully_connected(x, w, bias_input(imp, op, 2))
    set_activated(imp, op, hybrid(y, "xnnpack_row") if dynamic else y)


@handles("BATCH_MATMUL")
def batch_matmul(imp, op):
    g = imp.graph
    if is_dynamic_range(imp, op, 0, 1):
        raise Unsupported("dynamic-range BATCH_MATMUL (int8 constant operand, float input): LiteRT's hybrid kernel "
                          "quantizes the input at each run, which edgenet does not implement for this op")
    a, b = imp.tensor(op.inputs[0]), imp.tensor(op.inputs[1])
    if option(op, "adjX", False):
        a = g.transpose(a, tuple(range(a.ndim - 2)) + (a.ndim - 1, a.ndim - 2))
    if option(op, "adjY", False):
        b = g.transpose(b, tuple(range(b.ndim - 2)) + (b.ndim - 1, b.ndim - 2))
    imp.set(op.outputs[0], g.matmul(a, b))
