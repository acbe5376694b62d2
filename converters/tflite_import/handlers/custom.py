"""Custom ops. A TFLite custom op registered with edgenet.register_custom_op stays a custom op
(keep_custom_op: the same name, its custom_options as the blob; the app's kernel runs it). Custom
ops with a built-in translation into edgenet ops: MediaPipe's Convolution2DTransposeBias is a transposed
convolution plus bias (inputs: x, weights OHWI, bias; custom options: MediaPipe's raw
TfLiteTransposeConvParams struct {TfLitePadding padding, int stride_width, int stride_height}, where
TfLitePadding is 1 = SAME, 2 = VALID)."""
import struct

from ..registry import Unsupported, handles
from .conv import transposed_conv

TFLITE_PADDING = {1: "same", 2: "valid"}  # the C API's TfLitePadding


@handles("Convolution2DTransposeBias")
def convolution_2d_transpose_bias(imp, op):
    if len(op.custom_options) < 12:
        raise Unsupported(f"custom options of {len(op.custom_options)} bytes (expected padding, stride_w, stride_h)")
    padding, stride_w, stride_h = struct.unpack_from("<3i", op.custom_options)
    if padding not in TFLITE_PADDING or min(stride_w, stride_h) < 1:
        raise Unsupported(f"custom options padding {padding}, strides {stride_w}, {stride_h} are not valid")
    x = imp.tensor(op.inputs[0])
    w = imp.require_const(op.inputs[1], "weights")
    bias = imp.require_const(op.inputs[2], "bias")
    out_hw = imp.shape(op.outputs[0])[1:3]
    y = transposed_conv(imp, x, w, bias, out_hw, (stride_h, stride_w), TFLITE_PADDING[padding])
    imp.set(op.outputs[0], y)


def keep_custom_op(imp, op):
    """The TFLite custom op as an edgenet custom op of the same name (registered with
    edgenet.register_custom_op, which gives the converter its shapes and reference), carrying the
    op's custom_options unchanged for the kernel."""
    if any(i < 0 for i in op.inputs):
        raise Unsupported("absent optional inputs are not supported for custom ops")
    outputs = imp.graph.custom(op.name, [imp.tensor(i) for i in op.inputs], options=op.custom_options)
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    if len(outputs) != len(op.outputs):
        raise Unsupported(f"the registered shape rule gives {len(outputs)} outputs, the op has {len(op.outputs)}")
    for i, t in zip(op.outputs, outputs):
        imp.set(i, t)
