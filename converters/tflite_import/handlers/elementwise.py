"""Elementwise ops: arithmetic, comparisons, activations, SELECT, CAST; and set_activated, the one
place a fused activation (fused_activation_function) is emitted."""
import numpy as np

from ..reader import NUMPY_DTYPES
from ..registry import ACTIVATIONS, Unsupported, handles, option


def set_activated(imp, op, y):
    """Record output 0 of `op` as `y` followed by the op's fused activation. In an int8 model TFLite
    computes y on the output's grid and clamps, so y gets the output's quantization too (the
    optimizer then fuses relu / relu6 into conv, FC and add as a clamp)."""
    code = option(op, "fusedActivationFunction", 0)
    if code not in ACTIVATIONS:
        raise Unsupported(f"fused activation {code} is not supported")
    g = imp.graph
    activation = ACTIVATIONS[code]
    if activation is None:
        imp.set(op.outputs[0], y)
        return
    out = {"relu": g.relu, "relu6": g.relu6, "tanh": g.tanh,
           "relu_n1_to_1": lambda t: g.clip(t, -1.0, 1.0)}[activation](y)
    imp.set(op.outputs[0], out, y)


BINARY = {"ADD": "add", "SUB": "sub", "MUL": "mul", "DIV": "div", "MAXIMUM": "maximum", "MINIMUM": "minimum",
          "POW": "pow", "EQUAL": "equal", "LESS": "less", "LESS_EQUAL": "less_equal", "GREATER": "greater",
          "GREATER_EQUAL": "greater_equal"}


@handles(*BINARY)
def binary(imp, op):
    a, b = imp.tensor(op.inputs[0]), imp.tensor(op.inputs[1])
    if "float32" not in (a.dtype, b.dtype):
        raise Unsupported(f"{a.dtype} {op.name} (edgenet computes arithmetic in float32 or int8)")
    y = getattr(imp.graph, BINARY[op.name])(a, b)
    set_activated(imp, op, y) if op.name in ("ADD", "SUB", "MUL", "DIV") else imp.set(op.outputs[0], y)


@handles("SQUARED_DIFFERENCE")
def squared_difference(imp, op):
    g = imp.graph
    d = g.sub(imp.tensor(op.inputs[0]), imp.tensor(op.inputs[1]))
    imp.set(op.outputs[0], g.mul(d, d))


UNARY = {"ABS": "abs", "EXP": "exp", "LOG": "log", "NEG": "neg", "SQRT": "sqrt", "RELU": "relu", "RELU6": "relu6",
         "LOGISTIC": "sigmoid", "TANH": "tanh", "HARD_SWISH": "hard_swish", "SIN": "sin", "COS": "cos",
         "FLOOR": "floor", "CEIL": "ceil", "ELU": "elu"}


@handles(*UNARY)
def unary(imp, op):
    imp.set(op.outputs[0], getattr(imp.graph, UNARY[op.name])(imp.tensor(op.inputs[0])))


@handles("RSQRT")
def rsqrt(imp, op):
    g = imp.graph
    imp.set(op.outputs[0], g.reciprocal(g.sqrt(imp.tensor(op.inputs[0]))))


@handles("SQUARE")
def square(imp, op):
    x = imp.tensor(op.inputs[0])
    imp.set(op.outputs[0], imp.graph.mul(x, x))


@handles("RELU_N1_TO_1", "RELU_0_TO_1")
def relu_range(imp, op):
    lo = -1.0 if op.name == "RELU_N1_TO_1" else 0.0
    imp.set(op.outputs[0], imp.graph.clip(imp.tensor(op.inputs[0]), lo, 1.0))


@handles("LEAKY_RELU")
def leaky_relu(imp, op):
    imp.set(op.outputs[0], imp.graph.leaky_relu(imp.tensor(op.inputs[0]), float(np.float32(option(op, "alpha", 0.2)))))


@handles("PRELU")
def prelu(imp, op):
    x = imp.tensor(op.inputs[0])
    slope = imp.require_const(op.inputs[1], "alpha")
    imp.set(op.outputs[0], imp.graph.prelu(x, slope))


@handles("GELU")
def gelu(imp, op):
    imp.set(op.outputs[0], imp.graph.gelu(imp.tensor(op.inputs[0]), approximate=bool(option(op, "approximate", False))))


@handles("SOFTMAX")
def softmax(imp, op):
    imp.set(op.outputs[0], imp.graph.softmax(imp.tensor(op.inputs[0]), axis=-1, beta=float(option(op, "beta", 1.0))))


@handles("LOG_SOFTMAX")
def log_softmax(imp, op):
    imp.set(op.outputs[0], imp.graph.log_softmax(imp.tensor(op.inputs[0]), axis=-1))


@handles("SELECT", "SELECT_V2")
def select(imp, op):
    cond, a, b = (imp.tensor(i) for i in op.inputs[:3])
    if op.name == "SELECT" and cond.ndim == 1 and a.ndim > 1:  # SELECT's rank-1 condition picks rows
        cond = imp.graph.reshape(cond, (-1,) + (1,) * (a.ndim - 1))
    imp.set(op.outputs[0], imp.graph.where(cond, a, b))


@handles("CAST")
def cast(imp, op):
    to = NUMPY_DTYPES.get(imp.tensors[op.outputs[0]].type)
    if to is None:
        raise Unsupported(f"cast to {imp.dtype(op.outputs[0])}")
    imp.set(op.outputs[0], imp.graph.cast(imp.tensor(op.inputs[0]), np.dtype(to).name))
