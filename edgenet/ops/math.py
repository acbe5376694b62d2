"""Elementwise math beyond add/sub/mul (added for the ONNX importer).

Float32, except that every unary op also has an int8 form: a 256-entry lookup table
(see `_TableUnary` in elementwise.py).

    binary (numpy broadcasting)   div, pow, minimum, maximum
    comparisons -> bool           equal, less, greater, less_equal, greater_equal (also int32 / int64)
    unary                         sqrt, exp, log, abs, neg, erf, floor, ceil, reciprocal, softplus,
                                  sin, cos, silu, gelu, leaky_relu, elu, hard_sigmoid
    others                        prelu (x, slope), where (cond, a, b), cast (dtype conversion)

The reference executor holds bool tensors as float64 0/1, so references that read a bool
input convert it with `!= 0`.
"""
import math

import numpy as np

from .registry import register
from .base import OpDef, broadcast_shapes, check_float32, fmt_shape
from .elementwise import _TableUnary

# numpy has no erf; math.erf per element is exact to double precision (the oracle may be slow).
_erf = np.frompyfunc(math.erf, 1, 1)


def erf(x):
    return _erf(np.asarray(x, dtype=np.float64)).astype(np.float64)


# ---- binary -----------------------------------------------------------------------


class _FloatBinary(OpDef):
    """y = f(a, b) with numpy broadcasting, float32 in and out."""

    input_names = ("a", "b")
    out_dtype = "float32"
    quantizable = False

    def build(self, g, a, b):
        return g.add_node(self.name, [a, b], {})[0]

    def infer(self, inputs, attrs):
        a, b = inputs
        check_float32(("a", a), ("b", b))
        return [(broadcast_shapes(a.shape, b.shape), self.out_dtype)]

    def reference(self, inputs, attrs):
        return [self.fn(inputs[0], inputs[1])]


