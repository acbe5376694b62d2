"""Ops in the C core beyond matching the reference: shapes known only at run time that the C
prepare must reject with a clear message, and the kernels of tests/ops/ run once more by the C
runner built with AddressSanitizer + UBSan (no out-of-bounds access, no undefined behaviour), on
valid files and on corrupted ones.
"""
import numpy as np
import pytest

import edgenet
import op_harness
from op_harness import int_constant, one_op, rand
from ops import test_data, test_image, test_linalg, test_math, test_normalization, test_reduction


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
    monkeypatch.setattr(op_harness, "run_both",
                        lambda g, feeds: _run_both_sanitized(programs["edgenet_run"], tmp_path, g, feeds))
    for seed in range(2):
        test_math.test_binary_broadcast("div", seed)
        test_math.test_compare("less_equal", seed)
        test_reduction.test_reduce("reduce_max", seed)
        test_reduction.test_arg_reduce("arg_max", seed)
        test_linalg.test_matmul(seed)
        test_linalg.test_conv2d_transpose(seed)
        test_normalization.test_log_softmax(seed)
        test_normalization.test_layer_norm(seed)
        test_data.test_split(seed)
        test_data.test_slice(seed)
        test_data.test_gather_constant_indices(seed)
        test_data.test_border_pad("reflect", seed)
        test_data.test_border_pad("edge", seed)
    test_math.test_binary_special_values()
    test_math.test_parameterized_activations(0)
    test_math.test_gelu(False)
    test_math.test_prelu((5, 1))
    test_math.test_where(0)
    test_math.test_cast_chain()
    test_normalization.test_instance_norm(0)
    test_data.test_broadcast_to(((4, 1), (2, 4, 5)))
    test_data.test_depth_to_space("CRD", 2)
    test_data.test_space_to_depth(2)
    test_image.test_resize_nearest("half_pixel_symmetric", "round_prefer_ceil")
    test_image.test_resize_linear("align_corners")


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
