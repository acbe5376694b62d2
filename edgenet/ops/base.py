"""The `OpDef` base class every op derives from, and small helpers shared by op families.

Shapes in the IR are tuples of ints, with `None` for a dynamic (batch) dimension.
Shape rules raise `ValueError` with a plain message; the graph adds the op name and
the user's file:line in front of it.
"""
import numpy as np

# Fused activations an op may apply to its output (`activation=` argument).
# Values are the numpy reference; keys double as the schema Activation names (upper-cased).
FUSED_ACTIVATIONS = {
    "relu": lambda y: np.maximum(y, 0.0),
    "relu6": lambda y: np.clip(y, 0.0, 6.0),
}


class OpDef:
    """One op's whole definition. Subclasses fill in the class attributes and methods.

    name          IR op name and the `Graph` builder method name (e.g. "conv2d").
    input_names   role of each input (used to name constants and in error messages).
    opcode        schema OpCode name written to the file, or None when the serializer
                  must first `lower` the op into other ops (e.g. batch_norm).
    options_table schema options table name (e.g. "Conv2DOptions"), or None.
    """

    name = None
    input_names = ("x",)
    opcode = None
    options_table = None

    # ---- traits: what the converter (quantizer, passes, equalizer) needs to know about the op.
    # They live here, on the op, so adding an op is editing its family file only.
    quantizable = None  # the int8 decision, stated by every op: True = an int8 kernel computes it on
    #                     quantized values (reference_int8 is its integer semantics); False = it stays
    #                     float32 in an int8 model, with dequantize / quantize around it
    weight_axis = None  # weighted ops (input 1 = weights, input 2 = bias): the output-channel axis of the
    #                     weights, one int8 scale per channel along it (conv2d 0, depthwise_conv2d 3, FC 0)
    fuses_activation = False  # the C core applies its `activation` attr: a following relu / relu6 fuses in
    quant_pass_through = False  # int8 output keeps its input's scale and zero point (max pool, reshape, ...)
    moves_data = False  # outputs hold only elements of the inputs, unchanged (reshape, concat, split, ...)
    saturates_outside = None  # (lo, hi): input range outside which the output no longer changes (relu:
    #                           (0, inf)); see saturating_input_range for ops whose range is in their attrs
    output_quant = None  # fixed int8 output (scale, zero point) over the op's whole output range (sigmoid, ...)
    scalar_operand_table = False  # add / sub / mul: with a scalar constant operand, a function of the other
    #                               input alone, so int8 may compute it as a lookup table
    dynamic_int8_weights = None  # {input index: channel axis}: in an int8 model the op keeps float activations
    #                              and these constant weights become int8 (one scale per channel on the axis);
    #                              its kernel quantizes activations on the fly (lstm, gru)
    hybrid_int8_weights = None  # {input index: channel axis}: weights that may be int8 with a float input and
    #                             output, activations quantized per run (quantize="dynamic", onnxruntime's
    #                             dynamic quantization; fully_connected); static int8 keeps such a node as is
    dynamic_quantization = False  # quantize="dynamic" makes its hybrid_int8_weights int8 (fully_connected; a
    #                               conv is hybrid only as imported from a LiteRT dynamic-range model)
    body_attrs = ()  # control flow (cond, while_loop): the attrs holding its body Graphs, each a subgraph in the
    #                  file; graph copies, passes, the serializer and the quantizer recurse into them

    def build(self, g, *args, **kwargs):
        """The user-facing builder, installed as `Graph.<name>`; returns the output Tensor."""
        raise NotImplementedError

    def infer(self, inputs, attrs):
        """Shape rule: input Tensors (or None for absent optional inputs) -> [(shape, dtype)].

        Raises ValueError on bad shapes. May canonicalize attrs in place (e.g. make
        axes non-negative), so every path that creates a node stores the same form."""
        raise NotImplementedError

    def reference(self, inputs, attrs):
        """Numpy semantics, without the fused activation: input arrays -> [output arrays]."""
        raise NotImplementedError

    def reference_int8(self, inputs, attrs, in_quants, out_quants):
        """Integer semantics (docs/QUANTIZATION.md), fused activation clamp included.

        inputs: int64 arrays for integer tensors, float64 for float ones (None if absent);
        in_quants/out_quants: each tensor's QuantParams (or None). Returns the outputs:
        integer values as int64 arrays, float outputs as float arrays."""
        raise NotImplementedError(f"op {self.name!r} has no int8 reference (no int8 kernel)")

    def options(self, node):
        """Schema options table fields as a dict (snake_case names), or None for no table."""
        return None

    def lower(self, g, node):
        """For ops without an opcode: the replacement nodes (see converters/passes.py)."""
        raise NotImplementedError(f"op {self.name!r} has no opcode and no lowering")

    def float_body_nodes(self, node, attr):
        """{node name: reason} of the nodes of body `node.attrs[attr]` that must stay float32 in an int8
        model (control flow; see body_attrs)."""
        return {}

    def saturating_input_range(self, attrs):
        """(lo, hi) outside which this node's output saturates, or None (see saturates_outside)."""
        return self.saturates_outside

    def evaluate(self, inputs, attrs):
        """Full semantics of a node: reference plus its fused activation, if any."""
        outputs = self.reference(inputs, attrs)
        activation = attrs.get("activation")
        if activation is not None:
            outputs = [FUSED_ACTIVATIONS[activation](y) for y in outputs]
        return outputs