@register
class Div(_FloatBinary):
    """a / b (IEEE: x/0 is +-inf, 0/0 is nan)."""

    name = "div"
    opcode = "DIV"

    def fn(self, a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.divide(a, b)


@register
class Pow(_FloatBinary):
    """a ** b (C powf semantics: a negative base with a non-integer exponent gives nan)."""

    name = "pow"
    opcode = "POW"

    def fn(self, a, b):
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            return np.power(a, b)


@register
class Minimum(_FloatBinary):
    """Elementwise min (nan if either is nan)."""

    name = "minimum"
    opcode = "MINIMUM"

    def fn(self, a, b):
        return np.minimum(a, b)


@register
class Maximum(_FloatBinary):
    """Elementwise max (nan if either is nan)."""

    name = "maximum"
    opcode = "MAXIMUM"

    def fn(self, a, b):
        return np.maximum(a, b)


# dtypes a comparison reads (both operands of one dtype).
COMPARE_DTYPES = ("float32", "int32", "int64")


class _Compare(_FloatBinary):
    """a <cmp> b -> bool tensor, numpy broadcasting; a and b both float32, int32 or int64."""

    out_dtype = "bool"

    def infer(self, inputs, attrs):
        a, b = inputs
        if a.dtype not in COMPARE_DTYPES or b.dtype != a.dtype:
            raise ValueError(f"a and b must have one dtype of {COMPARE_DTYPES}, got {a.dtype} and {b.dtype}")
        return [(broadcast_shapes(a.shape, b.shape), self.out_dtype)]

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        # The executor routes integer comparisons here; the values are plain integers, not quantized.
        return self.reference(inputs, attrs)


@register
class Equal(_Compare):
    name = "equal"
    opcode = "EQUAL"

    def fn(self, a, b):
        return np.equal(a, b)


@register
class Less(_Compare):
    name = "less"
    opcode = "LESS"

    def fn(self, a, b):
        return np.less(a, b)


@register
class Greater(_Compare):
    name = "greater"
    opcode = "GREATER"

    def fn(self, a, b):
        return np.greater(a, b)


@register
class LessEqual(_Compare):
    name = "less_equal"
    opcode = "LESS_EQUAL"

    def fn(self, a, b):
        return np.less_equal(a, b)


@register
class GreaterEqual(_Compare):
    name = "greater_equal"
    opcode = "GREATER_EQUAL"

    def fn(self, a, b):
        return np.greater_equal(a, b)


# ---- unary ------------------------------------------------------------------------


class _FloatUnary(_TableUnary):
    """y = f(x) elementwise, float32 in and out; in int8 a lookup table like every unary op."""

    def reference(self, inputs, attrs):
        with np.errstate(all="ignore"):  # log(0) = -inf, sqrt(-1) = nan, as in C
            return [self.fn(inputs[0], attrs)]


def _unary(op_name, opcode, fn, doc, **traits):
    """Register a parameterless unary op whose reference is fn(x); traits: OpDef attributes."""
    cls = type(op_name.title().replace("_", ""), (_FloatUnary,), {
        "name": op_name, "opcode": opcode, "__doc__": doc, "fn": lambda self, x, attrs: fn(x), **traits})
    register(cls)
    return cls


Sqrt = _unary("sqrt", "SQRT", np.sqrt, "sqrt(x)")
Exp = _unary("exp", "EXP", np.exp, "e ** x")
Log = _unary("log", "LOG", np.log, "natural log")
Abs = _unary("abs", "ABS", np.abs, "|x|")
Neg = _unary("neg", "NEG", np.negative, "-x")
Erf = _unary("erf", "ERF", erf, "the error function")
Floor = _unary("floor", "FLOOR", np.floor, "round toward -inf")
Ceil = _unary("ceil", "CEIL", np.ceil, "round toward +inf")
Reciprocal = _unary("reciprocal", "RECIPROCAL", lambda x: 1.0 / x, "1 / x")
Softplus = _unary("softplus", "SOFTPLUS", lambda x: np.logaddexp(0.0, x), "log(1 + exp(x))")
Sin = _unary("sin", "SIN", np.sin, "sine")
Cos = _unary("cos", "COS", np.cos, "cosine")
# x * sigmoid(x) written as x / (1 + e^-x): for x -> -inf that is -0, where x * sigmoid(x) would be -inf * 0.
# silu(x) for x < -8 is within 0.003 of 0.
Silu = _unary("silu", "SILU", lambda x: x / (1.0 + np.exp(-x)), "x * sigmoid(x) (swish)",
              saturates_outside=(-8.0, np.inf))


@register
class Gelu(_FloatUnary):
    """x/2 * (1 + erf(x/sqrt(2))); approximate=True: x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))."""

    name = "gelu"
    opcode = "GELU"
    options_table = "GeluOptions"

    def build(self, g, x, approximate=False):
        return g.add_node(self.name, [x], {"approximate": bool(approximate)})[0]

    def fn(self, x, attrs):
        if attrs["approximate"]:
            return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
        return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))

    def options(self, node):
        return {"approximate": node.attrs["approximate"]}


class _AlphaBetaUnary(_FloatUnary):
    options_table = "AlphaBetaOptions"

    def options(self, node):
        return {"alpha": node.attrs["alpha"], "beta": node.attrs.get("beta", 0.0)}


@register
class LeakyRelu(_AlphaBetaUnary):
    """x if x >= 0 else alpha * x."""

    name = "leaky_relu"
    opcode = "LEAKY_RELU"

    def build(self, g, x, alpha=0.01):
        return g.add_node(self.name, [x], {"alpha": float(alpha)})[0]

    def fn(self, x, attrs):
        return np.where(x >= 0, x, attrs["alpha"] * x)


@register
class Elu(_AlphaBetaUnary):
    """x if x > 0 else alpha * (exp(x) - 1)."""

    name = "elu"
    opcode = "ELU"

    def build(self, g, x, alpha=1.0):
        return g.add_node(self.name, [x], {"alpha": float(alpha)})[0]

    def fn(self, x, attrs):
        return np.where(x > 0, x, attrs["alpha"] * np.expm1(np.minimum(x, 0.0)))


