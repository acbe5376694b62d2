"""Reductions: mean (int8 too; global average pooling is mean over axes (1, 2) of NHWC), and,
added for the ONNX importer, reduce_sum, reduce_max, reduce_min, arg_max, arg_min (float32).
Global max pooling is reduce_max over axes (1, 2).
"""
import numpy as np

from .. import quant_math
from .registry import register
from .base import OpDef, check_float32, float_or_int8, normalize_axis, per_tensor_quant


@register
class Mean(OpDef):
    name = "mean"
    opcode = "MEAN"
    options_table = "ReduceOptions"
    quantizable = True

    def build(self, g, x, axis, keepdims=False):
        """Mean over `axis` (int or tuple). g.mean(x, axis=(1, 2)) is global average pooling."""
        axes = (axis,) if np.isscalar(axis) else tuple(axis)
        return g.add_node(self.name, [x], {"axes": axes, "keepdims": bool(keepdims)})[0]

    def infer(self, inputs, attrs):
        x = inputs[0]
        dtype = float_or_int8(("x", x))
        rank = len(x.shape)
        axes = sorted({normalize_axis(a, rank) for a in attrs["axes"]})
        if len(axes) != len(attrs["axes"]) or not axes:
            raise ValueError(f"mean axes must be distinct and non-empty, got {attrs['axes']}")
        attrs["axes"] = tuple(axes)  # stored non-negative and sorted, as the schema asks
        if attrs["keepdims"]:
            shape = tuple(1 if d in axes else n for d, n in enumerate(x.shape))
        else:
            shape = tuple(n for d, n in enumerate(x.shape) if d not in axes)
        return [(shape, dtype)]

    def reference(self, inputs, attrs):
        return [np.mean(inputs[0], axis=attrs["axes"], keepdims=attrs["keepdims"])]

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        s_in, zp_in = per_tensor_quant(in_quants[0], "x")
        s_out, zp_out = per_tensor_quant(out_quants[0], "output")
        x = inputs[0]
        acc = np.sum(x - zp_in, axis=attrs["axes"], keepdims=attrs["keepdims"])
        count = int(np.prod([x.shape[a] for a in attrs["axes"]]))
        return [quant_math.requantize_mean(acc, np.full(acc.shape, count), s_in, s_out, zp_out)]

    def options(self, node):
        return {"axes": list(node.attrs["axes"]), "keep_dims": node.attrs["keepdims"]}


class _Reduce(OpDef):
    """numpy.<fn>(x, axis=axes, keepdims=keepdims); axes stored non-negative and sorted."""

    opcode = None
    options_table = "ReduceOptions"
    quantizable = False

    def build(self, g, x, axis, keepdims=False):
        axes = (axis,) if np.isscalar(axis) else tuple(axis)
        return g.add_node(self.name, [x], {"axes": axes, "keepdims": bool(keepdims)})[0]

    def infer(self, inputs, attrs):
        x = inputs[0]
        check_float32(("x", x))
        rank = len(x.shape)
        axes = sorted({normalize_axis(a, rank) for a in attrs["axes"]})
        if len(axes) != len(attrs["axes"]) or not axes:
            raise ValueError(f"{self.name} axes must be distinct and non-empty, got {attrs['axes']}")
        attrs["axes"] = tuple(axes)
        if attrs["keepdims"]:
            shape = tuple(1 if d in axes else n for d, n in enumerate(x.shape))
        else:
            shape = tuple(n for d, n in enumerate(x.shape) if d not in axes)
        return [(shape, "float32")]

    def reference(self, inputs, attrs):
        return [self.fn(inputs[0], axis=attrs["axes"], keepdims=attrs["keepdims"])]

    def options(self, node):
        return {"axes": list(node.attrs["axes"]), "keep_dims": node.attrs["keepdims"]}


@register
class ReduceSum(_Reduce):
    """Sum over `axis` (int or tuple)."""

    name = "reduce_sum"
    opcode = "REDUCE_SUM"
    fn = staticmethod(np.sum)


@register
class ReduceMax(_Reduce):
    """Max over `axis` (int or tuple); reduce_max(x, (1, 2), keepdims=True) is global max pooling."""

    name = "reduce_max"
    opcode = "REDUCE_MAX"
    fn = staticmethod(np.max)


@register
class ReduceMin(_Reduce):
    """Min over `axis` (int or tuple)."""

    name = "reduce_min"
    opcode = "REDUCE_MIN"
    fn = staticmethod(np.min)


class _Arg(OpDef):
    """Index (int64) of the max/min along `axis`; ties give the first index, or the last with
    select_last_index=True."""

    options_table = "ArgOptions"
    quantizable = False  # an index output: reference_int8 only routes the int64 result

    def build(self, g, x, axis, keepdims=True, select_last_index=False):
        attrs = {"axis": axis, "keepdims": bool(keepdims), "select_last_index": bool(select_last_index)}
        return g.add_node(self.name, [x], attrs)[0]

    def infer(self, inputs, attrs):
        x = inputs[0]
        check_float32(("x", x))
        axis = attrs["axis"] = normalize_axis(attrs["axis"], len(x.shape))
        shape = list(x.shape)
        if attrs["keepdims"]:
            shape[axis] = 1
        else:
            del shape[axis]
        return [(tuple(shape), "int64")]

    def reference(self, inputs, attrs):
        x, axis = inputs[0], attrs["axis"]
        if attrs["select_last_index"]:
            # Search the reversed axis, then map the index back.
            index = x.shape[axis] - 1 - self.fn(np.flip(x, axis), axis=axis)
        else:
            index = self.fn(x, axis=axis)
        if attrs["keepdims"]:
            index = np.expand_dims(index, axis)
        return [index.astype(np.int64)]

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        # Routed here only because the output is int64; the input is a plain float tensor.
        return self.reference(inputs, attrs)

    def options(self, node):
        return {"axis": node.attrs["axis"], "keep_dims": node.attrs["keepdims"],
                "select_last_index": node.attrs["select_last_index"]}


@register
class ArgMax(_Arg):
    name = "arg_max"
    opcode = "ARG_MAX"
    fn = staticmethod(np.argmax)


@register
class ArgMin(_Arg):
    name = "arg_min"
    opcode = "ARG_MIN"
    fn = staticmethod(np.argmin)
