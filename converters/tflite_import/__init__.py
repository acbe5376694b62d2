""".tflite (TFLite / LiteRT) -> edgenet Graph.

    graph = import_tflite("model.tflite", input_shapes={"input": (1, 256, 256, 3)})
    model = edgenet.convert("model.tflite")        # the same, then optimize + serialize

How it works (one pass over the operators of the main subgraph, in file order):
  * reader.py reads the FlatBuffer with the TFLite schema's generated classes (schema_generated.py,
    copied from ai-edge-litert: only the flatbuffers runtime is needed) and checks every index, so a
    truncated or corrupted file is an error naming the problem.
  * TFLite is channels-last with OHWI conv weights, like edgenet: tensors keep their layout, names,
    shapes and (float) dtypes. Each op maps to edgenet ops in a handler registered in
    registry.HANDLERS (`@handles("CONV_2D")`), in handlers/<family>.py; unsupported ops are
    collected and the import fails at the end listing them all (never a partial model).
  * Quantization: a fully int8 model is imported like a QDQ ONNX model (converters/onnx_import/qdq.py):
    each int8 value is held as its float meaning with the tensor's scale / zero point recorded in
    `graph.qdq`, int8 weights are dequantized exactly with their integers and per-channel scales
    recorded; convert() then rebuilds the int8 model with those parameters (converters/qdq.py).
    uint8 tensors become int8 with zero point - 128 (identical arithmetic); uint8 model inputs and
    outputs become float32 (feed / read the dequantized values). int8 inputs and outputs stay int8
    when all of them are int8.
  * fp16-weight models (float16 constants read through DEQUANTIZE) get float32 weights at convert time.
  * Dynamic-range models (int8 weights, float activations; LiteRT quantizes activations on the fly)
    keep their int8 weights in hybrid layers that quantize activations the way LiteRT's kernels do,
    per op (handlers/conv.py; docs/QUANTIZATION.md, "Hybrid layers").
  * Stateful models (resource variables: VAR_HANDLE / READ_VARIABLE / ASSIGN_VARIABLE, initial values
    from CALL_ONCE's init subgraph, evaluated at conversion) get edgenet streaming state
    (handlers/state.py; docs/ARCHITECTURE.md, "Streaming state"); int8 variables stay int8.
  * Custom ops: MediaPipe's Convolution2DTransposeBias is built in; others fail with their name
    unless registered: with register_custom_op(name, handler) (translated into edgenet ops), or
    with edgenet.register_custom_op (kept as an edgenet custom op for the app's kernel; see
    handlers/custom.py).
"""
from .importer import import_tflite
from .reader import TFLiteImportError
from .registry import HANDLERS, register_custom_op

__all__ = ["import_tflite", "TFLiteImportError", "register_custom_op", "HANDLERS"]
# Whether a source is a .tflite model is decided by converters/frontends.py (is_tflite_model), which
# imports this package only for .tflite models: importing it loads the generated schema (~0.15 s).