@register
class HardSigmoid(_AlphaBetaUnary):
    """max(0, min(1, alpha * x + beta)) (ONNX defaults alpha=0.2, beta=0.5)."""

    name = "hard_sigmoid"
    opcode = "HARD_SIGMOID"

    def build(self, g, x, alpha=0.2, beta=0.5):
        return g.add_node(self.name, [x], {"alpha": float(alpha), "beta": float(beta)})[0]

    def fn(self, x, attrs):
        return np.clip(attrs["alpha"] * x + attrs["beta"], 0.0, 1.0)

    def saturating_input_range(self, attrs):
        alpha, beta = attrs["alpha"], attrs["beta"]
        return (-beta / alpha, (1.0 - beta) / alpha) if alpha > 0 else None


# ---- others -----------------------------------------------------------------------


@register
class PRelu(OpDef):
    """x if x >= 0 else slope * x; slope broadcasts to x (numpy rules), the output has x's shape."""

    name = "prelu"
    input_names = ("x", "slope")
    opcode = "PRELU"
    quantizable = False

    def build(self, g, x, slope):
        return g.add_node(self.name, [x, slope], {})[0]

    def infer(self, inputs, attrs):
        x, slope = inputs
        check_float32(("x", x), ("slope", slope))
        if broadcast_shapes(x.shape, slope.shape) != tuple(x.shape):
            raise ValueError(f"slope {fmt_shape(slope.shape)} must broadcast to x {fmt_shape(x.shape)}")
        return [(x.shape, "float32")]

    def reference(self, inputs, attrs):
        x, slope = inputs
        return [np.where(x >= 0, x, slope * x)]


@register
class Where(OpDef):
    """cond ? a : b elementwise, all three broadcast together (numpy.where); cond is bool."""

    name = "where"
    input_names = ("cond", "a", "b")
    opcode = "WHERE"
    quantizable = False

    def build(self, g, cond, a, b):
        return g.add_node(self.name, [cond, a, b], {})[0]

    def infer(self, inputs, attrs):
        cond, a, b = inputs
        if cond.dtype != "bool":
            raise ValueError(f"cond must be bool, got {cond.dtype}")
        check_float32(("a", a), ("b", b))
        return [(broadcast_shapes(cond.shape, broadcast_shapes(a.shape, b.shape)), "float32")]

    def reference(self, inputs, attrs):
        cond, a, b = inputs
        return [np.where(cond != 0, a, b)]


# dtypes cast converts between (names of numpy dtypes; all have a schema DataType).
CAST_DTYPES = ("float32", "int32", "int64", "bool")


@register
class Cast(OpDef):
    """Convert to dtype `to`: float -> int truncates toward zero; anything -> bool is `!= 0`;
    bool -> number gives 0/1. (Out-of-range float -> int is undefined, as in C.)"""

    name = "cast"
    opcode = "CAST"
    quantizable = False  # reference_int8 computes on plain integers (indices), not quantized values

    def build(self, g, x, to):
        return g.add_node(self.name, [x], {"to": np.dtype(to).name})[0]

    def infer(self, inputs, attrs):
        x = inputs[0]
        for role, dtype in (("x", x.dtype), ("to", attrs["to"])):
            if dtype not in CAST_DTYPES:
                raise ValueError(f"cast {role} dtype {dtype} is not supported (use one of {CAST_DTYPES})")
        return [(x.shape, attrs["to"])]

    def reference(self, inputs, attrs):
        x, to = inputs[0], attrs["to"]
        if to == "bool":
            return [x != 0]
        if to in ("int32", "int64"):
            return [np.trunc(x)]
        return [x.astype(np.float32)]

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        # The executor routes integer-typed casts here; the values are plain numbers, not quantized.
        return self.reference(inputs, attrs)
