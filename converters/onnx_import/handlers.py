"""ONNX op -> edgenet ops, one function per op family.

A handler gets (importer, node, attrs), reads inputs with `imp.tensor(name, perm)` (runtime
values in the layout it wants) or `imp.const(name)` (numpy constants), emits nodes with the
Graph builders and records results with `imp.set(output_name, tensor, perm)`. It raises
Unsupported(reason) for anything it cannot translate exactly.
"""
import numpy as np

from .importer import Unsupported, channels_last, inverse

HANDLERS = {}

# Ops edgenet only handles when their inputs are constants (then they are folded away).
FOLD_ONLY = {
    op: "only supported when its inputs are constants (fixed input shapes make shape computations constant)"
    for op in ("Range", "ConstantOfShape", "NonZero", "Constant", "Tile", "CumSum", "OneHot", "ScatterND",
               "GatherND", "Mod", "Not", "And", "Or")
}


def handles(*op_types):
    def register(fn):
        for op in op_types:
            HANDLERS[op] = fn
        return fn
    return register


def _input(node, i):
    return node.input[i] if len(node.input) > i else ""


def _ints(array):
    return [int(v) for v in np.asarray(array).reshape(-1)]


def _edge_axis(perm, axis):
    """Tensor dim holding ONNX dim `axis` of a value with layout `perm`."""
    return axis if perm is None else perm.index(axis)


def _perm_after_dropping(perm, axes):
    """Layout of a value after removing ONNX dims `axes` (keepdims=0 reductions)."""
    if perm is None:
        return None
    kept = [p for p in perm if p not in axes]
    return tuple(int(r) for r in np.argsort(np.argsort(kept)))


def _axes_arg(imp, node, attrs, input_index, rank, name="axes"):
    """Axes from the attribute (older opsets) or the input (newer), non-negative; None if absent."""
    if name in attrs:
        axes = attrs[name]
    elif _input(node, input_index):
        axes = _ints(imp.require_const(_input(node, input_index), name))
    else:
        return None
    axes = [int(a) for a in np.atleast_1d(axes)]
    if any(not -rank <= a < rank for a in axes):
        raise Unsupported(f"{name} {axes} out of range for rank {rank}")
    return [a % rank for a in axes]


# ---- elementwise ------------------------------------------------------------------------


def _common_layout(imp, names):
    """The layout to compute a broadcasting op in: the shared perm of its runtime operands when
    all have the output's rank, else ONNX order."""
    values = [imp.value(n) for n in names if n]
    rank = max(v.rank for v in values)
    perms = {v.perm for v in values if not v.is_const}
    if len(perms) == 1 and all(v.rank == rank for v in values if not v.is_const):
        return perms.pop(), rank
    return None, rank


def _operand(imp, name, perm, rank):
    """An operand of a broadcasting op in layout `perm`: constants are expanded to `rank` and
    transposed at import time (no op emitted)."""
    v = imp.value(name)
    if v.is_const:
        array = v.const.reshape((1,) * (rank - v.const.ndim) + v.const.shape)
        if array.dtype.kind != "f":
            array = array.astype(np.float32)
        return array if perm is None else np.transpose(array, perm)
    return imp.tensor(name, perm)


def _broadcasting(imp, node, op, names=None):
    names = list(names or node.input)
    perm, rank = _common_layout(imp, names)
    operands = [_operand(imp, n, perm, rank) for n in names]
    imp.set(node.output[0], getattr(imp.graph, op)(*operands), perm)


BINARY = {"Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div", "Pow": "pow", "Equal": "equal",
          "Less": "less", "Greater": "greater", "LessOrEqual": "less_equal", "GreaterOrEqual": "greater_equal"}


@handles(*BINARY)
def binary(imp, node, attrs):
    if node.op_type in ("Add", "Sub", "Mul", "Div") and attrs.get("broadcast") is not None and "axis" in attrs:
        raise Unsupported("legacy broadcast with axis (opset < 7)")
    for name in node.input:  # integer arithmetic at run time is not supported
        v = imp.value(name)
        if not v.is_const and v.tensor.dtype != "float32":
            raise Unsupported(f"input {name!r} has dtype {v.tensor.dtype}; only float32 arithmetic is supported")
    _broadcasting(imp, node, BINARY[node.op_type])


@handles("Min", "Max", "Sum")
def variadic(imp, node, attrs):
    op = {"Min": "minimum", "Max": "maximum", "Sum": "add"}[node.op_type]
    names = list(node.input)
    if len(names) == 1:
        imp.alias(node.output[0], names[0])
        return
    perm, rank = _common_layout(imp, names)
    result = _operand(imp, names[0], perm, rank)
    for n in names[1:]:
        result = getattr(imp.graph, op)(result, _operand(imp, n, perm, rank))
    imp.set(node.output[0], result, perm)


@handles("Where")
def where(imp, node, attrs):
    cond, a, b = node.input
    perm, rank = _common_layout(imp, [cond, a, b])
    c = imp.value(cond)
    cond_t = _operand(imp, cond, perm, rank)
    if c.is_const:
        cond_t = imp.constant(np.asarray(cond_t).astype(bool), name=cond)
    imp.set(node.output[0], imp.graph.where(cond_t, _operand(imp, a, perm, rank), _operand(imp, b, perm, rank)),
            perm)


