"""Hand-crafted hostile models, one hole each: a clear error at load or prepare, never a crash.

Each model is well-formed at the byte level (the corruption tests cover that) and breaks a rule
one layer deeper: a parameter the op's prepare reads given as a computed tensor, a pooling window
made of padding only, a zero-size shape hiding an overflowing product, a requantization shift out
of range. Every one is also run through the C runner built with AddressSanitizer + UBSan, which
catches reads of NULL or out-of-bounds memory even when they happen not to crash. Where a model
stays valid (a computed float bias, computed int8 weights), its output is compared with the numpy
reference in edgenet/ops.
"""
import os
import sys
import types

import numpy as np
import pytest

import edgenet
from edgenet import reference
from edgenet._schema import edgenet_generated as S
from edgenet.interpreter import Interpreter
from edgenet.ops.conv import Conv2D
from test_corrupt_models import REPO, make_model

I8, I32, F32 = S.DataType.INT8, S.DataType.INT32, S.DataType.FLOAT32


def quant(scale=0.5, zero_point=0):
    return ([scale], [zero_point], 0)


def conv_s8(bias_source="constant", weights_source="constant", w_scale=0.25, y_scale=1.0):
    """int8 CONV_2D 1x1: x (1, 4, 4, 2), w (3, 1, 1, 2), bias int32 (3,), y (1, 4, 4, 3).

    bias_source / weights_source: "constant", "input" (a graph input) or "cast" (the output of a CAST
    from a float graph input)."""
    tensors = [dict(name="x", shape=(1, 4, 4, 2), dtype=I8, quant=quant()),
               dict(name="w", shape=(3, 1, 1, 2), dtype=I8, quant=quant(w_scale)),
               dict(name="b", shape=(3,), dtype=I32),
               dict(name="y", shape=(1, 4, 4, 3), dtype=I8, quant=quant(y_scale))]
    ops, inputs, buffers, blobs = [], [0], [], []
    for index, source, data in ((1, weights_source, np.array([1, -2, 3, 4, -5, 6], np.int8)),
                                (2, bias_source, np.array([100, -7, 0], np.int32))):
        if source == "constant":
            tensors[index]["buffer"] = len(buffers)
            offset = 1024 + 64 * len(buffers)
            buffers.append((offset, data.nbytes))
            blobs.append((offset, data.tobytes()))
        elif source == "input":
            inputs.append(index)
        else:  # "cast": computed from a float graph input
            tensors.append(dict(name=tensors[index]["name"] + "_float", shape=tensors[index]["shape"]))
            ops.append(dict(opcode=S.OpCode.CAST, inputs=(len(tensors) - 1,), outputs=(index,)))
            inputs.append(len(tensors) - 1)
    ops.append(dict(opcode=S.OpCode.CONV_2D, inputs=(0, 1, 2), outputs=(3,)))
    return make_model(tensors=tensors, ops=ops, inputs=inputs, outputs=(3,), buffers=buffers, blobs=blobs)


def fc_s8(bias_source):
    """int8 FULLY_CONNECTED x (2, 4) @ w (3, 4) + bias (3,), the bias a graph input or a CAST's output."""
    tensors = [dict(name="x", shape=(2, 4), dtype=I8, quant=quant()),
               dict(name="w", shape=(3, 4), dtype=I8, buffer=0, quant=quant(0.25)),
               dict(name="b", shape=(3,), dtype=I32),
               dict(name="y", shape=(2, 3), dtype=I8, quant=quant(1.0))]
    ops, inputs = [dict(opcode=S.OpCode.FULLY_CONNECTED, inputs=(0, 1, 2), outputs=(3,))], (0, 2)
    if bias_source == "cast":
        tensors.append(dict(name="b_float", shape=(3,)))
        ops.insert(0, dict(opcode=S.OpCode.CAST, inputs=(4,), outputs=(2,)))
        inputs = (0, 4)
    return make_model(tensors=tensors, ops=ops, inputs=inputs, outputs=(3,), buffers=[(1024, 12)],
                      blobs=[(1024, bytes(12))])


