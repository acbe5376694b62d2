"""End to end on the bundled example: the digits CNN quantized to int8 with its calibration
images, run in the C core on the 360 held-out test images.

Oracles: the held-out labels (accuracy vs the float model's), the float file's size, and
`edgenet.reference.run` on the quantized graph (the C core must match it exactly)."""
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import edgenet

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "digits"


def _load_example_module():
    spec = importlib.util.spec_from_file_location("digits_example_model", EXAMPLE / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def digits():
    example = _load_example_module()
    data = example.load_data()
    graph = example.build_graph(data)
    calibration = [{"image": image[None]} for image in example.to_input(data["calibration_images"])]
    float_model = edgenet.convert(graph)
    int8_model = edgenet.convert(graph, quantize="int8", calibration=calibration, verbose=False)
    images, labels = example.to_input(data["test_images"]), data["test_labels"]
    return graph, float_model, int8_model, images, labels, calibration


def c_core_predictions(model, images):
    interpreter = edgenet.Interpreter(model.to_bytes())
    return np.array([np.argmax(interpreter.run({"image": image[None]})["probs"]) for image in images])


def test_int8_accuracy_within_one_point_of_float(digits):
    _, float_model, int8_model, images, labels, _ = digits
    assert len(labels) == 360
    float_accuracy = np.mean(c_core_predictions(float_model, images) == labels)
    int8_accuracy = np.mean(c_core_predictions(int8_model, images) == labels)
    assert float_accuracy > 0.9  # a trained model, so the comparison means something
    assert int8_accuracy >= float_accuracy - 0.01


def test_int8_file_is_at_most_three_tenths_of_float(digits):
    _, float_model, int8_model, *_ = digits
    assert int8_model.size <= 0.3 * float_model.size
    loaded = edgenet.load(int8_model.to_bytes())
    weights = [t for t in loaded.tensors if t.buffer >= 0 and t.name.endswith("weights")]
    assert weights and all(t.dtype == "int8" for t in weights)
    assert loaded.metadata["edgenet.quantization"] == "int8"


def test_c_core_int8_equals_integer_reference_exactly(digits):
    _, _, int8_model, images, _, _ = digits
    interpreter = edgenet.Interpreter(int8_model.to_bytes())
    for image in images[:60]:
        expected = edgenet.reference.run(int8_model.graph, {"image": image[None]})["probs"]
        got = interpreter.run({"image": image[None]})["probs"]
        # The int8 layers are bit-exact; the softmax computing the output runs in float (output tail) on
        # their identical logits, so only float32 rounding separates it from the float64 reference (one
        # LSB of a logit would move a probability by far more).
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


def test_every_digits_layer_keeps_its_signal(digits):
    graph, _, int8_model, _, _, calibration = digits
    report = edgenet.quantization_report(graph, int8_model, calibration[:32], verbose=False)
    # every layer runs in int8, except the softmax computing the output (the output tail runs in float)
    assert {(r.op, r.dtype) for r in report.rows if r.dtype != "int8"} == {("softmax", "float32")}
    assert all(r.cosine > 0.999 and r.sqnr_db > 25 for r in report.rows), str(report)


def test_example_script_prints_float_and_int8_side_by_side(digits, tmp_path):
    _, float_model, int8_model, images, labels, _ = digits
    out = subprocess.run([sys.executable, str(EXAMPLE / "run.py"), "--out", str(tmp_path)], capture_output=True,
                         text=True, check=True).stdout
    rows = {m.group(1): m for m in re.finditer(r"^(float32|int8)\s+(\S+)\s+([\d,]+) B\s+([\d.]+)%", out, re.M)}
    assert set(rows) == {"float32", "int8"}, out
    assert (tmp_path / "digits_int8.enet").exists() and (tmp_path / "digits_float.enet").exists()
    assert int(rows["int8"].group(3).replace(",", "")) == (tmp_path / "digits_int8.enet").stat().st_size
    expected = np.mean(c_core_predictions(int8_model, images) == labels)
    assert float(rows["int8"].group(4)) == pytest.approx(100 * expected, abs=0.005)
