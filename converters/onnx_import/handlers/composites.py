"""ONNX ops that edgenet computes with a few of its own ops (no op of their own in the file):
reductions with a norm or a log (ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum,
ReduceLogSumExp), RMSNormalization, LpNormalization, Mean, Trilu, Softsign, ThresholdedRelu,
Shrink. Each follows the ONNX operator definition literally, on float32 inputs."""
import numpy as np

from ..registry import Unsupported, handles, input_name
from .elementwise import unary_input, variadic
from .reduction import reduction_args, set_reduced


def _float_input(imp, name):
    v = imp.value(name)
    if v.is_const or v.tensor.dtype != "float32":
        raise Unsupported(f"input {name!r} must be a float32 run-time tensor")
    return v


@handles("ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp")
def norm_reduction(imp, node, attrs):
    args = reduction_args(imp, node, attrs)
    if args is None:
        raise Unsupported("noop_with_empty_axes (the identity of a norm reduction is not a reduction)")
    g, op = imp.graph, node.op_type

    def compute(x, axes, keepdims):
        if op == "ReduceL1":
            return g.reduce_sum(g.abs(x), axes, keepdims=keepdims)
        if op in ("ReduceL2", "ReduceSumSquare"):
            sum_sq = g.reduce_sum(g.mul(x, x), axes, keepdims=keepdims)
            return g.sqrt(sum_sq) if op == "ReduceL2" else sum_sq
        if op == "ReduceLogSum":
            return g.log(g.reduce_sum(x, axes, keepdims=keepdims))
        # log(sum(exp(x))) = max + log(sum(exp(x - max))): no overflow for large x
        peak = g.reduce_max(x, axes, keepdims=True)
        y = g.add(g.log(g.reduce_sum(g.exp(g.sub(x, peak)), axes, keepdims=True)), peak)
        if keepdims:
            return y
        return g.reshape(y, tuple(-1 if d is None else d for i, d in enumerate(y.shape) if i not in axes))

    v, axes, keepdims = args
    set_reduced(imp, node.output[0], v, axes, keepdims, compute)


@handles("RMSNormalization")
def rms_norm(imp, node, attrs):
    if attrs.get("stash_type", 1) != 1:
        raise Unsupported("stash_type other than float32")
    v = _float_input(imp, node.input[0])
    axis = attrs.get("axis", -1) % v.rank
    scale = imp.require_const(node.input[1], "scale").astype(np.float32)
    g, x = imp.graph, imp.tensor(node.input[0])
    axes = tuple(range(axis, v.rank))
    mean_square = g.mean(g.mul(x, x), axes, keepdims=True)
    y = g.div(x, g.sqrt(g.add(mean_square, np.float32(attrs.get("epsilon", 1e-5)))))
    imp.set(node.output[0], g.mul(y, scale.reshape((1,) * (v.rank - scale.ndim) + scale.shape)))


@handles("LpNormalization")
def lp_norm(imp, node, attrs):
    v = _float_input(imp, node.input[0])
    p = attrs.get("p", 2)
    if p not in (1, 2):
        raise Unsupported(f"p = {p} (1 or 2 are supported)")
    g, x = imp.graph, v.tensor
    axis = (attrs.get("axis", -1) % v.rank,)
    edge_axis = tuple(a if v.perm is None else v.perm.index(a) for a in axis)
    norm = g.reduce_sum(g.abs(x), edge_axis, keepdims=True) if p == 1 else \
        g.sqrt(g.reduce_sum(g.mul(x, x), edge_axis, keepdims=True))
    norm = g.where(g.equal(norm, np.float32(0)), np.float32(1), norm)  # a zero vector stays zero (as ONNX)
    imp.set(node.output[0], g.div(x, norm), v.perm)


@handles("Mean")
def mean(imp, node, attrs):
    sum_name = node.output[0] + "/sum"
    variadic(imp, type(node)(op_type="Sum", input=list(node.input), output=[sum_name]), attrs)
    v = imp.value(sum_name)
    if len(node.input) == 1:
        imp.alias(node.output[0], node.input[0])
        return
    imp.set(node.output[0], imp.graph.mul(v.tensor, np.float32(1.0 / len(node.input))), v.perm)


@handles("Trilu")
def trilu(imp, node, attrs):
    v = _float_input(imp, node.input[0])
    if v.rank < 2 or None in v.shape[-2:]:
        raise Unsupported("Trilu needs a rank >= 2 input with static last two dims")
    k = imp.require_const(input_name(node, 1), "k")
    k = 0 if k is None else int(np.asarray(k).reshape(-1)[0])
    rows, cols = v.shape[-2:]
    offset = np.arange(cols)[None, :] - np.arange(rows)[:, None]  # j - i
    keep = offset >= k if attrs.get("upper", 1) else offset <= k
    x = imp.tensor(node.input[0])
    imp.set(node.output[0], imp.graph.where(imp.constant(keep, name=f"{node.output[0]}/mask"), x, np.float32(0)))


@handles("Softsign", "ThresholdedRelu", "Shrink")
def piecewise(imp, node, attrs):
    x, perm = unary_input(imp, node)
    g, op = imp.graph, node.op_type
    zero = np.float32(0)
    if op == "Softsign":  # x / (1 + |x|)
        y = g.div(x, g.add(g.abs(x), np.float32(1)))
    elif op == "ThresholdedRelu":  # x if x > alpha else 0
        y = g.where(g.greater(x, np.float32(attrs.get("alpha", 1.0))), x, zero)
    else:  # Shrink: x + bias if x < -lambd, x - bias if x > lambd, else 0
        lambd, bias = np.float32(attrs.get("lambd", 0.5)), np.float32(attrs.get("bias", 0.0))
        y = g.where(g.less(x, -lambd), g.add(x, bias), g.where(g.greater(x, lambd), g.sub(x, bias), zero))
    imp.set(node.output[0], y, perm)
