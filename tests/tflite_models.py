"""Write .tflite files from Python for the TFLite import tests, with the TFLite schema's object API
(converters/tflite_import/schema_generated.py, the classes LiteRT itself ships), and run them with
LiteRT (ai-edge-litert) as the oracle.

    b = TFLiteBuilder()
    x = b.tensor("x", (1, 8, 8, 3))
    w = b.tensor("w", (4, 3, 3, 3), data=weights)
    y = b.tensor("y", (1, 8, 8, 4))
    b.op("CONV_2D", [x, w, -1], [y], "Conv2DOptions", padding="SAME", stride_w=1, stride_h=1)
    data = b.finish([x], [y])
"""
import numpy as np

from edgenet.converters.tflite_import import schema_generated as S

NUMPY_TYPES = {np.dtype(np.float32): S.TensorType.FLOAT32, np.dtype(np.float16): S.TensorType.FLOAT16,
               np.dtype(np.int32): S.TensorType.INT32, np.dtype(np.uint8): S.TensorType.UINT8,
               np.dtype(np.int64): S.TensorType.INT64, np.dtype(np.int8): S.TensorType.INT8,
               np.dtype(np.bool_): S.TensorType.BOOL, np.dtype(np.int16): S.TensorType.INT16}
ENUMS = {"padding": S.Padding, "fused_activation_function": S.ActivationFunctionType, "mode": S.MirrorPadMode}


class TFLiteBuilder:
    def __init__(self):
        self.model = S.ModelT()
        self.model.version = 3
        self.model.description = "edgenet test model"
        self.model.buffers = [S.BufferT()]  # buffer 0: the empty buffer of run-time tensors
        self.model.operatorCodes = []
        self.subgraphs = []
        self.sub = self.subgraph("main")

    def subgraph(self, name):
        """Start a new subgraph (the first one is the main graph; others are e.g. CALL_ONCE's init
        subgraph): tensors and ops go to it until `self.sub` is set back. Its index is
        `self.subgraphs.index(sub)`."""
        sub = S.SubGraphT()
        sub.tensors, sub.operators, sub.name, sub.inputs, sub.outputs = [], [], name, [], []
        self.subgraphs.append(sub)
        self.sub = sub
        return sub

    def resource(self, name):
        """Index of a new RESOURCE tensor (a VAR_HANDLE's output: a handle to a variable)."""
        t = S.TensorT()
        t.name, t.shape, t.type, t.buffer = name, [], S.TensorType.RESOURCE, 0
        self.sub.tensors.append(t)
        return len(self.sub.tensors) - 1

    def tensor(self, name, shape, dtype=np.float32, data=None, scale=None, zero_point=None, axis=0,
               variable=False):
        """Index of a new tensor; `data` makes it a constant; scale/zero_point quantize it (lists: per channel)."""
        t = S.TensorT()
        t.name, t.shape = name, list(shape)
        dtype = np.dtype(dtype if data is None else np.asarray(data).dtype)
        t.type = NUMPY_TYPES[dtype]
        t.isVariable = variable
        t.buffer = 0
        if data is not None:
            buf = S.BufferT()
            buf.data = np.frombuffer(np.ascontiguousarray(data, dtype).tobytes(), np.uint8)
            self.model.buffers.append(buf)
            t.buffer = len(self.model.buffers) - 1
        if scale is not None:
            q = S.QuantizationParametersT()
            q.scale = list(np.atleast_1d(np.asarray(scale, np.float32)).astype(float))
            zp = np.zeros(len(q.scale), np.int64) if zero_point is None else np.atleast_1d(zero_point)
            q.zeroPoint = [int(z) for z in zp]
            q.quantizedDimension = axis
            t.quantization = q
        self.sub.tensors.append(t)
        return len(self.sub.tensors) - 1

    def opcode(self, name):
        """Index of the operator code for builtin `name`, or ("custom", "Name") for a custom op."""
        for i, code in enumerate(self.model.operatorCodes):
            if (code.customCode or code.builtinCode) == (name[1] if isinstance(name, tuple) else getattr(
                    S.BuiltinOperator, name)):
                return i
        code = S.OperatorCodeT()
        if isinstance(name, tuple):
            code.builtinCode, code.customCode = S.BuiltinOperator.CUSTOM, name[1]
        else:
            code.builtinCode = getattr(S.BuiltinOperator, name)
        code.deprecatedBuiltinCode = min(code.builtinCode, 127)
        code.version = 1
        self.model.operatorCodes.append(code)
        return len(self.model.operatorCodes) - 1

    def op(self, name, inputs, outputs, options=None, custom_options=None, **fields):
        """Append an operator; `options` names its builtin options table, filled from `fields`
        (snake_case names as in the schema; enum fields take their names, e.g. padding="SAME")."""
        o = S.OperatorT()
        o.opcodeIndex = self.opcode(name)
        o.inputs, o.outputs = list(inputs), list(outputs)
        if options is not None:
            table = getattr(S, options + "T")()
            for key, value in fields.items():
                if key in ENUMS and isinstance(value, str):
                    value = getattr(ENUMS[key], value)
                attr = key.split("_")[0] + "".join(p.title() for p in key.split("_")[1:])
                if not hasattr(table, attr):
                    raise AttributeError(f"{options} has no field {key}")
                setattr(table, attr, value)
            o.builtinOptionsType = getattr(S.BuiltinOptions, options)
            o.builtinOptions = table
        if custom_options is not None:
            o.customOptions = list(custom_options)
        self.sub.operators.append(o)

    def finish(self, inputs, outputs):
        import flatbuffers

        main = self.subgraphs[0]
        main.inputs, main.outputs = list(inputs), list(outputs)
        self.model.subgraphs = self.subgraphs
        fb = flatbuffers.Builder(1024)
        fb.Finish(self.model.Pack(fb), file_identifier=b"TFL3")
        return bytes(fb.Output())


