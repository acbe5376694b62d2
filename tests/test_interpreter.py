"""edgenet.Interpreter: loading, feed checking, outputs, arena planning, and the C runner.

Oracle: edgenet.reference (the numpy executor) for every numeric result; the
graph itself for the arena lower bound.
"""
import pathlib
import sys

import numpy as np
import pytest

import edgenet
from edgenet.interpreter import Interpreter

REPO = pathlib.Path(__file__).resolve().parent.parent
rng = np.random.default_rng(1234)


def rand(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def mobilenet_block():
    """The issue's MobileNet-style block: conv, depthwise, pointwise, residual add, pool, FC, softmax."""
    g = edgenet.Graph("block")
    x = g.input("image", shape=(1, 32, 32, 3))
    y = g.conv2d(x, rand(16, 3, 3, 3), rand(16), strides=2, padding="same", activation="relu6")
    y = g.depthwise_conv2d(y, rand(1, 3, 3, 16), rand(16), padding="same", activation="relu")
    z = g.conv2d(y, rand(16, 1, 1, 16) * 0.3, rand(16), padding="valid")
    y = y + z
    y = g.mean(y, axis=(1, 2))
    y = g.fully_connected(y, rand(10, 16) * 0.3, rand(10))
    g.output(g.softmax(y), "probs")
    return g


@pytest.fixture(scope="module")
def block():
    g = mobilenet_block()
    return g, edgenet.convert(g).to_bytes()


def test_block_matches_reference(block):
    g, data = block
    img = rand(1, 32, 32, 3)
    out = Interpreter(data).run({"image": img})["probs"]
    ref = edgenet.reference.run(g, {"image": img})["probs"]
    assert out.shape == ref.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-6)


def test_inputs_and_outputs_describe_the_model(block):
    _, data = block
    interp = Interpreter(data)
    (inp,), (out,) = interp.inputs, interp.outputs
    assert (inp.name, inp.shape, inp.dtype, inp.quantization) == ("image", (1, 32, 32, 3), np.float32, None)
    assert (out.name, out.shape, out.dtype) == ("probs", (1, 10), np.float32)


def test_load_from_bytes_bytearray_memoryview_and_paths(block, tmp_path):
    g, data = block
    path = tmp_path / "block.enet"
    path.write_bytes(data)
    img = rand(1, 32, 32, 3)
    ref = edgenet.reference.run(g, {"image": img})["probs"]
    for source in (data, bytearray(data), memoryview(data), str(path), path):
        np.testing.assert_allclose(Interpreter(source).run({"image": img})["probs"], ref, rtol=1e-4, atol=1e-6)


def test_missing_file_and_wrong_type():
    with pytest.raises(FileNotFoundError, match="no_such.enet"):
        Interpreter("/nonexistent/no_such.enet")
    with pytest.raises(TypeError, match="path or bytes"):
        Interpreter(123)


def test_list_feeds_equal_dict_feeds():
    g = edgenet.Graph("two_inputs")
    a = g.input("a", shape=(2, 3))
    b = g.input("b", shape=(2, 3))
    g.output(a - b, "diff")
    interp = Interpreter(edgenet.convert(g).to_bytes())
    av, bv = rand(2, 3), rand(2, 3)
    ref = edgenet.reference.run(g, {"a": av, "b": bv})["diff"]
    np.testing.assert_allclose(interp.run([av, bv])["diff"], ref, rtol=1e-6)
    np.testing.assert_allclose(interp.run({"b": bv, "a": av})["diff"], ref, rtol=1e-6)
    with pytest.raises(ValueError, match="got 1 inputs, the model takes 2"):
        interp.run([av])


def test_wrong_input_name(block):
    interp = Interpreter(block[1])
    with pytest.raises(ValueError, match=r"unknown input name 'img'.*\['image'\]"):
        interp.run({"img": rand(1, 32, 32, 3)})
    with pytest.raises(ValueError, match="missing input 'image'"):
        interp.run({})


def test_wrong_input_shape(block):
    interp = Interpreter(block[1])
    with pytest.raises(ValueError, match=r"input 'image': expected shape \(1, 32, 32, 3\), got \(1, 32, 32\)"):
        interp.run({"image": rand(1, 32, 32)})
    with pytest.raises(ValueError, match=r"expected shape \(1, 32, 32, 3\), got \(1, 31, 32, 3\)"):
        interp.run({"image": rand(1, 31, 32, 3)})


def test_wrong_input_dtype(block):
    interp = Interpreter(block[1])
    with pytest.raises(ValueError, match=r"input 'image': expected dtype float32, got float64; cast it"):
        interp.run({"image": rand(1, 32, 32, 3).astype(np.float64)})
    with pytest.raises(ValueError, match="expected dtype float32, got int32"):
        interp.run({"image": np.zeros((1, 32, 32, 3), np.int32)})


