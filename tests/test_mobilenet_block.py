"""A MobileNet-style float graph built with the API: graph -> .enet file -> C core equals
edgenet.reference to 1e-4 relative error (the issue's "done when" criterion)."""
import numpy as np
import pytest

import edgenet


def rand(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def batch_norm_params(rng, c):
    return {"mean": rand(rng, c, scale=0.1), "variance": rng.uniform(0.5, 1.5, c).astype(np.float32),
            "scale": rng.uniform(0.5, 1.5, c).astype(np.float32), "offset": rand(rng, c, scale=0.1)}


def mobilenet_block(rng, batch):
    """stem conv -> [expand 1x1 -> depthwise 3x3 -> project 1x1] + residual -> pool -> FC -> softmax,
    each conv followed by batch_norm, relu6 activations; channel counts not multiples of 4/8/16."""
    g = edgenet.Graph("mobilenet_block")
    x = g.input("image", shape=(batch, 33, 31, 3))
    y = g.conv2d(x, rand(rng, 13, 3, 3, 3, scale=0.3), None, strides=2, padding="same")
    y = g.relu6(g.batch_norm(y, **batch_norm_params(rng, 13), epsilon=1e-3))
    shortcut = y
    y = g.conv2d(y, rand(rng, 39, 1, 1, 13, scale=0.3), rand(rng, 39, scale=0.1), padding="valid")
    y = g.relu6(g.batch_norm(y, **batch_norm_params(rng, 39)))
    y = g.depthwise_conv2d(y, rand(rng, 1, 3, 3, 39, scale=0.3), rand(rng, 39, scale=0.1), padding="same",
                           activation="relu6")
    y = g.conv2d(y, rand(rng, 13, 1, 1, 39, scale=0.2), rand(rng, 13, scale=0.1), padding="valid")
    y = g.batch_norm(y, **batch_norm_params(rng, 13))
    y = y + shortcut  # residual add
    y = g.depthwise_conv2d(y, rand(rng, 1, 3, 3, 26, scale=0.3), None, strides=2, padding="same")  # multiplier 2
    y = g.hard_swish(y)
    y = g.mean(y, axis=(1, 2))  # global average pool
    y = g.fully_connected(y, rand(rng, 10, 26, scale=0.5), rand(rng, 10, scale=0.1))
    g.output(g.softmax(y), "probs")
    return g


@pytest.mark.parametrize("batch", [1, 3])
def test_mobilenet_block_file_runs_in_c_and_matches_reference(tmp_path, batch):
    rng = np.random.default_rng(batch)
    g = mobilenet_block(rng, batch)
    path = tmp_path / "block.enet"
    edgenet.convert(g).save(str(path))
    image = rand(rng, batch, 33, 31, 3)

    probs = edgenet.Interpreter(str(path)).run({"image": image})["probs"]
    ref = edgenet.reference.run(g, {"image": image})["probs"]

    assert probs.shape == ref.shape == (batch, 10)
    np.testing.assert_allclose(probs, ref, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
