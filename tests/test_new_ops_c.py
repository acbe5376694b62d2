"""The ops added for the ONNX importer: the C core (edgenet.Interpreter on the converted file)
vs the numpy reference semantics in edgenet/ops (edgenet.reference), over randomized shapes
and attributes; then shapes only known at run time that the C prepare must reject cleanly.

Tolerances. The reference computes in float64 on the float32 inputs; the C kernels compute in
float32, except where noted in the kernels (transcendentals, norms and resize coordinates in
double). So:
  - elementwise ops, data movement, comparisons, arg/reduce max/min: exact or 1-2 ulp
    (rtol 1e-6, atol 1e-7 for the transcendental ones; exact equality for the rest);
  - sums of many float32 products or values (matmul, conv2d_transpose, reduce_sum, layer /
    instance norm, log_softmax, bilinear resize): rtol 1e-5, atol 1e-5 - float32 accumulation
    error grows with the number of terms, and these sums run up to a few hundred terms.
"""
import numpy as np
import pytest

import edgenet
from edgenet.graph import QuantParams, Tensor

SEEDS = range(8)
EXACT = dict(rtol=0, atol=0)
ULPS = dict(rtol=1e-6, atol=1e-7)
SUMS = dict(rtol=1e-5, atol=1e-5)


def run_both(g, feeds):
    """(C outputs, reference outputs) of graph g on feeds."""
    model = edgenet.convert(g)
    return edgenet.Interpreter(model.to_bytes()).run(feeds), edgenet.reference.run(g, feeds)


def assert_c_matches_reference(g, feeds, tolerance):
    c_out, ref_out = run_both(g, feeds)
    assert set(c_out) == set(ref_out)
    for name, ref in ref_out.items():
        got = c_out[name]
        assert got.shape == ref.shape, (name, got.shape, ref.shape)
        np.testing.assert_allclose(got.astype(np.float64), np.asarray(ref, np.float64), err_msg=f"output {name!r}",
                                   **tolerance)
    return c_out


