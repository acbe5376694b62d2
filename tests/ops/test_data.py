"""The data family (split, slice, gather, broadcast_to, depth_to_space, space_to_depth, border_pad):
the C core (edgenet.Interpreter on the converted file) vs the numpy reference semantics in
edgenet/ops/data.py (edgenet.reference), on randomized shapes and attributes. Tolerances:
tests/op_harness.py.
"""
import numpy as np
import pytest

import edgenet
from edgenet.graph import QuantParams
from op_harness import EXACT, assert_c_matches_reference, int_constant, one_op, rand, rand_shape


@pytest.mark.parametrize("seed", range(8))
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


@pytest.mark.parametrize("seed", range(8))
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
