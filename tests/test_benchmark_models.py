"""benchmarks/models.py's prototype classifier (what makes the benchmark's int8 top-1 agreement mean
something): on held-out crops the float model's top-1 must be the prototype closest in direction to
the image's pooled feature, computed here independently in numpy, and a repeated row must never win.
Runs without any peer runtime; skipped (visibly) without torch or scikit-learn."""
import importlib.util
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

MODELS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "benchmarks", "models.py")


def _benchmark_models():
    spec = importlib.util.spec_from_file_location("benchmark_models", MODELS_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_top1_is_the_nearest_prototype_on_held_out_crops():
    models = _benchmark_models()
    size = models.MODELS["small_cnn"][1]
    seeds = models.image_seeds()
    assert len(set(seeds.values())) == len(seeds)  # calibration, evaluation and set-up crops differ
    model = models.build_model("small_cnn")
    train = models.classifier_inputs(model, models.sample_images(models.PROTOTYPE_IMAGES, size, seeds["prototypes"]))
    classes = 4  # fewer than small_cnn's 10 outputs, so rows 4..9 are repeats
    models.set_prototype_head(model, train, classes)
    mean, directions = models.prototypes(train, classes)

    held_out = models.sample_images(48, size, seeds["evaluation"])
    with torch.no_grad():
        logits = model(torch.from_numpy(held_out)).numpy()
    features = models.classifier_inputs(model, held_out) - mean
    cosines = np.array([[f @ d / (np.linalg.norm(f) * np.linalg.norm(d)) for d in directions] for f in features])
    nearest = cosines.argmax(1)

    np.testing.assert_array_equal(logits.argmax(1), nearest)
    assert len(set(nearest)) > 1  # the images do not all fall in one class
    # every repeat sits below its original row
    assert (logits[:, classes:] < logits[:, np.arange(classes, logits.shape[1]) % classes]).all()
