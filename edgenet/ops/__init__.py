"""Op definitions: one op, one home.

Each op is an `OpDef` subclass (see `base.py`) holding everything the Python side
knows about it: the builder (`Graph.<name>`, with argument checks), the shape rule,
the numpy reference semantics (the oracle for the C kernels) and its serialization
(schema opcode + options table). Families live together:

    conv.py           conv2d, depthwise_conv2d, fully_connected
    elementwise.py    add, sub, mul, relu, relu6, sigmoid, tanh, hard_swish, clip
    pooling.py        max_pool2d, avg_pool2d, mean
    shape.py          reshape, transpose, concat, pad
    normalization.py  softmax, batch_norm (lowered to mul + add in the file)
    quantization.py   quantize, dequantize
  added for the ONNX importer (float32 kernels):
    math.py           div, pow, minimum, maximum, comparisons, where, cast, prelu, gelu, erf,
                      leaky_relu, elu, hard_sigmoid, sqrt, exp, log, abs, neg, ... (unary math)
    reduction.py      reduce_sum, reduce_max, reduce_min, arg_max, arg_min
    norms.py          log_softmax, layer_norm, instance_norm
    linalg.py         matmul (batched), conv2d_transpose
    data.py           split, slice, gather, broadcast_to, depth_to_space, space_to_depth, border_pad
    image.py          resize (nearest / bilinear, ONNX coordinate modes)

int8: an op's `reference_int8` is its integer semantics (docs/QUANTIZATION.md), with the
fixed-point helpers in edgenet/quant_math.py; lookup-table functions (sigmoid_table, ...)
sit next to their op.

To add an op, touch this short list:
  1. schema/edgenet.fbs      append an OpCode (and an options table if needed), then run
                             `python scripts/gen_py_schema.py` to refresh edgenet/_schema/.
  2. edgenet/ops/<family>.py an `@register`ed OpDef subclass: build, infer, reference, options.
  3. native/                 the C reference kernel (and optimized ones) under the op's name.
  4. tests/test_ops_vs_reference.py  a randomized C-vs-reference case;
     tests/test_reference.py an independent check of the numpy reference if it is not trivial.
The graph builder method, the reference executor and the serializer pick the op up
from the registry; nothing else needs editing.
"""
from .base import OpDef

REGISTRY = {}


def register(cls):
    """Class decorator: instantiate the OpDef and record it under its name."""
    if cls.name in REGISTRY:
        raise ValueError(f"op {cls.name!r} registered twice")
    REGISTRY[cls.name] = cls()
    return cls


def get(name):
    """The OpDef for an op name, with a clear error for unknown ops."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown op {name!r}; known ops: {', '.join(sorted(REGISTRY))}") from None


# Importing the family modules fills REGISTRY (they use @register).
from . import conv, elementwise, normalization, pooling, quantization, shape  # noqa: E402,F401
from . import data, image, linalg, math, norms, reduction  # noqa: E402,F401  (ONNX importer ops)

__all__ = ["OpDef", "REGISTRY", "register", "get"]