@handles("PRelu")
def prelu(imp, node, attrs):
    x, slope = node.input
    v = imp.value(x)
    perm = v.perm
    s = imp.value(slope)
    if s.is_const:
        array = s.const.astype(np.float32)
        if array.ndim == 1 and array.size > 1 and v.rank > 2 and array.size == v.shape[1]:
            array = array.reshape((-1,) + (1,) * (v.rank - 2))  # old exporters: per-channel (C,)
        slope_t = _operand_array(array, perm, v.rank)
    else:
        perm, _ = _common_layout(imp, [x, slope])
        slope_t = imp.tensor(slope, perm)
    imp.set(node.output[0], imp.graph.prelu(imp.tensor(x, perm), slope_t), perm)


def _operand_array(array, perm, rank):
    array = array.reshape((1,) * (rank - array.ndim) + array.shape)
    return array if perm is None else np.transpose(array, perm)


UNARY = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "HardSwish": "hard_swish", "Sqrt": "sqrt",
         "Exp": "exp", "Log": "log", "Abs": "abs", "Neg": "neg", "Erf": "erf", "Floor": "floor", "Ceil": "ceil",
         "Reciprocal": "reciprocal", "Softplus": "softplus", "Sin": "sin", "Cos": "cos"}


def _unary_input(imp, node):
    v = imp.value(node.input[0])
    if v.tensor.dtype != "float32":
        raise Unsupported(f"input has dtype {v.tensor.dtype}; only float32 is supported")
    return v.tensor, v.perm


@handles(*UNARY)
def unary(imp, node, attrs):
    x, perm = _unary_input(imp, node)
    imp.set(node.output[0], getattr(imp.graph, UNARY[node.op_type])(x), perm)


@handles("LeakyRelu", "Elu", "HardSigmoid", "Gelu", "Selu", "Celu")
def parametric_unary(imp, node, attrs):
    x, perm = _unary_input(imp, node)
    g, op = imp.graph, node.op_type
    if op == "LeakyRelu":
        y = g.leaky_relu(x, attrs.get("alpha", 0.01))
    elif op == "Elu":
        y = g.elu(x, attrs.get("alpha", 1.0))
    elif op == "HardSigmoid":
        y = g.hard_sigmoid(x, attrs.get("alpha", 0.2), attrs.get("beta", 0.5))
    elif op == "Gelu":
        approximate = attrs.get("approximate", b"none")
        approximate = approximate.decode() if isinstance(approximate, bytes) else approximate
        y = g.gelu(x, approximate=approximate == "tanh")
    elif op == "Selu":
        alpha, gamma = attrs.get("alpha", 1.67326319217681884765625), attrs.get("gamma", 1.05070102214813232421875)
        y = g.mul(g.elu(x, alpha), np.float32(gamma))
    else:  # Celu: max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) = alpha * elu(x / alpha, 1)
        alpha = attrs.get("alpha", 1.0)
        y = g.mul(g.elu(g.mul(x, np.float32(1.0 / alpha)), 1.0), np.float32(alpha))
    imp.set(node.output[0], y, perm)


@handles("Clip")
def clip(imp, node, attrs):
    x, perm = _unary_input(imp, node)
    lo, hi = attrs.get("min", -np.inf), attrs.get("max", np.inf)
    if _input(node, 1):
        lo = float(imp.require_const(node.input[1], "min"))
    if _input(node, 2):
        hi = float(imp.require_const(node.input[2], "max"))
    g = imp.graph
    if lo == 0 and hi == 6:
        y = g.relu6(x)
    elif lo == 0 and hi == np.inf:
        y = g.relu(x)
    else:
        y = g.clip(x, lo, hi)
    imp.set(node.output[0], y, perm)


@handles("Identity", "Dropout")
def identity(imp, node, attrs):
    if node.op_type == "Dropout" and len(node.output) > 1 and node.output[1]:
        raise Unsupported("the dropout mask output is not supported")
    if node.op_type == "Dropout" and _input(node, 2):
        training = imp.require_const(node.input[2], "training_mode")
        if bool(np.asarray(training).reshape(-1)[0]):
            raise Unsupported("training-mode dropout (random)")
    imp.alias(node.output[0], node.input[0])


@handles("Cast", "CastLike")
def cast(imp, node, attrs):
    v = imp.value(node.input[0])
    if node.op_type == "CastLike":  # the dtype of the second input
        like = imp.value(node.input[1])
        to = np.dtype(like.const.dtype if like.is_const else like.tensor.dtype).name
    else:
        to = np.dtype(imp.onnx.helper.tensor_dtype_to_np_dtype(attrs["to"])).name
    if v.is_const:  # CastLike of a constant to a run-time value's dtype
        imp.set_const(node.output[0], v.const.astype(to))
        return
    if to == v.tensor.dtype or (to in ("float16", "float64") and v.tensor.dtype == "float32"):
        imp.alias(node.output[0], node.input[0])  # edgenet computes in float32 throughout
        return
    if to not in ("float32", "int32", "int64", "bool"):
        raise Unsupported(f"cast to {to}")
    imp.set(node.output[0], imp.graph.cast(v.tensor, to), v.perm)


