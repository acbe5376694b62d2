"""Reading a .tflite file into the TFLite schema's object tree (schema_generated.ModelT), with the
checks that turn a truncated or corrupted file into a clear error instead of a Python traceback."""
import numpy as np

from . import schema_generated as S

IDENTIFIER = b"TFL3"  # the FlatBuffers file identifier of .tflite files (bytes 4..8)

OP_NAMES = {v: k for k, v in vars(S.BuiltinOperator).items() if not k.startswith("_")}
TYPE_NAMES = {v: k for k, v in vars(S.TensorType).items() if not k.startswith("_")}
OPTIONS_NAMES = {v: k for k, v in vars(S.BuiltinOptions).items() if not k.startswith("_")}
NUMPY_DTYPES = {S.TensorType.FLOAT32: np.float32, S.TensorType.FLOAT16: np.float16, S.TensorType.INT32: np.int32,
                S.TensorType.UINT8: np.uint8, S.TensorType.INT64: np.int64, S.TensorType.BOOL: np.bool_,
                S.TensorType.INT16: np.int16, S.TensorType.INT8: np.int8, S.TensorType.FLOAT64: np.float64,
                S.TensorType.UINT32: np.uint32, S.TensorType.UINT16: np.uint16}


class TFLiteImportError(ValueError):
    """The .tflite model cannot be imported; the message says which op/tensor and why."""


def is_tflite_bytes(data):
    return len(data) >= 8 and bytes(data[4:8]) == IDENTIFIER


def text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else (value or "")


def read_model(data, what="model"):
    """(ModelT, bytes) of a .tflite file's bytes; TFLiteImportError on anything malformed."""
    data = bytes(data)
    if len(data) < 16:
        raise TFLiteImportError(f"{what}: {len(data)} bytes is too short for a .tflite file (truncated?)")
    if not is_tflite_bytes(data):
        raise TFLiteImportError(f"{what}: not a .tflite file (file identifier {data[4:8]!r}, expected {IDENTIFIER!r})")
    try:
        model = S.ModelT.InitFromPackedBuf(data, 0)
    except Exception as e:  # noqa: BLE001 - the flatbuffers runtime raises assorted errors on bad offsets
        raise TFLiteImportError(f"{what}: truncated or corrupted .tflite file ({len(data)} bytes): could not read "
                                f"its FlatBuffer ({type(e).__name__}: {e})") from None
    if not model.subgraphs:
        raise TFLiteImportError(f"{what}: the .tflite file has no subgraphs")
    check_indices(model, what)
    return model, data


def check_indices(model, what):
    """Every tensor / buffer / operator-code index in range (a corrupted file otherwise fails deep inside)."""
    buffers = len(model.buffers or [])
    codes = len(model.operatorCodes or [])
    for s, sub in enumerate(model.subgraphs):
        tensors = sub.tensors or []
        for t in tensors:
            if not 0 <= t.buffer < max(buffers, 1):
                raise TFLiteImportError(f"{what}: corrupted .tflite file: tensor {text(t.name)!r} uses buffer "
                                        f"{t.buffer} of {buffers}")
        indices = list(sub.inputs if sub.inputs is not None else []) + list(sub.outputs if sub.outputs is not None
                                                                               else [])
        for k, op in enumerate(sub.operators or []):
            if not 0 <= op.opcodeIndex < codes:
                raise TFLiteImportError(f"{what}: corrupted .tflite file: operator {k} of subgraph {s} uses "
                                        f"operator code {op.opcodeIndex} of {codes}")
            indices += [i for i in (op.inputs if op.inputs is not None else []) if i != -1]
            indices += list(op.outputs if op.outputs is not None else [])
        bad = [int(i) for i in indices if not 0 <= i < len(tensors)]
        if bad:
            raise TFLiteImportError(f"{what}: corrupted .tflite file: subgraph {s} refers to tensor {bad[0]} of "
                                    f"{len(tensors)}")


def builtin_code(code):
    # Files before schema v3a only fill the int8 deprecated_builtin_code; newer ones fill both.
    return max(int(code.builtinCode), int(code.deprecatedBuiltinCode))


def is_custom(code):
    return builtin_code(code) == S.BuiltinOperator.CUSTOM