# ---- argument normalization ------------------------------------------------


def check_activation(activation):
    if activation is not None and activation not in FUSED_ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(FUSED_ACTIVATIONS)} or None, got {activation!r}")
    return activation


def int_pair(value, what):
    """An int or a pair of ints -> a pair of positive ints (for strides, dilations, kernel sizes)."""
    pair = (value, value) if np.isscalar(value) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in pair):
        raise ValueError(f"{what} must be a positive int or a pair of positive ints, got {value!r}")
    return tuple(int(v) for v in pair)


def normalize_padding(padding):
    """"same" / "valid" / ((top, bottom), (left, right)) / (top, bottom, left, right) ->
    "same", "valid" or ((top, bottom), (left, right))."""
    if isinstance(padding, str):
        if padding.lower() not in ("same", "valid"):
            raise ValueError(f"padding must be 'same', 'valid' or explicit, got {padding!r}")
        return padding.lower()
    flat = np.asarray(padding).reshape(-1)
    if flat.size != 4 or not np.issubdtype(flat.dtype, np.integer) or (flat < 0).any():
        raise ValueError(
            f"explicit padding must be ((top, bottom), (left, right)) or 4 non-negative ints, got {padding!r}"
        )
    t, b, l, r = (int(v) for v in flat)
    return ((t, b), (l, r))


def normalize_axis(axis, rank, what="axis"):
    if not isinstance(axis, (int, np.integer)) or not -rank <= axis < rank:
        raise ValueError(f"{what} {axis!r} is out of range for a rank-{rank} tensor")
    return int(axis) % rank


def check_float32(*named_tensors):
    """All compute ops in this version take float32 tensors."""
    for role, t in named_tensors:
        if t is not None and t.dtype != "float32":
            raise ValueError(f"{role} must be float32, got {t.dtype}")


def float_or_int8(*named_tensors, int32_roles=()):
    """The dtype an op computes in: "float32" when every present tensor is float32, "int8"
    when every one is int8 except the roles in `int32_roles` (e.g. a bias), which are int32.
    Raises ValueError naming the tensor that fits neither."""
    present = [(role, t) for role, t in named_tensors if t is not None]
    if all(t.dtype == "float32" for _, t in present):
        return "float32"
    for role, t in present:
        expected = "int32" if role in int32_roles else "int8"
        if t.dtype != expected:
            kinds = ", ".join(f"{r} {'int32' if r in int32_roles else 'int8'}" for r, _ in named_tensors)
            raise ValueError(f"{role} has dtype {t.dtype}; expected all float32, or int8 ({kinds})")
    return "int8"


