"""Builds the version-1 model files in this folder (a float and an int8 twin of one small graph).

They were written by the version-1 converter (main at b8b1c8c, before the format moved to version 2)
and are checked in so tests/test_format_versions.py can prove that old files keep loading. Do not
regenerate them with a newer converter: that would make them newer files. The test imports
`build_graph` and `calibration` from here to compute the expected outputs with the numpy reference.
"""
import pathlib

import numpy as np

import edgenet

HERE = pathlib.Path(__file__).resolve().parent


def build_graph():
    """A tiny depthwise-separable network: stem conv, depthwise + pointwise, pool, FC, softmax."""
    rng = np.random.default_rng(2024)

    def r(*shape, scale=0.3):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    g = edgenet.Graph("v1_fixture")
    x = g.input("image", shape=(1, 12, 12, 3))
    y = g.conv2d(x, r(8, 3, 3, 3), r(8, scale=0.1), strides=2, padding="same", activation="relu6")
    y = g.depthwise_conv2d(y, r(1, 3, 3, 8), r(8, scale=0.1), padding="same", activation="relu6")
    y = g.conv2d(y, r(12, 1, 1, 8), r(12, scale=0.1), padding="valid", activation="relu6")
    y = g.mean(y, axis=(1, 2))
    y = g.fully_connected(y, r(5, 12), r(5, scale=0.1))
    g.output(g.softmax(y), "probs")
    return g


def calibration():
    rng = np.random.default_rng(7)
    return [{"image": rng.uniform(-1, 1, (1, 12, 12, 3)).astype(np.float32)} for _ in range(16)]


def main():
    graph = build_graph()
    edgenet.convert(graph).save(str(HERE / "float.enet"))
    edgenet.convert(graph, quantize="int8", calibration=calibration(), verbose=False).save(str(HERE / "int8.enet"))


if __name__ == "__main__":
    main()