def rand(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def rand_shape(rng, rank, low=1, high=6):
    return tuple(int(d) for d in rng.integers(low, high, size=rank))


def broadcast_partner(rng, shape):
    """A shape that broadcasts with `shape`: some dims set to 1, maybe fewer leading dims."""
    partner = [1 if rng.random() < 0.4 else d for d in shape]
    return tuple(partner[int(rng.integers(0, len(shape))):])


def int_constant(g, array):
    """An integer constant tensor (Graph.constant makes float32 ones), as the ONNX importer builds them."""
    return Tensor(g, g._unique_name("indices", g._names), array.shape, array.dtype.name, data=array)


def one_op(op, shapes, **attrs):
    """Graph with inputs x0, x1, ... of `shapes` feeding g.<op>(..., **attrs) into output y."""
    g = edgenet.Graph(op)
    inputs = [g.input(f"x{i}", s) for i, s in enumerate(shapes)]
    g.output(getattr(g, op)(*inputs, **attrs), "y")
    return g


# ---- elementwise math --------------------------------------------------------------


@pytest.mark.parametrize("op", ["div", "pow", "minimum", "maximum"])
@pytest.mark.parametrize("seed", SEEDS)
def test_binary_broadcast(op, seed):
    rng = np.random.default_rng(seed)
    a_shape = rand_shape(rng, int(rng.integers(1, 5)))
    b_shape = broadcast_partner(rng, a_shape)
    if seed % 2:
        a_shape, b_shape = b_shape, a_shape
    a, b = rand(rng, *a_shape, scale=3), rand(rng, *b_shape, scale=3)
    if op == "div":
        b = np.where(np.abs(b) < 0.1, 0.5, b).astype(np.float32)
    if op == "pow":  # positive bases with any exponent, and negative bases with integer exponents
        a = np.abs(a) + 0.1 if seed % 2 else a
        b = b if seed % 2 else np.round(b)
    assert_c_matches_reference(one_op(op, [a_shape, b_shape]), {"x0": a, "x1": b}, ULPS)


def test_binary_special_values():
    """IEEE corners: x/0, 0/0, nan through minimum/maximum, 0 ** 0."""
    a = np.array([1.0, -1.0, 0.0, np.nan, 2.0, 0.0], np.float32)
    b = np.array([0.0, 0.0, 0.0, 1.0, np.nan, 0.0], np.float32)
    for op in ("div", "minimum", "maximum", "pow"):
        c_out, ref_out = run_both(one_op(op, [(6,), (6,)]), {"x0": a, "x1": b})
        np.testing.assert_array_equal(c_out["y"], ref_out["y"].astype(np.float32), err_msg=op)


@pytest.mark.parametrize("op", ["equal", "less", "greater", "less_equal", "greater_equal"])
@pytest.mark.parametrize("seed", range(4))
def test_compare(op, seed):
    rng = np.random.default_rng(100 + seed)
    a_shape = rand_shape(rng, int(rng.integers(1, 5)))
    b_shape = broadcast_partner(rng, a_shape)
    # small integers so that ties (the interesting case for equal / *_equal) are common
    a = rng.integers(-2, 3, size=a_shape).astype(np.float32)
    b = rng.integers(-2, 3, size=b_shape).astype(np.float32)
    c_out = assert_c_matches_reference(one_op(op, [a_shape, b_shape]), {"x0": a, "x1": b}, EXACT)
    assert c_out["y"].dtype == np.bool_


UNARY_DOMAINS = {  # op -> feed transform keeping the op in its domain
    "sqrt": np.abs, "log": lambda x: np.abs(x) + 1e-3, "reciprocal": lambda x: np.where(np.abs(x) < 0.05, 0.5, x),
}


@pytest.mark.parametrize("op", ["sqrt", "exp", "log", "abs", "neg", "erf", "floor", "ceil", "reciprocal", "softplus",
                                "sin", "cos", "silu"])
def test_unary(op):
    rng = np.random.default_rng(200)
    x = rand(rng, 3, 7, 11, scale=4)
    x = UNARY_DOMAINS.get(op, lambda v: v)(x).astype(np.float32)
    assert_c_matches_reference(one_op(op, [x.shape]), {"x0": x}, ULPS)


def test_softplus_large_inputs_do_not_overflow():
    x = np.array([-200.0, -30.0, 0.0, 30.0, 200.0], np.float32)
    assert_c_matches_reference(one_op("softplus", [x.shape]), {"x0": x}, ULPS)


@pytest.mark.parametrize("approximate", [False, True])
def test_gelu(approximate):
    rng = np.random.default_rng(300)
    x = rand(rng, 4, 33, scale=3)
    assert_c_matches_reference(one_op("gelu", [x.shape], approximate=approximate), {"x0": x}, ULPS)


@pytest.mark.parametrize("seed", range(4))
def test_parameterized_activations(seed):
    rng = np.random.default_rng(400 + seed)
    x = rand(rng, 2, 5, 9, scale=4)
    alpha, beta = float(rng.uniform(0.01, 2)), float(rng.uniform(-1, 1))
    g = edgenet.Graph("activations")
    xi = g.input("x", x.shape)
    g.output(g.leaky_relu(xi, alpha=alpha), "leaky")
    g.output(g.elu(xi, alpha=alpha), "elu")
    g.output(g.hard_sigmoid(xi, alpha=alpha, beta=beta), "hard_sigmoid")
    assert_c_matches_reference(g, {"x": x}, ULPS)


@pytest.mark.parametrize("slope_shape", [(1,), (7,), (1, 1, 7), (5, 1), (3, 5, 7)])
def test_prelu(slope_shape):
    rng = np.random.default_rng(500)
    g = edgenet.Graph("prelu")
    x = g.input("x", (3, 5, 7))
    g.output(g.prelu(x, rand(rng, *slope_shape)), "y")  # slope as a constant, as the importer writes it
    assert_c_matches_reference(g, {"x": rand(rng, 3, 5, 7)}, ULPS)


@pytest.mark.parametrize("seed", range(4))
def test_where(seed):
    rng = np.random.default_rng(600 + seed)
    shape = rand_shape(rng, 3)
    c_shape, b_shape = broadcast_partner(rng, shape), broadcast_partner(rng, shape)
    g = edgenet.Graph("where")
    p, q = g.input("p", c_shape), g.input("q", c_shape)
    a, b = g.input("a", shape), g.input("b", b_shape)
    g.output(g.where(g.less(p, q), a, b), "y")  # cond is a bool tensor made in the graph
    feeds = {"p": rand(rng, *c_shape), "q": rand(rng, *c_shape), "a": rand(rng, *shape), "b": rand(rng, *b_shape)}
    assert_c_matches_reference(g, feeds, EXACT)


def test_cast_chain():
    """float -> int32 / int64 truncates toward zero, -> bool is != 0, and back to float."""
    rng = np.random.default_rng(700)
    x = rand(rng, 4, 9, scale=5)
    x[0, :3] = [0.0, -0.0, 2.5]
    g = edgenet.Graph("cast")
    xi = g.input("x", x.shape)
    as_i32, as_i64, as_bool = g.cast(xi, "int32"), g.cast(xi, "int64"), g.cast(xi, "bool")
    g.output(as_i32, "i32")
    g.output(as_i64, "i64")
    g.output(as_bool, "b")
    g.output(g.cast(as_i64, "float32"), "back")
    g.output(g.cast(as_bool, "int32"), "b_i32")
    g.output(g.cast(as_i32, "bool"), "i32_b")
    c_out = assert_c_matches_reference(g, {"x": x}, EXACT)
    assert c_out["i32"].dtype == np.int32 and c_out["i64"].dtype == np.int64 and c_out["b"].dtype == np.bool_


# ---- reductions ----------------------------------------------------------------------


@pytest.mark.parametrize("op", ["reduce_sum", "reduce_max", "reduce_min"])
@pytest.mark.parametrize("seed", range(6))
def test_reduce(op, seed):
    rng = np.random.default_rng(800 + seed)
    shape = rand_shape(rng, int(rng.integers(1, 5)), high=8)
    axes = tuple(int(a) for a in rng.choice(len(shape), size=int(rng.integers(1, len(shape) + 1)), replace=False))
    g = one_op(op, [shape], axis=axes, keepdims=bool(seed % 2))
    assert_c_matches_reference(g, {"x0": rand(rng, *shape)}, SUMS if op == "reduce_sum" else EXACT)


@pytest.mark.parametrize("op", ["arg_max", "arg_min"])
@pytest.mark.parametrize("seed", range(6))
def test_arg_reduce(op, seed):
    rng = np.random.default_rng(900 + seed)
    shape = rand_shape(rng, int(rng.integers(1, 5)), high=7)
    axis = int(rng.integers(-len(shape), len(shape)))
    x = rng.integers(-3, 4, size=shape).astype(np.float32)  # many ties: first vs last index matters
    g = one_op(op, [shape], axis=axis, keepdims=bool(seed % 2), select_last_index=seed % 3 == 0)
    c_out = assert_c_matches_reference(g, {"x0": x}, EXACT)
    assert c_out["y"].dtype == np.int64


# ---- linear algebra ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_matmul(seed):
    rng = np.random.default_rng(1000 + seed)
    m, k, n = (int(v) for v in rng.integers(1, 24, size=3))
    batch = rand_shape(rng, int(rng.integers(0, 3)), high=4)
    other = broadcast_partner(rng, batch) if batch else ()
    a_shape, b_shape = batch + (m, k), other + (k, n)
    if seed % 2:
        a_shape, b_shape = other + (m, k), batch + (k, n)
    g = edgenet.Graph("matmul")
    a = g.input("a", a_shape)
    b = g.input("b", b_shape) if seed % 3 else rand(rng, *b_shape)  # an activation or a constant
    g.output(g.matmul(a, b), "y")
    feeds = {"a": rand(rng, *a_shape)}
    if seed % 3:
        feeds["b"] = rand(rng, *b_shape)
    assert_c_matches_reference(g, feeds, SUMS)


@pytest.mark.parametrize("seed", range(12))
def test_conv2d_transpose(seed):
    rng = np.random.default_rng(1100 + seed)
    cin, cout = int(rng.integers(1, 9)), int(rng.integers(1, 9))
    kh, kw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    strides = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    dilation = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    n, h, w = int(rng.integers(1, 3)), int(rng.integers(1, 7)), int(rng.integers(1, 7))
    # paddings that leave at least one output pixel; output padding < stride (as in ONNX / PyTorch)
    full = [(h - 1) * strides[0] + (kh - 1) * dilation[0] + 1, (w - 1) * strides[1] + (kw - 1) * dilation[1] + 1]
    pads = [int(rng.integers(0, min(3, (f - 1) // 2 + 1))) for f in full for _ in range(2)]
    output_padding = (int(rng.integers(0, strides[0])), int(rng.integers(0, strides[1])))
    g = edgenet.Graph("deconv")
    x = g.input("x", (n, h, w, cin))
    bias = rand(rng, cout) if seed % 2 else None
    g.output(g.conv2d_transpose(x, rand(rng, cout, kh, kw, cin), bias, strides=strides, dilation=dilation,
                                padding=((pads[0], pads[1]), (pads[2], pads[3])), output_padding=output_padding), "y")
    assert_c_matches_reference(g, {"x": rand(rng, n, h, w, cin)}, SUMS)


# ---- normalizations ------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_log_softmax(seed):
    rng = np.random.default_rng(1200 + seed)
    shape = rand_shape(rng, int(rng.integers(1, 5)), high=9)
    axis = int(rng.integers(-len(shape), len(shape)))
    assert_c_matches_reference(one_op("log_softmax", [shape], axis=axis), {"x0": rand(rng, *shape, scale=5)}, SUMS)


@pytest.mark.parametrize("seed", range(6))
def test_layer_norm(seed):
    rng = np.random.default_rng(1300 + seed)
    shape = rand_shape(rng, int(rng.integers(1, 5)), high=12)
    axis = int(rng.integers(-len(shape), len(shape)))
    normalized = shape[axis:]
    g = edgenet.Graph("layer_norm")
    x = g.input("x", shape)
    bias = rand(rng, *normalized) if seed % 2 else None
    g.output(g.layer_norm(x, rand(rng, *normalized), bias, axis=axis, epsilon=float(10.0 ** -rng.integers(3, 7))), "y")
    assert_c_matches_reference(g, {"x": rand(rng, *shape, scale=3) + 2}, SUMS)


@pytest.mark.parametrize("seed", range(4))
def test_instance_norm(seed):
    rng = np.random.default_rng(1400 + seed)
    n, h, w, c = rand_shape(rng, 4, high=9)
    g = edgenet.Graph("instance_norm")
    x = g.input("x", (n, h, w, c))
    g.output(g.instance_norm(x, rand(rng, c), rand(rng, c), epsilon=1e-5), "y")
    assert_c_matches_reference(g, {"x": rand(rng, n, h, w, c, scale=2) - 1}, SUMS)


# ---- data movement ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_split(seed):
    rng = np.random.default_rng(1500 + seed)
    shape = rand_shape(rng, int(rng.integers(1, 5)), low=2, high=8)
    axis = int(rng.integers(0, len(shape)))
    cuts = np.sort(rng.choice(np.arange(1, shape[axis]), size=int(rng.integers(0, shape[axis])), replace=False))
    sizes = np.diff(np.concatenate([[0], cuts, [shape[axis]]])).tolist()
    g = edgenet.Graph("split")
    x = g.input("x", shape)
    for i, piece in enumerate(g.split(x, sizes, axis=axis)):
        g.output(piece, f"y{i}")
    assert_c_matches_reference(g, {"x": rand(rng, *shape)}, EXACT)


@pytest.mark.parametrize("seed", range(12))
def test_slice(seed):
    rng = np.random.default_rng(1600 + seed)
    shape = rand_shape(rng, int(rng.integers(1, 5)), high=9)
    begin, end, strides = [], [], []
    for size in shape:  # python-style slices, negative and out-of-range values included
        step = int(rng.choice([-3, -2, -1, 1, 1, 2, 3]))
        b, e = (int(v) for v in rng.integers(-size - 2, size + 2, size=2))
        if len(range(*slice(b, e, step).indices(size))) == 0:  # keep the slice non-empty
            b, e = (0, size) if step > 0 else (size - 1, -size - 1)
        begin.append(b), end.append(e), strides.append(step)
    assert_c_matches_reference(one_op("slice", [shape], begin=begin, end=end, strides=strides),
                               {"x0": rand(rng, *shape)}, EXACT)


@pytest.mark.parametrize("seed", SEEDS)
def test_gather_constant_indices(seed):
    rng = np.random.default_rng(1700 + seed)
    shape = rand_shape(rng, int(rng.integers(1, 4)), high=7)
    axis = int(rng.integers(0, len(shape)))
    dtype = np.int32 if seed % 2 else np.int64
    indices = rng.integers(-shape[axis], shape[axis], size=rand_shape(rng, int(rng.integers(0, 3)), high=4))
    g = edgenet.Graph("gather")
    x = g.input("x", shape)
    g.output(g.gather(x, int_constant(g, np.asarray(indices, dtype)), axis=axis), "y")
    assert_c_matches_reference(g, {"x": rand(rng, *shape)}, EXACT)


def test_gather_runtime_indices():
    rng = np.random.default_rng(1800)
    g = edgenet.Graph("gather")
    x, idx = g.input("x", (5, 4)), g.input("idx", (4,))
    g.output(g.gather(x, g.cast(idx, "int64"), axis=0), "y")  # indices computed at run time
    feeds = {"x": rand(rng, 5, 4), "idx": np.array([4, -1, 0, -5], np.float32)}
    assert_c_matches_reference(g, feeds, EXACT)


@pytest.mark.parametrize("shapes", [((3,), (2, 4, 3)), ((4, 1), (2, 4, 5)), ((1, 1, 1), (2, 3, 4)), ((2, 3), (2, 3))])
def test_broadcast_to(shapes):
    rng = np.random.default_rng(1900)
    src, dst = shapes
    assert_c_matches_reference(one_op("broadcast_to", [src], shape=dst), {"x0": rand(rng, *src)}, EXACT)


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
@pytest.mark.parametrize("block", [1, 2, 3])
def test_depth_to_space(mode, block):
    rng = np.random.default_rng(2000 + block)
    shape = (2, 3, 4, 5 * block * block)
    assert_c_matches_reference(one_op("depth_to_space", [shape], block_size=block, mode=mode),
                               {"x0": rand(rng, *shape)}, EXACT)


@pytest.mark.parametrize("block", [1, 2, 3])
def test_space_to_depth(block):
    rng = np.random.default_rng(2100 + block)
    shape = (2, 2 * block, 3 * block, 5)
    assert_c_matches_reference(one_op("space_to_depth", [shape], block_size=block), {"x0": rand(rng, *shape)}, EXACT)


@pytest.mark.parametrize("mode", ["reflect", "edge"])
@pytest.mark.parametrize("seed", range(4))
def test_border_pad(mode, seed):
    rng = np.random.default_rng(2200 + seed)
    shape = rand_shape(rng, int(rng.integers(1, 5)), low=1, high=6)
    limit = [s - 1 if mode == "reflect" else 4 for s in shape]
    paddings = [(int(rng.integers(0, m + 1)), int(rng.integers(0, m + 1))) for m in limit]
    assert_c_matches_reference(one_op("border_pad", [shape], paddings=paddings, mode=mode),
                               {"x0": rand(rng, *shape)}, EXACT)


def test_int8_data_movement():
    """The data movement ops move int8 values unchanged (same quantization in and out)."""
    rng = np.random.default_rng(2250)
    g = edgenet.Graph("int8_moves")
    x = g.input("x", (2, 4, 6, 8))
    q = g.quantize(x, 0.05, 3)
    moved = [
        g.slice(q, [0, 3, 0, 1], [2, -5, 6, 8], [1, -1, 2, 3]),
        g.gather(q, int_constant(g, np.array([3, 0, 3], np.int64)), axis=3),
        g.broadcast_to(q, (3, 2, 4, 6, 8)),
        g.depth_to_space(q, 2, mode="CRD"),
        g.space_to_depth(q, 2),
        g.border_pad(q, [(0, 0), (1, 2), (3, 0), (0, 0)], "reflect"),
    ] + list(g.split(q, [5, 3], axis=3))
    for i, t in enumerate(moved):
        t.quant = q.quant  # output quant == input quant, as the quantizer sets it (notes: quant IR)
        g.output(g.dequantize(t), f"y{i}")
    assert_c_matches_reference(g, {"x": rand(rng, 2, 4, 6, 8)}, EXACT)


def test_int8_data_movement_cannot_rescale():
    g = edgenet.Graph("int8_rescale")
    q = g.quantize(g.input("x", (4, 6)), 0.05, 3)
    pieces = g.split(q, [2, 4], axis=1)
    pieces[0].quant = q.quant
    pieces[1].quant = QuantParams(np.array([0.1], np.float32), np.array([3]))  # a different scale
    for i, t in enumerate(pieces):
        g.output(g.dequantize(t), f"y{i}")
    with pytest.raises(RuntimeError, match="SPLIT.*same quantization"):  # UNSUPPORTED status
        edgenet.Interpreter(edgenet.convert(g).to_bytes())


# ---- resize --------------------------------------------------------------------------------------

COORDINATE_MODES = ["half_pixel", "align_corners", "asymmetric", "pytorch_half_pixel", "tf_half_pixel_for_nn",
                    "half_pixel_symmetric"]


@pytest.mark.parametrize("coordinate_mode", COORDINATE_MODES)
@pytest.mark.parametrize("nearest_mode", ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"])
def test_resize_nearest(coordinate_mode, nearest_mode):
    rng = np.random.default_rng(2300)
    for in_hw, out_hw in [((4, 5), (8, 10)), ((6, 9), (3, 4)), ((3, 3), (7, 5)), ((5, 2), (5, 2))]:
        shape = (2,) + in_hw + (3,)
        g = one_op("resize", [shape], size=out_hw, mode="nearest", coordinate_mode=coordinate_mode,
                   nearest_mode=nearest_mode)
        assert_c_matches_reference(g, {"x0": rand(rng, *shape)}, EXACT)


@pytest.mark.parametrize("coordinate_mode", COORDINATE_MODES)
def test_resize_linear(coordinate_mode):
    rng = np.random.default_rng(2400)
    for in_hw, out_hw, scales in [((4, 5), (8, 10), None), ((6, 9), (3, 4), None), ((3, 3), (7, 5), None),
                                  ((4, 4), (9, 9), (2.25, 2.25)), ((1, 3), (2, 1), None),
                                  ((2, 4), (1, 2), (0.6, 0.6))]:  # scale * in not an integer (ONNX test case)
        shape = (1,) + in_hw + (4,)
        g = one_op("resize", [shape], size=out_hw, mode="linear", coordinate_mode=coordinate_mode, scales=scales)
        assert_c_matches_reference(g, {"x0": rand(rng, *shape)}, SUMS)


# ---- shapes known only at run time: the C prepare rejects them with a clear message ---------------


def expect_run_error(g, feeds, *fragments):
    interpreter = edgenet.Interpreter(edgenet.convert(g).to_bytes())
    with pytest.raises(ValueError) as info:
        interpreter.run(feeds)
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)
    return interpreter


def test_bad_runtime_shapes_are_reported():
    rng = np.random.default_rng(2500)
    # matmul batch dims that do not broadcast once the dynamic batch sizes arrive
    g = edgenet.Graph("matmul")
    a, b = g.input("a", (None, 3, 4)), g.input("b", (None, 4, 2))
    g.output(g.matmul(a, b), "y")
    interpreter = expect_run_error(g, {"a": rand(rng, 2, 3, 4), "b": rand(rng, 3, 4, 2)}, "MATMUL", "do not broadcast")
    # the interpreter stays usable: a good feed afterwards runs
    out = interpreter.run({"a": rand(rng, 2, 3, 4), "b": rand(rng, 1, 4, 2)})
    assert out["y"].shape == (2, 3, 2)

    # elementwise ops whose dynamic dims disagree
    for op in ("div", "less"):
        g = one_op(op, [(None, 3), (None, 3)])
        expect_run_error(g, {"x0": rand(rng, 2, 3), "x1": rand(rng, 4, 3)}, op.upper(), "broadcast")

    # split sizes that no longer add up to a dynamic dim
    g = edgenet.Graph("split")
    x = g.input("x", (None, 2))
    for i, piece in enumerate(g.split(x, [1, 2], axis=0)):
        g.output(piece, f"y{i}")
    expect_run_error(g, {"x": rand(rng, 4, 2)}, "SPLIT", "sum to 3")

    # a where whose condition's dynamic dim disagrees with the values'
    g = edgenet.Graph("where")
    p, a = g.input("p", (None, 3)), g.input("a", (None, 3))
    g.output(g.where(g.less(p, a), a, a), "y")
    expect_run_error(g, {"p": rand(rng, 2, 3), "a": rand(rng, 3, 3)}, "broadcast")


def test_runtime_gather_index_out_of_range_is_an_error():
    """A run-time index out of range fails the invoke with the op named (see also
    tests/test_runtime_index_errors.py); in-range rows are right afterwards."""
    rng = np.random.default_rng(2600)
    g = edgenet.Graph("gather")
    x, idx = g.input("x", (4, 3)), g.input("idx", (3,))
    g.output(g.gather(x, g.cast(idx, "int64"), axis=0), "y")
    feed = rand(rng, 4, 3)
    interpreter = edgenet.Interpreter(edgenet.convert(g).to_bytes())
    with pytest.raises(ValueError, match="GATHER.*index 99 .*out of range"):
        interpreter.run({"x": feed, "idx": np.array([1, 99, -99], np.float32)})
    out = interpreter.run({"x": feed, "idx": np.array([1, 3, -4], np.float32)})
    np.testing.assert_array_equal(out["y"], feed[[1, 3, 0]])


# ---- the same kernels under AddressSanitizer + UBSan ----------------------------------------------


def _run_both_sanitized(program, tmp_path, g, feeds):
    """run_both through the C runner built with ASan + UBSan (native/tests/edgenet_run.c). The
    runner prints float outputs only, so integer / bool outputs are cast to float32 first."""
    import build_programs

    ref_out = edgenet.reference.run(g, feeds)
    as_float = {}  # printed name -> (output name, dtype)
    for t in list(g.outputs):
        if t.dtype != "float32":
            g.outputs.remove(t)
            g.output(g.cast(t, "float32"), t.name + "_as_float")
            as_float[t.name + "_as_float"] = (t.name, t.dtype)
    model_path = tmp_path / "model.enet"
    model_path.write_bytes(edgenet.convert(g).to_bytes())
    input_paths = []
    for t in g.inputs:
        input_paths.append(tmp_path / f"{t.name}.bin")
        input_paths[-1].write_bytes(np.ascontiguousarray(feeds[t.name], "<f4").tobytes())
    result = build_programs.run(program, model_path, *input_paths)
    assert result.returncode == 0, result.stderr[-3000:]
    printed, shapes, current = {}, {}, None
    for line in result.stdout.splitlines():
        if line.startswith("output "):
            _, _, current, shape = line.split(" ", 3)
            shapes[current] = tuple(int(d) for d in shape.strip("(,)").split(",") if d.strip())
            printed[current] = []
        else:
            printed[current].append(float(line))
    c_out = {}
    for name, values in printed.items():
        original, dtype = as_float.get(name, (name, "float32"))
        c_out[original] = np.array(values, np.float32).reshape(shapes[name]).astype(dtype)
    return c_out, ref_out


def test_new_kernels_under_sanitizers(monkeypatch, tmp_path):
    """A sample of the cases above once more in the sanitized C runner: no out-of-bounds access
    or undefined behaviour (e.g. a float -> int conversion out of range), same results."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "native" / "tests"))
    import build_programs

    programs = build_programs.build_programs()
    if not programs["sanitized"]:
        pytest.skip("the C compiler cannot build with AddressSanitizer/UBSan here")
    monkeypatch.setattr(sys.modules[__name__], "run_both",
                        lambda g, feeds: _run_both_sanitized(programs["edgenet_run"], tmp_path, g, feeds))
    for seed in range(2):
        test_binary_broadcast("div", seed)
        test_compare("less_equal", seed)
        test_reduce("reduce_max", seed)
        test_arg_reduce("arg_max", seed)
        test_matmul(seed)
        test_conv2d_transpose(seed)
        test_log_softmax(seed)
        test_layer_norm(seed)
        test_split(seed)
        test_slice(seed)
        test_gather_constant_indices(seed)
        test_border_pad("reflect", seed)
        test_border_pad("edge", seed)
    test_binary_special_values()
    test_parameterized_activations(0)
    test_gelu(False)
    test_prelu((5, 1))
    test_where(0)
    test_cast_chain()
    test_instance_norm(0)
    test_broadcast_to(((4, 1), (2, 4, 5)))
    test_depth_to_space("CRD", 2)
    test_space_to_depth(2)
    test_resize_nearest("half_pixel_symmetric", "round_prefer_ceil")
    test_resize_linear("align_corners")


# ---- corrupted files using the new options tables: clean errors, no memory errors --------------


def _model_with_every_options_table():
    rng = np.random.default_rng(2700)
    g = edgenet.Graph("new_ops")
    x = g.input("x", (1, 4, 6, 8))
    y = g.conv2d_transpose(x, rand(rng, 4, 3, 3, 8), rand(rng, 4), strides=2, padding=((1, 1), (0, 1)),
                           output_padding=(1, 0))                                       # Conv2DTransposeOptions
    y = g.resize(y, (6, 9), mode="linear", coordinate_mode="align_corners")            # ResizeOptions
    y = g.layer_norm(y, rand(rng, 4), rand(rng, 4), axis=-1)                            # LayerNormOptions
    y = g.instance_norm(g.gelu(y, approximate=True), rand(rng, 4), rand(rng, 4))        # Gelu/InstanceNorm
    y = g.border_pad(g.leaky_relu(y, alpha=0.2), [(0, 0), (1, 1), (1, 0), (0, 0)], "reflect")  # AlphaBeta, Pad
    a, b = g.split(y, [1, 3], axis=3)                                                   # SplitOptions
    s = g.slice(b, [0, 0, 0, 2], [1, 8, 11, -4], [1, 2, 3, -1])                         # SliceOptions
    t = g.gather(s, int_constant(g, np.array([1, 0, 1], np.int64)), axis=3)             # GatherOptions
    d = g.depth_to_space(g.space_to_depth(a, 2), 2)                                     # DepthSpaceOptions
    g.output(g.log_softmax(g.reduce_max(t, axis=(1,), keepdims=True), axis=2), "y")     # Reduce/Softmax
    g.output(g.cast(g.arg_max(d, axis=2), "float32"), "arg")                            # ArgOptions
    return edgenet.convert(g).to_bytes()


def test_corrupted_new_op_models_under_address_sanitizer(tmp_path):
    """Byte flips in a file that uses every new options table, run by the C runner built with
    ASan + UBSan: each file runs or is rejected with a message; nothing reads out of bounds."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "native" / "tests"))
    import build_programs
    from test_corrupt_models import _corruptions

    programs = build_programs.build_programs()
    if not programs["sanitized"]:
        pytest.skip("the C compiler cannot build with AddressSanitizer/UBSan here")
    data = _model_with_every_options_table()
    cases = [c for c in _corruptions(data, num_flips=150) if c[0] == "flip"] + [("valid", data)]
    path = tmp_path / "case.enet"
    rejected = 0
    for i, (kind, blob) in enumerate(cases):
        path.write_bytes(blob)
        result = build_programs.run(programs["edgenet_run"], path)
        assert result.returncode in (0, 1), f"case {i} ({kind}): exit {result.returncode}\n{result.stderr[-3000:]}"
        if result.returncode == 1:
            rejected += 1
            assert result.stderr.startswith("edgenet_run: ") and len(result.stderr.strip()) > 20, result.stderr
    assert result.returncode == 0 and "output 0 y" in result.stdout  # the valid file, last, runs
    assert rejected > len(cases) // 4