# ---- softmax family -----------------------------------------------------------------------


@handles("Softmax", "LogSoftmax")
def softmax(imp, node, attrs):
    v = imp.value(node.input[0])
    rank = v.rank
    op = "softmax" if node.op_type == "Softmax" else "log_softmax"
    axis = attrs.get("axis", -1 if imp.opset >= 13 else 1) % rank
    g = imp.graph
    if imp.opset < 13 and axis != rank - 1:
        # Old semantics: the input is flattened to 2-D at `axis` and normalized over the tail.
        x = imp.tensor(node.input[0])
        head = v.shape[:axis]
        flat = g.reshape(x, (-1 if None in head else int(np.prod(head, dtype=np.int64)), -1))
        y = getattr(g, op)(flat, axis=1)
        imp.set(node.output[0], g.reshape(y, tuple(-1 if d is None else d for d in v.shape)))
        return
    imp.set(node.output[0], getattr(g, op)(v.tensor, axis=_edge_axis(v.perm, axis)), v.perm)


# ---- convolution and pooling ------------------------------------------------------------------


def _spatial_input(imp, name, what):
    """(tensor NHWC, was_1d): the value as channels-last 4-D; rank-3 (N, C, L) values get H = 1."""
    v = imp.value(name)
    if v.is_const:
        raise Unsupported(f"{what} input must be computed at run time")
    if v.rank == 4:
        return imp.tensor(name, channels_last(4)), False
    if v.rank == 3:
        x = imp.tensor(name, channels_last(3))  # (N, L, C) -> (N, 1, L, C) is a pure reshape
        n, length, c = x.shape
        return imp.graph.reshape(x, (-1 if n is None else n, 1, length, c)), True
    raise Unsupported(f"{what} on rank-{v.rank} input (only 1-D and 2-D spatial inputs are supported)")


def _set_spatial_output(imp, name, y, was_1d):
    if was_1d:
        n, _, length, c = y.shape
        imp.set(name, imp.graph.reshape(y, (-1 if n is None else n, length, c)), channels_last(3))
    else:
        imp.set(name, y, channels_last(4))


def _pair(values, was_1d, default):
    values = list(values) if values is not None else None
    if values is None:
        return (default, default)
    return (default, values[0]) if was_1d else tuple(values)


