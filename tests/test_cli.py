"""The `edgenet` command line, used as a new user would (issue 17): each test runs the CLI (its main()
with argv, or a subprocess where the process boundary matters: pipes, exit codes) and expects the
clear behaviour.

Oracles: onnxruntime for what a converted model computes, the ONNX model's own names for naming,
numpy for the samples a file holds, the shell's conventions for pipes and exit codes."""
import io
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import edgenet
from edgenet import cli
from edgenet.converters import progress as progress_lib

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper  # noqa: E402

INPUT_SHAPE = (1, 1, 8, 16)
# Names a user sees in Netron: what the report, inspect, the profile and --float-layers must speak.
CONV_NODE, CONV_OUT = "backbone/conv1/Conv", "backbone/conv1/Conv_output_0"
FC_NODE, OUTPUT = "head/fc/Gemm", "logits"


def small_onnx(path, spatial=("8", "16"), dims=None):
    """conv -> relu -> global average pool -> flatten -> gemm, with named nodes (torch-export style).
    `dims` overrides the input's dims (strings are symbolic)."""
    rng = np.random.default_rng(0)
    dims = dims or [1, 1, int(spatial[0]), int(spatial[1])]
    x = helper.make_tensor_value_info("input1", TensorProto.FLOAT, dims)
    y = helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, [1, 4])
    inits = [onnx.numpy_helper.from_array(rng.standard_normal((6, 1, 3, 3)).astype(np.float32) * 0.5, "w1"),
             onnx.numpy_helper.from_array(rng.standard_normal(6).astype(np.float32) * 0.1, "b1"),
             onnx.numpy_helper.from_array(rng.standard_normal((4, 6)).astype(np.float32), "w2"),
             onnx.numpy_helper.from_array(rng.standard_normal(4).astype(np.float32) * 0.1, "b2")]
    nodes = [helper.make_node("Conv", ["input1", "w1", "b1"], [CONV_OUT], name=CONV_NODE, pads=[1, 1, 1, 1]),
             helper.make_node("Relu", [CONV_OUT], ["backbone/relu/Relu_output_0"], name="backbone/relu/Relu"),
             helper.make_node("GlobalAveragePool", ["backbone/relu/Relu_output_0"], ["pooled"], name="pool"),
             helper.make_node("Flatten", ["pooled"], ["flat"], name="flatten"),
             helper.make_node("Gemm", ["flat", "w2", "b2"], [OUTPUT], name=FC_NODE, transB=1)]
    model = helper.make_model(helper.make_graph(nodes, "small", [x], [y], inits),
                              opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, str(path))
    return path


def samples(n, seed=1, shape=INPUT_SHAPE):
    return np.random.default_rng(seed).standard_normal((n,) + shape).astype(np.float32)