def lookup_s8(opcode, table_dtype=I8):
    """int8 `opcode` (x, table) with the table a graph input, not a constant."""
    tensors = [dict(name="x", shape=(2, 3), dtype=I8, quant=quant()),
               dict(name="table", shape=(256,), dtype=table_dtype),
               dict(name="y", shape=(2, 3), dtype=I8, quant=quant(1 / 256, -128))]
    return make_model(tensors=tensors, ops=[dict(opcode=opcode, inputs=(0, 1), outputs=(2,))], inputs=(0, 1),
                      outputs=(2,), buffers=[], blobs=[])


def pool(dtype, x_shape, y_shape, pads=(1, 1, 0, 0), opcode=S.OpCode.AVG_POOL_2D):
    """A 2x2 pooling op whose paddings (top, bottom, left, right) are each smaller than the filter."""
    q = dict(quant=quant()) if dtype == I8 else {}
    tensors = [dict(name="x", shape=x_shape, dtype=dtype, **q), dict(name="y", shape=y_shape, dtype=dtype, **q)]
    pool_options = options("Pool2D", FilterH=2, FilterW=2, PadTop=pads[0], PadBottom=pads[1], PadLeft=pads[2],
                           PadRight=pads[3])
    return make_model(tensors=tensors, ops=[dict(opcode=opcode, inputs=(0,), outputs=(1,))], outputs=(1,),
                      buffers=[], blobs=[], options=pool_options)


def empty_weights_with_huge_dims():
    """Float conv weights (0, 2^31-1, 2^31-1, 2^31-1): no elements, but KH * KW * I overflows int64."""
    big = 2 ** 31 - 1
    tensors = [dict(name="x", shape=(1, 4, 4, big)), dict(name="w", shape=(0, big, big, big)),
               dict(name="y", shape=(1, 4, 4, 0))]
    return make_model(tensors=tensors, ops=[dict(opcode=S.OpCode.CONV_2D, inputs=(0, 1), outputs=(2,))],
                      inputs=(0, 1), outputs=(2,), buffers=[], blobs=[])


def one_op(opcode, x_shapes, y_shapes, op_options=None):
    """A float op of graph inputs x0, x1, ... with outputs y0, y1, ... (declared shapes given)."""
    tensors = [dict(name=f"x{i}", shape=s) for i, s in enumerate(x_shapes)]
    tensors += [dict(name=f"y{i}", shape=s) for i, s in enumerate(y_shapes)]
    ins, outs = tuple(range(len(x_shapes))), tuple(range(len(x_shapes), len(tensors)))
    return make_model(tensors=tensors, ops=[dict(opcode=opcode, inputs=ins, outputs=outs)], inputs=ins, outputs=outs,
                      buffers=[], blobs=[], options=op_options)


def options(table, **fields):
    """make_model's `options` builder for an options table ("Split" -> SplitOptions) with the given fields
    (schema names in CamelCase; a list becomes an int32 vector)."""
    def build(b):
        vectors = {k: b.CreateNumpyVector(np.asarray(v, np.int32)) for k, v in fields.items() if isinstance(v, list)}
        getattr(S, f"{table}OptionsStart")(b)
        for field, value in fields.items():
            getattr(S, f"{table}OptionsAdd{field}")(b, vectors.get(field, value))
        return getattr(S.OperatorOptions, f"{table}Options"), getattr(S, f"{table}OptionsEnd")(b)
    return build


