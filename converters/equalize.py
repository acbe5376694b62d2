"""Cross-layer equalization (Nagel et al., "Data-Free Quantization", 2019).

    pairs = equalize(graph)     # in place, on a prepared float graph; [(first, second) node names]

In conv -> (relu) -> conv, scaling output channel c of the first layer by 1/s_c and input
channel c of the second by s_c leaves the float function unchanged (relu(x / s) = relu(x) / s
for s > 0), but it can even out per-channel ranges: with s_c = sqrt(r1_c / r2_c) (r1_c, r2_c the
largest |weight| of the channel in each layer) both layers' channel ranges become
sqrt(r1_c * r2_c). Depthwise-separable networks, whose depthwise channels often differ by
orders of magnitude, then lose much less to int8's one scale per activation tensor.
Pairs joined by relu6 or any other op are left alone (not scale-invariant).
"""
import numpy as np

ITERATIONS = 4  # chains (dw -> pw -> dw) settle after a few sweeps


def _pairs(graph):
    for second in graph.nodes:
        x = second.inputs[0]
        first = x.producer
        if not _weighted(second) or first is None or not _weighted(first):
            continue
        if first.attrs.get("activation") not in (None, "none", "relu") or x in graph.outputs:
            continue
        if len(graph.consumers(x)) != 1 or not (first.inputs[1].is_constant and second.inputs[1].is_constant):
            continue
        if first.inputs[2] is not None and not first.inputs[2].is_constant:
            continue
        yield first, second


def _weighted(node):
    """conv2d, depthwise_conv2d, fully_connected (OpDef.weight_axis)."""
    return node.opdef.weight_axis is not None and node.inputs[1].dtype == "float32"  # not a hybrid FC's int8


def _set(t, data):
    data = np.ascontiguousarray(data, np.float32)
    data.setflags(write=False)
    t.data = data


def equalize(graph):
    """Equalize every eligible pair in place; returns [(first name, second name)]."""
    done = []
    for _ in range(ITERATIONS):
        for first, second in _pairs(graph):
            axis = first.opdef.weight_axis
            w1 = np.asarray(first.inputs[1].data, np.float64)
            channels = w1.shape[axis]
            r1 = np.max(np.abs(np.moveaxis(w1, axis, 0).reshape(channels, -1)), axis=1)
            w2 = np.asarray(second.inputs[1].data, np.float64)
            view, restore = second.opdef.weights_by_input_channel(w2, channels)
            r2 = np.max(np.abs(view), axis=1)
            s = np.where((r1 > 0) & (r2 > 0), np.sqrt(r1 / np.where(r2 > 0, r2, 1.0)), 1.0)
            shape = [1] * w1.ndim
            shape[axis] = -1
            _set(first.inputs[1], w1 / s.reshape(shape))
            if first.inputs[2] is not None:
                _set(first.inputs[2], np.asarray(first.inputs[2].data, np.float64) / s)
            _set(second.inputs[1], restore(view * s[:, None]))
            if (first.name, second.name) not in done:
                done.append((first.name, second.name))
    return done