def onnxruntime_outputs(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input1": x})[0]


def cosine(a, b):
    a, b = a.reshape(-1).astype(np.float64), b.reshape(-1).astype(np.float64)
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def run_cli(*argv, cwd=None):
    """The installed entry point as a user runs it (python -m edgenet.cli is the same main())."""
    return subprocess.run([sys.executable, "-m", "edgenet.cli", *map(str, argv)], capture_output=True, text=True,
                          cwd=cwd)


@pytest.fixture
def model_path(tmp_path):
    return small_onnx(tmp_path / "small.onnx")


# ---- 1. .npy / .npz sample files -------------------------------------------------------------


@pytest.mark.parametrize("layout", ["stacked", "batch_axis", "single"])
def test_convert_int8_with_an_npy_calibration_file(tmp_path, model_path, capsys, layout):
    data = samples(10)  # (N, 1, 1, 8, 16): N samples along a new first axis
    array = {"stacked": data, "batch_axis": data[:, 0], "single": data[0]}[layout]
    np.save(tmp_path / "samples.npy", array)
    out = tmp_path / "small8.enet"
    assert cli.main(["convert", str(model_path), "-o", str(out), "--int8", "--calibration",
                     str(tmp_path / "samples.npy")]) == 0
    expected_count = 1 if layout == "single" else 10
    assert f"({expected_count} calibration samples)" in capsys.readouterr().err
    x = data[0]  # a calibration sample: inside the calibrated ranges however few samples there were
    got = edgenet.Interpreter(str(out)).run({"input1": x})[OUTPUT]
    assert cosine(got, onnxruntime_outputs(model_path, x)) > 0.99


def test_npz_keys_are_input_names_and_bad_files_name_the_input(tmp_path, model_path, capsys):
    np.savez(tmp_path / "good.npz", input1=samples(6))
    assert cli.main(["convert", str(model_path), "-o", str(tmp_path / "m.enet"), "--int8",
                     "--calibration", str(tmp_path / "good.npz")]) == 0
    assert "(6 calibration samples)" in capsys.readouterr().err

    np.save(tmp_path / "wrong.npy", samples(6, shape=(1, 3, 8, 16)))
    assert cli.main(["convert", str(model_path), "--int8", "--calibration", str(tmp_path / "wrong.npy")]) == 1
    err = capsys.readouterr().err
    assert "input 'input1'" in err and "(6, 1, 3, 8, 16)" in err and "(N, 1, 1, 8, 16)" in err
    assert "Traceback" not in err

    np.savez(tmp_path / "two.npz", image=samples(2), mask=samples(2))
    assert cli.main(["convert", str(model_path), "--int8", "--calibration", str(tmp_path / "two.npz")]) == 1
    assert "no array for input 'input1'" in capsys.readouterr().err

    (tmp_path / "samples.csv").write_text("1,2,3\n")
    assert cli.main(["convert", str(model_path), "--int8", "--calibration", str(tmp_path / "samples.csv")]) == 1
    assert ".npy or .npz" in capsys.readouterr().err

    for name, content in (("empty.npy", b""), ("garbage.npz", b"not a zip file")):
        (tmp_path / name).write_bytes(content)
        assert cli.main(["convert", str(model_path), "--int8", "--calibration", str(tmp_path / name)]) == 1
        err = capsys.readouterr().err
        assert f"{tmp_path / name} is not a readable" in err and "Traceback" not in err
    assert cli.main(["convert", str(model_path), "--int8", "--calibration", str(tmp_path / "missing.npy")]) == 1
    assert "missing.npy" in capsys.readouterr().err


def test_validation_file_may_be_npy_too(tmp_path, model_path, capsys):
    np.save(tmp_path / "calib.npy", samples(8))
    np.save(tmp_path / "held_out.npy", samples(4, seed=3))
    assert cli.main(["convert", str(model_path), "-o", str(tmp_path / "m.enet"), "--int8", "--calibration",
                     str(tmp_path / "calib.npy"), "--accuracy", "cosine", "--validation",
                     str(tmp_path / "held_out.npy"), "--tolerance", "0.01"]) == 0
    assert "accuracy target: cosine >= 0.99" in capsys.readouterr().out


# ---- 2. hints in command line syntax ------------------------------------------------------------


def test_symbolic_dims_stay_open_and_input_shape_pins_them(tmp_path):
    path = small_onnx(tmp_path / "dyn.onnx", dims=["batch", 1, "height", "width"])
    x = samples(1)[0]
    for pin in ([], ["--input-shape", "input1=1,1,8,16"]):
        result = run_cli("convert", path, "-o", tmp_path / "dyn.enet", *pin)
        assert result.returncode == 0, result.stderr
        got = edgenet.Interpreter(str(tmp_path / "dyn.enet")).run({"input1": x})[OUTPUT]
        np.testing.assert_allclose(got, onnxruntime_outputs(path, x), rtol=1e-4, atol=1e-5)


def transposing_reshape_onnx(path):
    """x (batch, n) reshaped to (n, batch) through Shape arithmetic: two sizes known only at run time,
    which one reshape cannot infer, so the open dims must be pinned at conversion."""
    x = helper.make_tensor_value_info("input1", TensorProto.FLOAT, ["batch", "n"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", "batch"])
    nodes = [helper.make_node("Shape", ["input1"], ["s"], name="shape"),
             helper.make_node("Slice", ["s", "one", "two"], ["n"], name="n"),
             helper.make_node("Slice", ["s", "zero", "one"], ["b"], name="b"),
             helper.make_node("Concat", ["n", "b"], ["target"], axis=0, name="target"),
             helper.make_node("Reshape", ["input1", "target"], ["r"], name="reshape"),
             helper.make_node("Relu", ["r"], ["y"], name="relu")]
    inits = [onnx.numpy_helper.from_array(np.array([v], np.int64), name)
             for name, v in (("zero", 0), ("one", 1), ("two", 2))]
    onnx.save(helper.make_model(helper.make_graph(nodes, "g", [x], [y], inits),
                                opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def test_a_value_needing_fixed_sizes_hints_at_pinning_in_cli_syntax(tmp_path):
    path = transposing_reshape_onnx(tmp_path / "shape.onnx")
    result = run_cli("convert", path, "-o", tmp_path / "shape.enet")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "--input-shape input1=1,D1" in result.stderr
    assert "input_shapes=" not in result.stderr  # no Python syntax on the command line
    assert run_cli("convert", path, "-o", tmp_path / "shape.enet", "--input-shape",
                   "input1=2,4").returncode == 0
    x = np.arange(8, dtype=np.float32).reshape(2, 4) - 3
    got = edgenet.Interpreter(str(tmp_path / "shape.enet")).run({"input1": x})["y"]
    np.testing.assert_array_equal(got, np.maximum(x.reshape(4, 2), 0))


def test_the_python_api_keeps_its_own_syntax(tmp_path):
    path = transposing_reshape_onnx(tmp_path / "shape.onnx")
    with pytest.raises(ValueError, match=r"input_shapes=\{'input1': \(1, D1\)\}"):
        edgenet.convert(str(path))


# ---- 3. refusals and the output path --------------------------------------------------------------


@pytest.mark.parametrize("argv, message", [
    (["--calibration", "c.npy"], "--calibration applies to int8 conversion only; add --int8"),
    (["--calibration-method", "kl"], "--calibration-method applies to int8"),
    (["--report"], "--report applies to int8"),
    (["--float-layers", "a"], "--float-layers applies to int8"),
    (["--int8", "--calibration", "c.npy", "--report-samples", "3"], "--report-samples N limits --report"),
    (["--int8", "--calibration", "c.npy", "--tolerance", "0.1"], "--tolerance sets --accuracy's tolerance"),
    (["--int8"], "--int8 needs --calibration"),
    (["--input-shape", "input1=1,1,H,16"], "--input-shape 'input1=1,1,H,16': expected NAME=D0,D1,..."),
])
def test_options_that_would_be_ignored_are_refused(model_path, capsys, argv, message):
    assert cli.main(["convert", str(model_path)] + argv) == 1
    assert message in capsys.readouterr().err


def test_without_o_the_output_goes_to_the_current_directory_and_is_printed(tmp_path):
    source = tmp_path / "models"
    source.mkdir()
    model = small_onnx(source / "small.onnx")
    work = tmp_path / "work"
    work.mkdir()
    result = run_cli("convert", model, cwd=work)
    assert result.returncode == 0, result.stderr
    assert (work / "small.enet").is_file() and not (source / "small.enet").exists()
    assert f"wrote {work / 'small.enet'}" in result.stdout


# ---- 4. progress ---------------------------------------------------------------------------------------


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_progress_prints_plain_lines_every_few_seconds_when_piped():
    pipe, clock = io.StringIO(), FakeClock()
    with progress_lib.Progress("calibrating", 10, stream=pipe, clock=clock) as bar:
        for _ in range(10):
            clock.now += 1.5
            bar.step()
    lines = pipe.getvalue().splitlines()
    # one line per PLAIN_INTERVAL_S (5 s) of a 15 s phase, then the closing line; never a carriage return
    assert lines == ["[edgenet] calibrating 4/10 (40%), 6 s, ~9 s left",
                     "[edgenet] calibrating 8/10 (80%), 12 s, ~3 s left",
                     "[edgenet] calibrating: 10/10 done in 15 s"]
    quick = io.StringIO()
    list(progress_lib.track(range(3), "report", stream=quick))  # a short phase prints nothing
    assert quick.getvalue() == ""


def test_progress_draws_a_bar_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal, clock = Terminal(), FakeClock()
    with progress_lib.Progress("report", 20, stream=terminal, clock=clock) as bar:
        for _ in range(20):
            clock.now += 1 / 32  # fast steps: redrawn every BAR_REDRAW_S (0.1 s), and at the end
            bar.step()
    text = terminal.getvalue()
    # drawn at steps 1, 5, 9, 13, 17 (every 4th step is 0.125 s later) and 20 (the last)
    assert text.count("\r") == 6 and "\n" not in text[:-1] and text.endswith("\n")
    assert "\rreport [" + "#" * 13 + "." * 17 + "] 9/20 (45%)" in text  # the bar redrawn in place
    assert "report [" + "#" * progress_lib.BAR_WIDTH + "] 20/20 (100%)" in text


def test_convert_shows_every_long_phase_when_piped(tmp_path, model_path, capsys, monkeypatch):
    monkeypatch.setattr(progress_lib, "PLAIN_INTERVAL_S", 0.0)  # every step counts as "a few seconds later"
    np.save(tmp_path / "calib.npy", samples(40))
    np.save(tmp_path / "held_out.npy", samples(3, seed=5))
    assert cli.main(["convert", str(model_path), "-o", str(tmp_path / "m.enet"), "--int8", "--calibration",
                     str(tmp_path / "calib.npy"), "--accuracy", "sqnr", "--tolerance", "20", "--validation",
                     str(tmp_path / "held_out.npy"), "--report"]) == 0
    captured = capsys.readouterr()
    err = captured.err
    assert "[edgenet] calibrating 40/40" in err
    assert "[edgenet] accuracy search: builds" in err
    assert "[edgenet] report 3/3" in err  # the report runs on the held-out samples when there are some
    assert "quantization report over 3 of 3 validation samples" in err
    assert "quantization report: float vs int8 over 3 samples" in captured.out


def test_report_samples_default_and_limit(tmp_path, model_path, capsys):
    np.save(tmp_path / "calib.npy", samples(40))
    base = ["convert", str(model_path), "-o", str(tmp_path / "m.enet"), "--int8", "--calibration",
            str(tmp_path / "calib.npy"), "--report"]
    assert cli.main(base) == 0
    assert f"over {cli.DEFAULT_REPORT_SAMPLES} samples" in capsys.readouterr().out
    assert cli.main(base + ["--report-samples", "5"]) == 0
    assert "over 5 samples" in capsys.readouterr().out


def test_python_api_progress_callback(model_path):
    calls = []
    data = [{"input1": x} for x in samples(6)]
    target = edgenet.AccuracyTarget("sqnr", samples=data[:2], tolerance=200.0, max_builds=3)  # never met
    model = edgenet.convert(str(model_path), quantize="int8", calibration=data, verbose=False, accuracy=target,
                            progress=lambda phase, done, total: calls.append((phase, done, total)))
    assert calls[:6] == [("calibrating", k, 6) for k in range(1, 7)]
    builds = [call for call in calls if call[0] == "accuracy search: builds"]
    assert builds == [("accuracy search: builds", k, 3) for k in range(1, model.accuracy_report.evaluations + 1)]
    assert ("accuracy search: layer sensitivity", 2, 2) in calls
    calls.clear()
    edgenet.quantization_report(model.float_graph, model, data[:4], verbose=False,
                                progress=lambda phase, done, total: calls.append((phase, done, total)))
    assert calls == [("report", k, 4) for k in range(1, 5)]


# ---- 5. one naming scheme -------------------------------------------------------------------------------


def test_names_from_the_report_and_inspect_work_for_float_layers(tmp_path, model_path, capsys):
    np.save(tmp_path / "calib.npy", samples(8))
    out = tmp_path / "m.enet"
    assert cli.main(["convert", str(model_path), "-o", str(out), "--int8", "--calibration",
                     str(tmp_path / "calib.npy"), "--report"]) == 0
    report = capsys.readouterr().out
    assert CONV_NODE in report  # the ONNX node name, beside its output tensor's
    assert cli.main(["inspect", str(out)]) == 0
    inspected = capsys.readouterr().out
    assert CONV_NODE in inspected and FC_NODE in inspected
    # the profile speaks the same names
    result = run_cli("bench", out, "--runs", "2", "--warmup", "0", "--profile", "--threads", "1")
    assert result.returncode == 0 and CONV_NODE in result.stdout

    # either name keeps the layer float: the file's float fallbacks and its ops say so
    for name in (CONV_NODE, "backbone/relu/Relu_output_0"):
        assert cli.main(["convert", str(model_path), "-o", str(out), "--int8", "--calibration",
                         str(tmp_path / "calib.npy"), "--float-layers", name]) == 0
        assert f"{CONV_NODE} (conv2d): kept float" in capsys.readouterr().out
        conv = next(op for op in edgenet.load(out).operators if op.name == CONV_NODE)
        assert edgenet.load(out).tensors[conv.outputs[0]].dtype == "float32"
    assert cli.main(["convert", str(model_path), "-o", str(out), "--int8", "--calibration",
                     str(tmp_path / "calib.npy"), "--float-layers", "backbone/conv1/Con"]) == 1
    assert f"did you mean '{CONV_NODE}'" in capsys.readouterr().err


def test_python_float_layers_model_quantization_and_profile_use_source_names(tmp_path, model_path):
    data = [{"input1": x} for x in samples(8)]
    model = edgenet.convert(str(model_path), quantize="int8", calibration=data, verbose=False,
                            float_layers=[CONV_OUT])
    # CONV_OUT is the tensor the fused relu now overwrites: the conv layer still answers to it
    assert (CONV_NODE, "conv2d", "kept float (float_layers / accuracy target)") in model.quantization.float_ops
    assert {CONV_NODE, FC_NODE} <= {n.name for n in model.graph.nodes}
    profile = edgenet.Interpreter(model).profile({"input1": data[0]["input1"]}, runs=1)
    assert {CONV_NODE, FC_NODE} <= {op.name for op in profile.ops}
    with pytest.raises(ValueError, match="did you mean 'pool'"):
        edgenet.convert(str(model_path), quantize="int8", calibration=data, verbose=False, float_layers=["pool1"])


def test_torch_outputs_get_meaningful_names():
    torch = pytest.importorskip("torch")

    class Two(torch.nn.Module):
        def forward(self, x):
            return torch.relu(x), x * 2

    class Keyed(torch.nn.Module):
        def forward(self, x):
            return {"boxes": x + 1, "scores": torch.sigmoid(x)}

    x = torch.zeros(1, 4)
    assert [o.name for o in edgenet.Interpreter(edgenet.convert(torch.nn.Linear(4, 2), example_inputs=(x,))).outputs] \
        == ["output"]
    assert [o.name for o in edgenet.Interpreter(edgenet.convert(Two(), example_inputs=(x,))).outputs] \
        == ["output0", "output1"]
    assert [o.name for o in edgenet.Interpreter(edgenet.convert(Keyed(), example_inputs=(x,))).outputs] \
        == ["boxes", "scores"]


# ---- 6. the report's verdicts, cost signs, the chart ---------------------------------------------------


def test_report_flags_no_layer_when_int8_keeps_the_outputs(tmp_path, model_path):
    data = [{"input1": x} for x in samples(16)]
    model = edgenet.convert(str(model_path), quantize="int8", calibration=data, verbose=False)
    report = edgenet.quantization_report(model.float_graph, model, data[:8], verbose=False)
    # the oracle: onnxruntime's float outputs against the int8 file's, on the same samples
    int8 = edgenet.Interpreter(model)
    errors = [cosine(int8.run(s)[OUTPUT], onnxruntime_outputs(model_path, s["input1"])) for s in data[:8]]
    assert min(errors) > 0.999
    assert report.low() == [] and "<-- low" not in str(report)
    assert report.outputs[0].cosine > 0.999 and "keeps the outputs close to float" in str(report)
    assert "own int8 SQNR" in str(report)  # how it differs from the accuracy report's SQNR


def test_accuracy_report_costs_have_proper_signs():
    from edgenet.converters.accuracy import AccuracyReport, Comparison, LayerCost

    comparison = Comparison("cosine", "cosine >= 0.999 on every sample", [0.9995], [True], True)
    report = AccuracyReport("cosine >= 0.999 on every sample", comparison, comparison,
                            [LayerCost("a", "conv2d", 12.5, 1200, -0.830), LayerCost("b", "conv2d", 9.0, 30, 0.25)],
                            [], 3, {})
    text = str(report)
    assert "-0.830 ms" in text and "+0.250 ms" in text and "+1,200 bytes" in text and "+-" not in text


def test_svg_chart_fits_long_names(tmp_path, model_path):
    data = [{"input1": x} for x in samples(4)]
    model = edgenet.convert(str(model_path), quantize="int8", calibration=data, verbose=False)
    report = edgenet.quantization_report(model.float_graph, model, data, verbose=False)
    report.rows[0].tensor = "a/very/long/tensor/name/" * 8  # 192 characters
    svg = ET.fromstring(report.to_svg())
    labels = [t for t in svg.iter("{http://www.w3.org/2000/svg}text") if t.get("text-anchor") == "end"]
    assert labels[0].text.startswith("a/very/long/tensor/name/" * 8)
    for label in labels:  # right-aligned at x: the text's width (monospace) must fit left of it
        width = len(label.text) * 0.6 * float(svg.get("font-size"))
        assert float(label.get("x")) - width >= 0


# ---- 7. pipes, numbers, model files, help -------------------------------------------------------------


@pytest.fixture
def big_enet(tmp_path):
    """A model whose `inspect --tensors` listing is far larger than a pipe's buffer."""
    g = edgenet.Graph("long_chain")
    x = g.input("x", shape=(1, 8))
    for i in range(1500):
        x = g.add(x, np.full((1, 8), 0.001 * i, np.float32))
    g.output(x, "y")
    path = tmp_path / "chain.enet"
    edgenet.convert(g).save(path)
    return path


def test_inspect_into_a_closed_pipe_ends_quietly(big_enet):
    process = subprocess.Popen([sys.executable, "-m", "edgenet.cli", "inspect", str(big_enet), "--tensors"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = process.stdout.readline()  # `| head -1`
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == cli.SIGPIPE_EXIT
    assert first.startswith(str(big_enet).encode()) and err == ""


@pytest.mark.parametrize("argv, message", [
    (["bench", "{model}", "--runs", "0"], "--runs: must be at least 1, got 0"),
    (["bench", "{model}", "--runs", "-3"], "--runs: must be at least 1, got -3"),
    (["bench", "{model}", "--warmup", "-1"], "--warmup: must be at least 0"),
    (["bench", "{model}", "--threads", "-1"], "--threads: must be at least 0, got -1"),
    (["bench", "{model}", "--threads", "100000"], "would only slow the model down"),
    (["run", "{model}", "--threads", "two"], "--threads: expected a whole number"),
])
def test_bad_numbers_are_refused_cleanly(big_enet, argv, message):
    result = run_cli(*[a.format(model=big_enet) for a in argv])
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr


def test_bench_top_without_profile_is_refused(big_enet, capsys):
    assert cli.main(["bench", str(big_enet), "--top", "5"]) == 1
    assert "--top N picks the ops --profile lists; add --profile" in capsys.readouterr().err


def test_threads_zero_means_one_per_core(big_enet):
    result = run_cli("bench", big_enet, "--runs", "1", "--warmup", "0", "--threads", "0")
    assert result.returncode == 0 and "threads=one per core" in result.stdout


@pytest.mark.parametrize("command", ["run", "inspect", "bench"])
@pytest.mark.parametrize("suffix", [".onnx", ".tflite"])
def test_a_source_model_given_to_run_or_inspect_suggests_convert(tmp_path, model_path, capsys, command, suffix):
    path = model_path if suffix == ".onnx" else tmp_path / "model.tflite"
    if suffix == ".tflite":
        path.write_bytes(b"\x1c\x00\x00\x00TFL3" + bytes(64))
    assert cli.main([command, str(path)]) == 1
    err = capsys.readouterr().err
    assert f"edgenet convert {path}" in err and "not an edgenet model" in err


@pytest.mark.parametrize("command, needed", [
    ("inspect", ["the .enet model file"]),
    ("run", ["the .enet model file", "--threads", "one per core", "--input"]),
    ("bench", ["the .enet model file", "--threads", "--runs", "timed runs", "--warmup"]),
])
def test_help_describes_the_model_argument_and_the_numbers(command, needed):
    result = run_cli(command, "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())  # argparse wraps lines anywhere
    for phrase in needed:
        assert phrase in text


def test_interpreter_accepts_the_converters_model(model_path):
    model = edgenet.convert(str(model_path))
    x = samples(1)[0]
    got = edgenet.Interpreter(model).run({"input1": x})[OUTPUT]
    np.testing.assert_allclose(got, onnxruntime_outputs(model_path, x), rtol=1e-4, atol=1e-5)


def test_entropy_calibration_is_kl(tmp_path, model_path, capsys):
    data = [{"input1": x} for x in samples(8)]
    kl = edgenet.convert(str(model_path), quantize="int8", calibration=data, calibration_method="kl", verbose=False)
    entropy = edgenet.convert(str(model_path), quantize="int8", calibration=data, calibration_method="entropy",
                              verbose=False)
    assert entropy.to_bytes() == kl.to_bytes()
    np.save(tmp_path / "calib.npy", np.stack([d["input1"] for d in data]))
    assert cli.main(["convert", str(model_path), "-o", str(tmp_path / "e.enet"), "--int8", "--calibration",
                     str(tmp_path / "calib.npy"), "--calibration-method", "entropy"]) == 0
    assert (tmp_path / "e.enet").read_bytes() == kl.to_bytes()


def test_run_reads_float64_npy_files(tmp_path, model_path, capsys):
    out = tmp_path / "m.enet"
    assert cli.main(["convert", str(model_path), "-o", str(out)]) == 0
    x = samples(1)[0]
    np.save(tmp_path / "x.npy", x.astype(np.float64))  # what np.save of a plain numpy computation gives
    assert cli.main(["run", str(out), "--input", str(tmp_path / "x.npy"), "--output-dir", str(tmp_path)]) == 0
    np.testing.assert_allclose(np.load(tmp_path / f"{OUTPUT}.npy"), onnxruntime_outputs(model_path, x),
                               rtol=1e-4, atol=1e-5)


def test_nchw_feed_to_an_nhwc_model_gets_a_layout_hint(tmp_path, model_path, capsys):
    out = tmp_path / "nhwc.enet"
    assert cli.main(["convert", str(model_path), "-o", str(out), "--layout", "NHWC"]) == 0
    x = samples(1)[0]  # NCHW, as for onnxruntime
    np.save(tmp_path / "x.npy", x)
    assert cli.main(["run", str(out), "--input", f"input1={tmp_path / 'x.npy'}"]) == 1
    err = capsys.readouterr().err
    assert "NCHW layout" in err and "x.transpose(0, 2, 3, 1)" in err
    # following the hint gives onnxruntime's answer
    got = edgenet.Interpreter(str(out)).run({"input1": x.transpose(0, 2, 3, 1)})[OUTPUT]
    np.testing.assert_allclose(got, onnxruntime_outputs(model_path, x), rtol=1e-4, atol=1e-5)
