"""Ops that move data without arithmetic: reshape, transpose, concat, pad; shape (a tensor's dims)."""
import numpy as np

from .. import quant_math
from .registry import register
from .base import OpDef, fmt_shape, normalize_axis, per_tensor_quant


def _known_size(shape):
    """Product of the static dims (dynamic None dims skipped)."""
    return int(np.prod([d for d in shape if d is not None], dtype=np.int64))


@register
class Reshape(OpDef):
    name = "reshape"
    opcode = "RESHAPE"
    options_table = "ReshapeOptions"
    quantizable = True
    quant_pass_through = True
    moves_data = True

    def build(self, g, x, shape):
        """Reshape to `shape`; one entry may be -1 (inferred), e.g. (-1, 128) keeps a dynamic batch."""
        new_shape = tuple(int(d) for d in shape)
        return g.add_node(self.name, [x], {"new_shape": new_shape})[0]

    def infer(self, inputs, attrs):
        x, new_shape = inputs[0], attrs["new_shape"]
        if new_shape.count(-1) > 1 or any(d < -1 or d == 0 for d in new_shape):
            raise ValueError(f"new shape {new_shape} must hold positive sizes and at most one -1")
        known_in, known_out = _known_size(x.shape), _known_size([d for d in new_shape if d != -1])
        if -1 in new_shape:
            if known_in % known_out:
                raise ValueError(f"cannot reshape {fmt_shape(x.shape)} to {new_shape}")
            # With a dynamic input dim the -1 stays dynamic; otherwise it is computed.
            inferred = None if None in x.shape else known_in // known_out
            out = tuple(inferred if d == -1 else d for d in new_shape)
        else:
            out = new_shape
            if None not in x.shape and known_in != known_out:
                raise ValueError(f"cannot reshape {fmt_shape(x.shape)} ({known_in} elements) to {new_shape} "
                                 f"({known_out} elements)")
        return [(out, x.dtype)]

    def reference(self, inputs, attrs):
        return [inputs[0].reshape(attrs["new_shape"])]

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        return self.reference(inputs, attrs)  # data movement; output quant == input quant

    def options(self, node):
        return {"new_shape": list(node.attrs["new_shape"])}


@register
class Transpose(OpDef):
    name = "transpose"
    opcode = "TRANSPOSE"
    options_table = "TransposeOptions"
    quantizable = True
    quant_pass_through = True
    moves_data = True

    def build(self, g, x, perm):
        """Permute dimensions: output dim i is input dim perm[i] (numpy.transpose)."""
        return g.add_node(self.name, [x], {"perm": tuple(int(p) for p in perm)})[0]

    def infer(self, inputs, attrs):
        x, perm = inputs[0], attrs["perm"]
        if sorted(perm) != list(range(len(x.shape))):
            raise ValueError(f"perm {perm} is not a permutation of the {len(x.shape)} dims of {fmt_shape(x.shape)}")
        return [(tuple(x.shape[p] for p in perm), x.dtype)]

    def reference(self, inputs, attrs):
        return [np.transpose(inputs[0], attrs["perm"])]

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        return self.reference(inputs, attrs)  # data movement; output quant == input quant

    def options(self, node):
        return {"perm": list(node.attrs["perm"])}