def _window_padding(attrs, in_hw, kernel_hw, strides, dilations, was_1d):
    """ONNX pads/auto_pad -> ((top, bottom), (left, right)) or "same"/"valid"."""
    auto_pad = attrs.get("auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    if auto_pad == "VALID":
        return ((0, 0), (0, 0))
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        pads = []
        for size, k, s, d in zip(in_hw, kernel_hw, strides, dilations):
            total = max((-(-size // s) - 1) * s + (k - 1) * d + 1 - size, 0)
            small, large = total // 2, total - total // 2
            pads.append((small, large) if auto_pad == "SAME_UPPER" else (large, small))
        return tuple(pads)
    pads = attrs.get("pads")
    if pads is None:
        return ((0, 0), (0, 0))
    if was_1d:
        return ((0, 0), (pads[0], pads[1]))
    return ((pads[0], pads[2]), (pads[1], pads[3]))


@handles("Conv")
def conv(imp, node, attrs):
    x, was_1d = _spatial_input(imp, node.input[0], "Conv")
    w = imp.require_const(node.input[1], "weights").astype(np.float32)
    b = imp.require_const(_input(node, 2), "bias")
    b = None if b is None else b.astype(np.float32)
    if was_1d:
        w = w[:, :, None, :]
    group = attrs.get("group", 1)
    strides = _pair(attrs.get("strides"), was_1d, 1)
    dilations = _pair(attrs.get("dilations"), was_1d, 1)
    padding = _window_padding(attrs, x.shape[1:3], w.shape[2:4], strides, dilations, was_1d)
    g = imp.graph
    cin, cout = x.shape[3], w.shape[0]
    if group == 1:
        y = g.conv2d(x, w.transpose(0, 2, 3, 1), b, strides=strides, padding=padding, dilation=dilations)
    elif group == cin and w.shape[1] == 1:
        # Depthwise: ONNX output channel o reads input channel o // M, as edgenet's c*M + m.
        y = g.depthwise_conv2d(x, w.transpose(1, 2, 3, 0), b, strides=strides, padding=padding,
                               dilation=dilations)
    else:
        # Grouped: one conv per group on its slice of channels, concatenated.
        per_in, per_out = cin // group, cout // group
        pieces = g.split(x, [per_in] * group, axis=3)
        outs = []
        for k, piece in enumerate(pieces):
            wk = w[k * per_out:(k + 1) * per_out].transpose(0, 2, 3, 1)
            bk = None if b is None else b[k * per_out:(k + 1) * per_out]
            outs.append(g.conv2d(piece, wk, bk, strides=strides, padding=padding, dilation=dilations))
        y = g.concat(outs, axis=3)
    _set_spatial_output(imp, node.output[0], y, was_1d)


@handles("ConvTranspose")
def conv_transpose(imp, node, attrs):
    x, was_1d = _spatial_input(imp, node.input[0], "ConvTranspose")
    w = imp.require_const(node.input[1], "weights").astype(np.float32)  # (Ci, Co/group, kh, kw)
    b = imp.require_const(_input(node, 2), "bias")
    b = None if b is None else b.astype(np.float32)
    if was_1d:
        w = w[:, :, None, :]
    group = attrs.get("group", 1)
    strides = _pair(attrs.get("strides"), was_1d, 1)
    dilations = _pair(attrs.get("dilations"), was_1d, 1)
    output_padding = _pair(attrs.get("output_padding"), was_1d, 0)
    kernel = w.shape[2:4]
    in_hw = x.shape[1:3]
    auto_pad = attrs.get("auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    if "output_shape" in attrs or auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        wanted = _pair(attrs.get("output_shape")[-2:] if not was_1d else attrs["output_shape"][-1:], was_1d, 1) \
            if "output_shape" in attrs else tuple(size * s for size, s in zip(in_hw, strides))
        pads = []
        for size, k, s, d, extra, out in zip(in_hw, kernel, strides, dilations, output_padding, wanted):
            total = s * (size - 1) + extra + (k - 1) * d + 1 - out
            if total < 0:
                raise Unsupported(f"output_shape {out} larger than the full transposed-conv output")
            half = total // 2
            pads.append((half, total - half) if auto_pad == "SAME_UPPER" else (total - half, half))
        padding = tuple(pads)
    else:
        padding = _window_padding({"pads": attrs.get("pads")}, in_hw, kernel, strides, dilations, was_1d)
    g = imp.graph

    def deconv(xk, wk, bk):
        return g.conv2d_transpose(xk, wk.transpose(1, 2, 3, 0), bk, strides=strides, padding=padding,
                                  dilation=dilations, output_padding=output_padding)

    if group == 1:
        y = deconv(x, w, b)
    else:
        per_in, per_out = x.shape[3] // group, w.shape[1]
        pieces = g.split(x, [per_in] * group, axis=3)
        y = g.concat([deconv(piece, w[k * per_in:(k + 1) * per_in],
                             None if b is None else b[k * per_out:(k + 1) * per_out])
                      for k, piece in enumerate(pieces)], axis=3)
    _set_spatial_output(imp, node.output[0], y, was_1d)


@handles("MaxPool", "AveragePool")
def pool(imp, node, attrs):
    if len(node.output) > 1 and node.output[1]:
        raise Unsupported("the Indices output of MaxPool is not supported")
    x, was_1d = _spatial_input(imp, node.input[0], node.op_type)
    kernel = _pair(attrs["kernel_shape"], was_1d, 1)
    strides = _pair(attrs.get("strides"), was_1d, 1)
    if tuple(_pair(attrs.get("dilations"), was_1d, 1)) != (1, 1):
        raise Unsupported("pooling with dilations")
    in_hw = x.shape[1:3]
    padding = _window_padding(attrs, in_hw, kernel, strides, (1, 1), was_1d)
    count_include_pad = bool(attrs.get("count_include_pad", 0))
    if attrs.get("ceil_mode", 0):
        pads = []
        for size, k, s, (before, after) in zip(in_hw, kernel, strides, padding):
            out = -(-(size + before + after - k) // s) + 1
            if (out - 1) * s >= size + before:  # ONNX drops a last window starting in the padding
                out -= 1
            extra = max((out - 1) * s + k - (size + before + after), 0)
            if extra and count_include_pad:
                raise Unsupported("ceil_mode with count_include_pad")
            pads.append((before, after + extra))
        padding = tuple(pads)
    g = imp.graph
    if node.op_type == "MaxPool":
        y = g.max_pool2d(x, kernel, strides, padding)
    else:
        y = g.avg_pool2d(x, kernel, strides, padding, count_include_pad=count_include_pad)
    _set_spatial_output(imp, node.output[0], y, was_1d)


@handles("GlobalAveragePool", "GlobalMaxPool")
def global_pool(imp, node, attrs):
    v = imp.value(node.input[0])
    perm = channels_last(v.rank)
    x = imp.tensor(node.input[0], perm)
    axes = tuple(range(1, v.rank - 1))
    op = imp.graph.mean if node.op_type == "GlobalAveragePool" else imp.graph.reduce_max
    imp.set(node.output[0], op(x, axes, keepdims=True), perm)


# ---- normalization ------------------------------------------------------------------------


@handles("BatchNormalization")
def batch_norm(imp, node, attrs):
    if len([o for o in node.output if o]) > 1 or attrs.get("training_mode", 0):
        raise Unsupported("training-mode batch norm (running statistics outputs)")
    v = imp.value(node.input[0])
    scale, bias, mean, var = (imp.require_const(n, r).astype(np.float32)
                              for n, r in zip(node.input[1:5], ("scale", "bias", "mean", "var")))
    perm = channels_last(v.rank) if v.rank > 2 else None
    x = imp.tensor(node.input[0], perm)
    y = imp.graph.batch_norm(x, mean, var, scale, bias, epsilon=attrs.get("epsilon", 1e-5))
    imp.set(node.output[0], y, perm)


@handles("InstanceNormalization")
def instance_norm(imp, node, attrs):
    x, was_1d = _spatial_input(imp, node.input[0], "InstanceNormalization")
    scale = imp.require_const(node.input[1], "scale").astype(np.float32)
    bias = imp.require_const(node.input[2], "bias").astype(np.float32)
    y = imp.graph.instance_norm(x, scale, bias, epsilon=attrs.get("epsilon", 1e-5))
    _set_spatial_output(imp, node.output[0], y, was_1d)


@handles("LayerNormalization")
def layer_norm(imp, node, attrs):
    if attrs.get("stash_type", 1) != 1:
        raise Unsupported("stash_type other than float32")
    v = imp.value(node.input[0])
    axis = attrs.get("axis", -1) % v.rank
    tail = v.shape[axis:]
    scale = imp.require_const(node.input[1], "scale").astype(np.float32)
    bias = imp.require_const(_input(node, 2), "bias")
    scale = np.broadcast_to(scale, tail).copy()
    bias = None if bias is None else np.broadcast_to(bias.astype(np.float32), tail).copy()
    x = imp.tensor(node.input[0])
    y = imp.graph.layer_norm(x, scale, bias, axis=axis, epsilon=attrs.get("epsilon", 1e-5))
    imp.set(node.output[0], y)
    outputs = list(node.output) + ["", ""]
    if outputs[1] or outputs[2]:  # the statistics (training-style outputs), over dims axis..rank-1
        g, axes = imp.graph, tuple(range(axis, v.rank))
        mean = g.mean(x, axes, keepdims=True)
        centered = g.sub(x, mean)
        variance = g.mean(g.mul(centered, centered), axes, keepdims=True)
        imp.set(outputs[1], mean)
        if outputs[2]:
            imp.set(outputs[2], g.reciprocal(g.sqrt(g.add(variance, np.float32(attrs.get("epsilon", 1e-5))))))


# ---- linear algebra -------------------------------------------------------------------------


@handles("Gemm")
def gemm(imp, node, attrs):
    alpha, beta = attrs.get("alpha", 1.0), attrs.get("beta", 1.0)
    g = imp.graph
    a = imp.tensor(node.input[0])
    if attrs.get("transA", 0):
        a = g.transpose(a, (1, 0))
    b_const = imp.const(node.input[1])
    c = imp.const(_input(node, 2))
    if _input(node, 2) and c is None:
        raise Unsupported("a run-time C input")
    if b_const is not None:
        weights = b_const.astype(np.float32)
        weights = (weights if attrs.get("transB", 0) else weights.T) * np.float32(alpha)
        out = weights.shape[0]
        bias = None
        if c is not None and c.size in (1, out) and (c.ndim < 2 or c.shape[0] == 1):
            bias = np.broadcast_to(c.astype(np.float32).reshape(-1) * np.float32(beta), (out,)).copy()
            c = None
        y = g.fully_connected(a, weights, bias)
    else:
        b = imp.tensor(node.input[1])
        if attrs.get("transB", 0):
            b = g.transpose(b, (1, 0))
        y = g.matmul(a, b)
        if alpha != 1.0:
            y = g.mul(y, np.float32(alpha))
    if c is not None:
        y = g.add(y, (c * beta).astype(np.float32))
    imp.set(node.output[0], y)


@handles("MatMul")
def matmul(imp, node, attrs):
    g = imp.graph
    a_v, b_v = imp.value(node.input[0]), imp.value(node.input[1])
    b_const = imp.const(node.input[1])
    if b_const is not None and b_const.ndim == 2 and a_v.rank >= 2:
        # A constant right operand is a fully connected layer (int8 kernels, packed weights).
        imp.set(node.output[0], g.fully_connected(imp.tensor(node.input[0]), b_const.astype(np.float32).T))
        return
    a = imp.tensor(node.input[0])
    b = imp.tensor(node.input[1])
    a_1d, b_1d = a_v.rank == 1, b_v.rank == 1
    if a_1d and b_1d:
        raise Unsupported("a rank-0 (scalar) result")
    if a_1d:
        a = g.reshape(a, (1,) + a.shape)
    if b_1d:
        b = g.reshape(b, b.shape + (1,))
    y = g.matmul(a, b)
    if a_1d or b_1d:
        shape = y.shape[:-2] + ((y.shape[-2],) if not a_1d else ()) + ((y.shape[-1],) if not b_1d else ())
        y = g.reshape(y, tuple(-1 if d is None else d for d in shape) or (1,))
    imp.set(node.output[0], y)


# ---- reductions ------------------------------------------------------------------------------


REDUCE = {"ReduceMean": "mean", "ReduceSum": "reduce_sum", "ReduceMax": "reduce_max", "ReduceMin": "reduce_min"}


def reduction_args(imp, node, attrs):
    """(value, ONNX axes, keepdims) of a Reduce* node, or None when it is a no-op (empty axes with
    noop_with_empty_axes)."""
    v = imp.value(node.input[0])
    if v.tensor.dtype != "float32":
        raise Unsupported(f"input has dtype {v.tensor.dtype}; only float32 is supported")
    axes_input_since = 13 if node.op_type == "ReduceSum" else 18
    axes = _axes_arg(imp, node, attrs, 1, v.rank) if imp.opset >= axes_input_since or "axes" in attrs else None
    if not axes:
        if attrs.get("noop_with_empty_axes", 0):
            return None
        axes = list(range(v.rank))
    return v, axes, bool(attrs.get("keepdims", 1))


def set_reduced(imp, name, v, axes, keepdims, reduce_fn):
    """Record reduce_fn(tensor, edge axes, keepdims) as `name`, in v's layout."""
    y = reduce_fn(v.tensor, tuple(_edge_axis(v.perm, a) for a in axes), keepdims)
    imp.set(name, y, v.perm if keepdims else _perm_after_dropping(v.perm, axes))


@handles(*REDUCE)
def reduce(imp, node, attrs):
    args = reduction_args(imp, node, attrs)
    if args is None:
        imp.alias(node.output[0], node.input[0])
        return
    op = getattr(imp.graph, REDUCE[node.op_type])
    set_reduced(imp, node.output[0], *args, lambda x, axes, keepdims: op(x, axes, keepdims=keepdims))


@handles("ArgMax", "ArgMin")
def arg(imp, node, attrs):
    v = imp.value(node.input[0])
    axis = attrs.get("axis", 0) % v.rank
    keepdims = bool(attrs.get("keepdims", 1))
    op = imp.graph.arg_max if node.op_type == "ArgMax" else imp.graph.arg_min
    y = op(v.tensor, _edge_axis(v.perm, axis), keepdims=keepdims,
           select_last_index=bool(attrs.get("select_last_index", 0)))
    imp.set(node.output[0], y, v.perm if keepdims else _perm_after_dropping(v.perm, [axis]))


# ---- shape and data movement ------------------------------------------------------------------


def _reshape_to(imp, name, shape):
    """Reshape a value (in ONNX order) to `shape` (ints, one may be -1)."""
    x = imp.tensor(name)
    shape = [int(d) for d in shape]
    if None in x.shape and -1 not in shape:
        # Keep a dynamic batch dynamic: the dim that matches it becomes -1.
        batch = x.shape.index(None)
        if batch < len(shape):
            shape[batch] = -1
    return imp.graph.reshape(x, tuple(shape))


@handles("Reshape")
def reshape(imp, node, attrs):
    v = imp.value(node.input[0])
    shape = _ints(imp.require_const(node.input[1], "shape"))
    if not attrs.get("allowzero", 0):
        shape = [v.shape[i] if d == 0 else d for i, d in enumerate(shape)]
    if None in shape:
        if -1 in shape or shape.count(None) > 1:
            raise Unsupported("reshape copying a dynamic dim together with -1; pin input_shapes")
        shape = [-1 if d is None else d for d in shape]
    imp.set(node.output[0], _reshape_to(imp, node.input[0], shape))


@handles("Flatten")
def flatten(imp, node, attrs):
    v = imp.value(node.input[0])
    axis = attrs.get("axis", 1)
    axis = axis + v.rank if axis < 0 else axis  # range [-rank, rank]
    head, tail = v.shape[:axis], v.shape[axis:]
    size = lambda dims: -1 if None in dims else int(np.prod(dims, dtype=np.int64))  # noqa: E731
    imp.set(node.output[0], _reshape_to(imp, node.input[0], (size(head), size(tail))))


@handles("Squeeze", "Unsqueeze")
def squeeze(imp, node, attrs):
    v = imp.value(node.input[0])
    shape = list(v.shape)
    if node.op_type == "Squeeze":
        axes = _axes_arg(imp, node, attrs, 1, v.rank)
        axes = [i for i, d in enumerate(shape) if d == 1] if axes is None else axes
        if any(shape[a] != 1 for a in axes):
            raise Unsupported(f"squeeze of non-1 dims {axes} of {tuple(shape)}")
        new = [d for i, d in enumerate(shape) if i not in axes]
    else:
        out_rank = v.rank + len(attrs.get("axes", []) or _ints(imp.require_const(_input(node, 1), "axes")))
        axes = sorted(a % out_rank for a in _axes_arg(imp, node, attrs, 1, out_rank))
        new = list(shape)
        for a in axes:
            new.insert(a, 1)
    if not new:
        raise Unsupported("a rank-0 (scalar) result")
    imp.set(node.output[0], _reshape_to(imp, node.input[0], [-1 if d is None else d for d in new]))


@handles("Transpose")
def transpose(imp, node, attrs):
    v = imp.value(node.input[0])
    perm = tuple(attrs.get("perm", range(v.rank - 1, -1, -1)))
    # out = transpose(in, perm): hold the output as the input tensor itself in a new layout
    # when possible, so no data moves (out dim i = in dim perm[i]).
    src = inverse(v.perm) if v.perm else tuple(range(v.rank))  # in ONNX dim -> tensor dim
    tensor_of_out = [src[p] for p in perm]  # out ONNX dim i -> tensor dim
    new_perm = inverse(tensor_of_out)  # tensor dim -> out ONNX dim
    imp.set_value(node.output[0], v.tensor, new_perm)


@handles("Concat")
def concat(imp, node, attrs):
    names = [n for n in node.input if n]
    perm, rank = _common_layout(imp, names)
    axis = attrs["axis"] % rank
    tensors = [imp.tensor(n, perm) for n in names]
    if len(tensors) == 1:
        imp.alias(node.output[0], names[0])
        return
    imp.set(node.output[0], imp.graph.concat(tensors, axis=_edge_axis(perm, axis)), perm)


@handles("Split")
def split(imp, node, attrs):
    v = imp.value(node.input[0])
    axis = attrs.get("axis", 0) % v.rank
    size = v.shape[axis]
    if "split" in attrs:
        sizes = list(attrs["split"])
    elif _input(node, 1):
        sizes = _ints(imp.require_const(node.input[1], "split"))
    else:
        parts = attrs.get("num_outputs", len(node.output))
        chunk = -(-size // parts)
        sizes = [chunk] * (parts - 1) + [size - chunk * (parts - 1)]
    outputs = imp.graph.split(v.tensor, sizes, axis=_edge_axis(v.perm, axis))
    for name, t in zip(node.output, outputs):
        imp.set(name, t, v.perm)


@handles("Slice")
def slice_(imp, node, attrs):
    v = imp.value(node.input[0])
    rank = v.rank
    if "starts" in attrs:  # opset < 10
        starts, ends, axes, steps = attrs["starts"], attrs["ends"], attrs.get("axes"), None
    else:
        starts = _ints(imp.require_const(node.input[1], "starts"))
        ends = _ints(imp.require_const(node.input[2], "ends"))
        axes = _ints(imp.require_const(_input(node, 3), "axes")) if _input(node, 3) else None
        steps = _ints(imp.require_const(_input(node, 4), "steps")) if _input(node, 4) else None
    axes = list(range(len(starts))) if axes is None else [a % rank for a in axes]
    steps = steps or [1] * len(starts)
    whole = np.iinfo(np.int32).max
    begin, end, stride = [0] * rank, [whole] * rank, [1] * rank
    for a, s, e, st in zip(axes, starts, ends, steps):
        size = v.shape[a]
        if size is None:
            raise Unsupported(f"slicing dynamic dim {a}; pin input_shapes")
        b, e2, _ = slice(int(np.clip(s, -2**62, 2**62)), int(np.clip(e, -2**62, 2**62)), int(st)).indices(size)
        begin[a], end[a], stride[a] = b, (e2 if e2 >= 0 else -1), int(st)
    for a in range(rank):
        if a not in axes and v.shape[a] is not None:
            end[a] = v.shape[a]
    order = v.perm or tuple(range(rank))
    y = imp.graph.slice(v.tensor, [begin[p] for p in order], [end[p] for p in order], [stride[p] for p in order])
    imp.set(node.output[0], y, v.perm)


@handles("Gather")
def gather(imp, node, attrs):
    v = imp.value(node.input[0])
    axis = attrs.get("axis", 0) % v.rank
    index_value = imp.value(node.input[1])
    if not index_value.is_const:  # run-time indices (token ids into an embedding table, ...)
        if index_value.rank == 0:
            raise Unsupported("a rank-0 run-time index")
        indices = imp.tensor(node.input[1])
        if indices.dtype not in ("int32", "int64"):
            raise Unsupported(f"indices of dtype {indices.dtype}")
        imp.set(node.output[0], imp.graph.gather(imp.tensor(node.input[0]), indices, axis=axis))
        return
    indices = index_value.const
    if indices.ndim == 0:
        # A scalar index drops the axis: gather one, then reshape it away.
        y = imp.graph.gather(imp.tensor(node.input[0]), imp.constant(indices.reshape(1).astype(np.int64),
                                                                     name=node.input[1]), axis=axis)
        shape = [-1 if d is None else d for i, d in enumerate(y.shape) if i != axis]
        if not shape:
            raise Unsupported("a rank-0 (scalar) result")
        imp.set(node.output[0], imp.graph.reshape(y, tuple(shape)))
        return
    y = imp.graph.gather(imp.tensor(node.input[0]), imp.constant(indices.astype(np.int64), name=node.input[1]),
                         axis=axis)
    imp.set(node.output[0], y)


@handles("Pad")
def pad(imp, node, attrs):
    v = imp.value(node.input[0])
    rank = v.rank
    mode = attrs.get("mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if "pads" in attrs:  # opset < 11
        pads, value = list(attrs["pads"]), attrs.get("value", 0.0)
        axes = list(range(rank))
    else:
        pads = _ints(imp.require_const(node.input[1], "pads"))
        value = imp.require_const(_input(node, 2), "constant_value")
        value = 0.0 if value is None or value.size == 0 else float(value.reshape(-1)[0])
        axes = _ints(imp.require_const(_input(node, 3), "axes")) if _input(node, 3) else list(range(rank))
        axes = [a % rank for a in axes]
    if min(pads) < 0:
        raise Unsupported("negative pads (cropping)")
    pairs = [(0, 0)] * rank
    for k, a in enumerate(axes):
        pairs[a] = (pads[k], pads[k + len(axes)])
    order = v.perm or tuple(range(rank))
    edge_pairs = [pairs[p] for p in order]
    g = imp.graph
    if mode == "constant":
        y = g.pad(v.tensor, edge_pairs, constant_value=value)
    elif mode in ("reflect", "edge"):
        y = g.border_pad(v.tensor, edge_pairs, mode)
    else:
        raise Unsupported(f"pad mode {mode!r}")
    imp.set(node.output[0], y, v.perm)


@handles("Expand")
def expand(imp, node, attrs):
    v = imp.value(node.input[0])
    shape = _ints(imp.require_const(node.input[1], "shape"))
    if None in v.shape:
        raise Unsupported("expanding a dynamic dim; pin input_shapes")
    target = np.broadcast_shapes(v.shape, tuple(shape))
    if tuple(target) == tuple(v.shape):
        imp.alias(node.output[0], node.input[0])
        return
    x = imp.tensor(node.input[0])
    if len(target) > v.rank:
        x = imp.graph.reshape(x, (1,) * (len(target) - v.rank) + tuple(v.shape))
    imp.set(node.output[0], imp.graph.broadcast_to(x, target))


@handles("DepthToSpace", "SpaceToDepth")
def depth_space(imp, node, attrs):
    v = imp.value(node.input[0])
    if v.rank != 4:
        raise Unsupported(f"rank-{v.rank} input")
    x = imp.tensor(node.input[0], channels_last(4))
    g = imp.graph
    if node.op_type == "DepthToSpace":
        mode = attrs.get("mode", b"DCR")
        y = g.depth_to_space(x, attrs["blocksize"], mode.decode() if isinstance(mode, bytes) else mode)
    else:
        if _decode(attrs.get("mode"), "DCR") != "DCR":
            raise Unsupported("SpaceToDepth mode CRD")
        y = g.space_to_depth(x, attrs["blocksize"])
    imp.set(node.output[0], y, channels_last(4))


def _decode(value, default):
    value = value if value is not None else default
    return value.decode() if isinstance(value, bytes) else value


@handles("Resize", "Upsample")
def resize(imp, node, attrs):
    v = imp.value(node.input[0])
    if v.rank != 4:
        raise Unsupported(f"resizing a rank-{v.rank} tensor (only N, C, H, W)")
    mode = _decode(attrs.get("mode"), "nearest")
    if mode not in ("nearest", "linear", "bilinear"):
        raise Unsupported(f"mode {mode!r}")
    mode = "linear" if mode == "bilinear" else mode
    in_shape = v.shape
    if node.op_type == "Upsample":
        scales = attrs.get("scales")
        if scales is None:
            scales = list(imp.require_const(node.input[1], "scales").astype(float))
        coordinate_mode, nearest_mode, sizes = "asymmetric", "floor", None
    else:
        if attrs.get("antialias", 0):
            raise Unsupported("antialias")
        if _decode(attrs.get("keep_aspect_ratio_policy"), "stretch") != "stretch":
            raise Unsupported("keep_aspect_ratio_policy other than stretch")
        coordinate_mode = _decode(attrs.get("coordinate_transformation_mode"), "half_pixel")
        nearest_mode = _decode(attrs.get("nearest_mode"), "round_prefer_floor")
        if coordinate_mode == "tf_crop_and_resize":
            raise Unsupported("coordinate_transformation_mode tf_crop_and_resize")
        scales_in = imp.require_const(_input(node, 2), "scales") if len(node.input) > 2 else None
        sizes = imp.require_const(_input(node, 3), "sizes") if len(node.input) > 3 else None
        if imp.opset < 11:
            scales_in = imp.require_const(node.input[1], "scales")
        axes = attrs.get("axes")
        full_axes = list(range(4)) if axes is None else [a % 4 for a in axes]
        scales, size_list = [1.0] * 4, None
        if sizes is not None and sizes.size:
            size_list = list(in_shape)
            for a, s in zip(full_axes, _ints(sizes)):
                size_list[a] = s
            scales = [s / i for s, i in zip(size_list, in_shape)]
        elif scales_in is not None and scales_in.size:
            for a, s in zip(full_axes, scales_in.astype(float)):
                scales[a] = float(s)
        else:
            raise Unsupported("neither scales nor sizes given")
        sizes = size_list
    if float(scales[0]) != 1.0 or float(scales[1]) != 1.0:
        raise Unsupported("resizing the batch or channel dim")
    out_hw = tuple(sizes[2:]) if sizes is not None else \
        tuple(int(np.floor(i * s)) for i, s in zip(in_shape[2:], scales[2:]))
    x = imp.tensor(node.input[0], channels_last(4))
    y = imp.graph.resize(x, out_hw, mode=mode, coordinate_mode=coordinate_mode, nearest_mode=nearest_mode,
                         scales=tuple(float(s) for s in scales[2:]))
    imp.set(node.output[0], y, channels_last(4))


@handles("Shape", "Size")
def shape(imp, node, attrs):
    v = imp.value(node.input[0])
    if None in v.shape:
        raise Unsupported(f"the input shape {v.shape} is not static; pin it with input_shapes=")
    if node.op_type == "Size":
        imp.set_const(node.output[0], np.array(int(np.prod(v.shape)), np.int64))
        return
    dims = np.array(v.shape, np.int64)
    start, end = attrs.get("start", 0), attrs.get("end", len(dims))
    imp.set_const(node.output[0], dims[start:end])


# Op families in their own modules register into HANDLERS when imported.
from . import composites, qdq, recurrent  # noqa: E402,F401  (ops built from several edgenet ops;
#                                                   QuantizeLinear / DequantizeLinear; RNN, GRU, LSTM)
