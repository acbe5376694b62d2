"""Every op: the C core (edgenet.Interpreter on the converted file) vs edgenet.reference.

Shapes and attributes are drawn at random per seed: strides 1-3, dilations, same/valid/
explicit padding, odd sizes, channel counts that are not multiples of 4/8/16, depth
multipliers, broadcasting shapes. Tolerance: rel 1e-4, abs 1e-5.
"""
import numpy as np
import pytest

import edgenet

SEEDS = range(12)


def assert_c_matches_reference(g, feeds):
    """Convert g, run it in the C core and in the numpy reference, compare every output."""
    model = edgenet.convert(g)
    c_out = edgenet.Interpreter(model.to_bytes()).run(feeds)
    ref_out = edgenet.reference.run(g, feeds)
    assert set(c_out) == set(ref_out)
    for name, ref in ref_out.items():
        assert c_out[name].shape == ref.shape, name
        np.testing.assert_allclose(c_out[name], ref, rtol=1e-4, atol=1e-5, err_msg=f"output {name!r}")


def rand(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def random_padding(rng):
    kind = rng.integers(3)
    if kind == 0:
        return "same"
    if kind == 1:
        return "valid"
    return tuple(int(v) for v in rng.integers(0, 3, size=4))  # (top, bottom, left, right)


def fitting_size(rng, kernel, dilation):
    """A random odd-or-even spatial size the dilated kernel fits in even without padding."""
    return (kernel - 1) * dilation + 1 + int(rng.integers(0, 9))


def single_input_graph(shape, seed_name="x"):
    g = edgenet.Graph("op_test")
    return g, g.input(seed_name, shape)


@pytest.mark.parametrize("seed", SEEDS)
def test_conv2d(seed):
    rng = np.random.default_rng(seed)
    cin, cout = int(rng.integers(1, 20)), int(rng.integers(1, 20))
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    strides = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    dilation = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    n, h, w = int(rng.integers(1, 3)), fitting_size(rng, kh, dilation[0]), fitting_size(rng, kw, dilation[1])
    activation = [None, "relu", "relu6"][seed % 3]
    g, x = single_input_graph((n, h, w, cin))
    bias = rand(rng, cout) if seed % 4 else None  # also the no-bias form
    y = g.conv2d(x, rand(rng, cout, kh, kw, cin), bias, strides=strides, dilation=dilation,
                 padding=random_padding(rng), activation=activation)
    g.output(y, "y")
    assert_c_matches_reference(g, {"x": rand(rng, n, h, w, cin) * 3})


@pytest.mark.parametrize("seed", SEEDS)
def test_depthwise_conv2d(seed):
    rng = np.random.default_rng(100 + seed)
    c, multiplier = int(rng.integers(1, 21)), int(rng.integers(1, 4))
    kh, kw, dilation = int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 3))
    n, h, w = int(rng.integers(1, 3)), fitting_size(rng, kh, dilation), fitting_size(rng, kw, dilation)
    g, x = single_input_graph((n, h, w, c))
    y = g.depthwise_conv2d(x, rand(rng, 1, kh, kw, c * multiplier), rand(rng, c * multiplier),
                           strides=int(rng.integers(1, 4)), dilation=dilation,
                           padding=random_padding(rng), activation=[None, "relu", "relu6"][seed % 3])
    g.output(y, "y")
    assert_c_matches_reference(g, {"x": rand(rng, n, h, w, c) * 3})


@pytest.mark.parametrize("seed", SEEDS)
def test_fully_connected(seed):
    rng = np.random.default_rng(200 + seed)
    lead = tuple(int(d) for d in rng.integers(1, 5, size=int(rng.integers(1, 3))))  # (N,) or (N, T)
    fin, fout = int(rng.integers(1, 40)), int(rng.integers(1, 40))
    g, x = single_input_graph(lead + (fin,))
    bias = rand(rng, fout) if seed % 3 else None
    g.output(g.fully_connected(x, rand(rng, fout, fin), bias, activation=[None, "relu", "relu6"][seed % 3]), "y")
    assert_c_matches_reference(g, {"x": rand(rng, *lead, fin)})


