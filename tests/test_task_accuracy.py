"""int8 that keeps the task (issue 8) on a real pretrained detector shipped by a PyPI package.

nudenet's YOLOv8n (320n.onnx; its output concatenates box coordinates in pixels with 18 class
scores): the top detection of every held-out image must keep its class, box IoU >= 0.5 and score
within 0.1 of the float model's (tests/task_models.py: same_top_detection; an image where the float
model detects nothing above nudenet's own 0.2 threshold must not gain a detection either).

Three disjoint image sets (tests/task_models.py): calibration, the accuracy search's validation
samples, and the held-out images the assertions use. The oracle is the float model (its own float
conversion in the C core, itself checked against onnxruntime, the source framework's runtime, on
the same task). Latency int8 vs float is measured in benchmarks/task_models.py, not here, and so
is the PP-OCRv4 recognizer, whose int8 does not yet keep the decoded text on every held-out line.
"""
import onnxruntime

import edgenet
import task_models  # tests/task_models.py


def _first(outputs):
    return next(iter(outputs.values()))


def test_yolo_detector_int8_keeps_the_top_detection_on_held_out_images():
    path = task_models.detector_model_path()
    shapes = {"images": task_models.DETECTOR_INPUT_SHAPE}
    same_task = task_models.same_top_detection
    session = onnxruntime.InferenceSession(path)
    float_model = edgenet.Interpreter(edgenet.convert(path, input_shapes=shapes).to_bytes())
    target = edgenet.AccuracyTarget(metric=lambda r, c: same_task(_first(r), _first(c)),
                                    samples=task_models.detector_feeds("validation"))
    qmodel = edgenet.convert(path, input_shapes=shapes, quantize="int8",
                             calibration=task_models.detector_feeds("calibration"), accuracy=target, verbose=False)
    report = qmodel.accuracy_report
    assert report.met, str(report)
    interpreter = edgenet.Interpreter(qmodel.to_bytes())
    kept = []
    for feeds in task_models.detector_feeds("held_out"):
        source = session.run(None, feeds)[0]
        float_out = _first(float_model.run(feeds))
        assert same_task(source, float_out)  # the float conversion matches onnxruntime on the task
        kept.append(same_task(float_out, _first(interpreter.run(feeds))))
    assert all(kept), f"task kept on {sum(kept)}/{len(kept)} held-out images: {kept}\n{report}"
    # int8 really is int8 for the bulk of the model: few layers kept float, as the report says
    convs = [n for n in qmodel.graph.nodes if n.op in ("conv2d", "depthwise_conv2d")]
    float_convs = [n.name for n in convs if n.outputs[0].dtype != "int8"]
    assert len(float_convs) <= 0.2 * len(convs), str(report)
    assert set(float_convs) <= {c.node for c in report.kept_float}, str(report)