def op_name(code):
    """"CONV_2D", or the custom op's own name for CUSTOM."""
    builtin = builtin_code(code)
    if builtin == S.BuiltinOperator.CUSTOM:
        return text(code.customCode)
    return OP_NAMES.get(builtin, f"UNKNOWN_BUILTIN_{builtin}")


def buffer_array(model, data, tensor, what):
    """The constant data of `tensor` (numpy, its dtype and shape), or None for a run-time tensor."""
    buf = model.buffers[tensor.buffer] if model.buffers else None
    if buf is None:
        return None
    if buf.offset > 1:  # large models keep the data after the FlatBuffer
        if buf.offset + buf.size > len(data):
            raise TFLiteImportError(f"{what}: truncated .tflite file: tensor {text(tensor.name)!r} data at "
                                    f"[{buf.offset}, {buf.offset + buf.size}) is past the end ({len(data)} bytes)")
        raw = np.frombuffer(data, np.uint8, count=buf.size, offset=buf.offset)
    elif buf.data is not None and len(buf.data):
        raw = np.asarray(buf.data, np.uint8)
    else:
        return None
    dtype = NUMPY_DTYPES.get(tensor.type)
    if dtype is None:
        raise TFLiteImportError(f"{what}: constant {text(tensor.name)!r} has type "
                                f"{TYPE_NAMES.get(tensor.type, tensor.type)} (not supported)")
    shape = tuple(int(d) for d in (tensor.shape if tensor.shape is not None else []))
    dtype = np.dtype(dtype).newbyteorder("<")
    if tensor.sparsity is not None:  # sparse weights (read by DENSIFY): expanded here
        if raw.size % dtype.itemsize:
            raise TFLiteImportError(f"{what}: corrupted .tflite file: sparse constant {text(tensor.name)!r} has "
                                    f"{raw.size} bytes of {dtype.name} values")
        return densify(raw.view(dtype).astype(dtype.newbyteorder("=")), tensor.sparsity, shape, text(tensor.name))
    if raw.size != int(np.prod(shape, dtype=np.int64)) * dtype.itemsize:
        raise TFLiteImportError(f"{what}: corrupted .tflite file: constant {text(tensor.name)!r} {shape} "
                                f"{dtype.name} has {raw.size} bytes of data")
    return raw.view(dtype).reshape(shape).astype(dtype.newbyteorder("="))


def densify(values, sparsity, shape, name):
    """The dense array of a sparse constant (TFLite's SparsityParameters: levels in traversal order,
    each DENSE or SPARSE_CSR, block dims after the tensor's own dims), as TFLite's FormatConverter."""
    order = [int(d) for d in sparsity.traversalOrder]
    block_map = [int(d) for d in (sparsity.blockMap if sparsity.blockMap is not None else [])]
    levels = sparsity.dimMetadata or []
    rank = len(shape)
    if len(levels) != len(order) or sorted(order) != list(range(rank + len(block_map))):
        raise TFLiteImportError(f"sparse constant {name!r}: inconsistent sparsity parameters")
    block = {dim: int(levels[order.index(rank + k)].denseSize) for k, dim in enumerate(block_map)}
    dense = np.zeros(shape, values.dtype)
    position = [0]

    def vector(union):
        return np.asarray(union.values if union is not None and union.values is not None else [], np.int64)

    def visit(level, parent, coords):
        if level == len(order):
            expanded = [0] * len(order)
            for lvl, c in zip(order, coords):
                expanded[lvl] = c
            index = tuple(expanded[d] * block.get(d, 1) + (expanded[rank + block_map.index(d)] if d in block else 0)
                          for d in range(rank))
            if position[0] >= values.size or any(not 0 <= i < n for i, n in zip(index, shape)):
                raise TFLiteImportError(f"sparse constant {name!r}: corrupted sparsity data")
            dense[index] = values[position[0]]
            position[0] += 1
            return
        meta = levels[level]
        if meta.format == S.DimensionType.DENSE:
            for i in range(int(meta.denseSize)):
                visit(level + 1, parent * int(meta.denseSize) + i, coords + [i])
        else:
            segments, indices = vector(meta.arraySegments), vector(meta.arrayIndices)
            if parent + 1 >= segments.size or segments[parent + 1] > indices.size:
                raise TFLiteImportError(f"sparse constant {name!r}: corrupted sparsity data")
            for j in range(int(segments[parent]), int(segments[parent + 1])):
                visit(level + 1, j, coords + [int(indices[j])])

    visit(0, 0, [])
    return dense
