"""MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool."""
from ..registry import Unsupported, channels_last, handles
from .conv import pair, set_spatial_output, spatial_input, window_padding


@handles("MaxPool", "AveragePool")
def pool(imp, node, attrs):
    if len(node.output) > 1 and node.output[1]:
        raise Unsupported("the Indices output of MaxPool is not supported")
    x, was_1d = spatial_input(imp, node.input[0], node.op_type)
    kernel = pair(attrs["kernel_shape"], was_1d, 1)
    strides = pair(attrs.get("strides"), was_1d, 1)
    if tuple(pair(attrs.get("dilations"), was_1d, 1)) != (1, 1):
        raise Unsupported("pooling with dilations")
    in_hw = x.shape[1:3]
    padding = window_padding(attrs, in_hw, kernel, strides, (1, 1), was_1d)
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
    set_spatial_output(imp, node.output[0], y, was_1d)


@handles("GlobalAveragePool", "GlobalMaxPool")
def global_pool(imp, node, attrs):
    v = imp.value(node.input[0])
    perm = channels_last(v.rank)
    x = imp.tensor(node.input[0], perm)
    axes = tuple(range(1, v.rank - 1))
    op = imp.graph.mean if node.op_type == "GlobalAveragePool" else imp.graph.reduce_max
    imp.set(node.output[0], op(x, axes, keepdims=True), perm)
