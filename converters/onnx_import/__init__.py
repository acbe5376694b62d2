"""ONNX -> edgenet Graph.

    graph = import_onnx("model.onnx", input_shapes={"x": (1, 3, 224, 224)})
    model = edgenet.convert("model.onnx")          # the same, then optimize + serialize

How it works (one pass over the ONNX nodes, in their topological order):
  * Constant folding: a node whose inputs are all constants (initializers, Constant nodes, or
    results of earlier folds) is evaluated at import time with onnx's own reference
    implementation (`onnx.reference`, at the model's opset; its failures are reworded), so shape
    computations (Shape -> Gather -> Concat -> Reshape), Range, ConstantOfShape and weight-only
    dequantization (int8 -> Cast -> Mul) become plain constants. `Shape` of a runtime tensor folds when its shape is static.
  * Open dims: a symbolic input dim stays open (None) unless input_shapes pins it. `Shape` of a
    value with open dims becomes a shape value (importer.Value): the shape arithmetic after it
    (Gather, Unsqueeze, Concat, Mul, ...) is evaluated twice, with two stand-in sizes for the open
    dims, and the elements that differ are the ones known only at run time. A Reshape target
    with one such element gets -1 there; ops that need a size fixed (ConstantOfShape, Expand, ...)
    fail with an error asking for input_shapes. Squeeze / Unsqueeze over several open dims (one
    reshape can infer only one) become gathers.
  * Frozen inputs: constant_inputs={name: value} makes an input a constant of its declared dtype and
    shape before the first node, so what is computed from it folds like any constant (an If on it
    keeps one branch, inline). A node refused because a value is only known at run time (an If's
    condition, integer arithmetic) names the inputs that value is computed from in the error's hint.
  * onnxruntime's dynamic quantization (DynamicQuantizeLinear -> ConvInteger / MatMulInteger,
    com.microsoft DynamicQuantizeLSTM / DynamicQuantizeMatMul) is imported as the float model on
    the dequantized integer weights (dynamic_quant.py says why, and how far it is from ORT).
  * float16 inside a float32 model (Cast to float16, float16 initializers, Cast back): edgenet
    computes in float32, so Cast to float16 is an identity and float16 constants widen exactly.
    The result is the float32 computation on the float16 weights: it differs from a float16 run
    by float16's rounding of the intermediate values (about 1e-3 relative per op; the tests allow
    1e-2 of the output range). float16 model inputs and outputs are not supported.
  * Layout: every runtime value remembers a permutation `perm` with
    edgenet_tensor = numpy.transpose(onnx_value, perm). Convolutions and pools produce and want
    channels-last (NCHW value held as NHWC, perm (0, 2, 3, 1)); elementwise ops, slices, concat,
    reductions and pads just follow their input's perm (remapping axes); only ops that really
    depend on the memory order (reshape, matmul, gather, ...) ask for the ONNX order, and the
    transpose is emitted then, once per value (a transpose that only moves size-1 dims becomes a
    reshape). So an NCHW CNN gets one transpose after each input and one before each output, and
    none in between.
  * Each ONNX op maps to edgenet ops in a handler registered in registry.HANDLERS
    (`@handles("Conv")`); handlers live in handlers/<family>.py, with the family stems of
    edgenet/ops (conv, pooling, elementwise, ...), plus handlers/recurrent.py (RNN / GRU / LSTM,
    unrolled over the sequence) and handlers/composites.py (ops built from a few edgenet ops: norm
    reductions, RMSNormalization, Trilu, ...). qdq.py handles QuantizeLinear / DequantizeLinear:
    pre-quantized models become int8 with the model's own parameters.
  * Unsupported ops are collected, and the import fails at the end with one error listing them
    all with their node names (never a partial model).

The imported graph keeps the model's input/output names, dtypes and (by default, layout="NCHW")
shapes, so onnxruntime feeds work unchanged with edgenet.Interpreter.
"""
import os

from .importer import ONNXImportError, import_onnx

__all__ = ["import_onnx", "ONNXImportError", "is_onnx_model"]


def is_onnx_model(source):
    """Whether `convert` should treat `source` as an ONNX model: an onnx.ModelProto, or a path
    ending in .onnx."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source).lower().endswith(".onnx")
    return type(source).__name__ == "ModelProto"

