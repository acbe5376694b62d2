"""A MobileNetV2 (1.0, 224) float graph built with the edgenet graph API, random weights.

Used to measure the kernels (`edgenet bench`): same layer shapes and op mix as the real model
(stem 3x3 s2 conv, 17 inverted residual blocks of 1x1 expand -> 3x3 depthwise -> 1x1 project,
1x1 conv to 1280, global average pool, FC 1000), batch norm already folded into conv biases.

    python scripts/mobilenet_v2_graph.py mobilenet_v2.enet
    EDGENET_KERNELS=reference edgenet bench mobilenet_v2.enet --threads 1
"""
import sys

import numpy as np

import edgenet

# (expansion t, output channels c, repeats n, first stride s), from the MobileNetV2 paper.
BLOCKS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


def mobilenet_v2(seed=0):
    rng = np.random.default_rng(seed)

    def conv_w(o, k, i):  # He-style scale keeps activations in a sane range through 50 layers
        return (rng.standard_normal((o, k, k, i)) * np.sqrt(2.0 / (k * k * i))).astype(np.float32)

    def bias(c):
        return (rng.standard_normal(c) * 0.01).astype(np.float32)

    g = edgenet.Graph("mobilenet_v2")
    x = g.input("image", (1, 224, 224, 3))
    y = g.conv2d(x, conv_w(32, 3, 3), bias(32), strides=2, padding="same", activation="relu6")
    c_in = 32
    for t, c, n, s in BLOCKS:
        for i in range(n):
            stride = s if i == 0 else 1
            h = y
            hidden = c_in * t
            if t != 1:
                h = g.conv2d(h, conv_w(hidden, 1, c_in), bias(hidden), activation="relu6")
            dw = (rng.standard_normal((1, 3, 3, hidden)) * np.sqrt(2.0 / 9)).astype(np.float32)
            h = g.depthwise_conv2d(h, dw, bias(hidden), strides=stride, padding="same", activation="relu6")
            h = g.conv2d(h, conv_w(c, 1, hidden), bias(c))
            y = y + h if stride == 1 and c_in == c else h
            c_in = c
    y = g.conv2d(y, conv_w(1280, 1, c_in), bias(1280), activation="relu6")
    y = g.mean(y, axis=(1, 2))
    fc = (rng.standard_normal((1000, 1280)) * np.sqrt(1.0 / 1280)).astype(np.float32)
    g.output(g.softmax(g.fully_connected(y, fc, bias(1000))), "probs")
    return g


if __name__ == "__main__":
    edgenet.convert(mobilenet_v2()).save(sys.argv[1] if len(sys.argv) > 1 else "mobilenet_v2.enet")
