"""AVERAGE_POOL_2D, MAX_POOL_2D (TFLite's SAME-padded average excludes the padding from the count; its
int8 average rounds the raw sum's division half away from zero: Pool2DOptions.tflite_int8_average)."""
from ..registry import handles, option, padding_name
from .elementwise import set_activated


@handles("AVERAGE_POOL_2D", "MAX_POOL_2D")
def pool_2d(imp, op):
    g = imp.graph
    x = imp.tensor(op.inputs[0])
    pool = (option(op, "filterHeight", 1), option(op, "filterWidth", 1))
    strides = (option(op, "strideH", 1), option(op, "strideW", 1))
    padding = padding_name(option(op, "padding"))
    if op.name == "MAX_POOL_2D":
        y = g.max_pool2d(x, pool, strides, padding)
    else:
        # int8: TFLite's own average arithmetic (rounded division of the raw sum), kept in the file
        y = g.avg_pool2d(x, pool, strides, padding, count_include_pad=False, tflite_int8_average=True)
    set_activated(imp, op, y)
