"""Invoking again without re-setting the inputs gives the same outputs (LiteRT
semantics): the memory planner must never place an intermediate tensor over a
graph input."""
import numpy as np

import edgenet


def test_second_invoke_without_new_inputs_gives_same_outputs(tmp_path):
    rng = np.random.default_rng(0)
    g = edgenet.Graph("chain")
    x = g.input("x", shape=(1, 6, 6, 4))
    y = g.conv2d(x, rng.standard_normal((4, 3, 3, 4)).astype(np.float32), padding="same", activation="relu")
    y = g.conv2d(y, rng.standard_normal((4, 3, 3, 4)).astype(np.float32), padding="same")
    y = g.relu(y)
    g.output(g.mean(y, axis=(1, 2)), "y")
    interpreter = edgenet.Interpreter(edgenet.convert(g).to_bytes())
    feed = rng.standard_normal((1, 6, 6, 4)).astype(np.float32)
    expected = edgenet.reference.run(g, {"x": feed})["y"]

    native = interpreter._native
    native.set_input(0, feed)
    native.invoke()
    first = native.get_output(0)
    native.invoke()  # inputs not set again
    second = native.get_output(0)
    np.testing.assert_allclose(first, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(second, first)