def litert_run(model_bytes, feeds, mode="default"):
    """Outputs of LiteRT's interpreter, in the model's output order. mode: "default" (the XNNPACK
    delegate with builtin kernels for the rest: what LiteRT uses unless told otherwise, the oracle),
    "builtin" (TFLite's optimized builtin kernels, no delegate) or "reference" (BUILTIN_REF)."""
    from ai_edge_litert import interpreter as litert

    resolver = {"builtin": litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
                "reference": litert.OpResolverType.BUILTIN_REF,
                "default": litert.OpResolverType.AUTO}[mode]
    interp = litert.Interpreter(model_content=model_bytes, experimental_op_resolver_type=resolver)
    interp.allocate_tensors()
    for detail, value in zip(interp.get_input_details(), feeds):
        interp.set_tensor(detail["index"], np.asarray(value, detail["dtype"]))
    interp.invoke()
    return [interp.get_tensor(d["index"]).copy() for d in interp.get_output_details()]


def litert_stream(model_bytes, feeds_list, mode="default"):
    """Outputs of one LiteRT interpreter run on each feeds in turn (its resource variables carry over
    from run to run, as edgenet's state does), as a list of output lists. A new interpreter starts
    the variables afresh (LiteRT's reset_all_variables leaves resource variables as they are)."""
    from ai_edge_litert import interpreter as litert

    resolver = {"builtin": litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
                "reference": litert.OpResolverType.BUILTIN_REF,
                "default": litert.OpResolverType.AUTO}[mode]
    interp = litert.Interpreter(model_content=model_bytes, experimental_op_resolver_type=resolver)
    interp.allocate_tensors()
    results = []
    for feeds in feeds_list:
        for detail, value in zip(interp.get_input_details(), feeds):
            interp.set_tensor(detail["index"], np.asarray(value, detail["dtype"]))
        interp.invoke()
        results.append([interp.get_tensor(d["index"]).copy() for d in interp.get_output_details()])
    return results


# ---- quantized variants of a float model (what TFLite's converter would write) ---------------------

# ops whose int8 output grid TFLite fixes, and ops whose output must share the input's grid
FIXED_OUTPUT = {"LOGISTIC": (1 / 256, -128), "SOFTMAX": (1 / 256, -128), "TANH": (1 / 128, 0)}
SAME_AS_INPUT = ("MAX_POOL_2D", "AVERAGE_POOL_2D", "RESHAPE", "SQUEEZE", "EXPAND_DIMS", "TRANSPOSE", "PAD",
                 "DEPTH_TO_SPACE", "SPACE_TO_DEPTH", "RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR", "GATHER",
                 "STRIDED_SLICE", "SLICE", "SPLIT", "SPLIT_V", "REDUCE_MAX", "REDUCE_MIN")