def test_non_contiguous_feed_is_accepted(block):
    g, data = block
    img = np.asfortranarray(rand(1, 32, 32, 3))
    ref = edgenet.reference.run(g, {"image": np.ascontiguousarray(img)})["probs"]
    np.testing.assert_allclose(Interpreter(data).run({"image": img})["probs"], ref, rtol=1e-4, atol=1e-6)


def test_outputs_are_fresh_copies(block):
    interp = Interpreter(block[1])
    img = rand(1, 32, 32, 3)
    first = interp.run({"image": img})["probs"]
    kept = first.copy()
    first[...] = -1.0  # writing the result must not touch the interpreter
    second = interp.run({"image": img})["probs"]
    np.testing.assert_array_equal(second, kept)
    assert first.flags.owndata and second.flags.owndata and second.flags.writeable


def test_arena_is_planned_by_lifetime():
    """A chain of 8 ops on (64, 64, 8) tensors: at most three tensors are ever live at once."""
    g = edgenet.Graph("chain")
    y = g.input("x", shape=(1, 64, 64, 8))
    for i in range(8):
        y = g.relu(y) if i % 2 else g.tanh(y)
    g.output(y, "y")
    interp = Interpreter(edgenet.convert(g).to_bytes())
    tensor_bytes = 64 * 64 * 8 * 4
    all_tensors = 9 * tensor_bytes  # the input and every op output
    # The graph input stays intact for a repeated invoke, and each later op reads
    # one intermediate while writing another: three tensors must coexist.
    assert 3 * tensor_bytes <= interp.arena_size < all_tensors
    assert interp.arena_size == 3 * tensor_bytes  # same-size chain: the input plus two ping-pong slots
    x = rand(1, 64, 64, 8)
    np.testing.assert_allclose(interp.run({"x": x})["y"], edgenet.reference.run(g, {"x": x})["y"], rtol=1e-5, atol=1e-6)


def test_arena_smaller_than_sum_of_intermediates(block):
    g, data = block
    interp = Interpreter(data)
    intermediates = [t for t in g.tensors if not t.is_constant]
    total = sum(int(np.prod(t.shape)) * 4 for t in intermediates)
    largest = max(int(np.prod(t.shape)) * 4 for t in intermediates)
    assert largest <= interp.arena_size < total


def test_dynamic_batch_resizes():
    g = edgenet.Graph("dyn")
    x = g.input("x", shape=(None, 7))
    g.output(g.fully_connected(x, rand(5, 7), rand(5), activation="relu"), "y")
    interp = Interpreter(edgenet.convert(g).to_bytes())
    assert interp.inputs[0].shape == (-1, 7)
    sizes = []
    for batch in (3, 1, 6):
        xv = rand(batch, 7)
        out = interp.run({"x": xv})["y"]
        np.testing.assert_allclose(out, edgenet.reference.run(g, {"x": xv})["y"], rtol=1e-5, atol=1e-6)
        sizes.append(interp.arena_size)
    assert sizes[2] > sizes[0] > 0
    with pytest.raises(ValueError, match=r"input 'x': expected shape \(-1, 7\), got \(3, 8\)"):
        interp.run({"x": rand(3, 8)})


def test_zero_size_dynamic_batch_runs_and_gives_an_empty_result():
    """An empty batch is a valid feed when the model's shapes allow it (TFLite / onnxruntime
    accept empty tensors too); the interpreter stays usable for non-empty batches after it."""
    g = edgenet.Graph("dyn")
    x = g.input("x", shape=(None, 7))
    g.output(g.softmax(g.fully_connected(x, rand(5, 7), rand(5), activation="relu")), "y")
    interp = Interpreter(edgenet.convert(g).to_bytes())
    for batch in (0, 2, 0):
        xv = rand(batch, 7)
        out = interp.run({"x": xv})["y"]
        ref = edgenet.reference.run(g, {"x": xv})["y"]
        assert out.shape == ref.shape == (batch, 5) and out.dtype == np.float32
        np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"input 'x': expected shape \(-1, 7\), got \(0, 6\)"):
        interp.run({"x": rand(0, 6)})