# (name, model bytes, the message the error must contain)
HOSTILE = [
    ("int8 conv, bias a graph input", conv_s8(bias_source="input"),
     r"op 0 '' \(CONV_2D\): input 2 \(bias\) must be a constant tensor, but tensor 2 'b' is a graph input"),
    ("int8 conv, bias computed by a CAST", conv_s8(bias_source="cast"),
     r"op 1 '' \(CONV_2D\): input 2 \(bias\) must be a constant tensor, but tensor 2 'b' is the output of op 0 "
     r"\(CAST\)"),
    ("int8 fully connected, bias a graph input", fc_s8("input"),
     r"op 0 '' \(FULLY_CONNECTED\): input 2 \(bias\) must be a constant tensor, but tensor 2 'b' is a graph input"),
    ("int8 fully connected, bias computed by a CAST", fc_s8("cast"),
     r"op 1 '' \(FULLY_CONNECTED\): input 2 \(bias\) must be a constant tensor, but tensor 2 'b' is the output of "
     r"op 0 \(CAST\)"),
    ("int8 sigmoid, table a graph input", lookup_s8(S.OpCode.SIGMOID),
     r"op 0 '' \(SIGMOID\): input 1 \(lookup table\) must be a constant tensor, but tensor 1 'table' is a graph input"),
    ("TABLE, table a graph input", lookup_s8(S.OpCode.TABLE),
     r"op 0 '' \(TABLE\): input 1 \(lookup table\) must be a constant tensor"),
    ("int8 softmax, table a graph input", lookup_s8(S.OpCode.SOFTMAX, I32),
     r"op 0 '' \(SOFTMAX\): input 1 \(lookup table\) must be a constant tensor"),
    ("int8 average pool over an empty image (windows of padding only)", pool(I8, (1, 0, 2, 1), (1, 1, 1, 1)),
     r"op 0 '' \(AVG_POOL_2D\): input \(1, 0, 2, 1\) has an empty image \(H or W is 0\): nothing to pool"),
    ("float average pool over an empty image", pool(F32, (1, 2, 0, 1), (1, 3, -1, 1), pads=(1, 1, 1, 1)),
     r"\(AVG_POOL_2D\): input \(1, 2, 0, 1\) has an empty image"),
    ("int8 max pool over an empty image", pool(I8, (1, 0, 2, 1), (1, 1, 1, 1), opcode=S.OpCode.MAX_POOL_2D),
     r"\(MAX_POOL_2D\): input \(1, 0, 2, 1\) has an empty image"),
    ("a zero-size shape whose other dims overflow", empty_weights_with_huge_dims(),
     r"tensor 1 'w': shape element count overflows"),
    ("concat of no inputs", one_op(S.OpCode.CONCAT, [], [(2, 3)]),
     r"op 0 '' \(CONCAT\): CONCAT needs 1 or more inputs, got 0"),
    ("split sizes that do not sum to the dim",
     one_op(S.OpCode.SPLIT, [(2, 6)], [(2, 2), (2, 3)], options("Split", Axis=1, Sizes=[2, 3])),
     r"\(SPLIT\): split sizes sum to 5 but dim 1 of the input is 6"),
    ("softmax axis beyond the inferred rank",
     one_op(S.OpCode.SOFTMAX, [(2, 3)], [(2, 3)], options("Softmax", Axis=2)),
     r"\(SOFTMAX\): axis 2 out of range for an input of rank 2"),
    ("softmax negative axis beyond the rank",
     one_op(S.OpCode.SOFTMAX, [(2, 3)], [(2, 3)], options("Softmax", Axis=-3)),
     r"\(SOFTMAX\): axis -3 out of range for an input of rank 2"),
    ("conv stride 0 (a division by zero)",
     one_op(S.OpCode.CONV_2D, [(1, 4, 4, 1), (1, 1, 1, 1)], [(1, 4, 4, 1)], options("Conv2D", StrideH=0)),
     r"\(CONV_2D\): Conv2DOptions strides \(0, 1\), dilations \(1, 1\) and depth_multiplier 1 must be >= 1"),
    ("int8 conv whose scales give a requantization shift beyond 62", conv_s8(w_scale=1e-20, y_scale=1e10),
     r"\(CONV_2D\): output channel 0: requantization multiplier .* is out of range \(shift \d+ not in \[1, 62\]\)"),
]


