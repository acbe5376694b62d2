"""Op definitions: one op, one home.

Each op is an `OpDef` subclass (see `base.py`) holding everything the Python side
knows about it: the builder (`Graph.<name>`, with argument checks), the shape rule,
the numpy reference semantics (the oracle for the C kernels), its integer semantics,
its serialization (schema opcode + options table) and the traits the converter reads
(int8 decision, weight channel axis, fusable activation, ...: the attributes at the top of
`OpDef`). Families live together, one stem per family, shared with native/ and tests/ops/
(docs/ARCHITECTURE.md, "Op families"):

    conv.py           conv2d, depthwise_conv2d, fully_connected
    elementwise.py    add, sub, mul, relu, relu6, sigmoid, tanh, hard_swish, clip, table (int8 lookup)
    pooling.py        max_pool2d, avg_pool2d
    reduction.py      mean; reduce_sum, reduce_max, reduce_min, arg_max, arg_min
    shape.py          reshape, transpose, concat, pad, shape
    normalization.py  softmax, batch_norm (lowered to mul + add in the file); log_softmax,
                      layer_norm, instance_norm
    quantization.py   quantize, dequantize
    math.py           div, pow, minimum, maximum, comparisons, where, cast, prelu, gelu, erf,
                      leaky_relu, elu, hard_sigmoid, sqrt, exp, log, abs, neg, ... (unary math)
    linalg.py         matmul (batched), conv2d_transpose
    data.py           split, slice, gather, broadcast_to, depth_to_space, space_to_depth, border_pad
    image.py          resize (nearest / bilinear, ONNX coordinate modes)
    recurrent.py      lstm, gru (ONNX semantics, run-time sequence length)
    control_flow.py   cond, while_loop (bodies are subgraphs)
    custom.py         custom (the user's op: edgenet.register_custom_op, OpCode CUSTOM)

int8: an op's `reference_int8` is its integer semantics (docs/QUANTIZATION.md), with the
fixed-point helpers in edgenet/quant_math.py; lookup-table functions (sigmoid_table, ...)
sit next to their op.

Adding an op: the checklist in docs/ARCHITECTURE.md ("Adding an op"), kept honest by
tests/test_op_checklist.py.
"""
from .base import OpDef
from .registry import REGISTRY, get, register

# Importing the family modules fills REGISTRY (they use @register).
from . import conv, data, elementwise, image, linalg, math, normalization, pooling, quantization  # noqa: E402,F401
from . import control_flow, custom, recurrent, reduction, shape  # noqa: E402,F401

__all__ = ["OpDef", "REGISTRY", "register", "get"]