@register
class Concat(OpDef):
    name = "concat"
    input_names = ("input",)  # variadic: constants are named input0, input1, ...
    opcode = "CONCAT"
    options_table = "ConcatOptions"
    quantizable = True
    moves_data = True

    def build(self, g, tensors, axis=-1):
        """Join tensors along `axis`; all other dims must match."""
        tensors = list(tensors)
        if not tensors:
            raise ValueError("concat needs at least one input")
        return g.add_node(self.name, tensors, {"axis": axis})[0]

    def infer(self, inputs, attrs):
        first = inputs[0]
        rank = len(first.shape)
        axis = attrs["axis"] = normalize_axis(attrs["axis"], rank)
        for t in inputs[1:]:
            same_rank = len(t.shape) == rank
            if t.dtype != first.dtype or not same_rank or any(
                a != b for d, (a, b) in enumerate(zip(first.shape, t.shape)) if d != axis
            ):
                raise ValueError(f"inputs {fmt_shape(first.shape)} {first.dtype} and {fmt_shape(t.shape)} "
                                 f"{t.dtype} must match in dtype and in every dim but axis {axis}")
        sizes = [t.shape[axis] for t in inputs]
        total = None if None in sizes else sum(sizes)
        return [(first.shape[:axis] + (total,) + first.shape[axis + 1 :], first.dtype)]

    def reference(self, inputs, attrs):
        return [np.concatenate(inputs, axis=attrs["axis"])]

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        # Each input is requantized to the output's scale and zero point (M = s_in / s_out).
        s_out, zp_out = per_tensor_quant(out_quants[0], "output")
        parts = []
        for i, (x, quant) in enumerate(zip(inputs, in_quants)):
            s_in, zp_in = per_tensor_quant(quant, f"input {i}")
            multiplier, shift = quant_math.rescale_multiplier(s_in, s_out)
            q = quant_math.requantize(x - zp_in, multiplier, shift) + zp_out
            parts.append(np.clip(q, quant_math.INT8_MIN, quant_math.INT8_MAX))
        return self.reference(parts, attrs)

    def options(self, node):
        return {"axis": node.attrs["axis"]}


@register
class Pad(OpDef):
    name = "pad"
    opcode = "PAD"
    options_table = "PadOptions"
    quantizable = True
    quant_pass_through = True

    def build(self, g, x, paddings, constant_value=0.0):
        """Constant padding; paddings is ((before, after), ...) per dim, as in numpy.pad."""
        pairs = np.asarray(paddings)
        if pairs.ndim != 2 or pairs.shape[1] != 2 or not np.issubdtype(pairs.dtype, np.integer) or (pairs < 0).any():
            raise ValueError(f"paddings must be ((before, after), ...) of non-negative ints, got {paddings!r}")
        attrs = {"paddings": tuple((int(a), int(b)) for a, b in pairs), "constant_value": float(constant_value)}
        return g.add_node(self.name, [x], attrs)[0]

    def infer(self, inputs, attrs):
        x, pads = inputs[0], attrs["paddings"]
        if len(pads) != len(x.shape):
            raise ValueError(f"paddings has {len(pads)} (before, after) pairs but x {fmt_shape(x.shape)} "
                             f"has {len(x.shape)} dims")
        return [(tuple(None if d is None else d + a + b for d, (a, b) in zip(x.shape, pads)), x.dtype)]

    def reference(self, inputs, attrs):
        return [np.pad(inputs[0], attrs["paddings"], constant_values=attrs["constant_value"])]

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        # The pad value is constant_value quantized with the input's (== output's) parameters.
        scale, zero_point = per_tensor_quant(in_quants[0], "x")
        value = int(quant_math.quantize_float(attrs["constant_value"], scale, zero_point))
        return [np.pad(inputs[0], attrs["paddings"], constant_values=value)]

    def options(self, node):
        flat = [v for pair in node.attrs["paddings"] for v in pair]
        return {"paddings": flat, "constant_value": node.attrs["constant_value"]}


@register
class Shape(OpDef):
    """The run-time dims of x as a (rank,) int32 (or int64) vector, e.g. a sequence length known only
    when the model runs, for a while_loop's condition (ONNX Shape)."""

    name = "shape"
    opcode = "SHAPE"
    quantizable = False  # an integer result; x's values are not read

    def build(self, g, x, dtype="int32"):
        if dtype not in ("int32", "int64"):
            raise ValueError(f"dtype must be 'int32' or 'int64', got {dtype!r}")
        return g.add_node(self.name, [x], {"dtype": dtype})[0]

    def infer(self, inputs, attrs):
        return [((len(inputs[0].shape),), attrs["dtype"])]

    def reference(self, inputs, attrs):
        return [np.array(inputs[0].shape, dtype=np.int64)]

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        return self.reference(inputs, attrs)