def test_list_feeds_take_the_input_dtype_only_when_every_value_fits():
    """Python lists and scalars carry no dtype, so they take the input's, strictly: an integer
    outside the input's range is an error naming the input (300 for int8 once wrapped to 44)."""
    g = edgenet.Graph("int8_io")
    g.output(g.relu(g.input("c", shape=(1, 3))), "r")
    calibration = [{"c": rand(1, 3)} for _ in range(4)]
    int8 = Interpreter(edgenet.convert(g, quantize="int8", calibration=calibration, io_dtype="int8",
                                       verbose=False).to_bytes())
    assert int8.inputs[0].dtype == np.int8
    np.testing.assert_array_equal(int8.run({"c": [[-128, 5, 127]]})["r"],
                                  int8.run({"c": np.array([[-128, 5, 127]], np.int8)})["r"])
    for value in (300, -129):
        with pytest.raises(ValueError, match=rf"input 'c': value {value} is out of range for int8 \[-128, 127\]"):
            int8.run({"c": [[1, value, 2]]})
    with pytest.raises(ValueError, match="input 'c': expected dtype int8, got float64"):
        int8.run({"c": [[1.0, 2.0, 3.0]]})  # a float list is not silently truncated either

    g32 = edgenet.Graph("int32_in")
    g32.output(g32.cast(g32.input("i", shape=(2,), dtype="int32"), "float32"), "f")
    int32 = Interpreter(edgenet.convert(g32).to_bytes())
    np.testing.assert_array_equal(int32.run({"i": [2**31 - 1, -2**31]})["f"],
                                  np.array([2**31 - 1, -2**31], np.float32))
    with pytest.raises(ValueError, match=r"input 'i': value 2147483648 is out of range for int32"):
        int32.run({"i": [2**31, 0]})

    gf = edgenet.Graph("float_in")
    gf.output(gf.relu(gf.input("x", shape=(2,))), "y")
    floats = Interpreter(edgenet.convert(gf).to_bytes())
    np.testing.assert_array_equal(floats.run({"x": [3, -1.5]})["y"], np.array([3, 0], np.float32))
    with pytest.raises(ValueError, match=r"input 'x': value 1e\+39 is out of range for float32"):
        floats.run({"x": [1e39, 0.0]})


def test_interpreters_on_parallel_threads(block):
    """Separate interpreters on separate threads (the GIL is released in invoke) give the reference result."""
    import threading

    g, data = block
    imgs = [rand(1, 32, 32, 3) for _ in range(4)]
    refs = [edgenet.reference.run(g, {"image": img})["probs"] for img in imgs]
    results = [None] * 4

    def work(i):
        results[i] = Interpreter(data).run({"image": imgs[i]})["probs"]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for out, ref in zip(results, refs):
        np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-6)


# The C test programs, built once per session from native/CMakeLists.txt (with sanitizers when available).
sys.path.insert(0, str(REPO / "native" / "tests"))
import build_programs  # noqa: E402


def test_c_api_program():
    result = build_programs.run(build_programs.build_programs()["test_c_api"])
    assert result.returncode == 0, result.stderr


def test_c_runner_matches_reference(block, tmp_path):
    """native/tests/edgenet_run (the program used under qemu) reads a model and input file and prints outputs."""
    g, data = block
    exe = build_programs.build_programs()["edgenet_run"]
    model_path, input_path = tmp_path / "block.enet", tmp_path / "image.bin"
    model_path.write_bytes(data)
    img = rand(1, 32, 32, 3)
    input_path.write_bytes(img.tobytes())
    result = build_programs.run(exe, model_path, input_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "output 0 probs (1, 10)"
    values = np.array([float(v) for v in lines[1:]], np.float32).reshape(1, 10)
    np.testing.assert_allclose(values, edgenet.reference.run(g, {"image": img})["probs"], rtol=1e-4, atol=1e-6)

    bad = build_programs.run(exe, tmp_path / "missing.enet")
    assert bad.returncode == 1 and "cannot open model file" in bad.stderr


def test_metadata_round_trip():
    g = edgenet.Graph("meta")
    g.output(g.relu(g.input("x", shape=(2,))), "y")
    interp = Interpreter(edgenet.convert(g, metadata={"labels": "cat,dog", "author": "ünïcode"}).to_bytes())
    assert interp.metadata("labels") == "cat,dog"
    assert interp.metadata("author") == "ünïcode"
    assert interp.metadata("missing") is None


def test_failed_resize_leaves_interpreter_usable():
    """Batches that do not fit together fail cleanly; the next consistent feed still runs."""
    g = edgenet.Graph("concat_batch")
    a = g.input("a", shape=(None, 2))
    b = g.input("b", shape=(None, 3))
    g.output(g.concat([a, b], axis=1), "y")
    interp = Interpreter(edgenet.convert(g).to_bytes())
    for rows in (3, 5):
        feeds = {"a": rand(rows, 2), "b": rand(rows, 3)}
        np.testing.assert_array_equal(interp.run(feeds)["y"], edgenet.reference.run(g, feeds)["y"])
    with pytest.raises(ValueError, match=r"input 1 shape \(4, 3\) does not match input 0 shape \(3, 2\)"):
        interp.run({"a": rand(3, 2), "b": rand(4, 3)})
    feeds = {"a": rand(2, 2), "b": rand(2, 3)}
    np.testing.assert_array_equal(interp.run(feeds)["y"], edgenet.reference.run(g, feeds)["y"])
