"""benchmarks/run.py's issue-14 verdicts from synthetic medians: edgenet float32 against every peer's
float32, edgenet int8 against the faster of each peer's float32 and int8, and no claim on an int8
model that disagrees with its own float model. Pure reporting code: no runtime is run."""
import importlib.util
import os
import sys

RUN_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "benchmarks", "run.py")


def _run_module():
    sys.path.insert(0, os.path.dirname(RUN_PATH))  # run.py imports its sibling runtimes.py
    try:
        spec = importlib.util.spec_from_file_location("benchmark_run", RUN_PATH)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.pop(0)


def _variant(run, runtime, precision, ms, agreement=None):
    v = run.Variant(runtime, precision, agreement=agreement)
    v.times[1] = [ms / 1000] * 3
    return v


def test_int8_is_held_against_the_faster_peer_precision():
    run = _run_module()
    results = {"mobilenet_v2": [
        _variant(run, "edgenet", "float32", 7.0, "64/64"), _variant(run, "edgenet", "int8", 4.0, "60/64"),
        _variant(run, "litert", "float32", 7.5, "64/64"), _variant(run, "litert", "int8", 4.5, "40/64"),
        _variant(run, "onnxruntime", "float32", 3.5, "64/64"), _variant(run, "onnxruntime", "int8", 6.0, "60/64")]}
    lines = run.format_issue14_targets(results).splitlines()
    # float32: ORT's 3.5 ms is the fastest peer float; edgenet's 7.0 is 2x it
    assert lines[0] == ("- mobilenet_v2 float32: edgenet 7.00 ms vs fastest peer onnxruntime float32 3.50 ms "
                        "= 2.00x (target <= 1.0): NOT met")
    # int8: the fastest peer at any precision is ORT float (3.5 ms), not LiteRT int8 (4.5 ms)
    assert lines[1].startswith("- mobilenet_v2 int8: edgenet 4.00 ms vs fastest peer onnxruntime float32 3.50 ms")
    assert lines[1].endswith("NOT met")
    # edgenet's own int8 gain: 7.0 / 4.0 = 1.75x
    assert lines[2] == "- mobilenet_v2 int8 vs float32 in edgenet: 1.75x (target >= 1.5): met"
    assert lines[3:] == ["- resnet18 float32: not measured", "- resnet18 int8: not measured",
                         "- resnet18 int8 vs float32 in edgenet: not measured",
                         "- mobilenet_v3_small float32: not measured", "- mobilenet_v3_small int8: not measured",
                         "- mobilenet_v3_small int8 vs float32 in edgenet: not measured"]


def test_met_and_not_claimed():
    run = _run_module()
    results = {"resnet18": [
        _variant(run, "edgenet", "float32", 20.0, "64/64"), _variant(run, "edgenet", "int8", 9.0, "30/64"),
        _variant(run, "mnn", "float32", 21.0, "64/64"), _variant(run, "litert", "int8", 10.0, "60/64")]}
    lines = run.format_issue14_targets(results).splitlines()
    assert lines[3].endswith("= 0.95x (target <= 1.0): met")
    assert "not claimed (edgenet int8 top-1 agreement 30/64 is poor)" in lines[4]
    # 20.0 / 9.0 = 2.22x, but from an int8 model that disagrees with its float one
    assert lines[5] == ("- resnet18 int8 vs float32 in edgenet: 2.22x (target >= 1.5): "
                        "not claimed (edgenet int8 top-1 agreement 30/64 is poor)")


def test_int8_gain_over_own_float_below_target():
    run = _run_module()
    results = {"mobilenet_v3_small": [_variant(run, "edgenet", "float32", 2.4, "64/64"),
                                      _variant(run, "edgenet", "int8", 1.7, "60/64")]}
    lines = run.format_issue14_targets(results).splitlines()
    assert lines[-1] == "- mobilenet_v3_small int8 vs float32 in edgenet: 1.41x (target >= 1.5): NOT met"