@pytest.mark.parametrize("name, model, message", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_model_gets_a_clear_error(name, model, message):
    with pytest.raises((ValueError, RuntimeError), match=message):
        Interpreter(model)


def test_hostile_models_under_address_sanitizer(tmp_path):
    """The C runner built with ASan + UBSan rejects each with the same message, without a sanitizer report
    (exit 98/99) or a crash. Before the registry's constant-input contract, the int8 bias cases read NULL."""
    sys.path.insert(0, str(REPO / "native" / "tests"))
    import build_programs

    programs = build_programs.build_programs()
    if not programs["sanitized"]:
        pytest.skip("the C compiler cannot build with AddressSanitizer/UBSan here")
    path = tmp_path / "hostile.enet"
    for name, model, message in HOSTILE:
        path.write_bytes(model)
        result = build_programs.run(programs["edgenet_run"], path)
        assert result.returncode == 1, f"{name}: exit {result.returncode}\n{result.stderr[-3000:]}"
        assert result.stderr.startswith("edgenet_run: "), f"{name}: {result.stderr[-3000:]}"
        assert __import__("re").search(message, result.stderr), f"{name}: {result.stderr}"


def test_int8_conv_with_constant_bias_matches_the_integer_reference():
    """The same hand-built int8 conv with its bias a constant runs, and equals the numpy integer reference."""
    rng = np.random.default_rng(3)
    x = rng.integers(-128, 128, (1, 4, 4, 2), dtype=np.int8)
    got = Interpreter(conv_s8()).run({"x": x})["y"]
    want = _conv_s8_reference(x, np.array([1, -2, 3, 4, -5, 6], np.int8).reshape(3, 1, 1, 2))
    np.testing.assert_array_equal(got, want)


def test_int8_conv_with_computed_weights_still_runs():
    """Weights are read only at invoke (and packed only when constant): a graph input stays valid."""
    rng = np.random.default_rng(4)
    x = rng.integers(-128, 128, (1, 4, 4, 2), dtype=np.int8)
    w = rng.integers(-127, 128, (3, 1, 1, 2), dtype=np.int8)
    got = Interpreter(conv_s8(weights_source="input")).run({"x": x, "w": w})["y"]
    np.testing.assert_array_equal(got, _conv_s8_reference(x, w))


def _conv_s8_reference(x, w):
    """conv_s8()'s conv by the numpy integer reference (edgenet/ops/conv.py)."""
    def q(scale):
        return types.SimpleNamespace(scale=np.array([scale], np.float32), zero_point=np.array([0]))
    attrs = {"strides": (1, 1), "dilation": (1, 1), "padding": ((0, 0), (0, 0)), "activation": None}
    y = Conv2D().reference_int8([x, w, np.array([100, -7, 0], np.int32)], attrs, [q(0.5), q(0.25), None],
                                [q(1.0)])[0]
    return y.astype(np.int8)


def test_float_ops_keep_accepting_computed_parameters():
    """A float kernel that reads its weights and bias only at invoke still takes graph inputs for them."""
    g = edgenet.Graph("g")
    x, w, b = g.input("x", (2, 4)), g.input("w", (3, 4)), g.input("b", (3,))
    g.output(g.fully_connected(x, w, b), "y")
    rng = np.random.default_rng(5)
    feeds = {"x": rng.standard_normal((2, 4)).astype(np.float32), "w": rng.standard_normal((3, 4)).astype(np.float32),
             "b": rng.standard_normal(3).astype(np.float32)}
    got = Interpreter(edgenet.convert(g).to_bytes()).run(feeds)["y"]
    np.testing.assert_allclose(got, reference.run(g, feeds)["y"], rtol=1e-5, atol=1e-6)


def test_kernel_family_is_fixed_when_the_interpreter_is_created(monkeypatch):
    """EDGENET_KERNELS is read once, at creation: changing it later changes neither the kernels an
    interpreter runs (its profile) nor its results, which stay those of the numpy reference."""
    rng = np.random.default_rng(6)
    g = edgenet.Graph("net")
    x = g.input("x", (1, 8, 8, 3))
    y = g.conv2d(x, rng.standard_normal((4, 3, 3, 3)).astype(np.float32), rng.standard_normal(4).astype(np.float32),
                 padding="same", activation="relu")
    g.output(g.max_pool2d(y, 2, strides=2), "y")
    model, feeds = edgenet.convert(g).to_bytes(), {"x": rng.standard_normal((1, 8, 8, 3)).astype(np.float32)}
    monkeypatch.delenv("EDGENET_KERNELS", raising=False)
    best = Interpreter(model, num_threads=1)
    monkeypatch.setenv("EDGENET_KERNELS", "reference")
    capped = Interpreter(model, num_threads=1)
    kernels = {name: [op.kernel for op in interp.profile(feeds, runs=1).ops]
               for name, interp in (("best", best), ("capped", capped))}
    assert kernels["capped"] == ["reference", "reference"]
    monkeypatch.setenv("EDGENET_KERNELS", "auto")  # after creation: no effect on `capped`
    assert [op.kernel for op in capped.profile(feeds, runs=1).ops] == kernels["capped"]
    monkeypatch.setenv("EDGENET_KERNELS", "reference")  # no effect on `best` either
    assert [op.kernel for op in best.profile(feeds, runs=1).ops] == kernels["best"]
    want = reference.run(g, feeds)["y"]
    for interp in (best, capped):
        np.testing.assert_allclose(interp.run(feeds)["y"], want, rtol=1e-4, atol=1e-5)