WEIGHT_AXIS = {"CONV_2D": (1, 0, 2), "DEPTHWISE_CONV_2D": (1, 3, 2), "FULLY_CONNECTED": (1, 0, 2),
               "TRANSPOSE_CONV": (1, 0, 3)}  # op -> (weights input, channel axis, bias input)


def all_tensor_values(model_bytes, feeds_list):
    """{tensor index: list of values over the feeds} of every tensor, from LiteRT's float run."""
    from ai_edge_litert import interpreter as litert

    interp = litert.Interpreter(model_content=model_bytes, experimental_preserve_all_tensors=True,
                                experimental_op_resolver_type=litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    interp.allocate_tensors()
    values = {}
    for feeds in feeds_list:
        for detail, value in zip(interp.get_input_details(), feeds):
            interp.set_tensor(detail["index"], np.asarray(value, np.float32))
        interp.invoke()
        for d in interp.get_tensor_details():
            try:
                values.setdefault(d["index"], []).append(interp.get_tensor(d["index"]).copy())
            except ValueError:
                pass
    return values


def _quant(scale, zero_point, axis=0):
    q = S.QuantizationParametersT()
    q.scale = [float(s) for s in np.atleast_1d(scale)]
    q.zeroPoint = [int(z) for z in np.atleast_1d(zero_point)]
    q.quantizedDimension = axis
    return q


def quantized_variant(model_bytes, calibration, kind, io="float32"):
    """The `kind` variant of a float .tflite model made by this file's TFLiteBuilder:
    "int8" (fully int8: per-channel symmetric int8 weights, int32 biases, asymmetric int8 activations from
    the calibration min/max; io "float32" adds QUANTIZE / DEQUANTIZE at the edges, "int8" keeps int8 I/O),
    "uint8" (the same with uint8 activations, zero point + 128, and per-tensor uint8 weights with zero point
    128), "dynamic" (int8 weights only), "dequantized" (the float model with those int8 weights' values) or
    "fp16" (float16 weights read through DEQUANTIZE)."""
    model = S.ModelT.InitFromPackedBuf(model_bytes, 0)
    sub = model.subgraphs[0]
    names = {i: op_code_name(model, o) for i, o in enumerate(sub.operators)}
    weight_of = {}
    for k, o in enumerate(sub.operators):
        if names[k] in WEIGHT_AXIS:
            w_in, axis, b_in = WEIGHT_AXIS[names[k]]
            weight_of[o.inputs[w_in]] = (axis, o.inputs[b_in] if len(o.inputs) > b_in else -1, o.inputs[0 if names[
                k] != "TRANSPOSE_CONV" else 2])
    const = {i for i, t in enumerate(sub.tensors) if t.buffer and model.buffers[t.buffer].data is not None}

    def data(i):
        t = sub.tensors[i]
        return np.frombuffer(bytes(bytearray(model.buffers[t.buffer].data)), np.float32).reshape(t.shape)

    def set_data(i, array):
        model.buffers[sub.tensors[i].buffer].data = np.frombuffer(np.ascontiguousarray(array).tobytes(), np.uint8)
        sub.tensors[i].type = NUMPY_TYPES[array.dtype]

    if kind == "fp16":
        for w in list(weight_of):
            h = _new_tensor(sub, _name(sub.tensors[w]) + "_fp16", sub.tensors[w].shape)
            model.buffers.append(S.BufferT())
            sub.tensors[h].buffer = len(model.buffers) - 1
            set_data(h, data(w).astype(np.float16))
            model.buffers[sub.tensors[w].buffer].data = None  # w is now DEQUANTIZE's run-time output
            sub.tensors[w].buffer = 0
            deq = S.OperatorT()
            deq.opcodeIndex, deq.inputs, deq.outputs = _code(model, "DEQUANTIZE"), [h], [int(w)]
            sub.operators.insert(0, deq)
        return _pack(model)

    int8_weights = {}
    for w, (axis, b, x) in weight_of.items():
        values = data(w)
        per_channel = kind != "uint8"
        reduce_axes = tuple(d for d in range(values.ndim) if d != axis) if per_channel else None
        s_w = np.maximum(np.abs(values).max(axis=reduce_axes), 1e-8).astype(np.float32) / np.float32(127)
        shape = [1] * values.ndim
        if per_channel:
            shape[axis] = -1
        q = np.clip(np.round(values / s_w.reshape(shape)), -127, 127)
        int8_weights[w] = (q, s_w, axis, b, x)
    if kind in ("dynamic", "dequantized"):  # dequantized: the float model with the int8 weights' values
        for w, (q, s_w, axis, _, _) in int8_weights.items():
            if kind == "dynamic":
                set_data(w, q.astype(np.int8))
                sub.tensors[w].quantization = _quant(s_w, np.zeros_like(s_w, np.int64), axis)
            else:
                shape = [1] * q.ndim
                shape[axis] = -1
                set_data(w, (q * s_w.reshape(shape)).astype(np.float32))
        return _pack(model)

    values = all_tensor_values(model_bytes, calibration)
    grids = {}
    for i, t in enumerate(sub.tensors):
        if i in const or i not in values:
            continue
        lo = min(0.0, min(float(v.min()) for v in values[i]))
        hi = max(0.0, max(float(v.max()) for v in values[i]))
        scale = np.float32(max(hi - lo, 1e-6) / 255)
        grids[i] = (scale, int(np.clip(np.round(-128 - lo / scale), -128, 127)))
    for k, o in enumerate(sub.operators):  # TFLite's constraints on output grids, in op order
        if names[k] in FIXED_OUTPUT:
            grids[o.outputs[0]] = (np.float32(FIXED_OUTPUT[names[k]][0]), FIXED_OUTPUT[names[k]][1])
        elif names[k] in SAME_AS_INPUT:
            for out in o.outputs:
                grids[out] = grids[o.inputs[0]]
    producer = {out: k for k, o in enumerate(sub.operators) for out in o.outputs}

    def force(i, grid):  # tensor i must have `grid`: so must the input of a pass-through producer
        grids[i] = grid
        if i in producer and names[producer[i]] in SAME_AS_INPUT:
            force(sub.operators[producer[i]].inputs[0], grid)

    for k, o in enumerate(sub.operators):  # LiteRT's int8 concat wants one grid for its inputs and output
        if names[k] == "CONCATENATION":
            for i in o.inputs:
                force(i, grids[o.outputs[0]])
    shift = 128 if kind == "uint8" else 0
    act_type = S.TensorType.UINT8 if kind == "uint8" else S.TensorType.INT8
    for i, (scale, zp) in grids.items():
        sub.tensors[i].type = act_type
        sub.tensors[i].quantization = _quant(scale, zp + shift)
    for w, (q, s_w, axis, b, x) in int8_weights.items():
        if kind == "uint8":
            set_data(w, (q + 128).astype(np.uint8))
            sub.tensors[w].quantization = _quant(s_w, 128)
        else:
            set_data(w, q.astype(np.int8))
            sub.tensors[w].quantization = _quant(s_w, np.zeros(s_w.size, np.int64), axis)
        if b >= 0:
            s_b = (np.float64(grids[x][0]) * s_w.astype(np.float64)).astype(np.float32)
            set_data(b, np.round(data(b) / s_b).astype(np.int32))
            sub.tensors[b].quantization = _quant(s_b, np.zeros(s_b.size, np.int64))
    for k, o in enumerate(sub.operators):  # remaining float constants (e.g. an ADD operand): quantize per tensor
        for i in o.inputs:
            if i in const and i not in int8_weights and sub.tensors[i].type == S.TensorType.FLOAT32 \
                    and names[k] not in ("RESHAPE",) and i not in [bb for *_, bb, _ in int8_weights.values()]:
                v = data(i)
                lo, hi = min(0.0, float(v.min())), max(0.0, float(v.max()))
                scale = np.float32(max(hi - lo, 1e-6) / 255)
                zp = int(np.clip(np.round(-128 - lo / scale), -128, 127))
                q = np.clip(np.round(v / scale) + zp, -128, 127)
                set_data(i, (q + shift).astype(np.uint8 if shift else np.int8))
                sub.tensors[i].quantization = _quant(scale, zp + shift)
    if io == "float32" or kind == "uint8" and io != "uint8":
        _float_edges(model, sub)
    return _pack(model)


def _float_edges(model, sub):
    """Float model inputs / outputs: QUANTIZE after each input, DEQUANTIZE before each output."""
    sub.inputs, sub.outputs = [int(i) for i in sub.inputs], [int(i) for i in sub.outputs]
    for position, i in enumerate(list(sub.inputs)):
        f = _float_twin(sub, i)
        op = S.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = _code(model, "QUANTIZE"), [f], [i]
        sub.operators.insert(0, op)
        sub.inputs[position] = f
    for position, i in enumerate(list(sub.outputs)):
        f = _float_twin(sub, i)
        op = S.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = _code(model, "DEQUANTIZE"), [i], [f]
        sub.operators.append(op)
        sub.outputs[position] = f


def _float_twin(sub, i):
    """A float tensor taking over tensor i's name (i becomes name_int8)."""
    name = _name(sub.tensors[i])
    sub.tensors[i].name = name + "_int8"
    return _new_tensor(sub, name, sub.tensors[i].shape)


def _name(t):
    return t.name.decode() if isinstance(t.name, bytes) else t.name


def _new_tensor(sub, name, shape):
    t = S.TensorT()
    t.name, t.shape, t.type, t.buffer = name, list(shape), S.TensorType.FLOAT32, 0
    sub.tensors.append(t)
    return len(sub.tensors) - 1


def op_code_name(model, operator):
    code = model.operatorCodes[operator.opcodeIndex]
    builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
    return {v: k for k, v in vars(S.BuiltinOperator).items() if not k.startswith("_")}[builtin]


def _code(model, name):
    for i, code in enumerate(model.operatorCodes):
        if code.builtinCode == getattr(S.BuiltinOperator, name):
            return i
    code = S.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = getattr(S.BuiltinOperator, name)
    model.operatorCodes.append(code)
    return len(model.operatorCodes) - 1


def _pack(model):
    import flatbuffers

    fb = flatbuffers.Builder(1024)
    fb.Finish(model.Pack(fb), file_identifier=b"TFL3")
    return bytes(fb.Output())


# ---- test models -------------------------------------------------------------------------------------

def mobilenet_style(seed=0, size=32, classes=10, softmax=False, head="mean"):
    """A small MobileNet-style float CNN: conv 3x3/2 + relu6, two depthwise-separable blocks (one with
    a residual ADD), a max pool, a concat, a global MEAN (head="mean") or a RESHAPE (head="flatten"),
    FULLY_CONNECTED (and SOFTMAX)."""
    rng = np.random.default_rng(seed)

    def w(*shape):
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
        return (rng.normal(0, 1.0 / np.sqrt(fan_in), shape)).astype(np.float32)

    def bias(n):
        return rng.normal(0, 0.1, n).astype(np.float32)

    b = TFLiteBuilder()
    h = size // 2
    x = b.tensor("image", (1, size, size, 3))
    c1 = b.tensor("stem", (1, h, h, 16))
    b.op("CONV_2D", [x, b.tensor("stem/w", (16, 3, 3, 3), data=w(16, 3, 3, 3)), b.tensor("stem/b", (16,), data=bias(16))],
         [c1], "Conv2DOptions", padding="SAME", stride_w=2, stride_h=2, fused_activation_function="RELU6")
    d1 = b.tensor("block1/dw", (1, h, h, 16))
    b.op("DEPTHWISE_CONV_2D", [c1, b.tensor("block1/dw/w", (1, 3, 3, 16), data=w(1, 3, 3, 16) * 3),
                               b.tensor("block1/dw/b", (16,), data=bias(16))],
         [d1], "DepthwiseConv2DOptions", padding="SAME", stride_w=1, stride_h=1, depth_multiplier=1,
         fused_activation_function="RELU6")
    p1 = b.tensor("block1/pw", (1, h, h, 16))
    b.op("CONV_2D", [d1, b.tensor("block1/pw/w", (16, 1, 1, 16), data=w(16, 1, 1, 16)),
                     b.tensor("block1/pw/b", (16,), data=bias(16))], [p1], "Conv2DOptions", padding="SAME",
         stride_w=1, stride_h=1)
    r1 = b.tensor("block1/add", (1, h, h, 16))
    b.op("ADD", [p1, c1], [r1], "AddOptions")
    m1 = b.tensor("pool", (1, h // 2, h // 2, 16))
    b.op("MAX_POOL_2D", [r1], [m1], "Pool2DOptions", padding="VALID", stride_w=2, stride_h=2, filter_width=2,
         filter_height=2)
    d2 = b.tensor("block2/dw", (1, h // 2, h // 2, 16))
    b.op("DEPTHWISE_CONV_2D", [m1, b.tensor("block2/dw/w", (1, 3, 3, 16), data=w(1, 3, 3, 16) * 3),
                               b.tensor("block2/dw/b", (16,), data=bias(16))],
         [d2], "DepthwiseConv2DOptions", padding="SAME", stride_w=1, stride_h=1, depth_multiplier=1,
         fused_activation_function="RELU")
    p2 = b.tensor("block2/pw", (1, h // 2, h // 2, 24))
    b.op("CONV_2D", [d2, b.tensor("block2/pw/w", (24, 1, 1, 16), data=w(24, 1, 1, 16)),
                     b.tensor("block2/pw/b", (24,), data=bias(24))], [p2], "Conv2DOptions", padding="SAME",
         stride_w=1, stride_h=1, fused_activation_function="RELU6")
    cat = b.tensor("concat", (1, h // 2, h // 2, 40))
    b.op("CONCATENATION", [p2, m1], [cat], "ConcatenationOptions", axis=3)
    features = 40 if head == "mean" else 40 * (h // 2) ** 2
    g = b.tensor("gap" if head == "mean" else "flatten", (1, features))
    if head == "mean":
        b.op("MEAN", [cat, b.tensor("gap/axes", (2,), data=np.array([1, 2], np.int32))], [g], "ReducerOptions",
             keep_dims=False)
    else:
        b.op("RESHAPE", [cat, b.tensor("flatten/shape", (2,), data=np.array([1, features], np.int32))], [g],
             "ReshapeOptions", new_shape=[1, features])
    logits = b.tensor("logits", (1, classes))
    b.op("FULLY_CONNECTED", [g, b.tensor("fc/w", (classes, features), data=w(classes, features)),
                             b.tensor("fc/b", (classes,), data=bias(classes))], [logits], "FullyConnectedOptions")
    if not softmax:
        return b.finish([x], [logits])
    probs = b.tensor("probs", (1, classes))
    b.op("SOFTMAX", [logits], [probs], "SoftmaxOptions", beta=1.0)
    return b.finish([x], [probs])


def upsampling_model(seed=0, size=8, bilinear=True):
    """TRANSPOSE_CONV (stride 2, SAME, with bias) then RESIZE_BILINEAR (half-pixel; with bilinear=False
    a second RESIZE_NEAREST_NEIGHBOR instead) and RESIZE_NEAREST_NEIGHBOR, then a 1x1 conv and
    LOGISTIC (a segmentation head)."""
    rng = np.random.default_rng(seed)
    b = TFLiteBuilder()
    x = b.tensor("features", (1, size, size, 8))
    up = b.tensor("up", (1, 2 * size, 2 * size, 8))
    b.op("TRANSPOSE_CONV", [b.tensor("up/shape", (4,), data=np.array([1, 2 * size, 2 * size, 8], np.int32)),
                            b.tensor("up/w", (8, 3, 3, 8), data=rng.normal(0, 0.3, (8, 3, 3, 8)).astype(np.float32)),
                            x, b.tensor("up/b", (8,), data=rng.normal(0, 0.1, 8).astype(np.float32))],
         [up], "TransposeConvOptions", padding="SAME", stride_w=2, stride_h=2)
    bil = b.tensor("bilinear", (1, 4 * size, 4 * size, 8))
    b.op("RESIZE_BILINEAR" if bilinear else "RESIZE_NEAREST_NEIGHBOR",
         [up, b.tensor("bilinear/size", (2,), data=np.array([4 * size] * 2, np.int32))], [bil],
         "ResizeBilinearOptions" if bilinear else "ResizeNearestNeighborOptions", half_pixel_centers=True)
    near = b.tensor("nearest", (1, 6 * size, 6 * size, 8))
    b.op("RESIZE_NEAREST_NEIGHBOR", [bil, b.tensor("nearest/size", (2,), data=np.array([6 * size] * 2, np.int32))],
         [near], "ResizeNearestNeighborOptions", half_pixel_centers=True)
    head = b.tensor("head", (1, 6 * size, 6 * size, 1))
    b.op("CONV_2D", [near, b.tensor("head/w", (1, 1, 1, 8), data=rng.normal(0, 0.5, (1, 1, 1, 8)).astype(np.float32)),
                     b.tensor("head/b", (1,), data=np.zeros(1, np.float32))], [head], "Conv2DOptions",
         padding="VALID", stride_w=1, stride_h=1)
    mask = b.tensor("mask", (1, 6 * size, 6 * size, 1))
    b.op("LOGISTIC", [head], [mask])
    return b.finish([x], [mask])


def single_op_model(kind, size=16, channels=16, seed=0):
    """(float .tflite bytes, input count) of a one-op model for the per-op int8 comparisons."""
    rng = np.random.default_rng(seed)
    h, c = size, channels

    def f32(*shape, s=0.3):
        return rng.normal(0, s, shape).astype(np.float32)

    def const(b, name, array):
        return b.tensor(name, array.shape, data=array)

    b = TFLiteBuilder()
    x = b.tensor("x", (1, h, h, c))
    inputs = [x]
    if kind == "conv":
        y = b.tensor("y", (1, h, h, 2 * c))
        b.op("CONV_2D", [x, const(b, "w", f32(2 * c, 3, 3, c)), const(b, "b", f32(2 * c))], [y], "Conv2DOptions",
             padding="SAME", stride_w=1, stride_h=1, fused_activation_function="RELU6")
    elif kind == "depthwise":
        y = b.tensor("y", (1, h // 2, h // 2, c))
        b.op("DEPTHWISE_CONV_2D", [x, const(b, "w", f32(1, 3, 3, c)), const(b, "b", f32(c))], [y],
             "DepthwiseConv2DOptions", padding="SAME", stride_w=2, stride_h=2, depth_multiplier=1)
    elif kind == "fully_connected":
        r = b.tensor("r", (h * h, c))
        b.op("RESHAPE", [x, const(b, "s", np.array([h * h, c], np.int32))], [r], "ReshapeOptions", new_shape=[h * h, c])
        y = b.tensor("y", (h * h, 20))
        b.op("FULLY_CONNECTED", [r, const(b, "w", f32(20, c)), const(b, "b", f32(20))], [y], "FullyConnectedOptions")
    elif kind in ("add", "sub", "mul", "concat"):
        x2 = b.tensor("x2", (1, h, h, c))
        inputs.append(x2)
        if kind == "concat":
            y = b.tensor("y", (1, h, h, 2 * c))
            b.op("CONCATENATION", [x, x2], [y], "ConcatenationOptions", axis=3)
        else:
            y = b.tensor("y", (1, h, h, c))
            b.op(kind.upper(), [x, x2], [y], kind.title() + "Options")
    elif kind in ("average_pool", "max_pool"):
        y = b.tensor("y", (1, h // 2, h // 2, c))
        b.op("AVERAGE_POOL_2D" if kind == "average_pool" else "MAX_POOL_2D", [x], [y], "Pool2DOptions",
             padding="SAME", stride_w=2, stride_h=2, filter_width=3, filter_height=3)
    elif kind == "global_average_pool":
        y = b.tensor("y", (1, 1, 1, c))
        b.op("AVERAGE_POOL_2D", [x], [y], "Pool2DOptions", padding="VALID", stride_w=1, stride_h=1, filter_width=h,
             filter_height=h)
    elif kind == "mean":
        y = b.tensor("y", (1, c))
        b.op("MEAN", [x, const(b, "a", np.array([1, 2], np.int32))], [y], "ReducerOptions", keep_dims=False)
    elif kind in ("logistic", "tanh", "hard_swish", "softmax", "leaky_relu"):
        options = {"softmax": ("SoftmaxOptions", {"beta": 1.0}), "leaky_relu": ("LeakyReluOptions", {"alpha": 0.1})}
        table, fields = options.get(kind, (None, {}))
        y = b.tensor("y", (1, h, h, c))
        b.op(kind.upper(), [x], [y], table, **fields)
    elif kind == "resize_bilinear":
        y = b.tensor("y", (1, 2 * h, 2 * h, c))
        b.op("RESIZE_BILINEAR", [x, const(b, "sz", np.array([2 * h, 2 * h], np.int32))], [y], "ResizeBilinearOptions",
             half_pixel_centers=True)
    elif kind == "transpose_conv":
        y = b.tensor("y", (1, 2 * h, 2 * h, 8))
        b.op("TRANSPOSE_CONV", [const(b, "os", np.array([1, 2 * h, 2 * h, 8], np.int32)), const(b, "w", f32(8, 3, 3, c)),
                                x, const(b, "b", f32(8))], [y], "TransposeConvOptions", padding="SAME", stride_w=2,
             stride_h=2)
    else:
        raise ValueError(kind)
    return b.finish(inputs, [y]), len(inputs)
