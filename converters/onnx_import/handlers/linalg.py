"""Gemm and MatMul."""
import numpy as np

from ..registry import Unsupported, handles, input_name


@handles("Gemm")
def gemm(imp, node, attrs):
    alpha, beta = attrs.get("alpha", 1.0), attrs.get("beta", 1.0)
    g = imp.graph
    a = imp.tensor(node.input[0])
    if attrs.get("transA", 0):
        a = g.transpose(a, (1, 0))
    b_const = imp.const(node.input[1])
    c = imp.const(input_name(node, 2))
    if input_name(node, 2) and c is None:
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
    if a_1d:
        a = g.reshape(a, (1,) + a.shape)
    if b_1d:
        b = g.reshape(b, b.shape + (1,))
    y = g.matmul(a, b)
    if a_1d or b_1d:
        shape = y.shape[:-2] + ((y.shape[-2],) if not a_1d else ()) + ((y.shape[-1],) if not b_1d else ())
        y = g.reshape(y, tuple(-1 if d is None else d for d in shape))  # () for vector . vector
    imp.set(node.output[0], y)
