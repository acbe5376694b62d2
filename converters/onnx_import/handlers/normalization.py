"""Softmax / LogSoftmax, BatchNormalization, InstanceNormalization, LayerNormalization."""
import numpy as np

from ..registry import Unsupported, channels_last, edge_axis, handles, input_name
from .conv import set_spatial_output, spatial_input


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
    imp.set(node.output[0], getattr(g, op)(v.tensor, axis=edge_axis(v.perm, axis)), v.perm)


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
    x, was_1d = spatial_input(imp, node.input[0], "InstanceNormalization")
    scale = imp.require_const(node.input[1], "scale").astype(np.float32)
    bias = imp.require_const(node.input[2], "bias").astype(np.float32)
    y = imp.graph.instance_norm(x, scale, bias, epsilon=attrs.get("epsilon", 1e-5))
    set_spatial_output(imp, node.output[0], y, was_1d)


@handles("LayerNormalization")
def layer_norm(imp, node, attrs):
    if attrs.get("stash_type", 1) != 1:
        raise Unsupported("stash_type other than float32")
    v = imp.value(node.input[0])
    axis = attrs.get("axis", -1) % v.rank
    tail = v.shape[axis:]
    scale = imp.require_const(node.input[1], "scale").astype(np.float32)
    bias = imp.require_const(input_name(node, 2), "bias")
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