BROADCAST_CASES = [
    ((2, 5, 7, 3), (2, 5, 7, 3)),
    ((2, 5, 7, 3), (3,)),
    ((2, 5, 7, 3), (1, 5, 1, 3)),
    ((1, 5, 1, 3), (2, 1, 7, 1)),
    ((4, 9), (4, 1)),
    ((3,), (2, 3)),
]


@pytest.mark.parametrize("op", ["add", "sub", "mul"])
@pytest.mark.parametrize("shapes", BROADCAST_CASES)
def test_binary_two_inputs(op, shapes):
    rng = np.random.default_rng(300)
    g = edgenet.Graph("binary")
    a, b = g.input("a", shapes[0]), g.input("b", shapes[1])
    activation = "relu6" if op == "add" else None
    g.output(getattr(g, op)(a, b, activation=activation), "y")
    assert_c_matches_reference(g, {"a": rand(rng, *shapes[0]) * 4, "b": rand(rng, *shapes[1]) * 4})


@pytest.mark.parametrize("seed", SEEDS)
def test_binary_with_constants_and_operators(seed):
    rng = np.random.default_rng(400 + seed)
    shape = tuple(int(d) for d in rng.integers(1, 7, size=4))
    g, x = single_input_graph(shape)
    channel_const = rand(rng, shape[-1])
    y = (x * channel_const + 0.5) - x  # tensor-op-array, tensor-op-scalar, tensor-op-tensor
    y = 2.0 - y * 3  # reflected scalar ops
    g.output(channel_const * y, "y")  # array-op-tensor
    assert_c_matches_reference(g, {"x": rand(rng, *shape)})


@pytest.mark.parametrize("op", ["relu", "relu6", "sigmoid", "tanh", "hard_swish"])
def test_unary(op):
    rng = np.random.default_rng(500)
    g, x = single_input_graph((2, 7, 5, 11))
    g.output(getattr(g, op)(x), "y")
    feed = rand(rng, 2, 7, 5, 11) * 5  # covers the 0/6 and -3/3 kinks
    assert_c_matches_reference(g, {"x": feed})


@pytest.mark.parametrize("bounds", [(-1.0, 1.0), (0.0, 6.0), (-0.5, 2.5), (1.0, 1.0)])
def test_clip(bounds):
    rng = np.random.default_rng(600)
    g, x = single_input_graph((3, 13))
    g.output(g.clip(x, min=bounds[0], max=bounds[1]), "y")
    assert_c_matches_reference(g, {"x": rand(rng, 3, 13) * 3})


