"""Elementwise ONNX ops: arithmetic and comparisons (broadcasting), unary activations, Clip, Cast, Identity."""
import numpy as np

from ..registry import Unsupported, common_layout, handles, input_name, operand


def _broadcasting(imp, node, op, names=None):
    names = list(names or node.input)
    perm, rank = common_layout(imp, names)
    operands = [operand(imp, n, perm, rank) for n in names]
    imp.set(node.output[0], getattr(imp.graph, op)(*operands), perm)


BINARY = {"Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div", "Pow": "pow", "Equal": "equal",
          "Less": "less", "Greater": "greater", "LessOrEqual": "less_equal", "GreaterOrEqual": "greater_equal"}


COMPARISONS = ("Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual")


@handles(*BINARY)
def binary(imp, node, attrs):
    if node.op_type in ("Add", "Sub", "Mul", "Div") and attrs.get("broadcast") is not None and "axis" in attrs:
        raise Unsupported("legacy broadcast with axis (opset < 7)")
    dtypes = {v.tensor.dtype for v in map(imp.value, node.input) if v.tensor is not None}
    if node.op_type in COMPARISONS and dtypes and dtypes <= {"int32", "int64"}:
        _integer_comparison(imp, node, dtypes)
        return
    for name in node.input:  # integer arithmetic at run time is not supported
        v = imp.value(name)
        if not v.is_const and v.tensor.dtype != "float32":
            raise Unsupported(f"input {name!r} has dtype {v.tensor.dtype}; only float32 arithmetic is supported",
                              runtime=[name])
    _broadcasting(imp, node, BINARY[node.op_type])


def _integer_comparison(imp, node, dtypes):
    """A comparison of int32 / int64 values (e.g. a sample rate input against 16000): computed in their
    own dtype, constants converted to it (ONNX gives both operands one type)."""
    if len(dtypes) > 1:
        raise Unsupported(f"operands of different dtypes {sorted(dtypes)}")
    dtype = dtypes.pop()
    perm, rank = common_layout(imp, node.input)
    operands = []
    for name in node.input:
        v = imp.value(name)
        if not v.is_const:
            operands.append(imp.tensor(name, perm))
            continue
        array = v.const.reshape((1,) * (rank - v.const.ndim) + v.const.shape)
        if not np.array_equal(array.astype(dtype), array):
            raise Unsupported(f"constant {name!r} is not exactly representable as {dtype}")
        array = array.astype(dtype)
        operands.append(imp.constant(array if perm is None else np.transpose(array, perm), name=name))
    imp.set(node.output[0], getattr(imp.graph, BINARY[node.op_type])(*operands), perm)


@handles("Min", "Max", "Sum")
def variadic(imp, node, attrs):
    op = {"Min": "minimum", "Max": "maximum", "Sum": "add"}[node.op_type]
    names = list(node.input)
    if len(names) == 1:
        imp.alias(node.output[0], names[0])
        return
    perm, rank = common_layout(imp, names)
    result = operand(imp, names[0], perm, rank)
    for n in names[1:]:
        result = getattr(imp.graph, op)(result, operand(imp, n, perm, rank))
    imp.set(node.output[0], result, perm)


@handles("Where")
def where(imp, node, attrs):
    cond, a, b = node.input
    perm, rank = common_layout(imp, [cond, a, b])
    c = imp.value(cond)
    cond_t = operand(imp, cond, perm, rank)
    if c.is_const:
        cond_t = imp.constant(np.asarray(cond_t).astype(bool), name=cond)
    imp.set(node.output[0], imp.graph.where(cond_t, operand(imp, a, perm, rank), operand(imp, b, perm, rank)),
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
        perm, _ = common_layout(imp, [x, slope])
        slope_t = imp.tensor(slope, perm)
    imp.set(node.output[0], imp.graph.prelu(imp.tensor(x, perm), slope_t), perm)


def _operand_array(array, perm, rank):
    array = array.reshape((1,) * (rank - array.ndim) + array.shape)
    return array if perm is None else np.transpose(array, perm)


UNARY = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "HardSwish": "hard_swish", "Sqrt": "sqrt",
         "Exp": "exp", "Log": "log", "Abs": "abs", "Neg": "neg", "Erf": "erf", "Floor": "floor", "Ceil": "ceil",
         "Reciprocal": "reciprocal", "Softplus": "softplus", "Sin": "sin", "Cos": "cos"}


def unary_input(imp, node):
    v = imp.value(node.input[0])
    if v.tensor.dtype != "float32":
        raise Unsupported(f"input has dtype {v.tensor.dtype}; only float32 is supported", runtime=node.input[:1])
    return v.tensor, v.perm


@handles(*UNARY)
def unary(imp, node, attrs):
    x, perm = unary_input(imp, node)
    imp.set(node.output[0], getattr(imp.graph, UNARY[node.op_type])(x), perm)


@handles("LeakyRelu", "Elu", "HardSigmoid", "Gelu", "Selu", "Celu")
def parametric_unary(imp, node, attrs):
    x, perm = unary_input(imp, node)
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
    x, perm = unary_input(imp, node)
    lo, hi = attrs.get("min", -np.inf), attrs.get("max", np.inf)
    if input_name(node, 1):
        lo = float(imp.require_const(node.input[1], "min"))
    if input_name(node, 2):
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
    if node.op_type == "Dropout" and input_name(node, 2):
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