def per_tensor_quant(quant, role):
    """(scale, zero_point) of a per-tensor quantized tensor, as (float32 scale as float, int)."""
    if quant is None:
        raise ValueError(f"{role} is an integer tensor without quantization parameters")
    scale, zero_point = np.asarray(quant.scale).reshape(-1), np.asarray(quant.zero_point).reshape(-1)
    if scale.size != 1 or zero_point.size != 1:
        raise ValueError(f"{role} needs per-tensor quantization (one scale), got {scale.size} scales")
    return float(np.float32(scale[0])), int(zero_point[0])


def check_rank(role, t, rank):
    if len(t.shape) != rank:
        raise ValueError(f"{role} must have rank {rank}, got shape {fmt_shape(t.shape)}")


def fmt_shape(shape):
    """(None, 32, 3) -> '(?, 32, 3)': readable shapes in error messages."""
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


# ---- spatial (conv / pooling) geometry ---------------------------------------


def explicit_padding(padding, in_hw, kernel_hw, strides, dilations=(1, 1)):
    """Resolve "same"/"valid"/explicit padding to ((top, bottom), (left, right)).

    "same" follows TFLite: output = ceil(input / stride), and an odd total
    padding puts the extra row/column at the bottom/right.
    """
    if padding == "valid":
        return ((0, 0), (0, 0))
    if padding != "same":
        return padding
    pads = []
    for size, k, s, d in zip(in_hw, kernel_hw, strides, dilations):
        effective_k = (k - 1) * d + 1
        if size is None:
            # A dynamic dim: with stride 1 "same" pads by k - 1 whatever the size; with a larger
            # stride the padding would depend on the run-time size, and the file stores it fixed.
            if s != 1:
                raise ValueError(f"'same' padding with stride {s} on a dynamic dim depends on the run-time "
                                 "size; give explicit padding")
            pads.append(((effective_k - 1) // 2, effective_k - 1 - (effective_k - 1) // 2))
            continue
        out = -(-size // s)  # ceil division
        total = max((out - 1) * s + effective_k - size, 0)
        pads.append((total // 2, total - total // 2))
    return tuple(pads)


def spatial_output_size(in_hw, kernel_hw, strides, dilations, pads):
    """Output (H, W) of a strided window; raises if the window does not fit. A dynamic (None)
    input dim gives a dynamic output dim (the C core checks the fit at run time)."""
    out = []
    for size, k, s, d, (before, after) in zip(in_hw, kernel_hw, strides, dilations, pads):
        effective_k = (k - 1) * d + 1
        if size is None:
            out.append(None)
            continue
        padded = size + before + after
        if padded < effective_k:
            raise ValueError(
                f"window of size {effective_k} (kernel {k}, dilation {d}) does not fit input of size "
                f"{size} with padding ({before}, {after})"
            )
        out.append((padded - effective_k) // s + 1)
    return tuple(out)


def strided_windows(x_padded, kernel_hw, strides, dilations, out_hw):
    """Yield (i, j, patch) for each kernel tap: patch[n, oh, ow, c] is the input
    element that tap (i, j) reads for output position (oh, ow)."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel_hw, strides, dilations, out_hw
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            yield i, j, x_padded[:, top : top + (oh - 1) * sh + 1 : sh, left : left + (ow - 1) * sw + 1 : sw, :]


# ---- broadcasting ------------------------------------------------------------


def broadcast_shapes(a, b):
    """numpy broadcasting, where None (dynamic) matches 1, None or any size."""
    rank = max(len(a), len(b))
    padded_a = (1,) * (rank - len(a)) + tuple(a)
    padded_b = (1,) * (rank - len(b)) + tuple(b)
    out = []
    for da, db in zip(padded_a, padded_b):
        if da == db or db == 1:
            out.append(da)
        elif da == 1:
            out.append(db)
        elif da is None or db is None:
            out.append(da if db is None else db)
        else:
            raise ValueError(f"shapes {fmt_shape(a)} and {fmt_shape(b)} cannot be broadcast together")
    return tuple(out)