@pytest.mark.parametrize("op", ["max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize("seed", SEEDS)
def test_pool2d(op, seed):
    rng = np.random.default_rng(700 + seed)
    n, h, w, c = int(rng.integers(1, 3)), int(rng.integers(4, 14)), int(rng.integers(4, 14)), int(rng.integers(1, 20))
    pool = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    strides = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    # Explicit pads must stay smaller than the window (see _Pool2D.infer).
    padding = random_padding(rng)
    if isinstance(padding, tuple):
        padding = (min(padding[0], pool[0] - 1), min(padding[1], pool[0] - 1),
                   min(padding[2], pool[1] - 1), min(padding[3], pool[1] - 1))
    kwargs = {"count_include_pad": bool(seed % 2)} if op == "avg_pool2d" else {}
    g, x = single_input_graph((n, h, w, c))
    g.output(getattr(g, op)(x, pool, strides=strides, padding=padding, **kwargs), "y")
    assert_c_matches_reference(g, {"x": rand(rng, n, h, w, c)})


@pytest.mark.parametrize("axis,keepdims", [((1, 2), False), ((1, 2), True), (-1, False), (0, True), ((0, 3), False),
                                           ((1,), False), ((0, 1, 2, 3), False)])
def test_mean(axis, keepdims):
    rng = np.random.default_rng(800)
    g, x = single_input_graph((2, 5, 7, 3))
    g.output(g.mean(x, axis=axis, keepdims=keepdims), "y")
    assert_c_matches_reference(g, {"x": rand(rng, 2, 5, 7, 3)})


@pytest.mark.parametrize("new_shape", [(2, 105), (-1, 7, 3), (2, 5, 21), (210,), (6, -1)])
def test_reshape(new_shape):
    rng = np.random.default_rng(900)
    g, x = single_input_graph((2, 5, 7, 3))
    # Reshape of a computed tensor, so the op is not a pure pass-through of the input.
    g.output(g.reshape(g.relu(x), new_shape), "y")
    assert_c_matches_reference(g, {"x": rand(rng, 2, 5, 7, 3)})


@pytest.mark.parametrize("perm", [(0, 3, 1, 2), (0, 2, 1, 3), (3, 2, 1, 0), (1, 0, 2, 3), (0, 1, 2, 3)])
def test_transpose(perm):
    rng = np.random.default_rng(1000)
    g, x = single_input_graph((2, 5, 7, 3))
    g.output(g.transpose(x, perm), "y")
    assert_c_matches_reference(g, {"x": rand(rng, 2, 5, 7, 3)})


@pytest.mark.parametrize("axis", [0, 1, 2, 3, -1])
def test_concat(axis):
    rng = np.random.default_rng(1100)
    base = [2, 5, 7, 3]
    shapes = []
    for extra in (1, 4, 2):
        s = list(base)
        s[axis] = extra
        shapes.append(tuple(s))
    g = edgenet.Graph("concat")
    inputs = [g.input(f"x{i}", s) for i, s in enumerate(shapes[:2])]
    constant = rand(rng, *shapes[2])  # a constant input too
    g.output(g.concat(inputs + [constant], axis=axis), "y")
    assert_c_matches_reference(g, {f"x{i}": rand(rng, *s) for i, s in enumerate(shapes[:2])})


@pytest.mark.parametrize("seed", SEEDS)
def test_pad(seed):
    rng = np.random.default_rng(1200 + seed)
    shape = tuple(int(d) for d in rng.integers(1, 6, size=int(rng.integers(2, 5))))
    paddings = [tuple(int(v) for v in rng.integers(0, 3, size=2)) for _ in shape]
    g, x = single_input_graph(shape)
    g.output(g.pad(x, paddings, constant_value=float(rng.standard_normal())), "y")
    assert_c_matches_reference(g, {"x": rand(rng, *shape)})


@pytest.mark.parametrize("axis,beta", [(-1, 1.0), (1, 1.0), (-1, 0.5), (0, 2.0)])
def test_softmax(axis, beta):
    rng = np.random.default_rng(1300)
    g, x = single_input_graph((3, 17))
    g.output(g.softmax(x, axis=axis, beta=beta), "y")
    assert_c_matches_reference(g, {"x": rand(rng, 3, 17) * 10})


@pytest.mark.parametrize("seed", SEEDS)
def test_batch_norm(seed):
    rng = np.random.default_rng(1400 + seed)
    c = int(rng.integers(1, 20))
    g, x = single_input_graph((2, 6, 5, c))
    y = g.batch_norm(x, mean=rand(rng, c), variance=rng.uniform(0.1, 2.0, c), scale=rand(rng, c),
                     offset=rand(rng, c), epsilon=1e-3)
    g.output(y, "y")
    assert_c_matches_reference(g, {"x": rand(rng, 2, 6, 5, c)})


def test_dynamic_batch_runs_at_several_batch_sizes():
    rng = np.random.default_rng(1500)
    g = edgenet.Graph("dyn")
    x = g.input("x", (None, 6, 6, 3))
    y = g.conv2d(x, rand(rng, 5, 3, 3, 3), rand(rng, 5), padding="same", activation="relu")
    g.output(g.fully_connected(g.reshape(y, (-1, 6 * 6 * 5)), rand(rng, 4, 180)), "y")
    for batch in (1, 3):
        assert_c_matches_reference(g, {"x": rand(rng, batch, 6, 6, 3)})
