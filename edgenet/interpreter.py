"""`edgenet.Interpreter`: run a `.enet` model in the C core from Python.

    interp = edgenet.Interpreter("model.enet")
    interp.inputs      # [TensorInfo(name='image', shape=(1, 32, 32, 3), dtype=float32, ...)]
    probs = interp.run({"image": img})["probs"]
    interp.resize_input("image", (8, 32, 32, 3))   # a dynamic (-1) dim, re-planned without reloading
    interp.reset_state()                            # streaming models: back to the initial state

Feeds are checked here, before any C call, so mistakes raise a `ValueError` that
names the input and what was expected. Like TFLite, dtypes are strict: a float64
array for a float32 input is an error (cast it), not a silent conversion. Python
scalars and lists carry no dtype, so they take the input's, but only when every value
fits: integers into an integer input within its range (300 for int8 is an error, not
44), numbers into a float input within its finite range, bools into a bool input.
A dynamic dim may be fed with size 0 when the model's ops allow it (the result is
then empty too); the core names the op otherwise.

A model with state variables (streaming: `Graph.state` / `Graph.assign`) keeps them in the
Interpreter: each `run` starts from the values the previous successful run left, and
`reset_state()` restores the initial values (e.g. for a new stream). Two Interpreters over one
model keep separate states.

One Interpreter may be shared by threads: its calls are serialized (a lock held for
the whole run), so they never interleave. For parallel runs, use one Interpreter per
thread; they can all load the same model.
Errors from the C core arrive as exceptions carrying its message (`ValueError`
for an invalid model or argument, `RuntimeError` otherwise).
"""
import dataclasses
import os
import threading
import time
from typing import List, Optional, Tuple

import numpy as np

from . import _native


@dataclasses.dataclass(frozen=True)
class Quantization:
    """real = scale[c] * (q - zero_point[c]), c indexing `axis` (per-tensor when length 1)."""

    scale: np.ndarray
    zero_point: np.ndarray
    axis: int


@dataclasses.dataclass(frozen=True)
class TensorInfo:
    """A model input or output. `shape` holds -1 for a dynamic dim (e.g. the batch)."""

    name: str
    shape: Tuple[int, ...]
    dtype: np.dtype
    quantization: Optional[Quantization]


@dataclasses.dataclass(frozen=True)
class OpProfile:
    """One op of a profiled run: `time_ms` is its mean time per invoke (incl. its activation)."""

    index: int
    opcode: str
    name: str
    shape: Tuple[int, ...]  # first output
    kernel: str             # kernel variant, e.g. "f32-gemm-6x16-avx2", or "reference"
    time_ms: float


@dataclasses.dataclass(frozen=True)
class Profile:
    """`Interpreter.profile`'s result: every op in execution order, and the mean wall time of a
    whole invoke measured around the C call (the op times add up to nearly all of it)."""

    ops: List[OpProfile]
    invoke_ms: float
    runs: int

    def top(self, n=None):
        """The ops sorted by time, slowest first (the first `n` of them)."""
        rows = sorted(self.ops, key=lambda op: op.time_ms, reverse=True)
        return rows if n is None else rows[:n]


def _tensor_info(info):
    quant = info["quantization"]
    return TensorInfo(info["name"], info["shape"], info["dtype"],
                      Quantization(*quant) if quant is not None else None)


def _untyped_feed_as(info, value):
    """A Python scalar / list (no dtype intent) as an array of the input's dtype, when every value
    is representable; otherwise the value as numpy sees it, for the dtype check to report."""
    array = np.asarray(value)
    kind, target = array.dtype.kind, info.dtype
    if target.kind in "iu" and kind in "iu":
        limits = np.iinfo(target)
        if array.size and (array.min() < limits.min or array.max() > limits.max):
            bad = array.min() if array.min() < limits.min else array.max()
            raise ValueError(f"input {info.name!r}: value {bad} is out of range for {target.name} "
                             f"[{limits.min}, {limits.max}]")
        return array.astype(target)
    if target.kind == "f" and kind in "biuf":
        with np.errstate(over="ignore"):
            converted = array.astype(target)
        overflow = np.isfinite(array) & ~np.isfinite(converted)
        if overflow.any():
            raise ValueError(f"input {info.name!r}: value {array[overflow].flat[0]} is out of range for "
                             f"{target.name}")
        return converted
    return array  # same kind (e.g. bool) or a mismatch the dtype check names


def _shape_str(shape):
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _layout_hint(declared, got, layout):
    """A hint when `got` is the `declared` shape in the other layout (channels first vs last)."""
    if layout not in ("NCHW", "NHWC") or len(got) < 3 or len(got) != len(declared):
        return ""
    rank = len(got)
    to_last = (0,) + tuple(range(2, rank)) + (1,)  # channels-first dims in channels-last order
    perm = to_last if layout == "NHWC" else tuple(to_last.index(d) for d in range(rank))
    if any(d != -1 and d != got[p] for d, p in zip(declared, perm)):
        return ""
    other = "NCHW" if layout == "NHWC" else "NHWC"
    return (f"; this looks like the input in {other} layout, but the model was converted with {layout} "
            f"inputs: feed x.transpose{perm}")


@dataclasses.dataclass(frozen=True)
class _Spec:
    shape: tuple
    dtype: str


class PythonKernel:
    """A custom op's kernel for the C core, in Python: the registered shape rule and numpy reference
    (edgenet/ops/custom.py), called back by edgenet/_native.pyx with concrete shapes and the data."""

    # edgenet.ops.custom is imported in the methods, not at the top: importing it loads every op
    # definition (edgenet.ops), which a model without custom ops never needs.

    def __init__(self, op):
        from .ops import custom

        self.op = custom.lookup(op) if isinstance(op, str) else op
        self.name = self.op.name

    def prepare(self, inputs, options):
        from .ops import custom

        specs = [_Spec(tuple(shape), np.dtype(dtype).name) for shape, dtype in inputs]
        return custom.checked_outputs(self.name, self.op.infer(specs, options))

    def invoke(self, arrays, options):
        from .ops import custom

        expected = self.prepare([(a.shape, a.dtype) for a in arrays], options)
        return custom.run_reference(self.op, arrays, options, expected)


class Interpreter:
    """Loads and verifies a model, plans its memory, and runs it.

    `model` is a path (`str` / `os.PathLike`, memory-mapped), the file's bytes
    (`bytes`, `bytearray`, `memoryview`) or an `EnetModel` (what `edgenet.convert` returns).
    `num_threads`: None for the default.
    `verify_checksum=False` skips the file's CRC32C (format version 2; a mismatch raises ValueError
    "model file is corrupted (checksum mismatch)"): only for apps that check the bytes themselves,
    e.g. with a signature (edgenet.integrity). Every structural check still runs.
    `custom_ops`: kernels for the model's custom ops (OpCode CUSTOM), an iterable of names registered
    with `edgenet.register_custom_op` (or the CustomOp objects it returns): the C core calls back into
    Python, running the op's numpy reference as its kernel (shapes from its `infer`). A model whose
    custom op is not listed fails with RuntimeError "UNSUPPORTED: ... custom op 'name' has no kernel".
    C apps register C kernels instead (enet_options.custom_ops, native/include/edgenet.h).
    Thread-safe by serialization: concurrent `run` / `profile` calls on one Interpreter take
    turns. Use one Interpreter per thread to run in parallel.
    """

    def __init__(self, model, num_threads=None, verify_checksum=True, custom_ops=()):
        if hasattr(model, "to_bytes") and not isinstance(model, (int, bytes, bytearray)):
            model = model.to_bytes()  # an EnetModel from edgenet.convert (duck-typed: converters import this module)
        if isinstance(model, (bytes, bytearray, memoryview)):
            self._model = _native.Model.from_buffer(model, bool(verify_checksum))
        elif isinstance(model, (str, os.PathLike)):
            path = os.fspath(model)
            if not os.path.exists(path):
                raise FileNotFoundError(f"model file not found: {path}")
            self._model = _native.Model.from_file(path, bool(verify_checksum))
        else:
            raise TypeError(f"model must be a path or bytes-like (or an EnetModel), got {type(model).__name__}")
        kernels = [PythonKernel(op) for op in ([custom_ops] if isinstance(custom_ops, str) else custom_ops)]
        self._native = _native.NativeInterpreter(self._model, 0 if num_threads is None else int(num_threads), kernels)
        # The model's declared signatures (with -1 for dynamic dims), fixed for this object.
        self.inputs = [_tensor_info(self._native.input_info(i)) for i in range(self._native.num_inputs)]
        self.outputs = [_tensor_info(self._native.output_info(i)) for i in range(self._native.num_outputs)]
        self._current_shapes = [info.shape for info in self.inputs]
        # Looked up once: run() is called per frame, often after the CPU idled (cold caches).
        self._input_names = [info.name for info in self.inputs]
        self._output_names = [info.name for info in self.outputs]
        self._layout = self._model.metadata("edgenet.layout")
        # Held from the first input write to the last output read: the native state (input
        # data, shapes, the arena planned for them, outputs) belongs to one run at a time, and
        # invoke releases the GIL.
        self._lock = threading.Lock()

    @property
    def arena_size(self):
        """Bytes of the activation arena planned for the current input shapes."""
        with self._lock:
            return self._native.arena_size

    def reset_state(self):
        """Sets every state variable back to its model's initial value (the next `run` starts a
        new stream). A model without states: nothing happens."""
        with self._lock:
            self._native.reset_state()

    def resize_input(self, name, shape):
        """Sets the shape of input `name` (or its index) and re-plans memory, without reloading.

        Only dynamic dims (-1 in `inputs[i].shape`) may change, to any size >= 0; the others must
        keep the model's value. `run` resizes by itself when a feed has a new shape; call this to
        plan ahead (e.g. `arena_size` at the largest shape). States keep their values. Raises
        ValueError for an unknown name, a wrong rank or a fixed dim, and when the model cannot run
        at this shape with the other inputs' current shapes (the new shape is kept then, so that
        resizing the other inputs next can make them agree)."""
        index = self._input_index(name)
        info = self.inputs[index]
        try:
            dims = tuple(int(d) for d in shape)
        except TypeError:
            raise TypeError(f"shape must be a sequence of ints, got {type(shape).__name__}") from None
        if len(dims) != len(info.shape):
            raise ValueError(f"input {info.name!r} has rank {len(info.shape)} (shape {_shape_str(info.shape)}), "
                             f"cannot resize it to {_shape_str(dims)}")
        for d, (declared, size) in enumerate(zip(info.shape, dims)):
            if size < 0:
                raise ValueError(f"input {info.name!r}: dim {d} cannot be {size} (sizes are >= 0)")
            if declared != -1 and size != declared:
                raise ValueError(f"input {info.name!r}: dim {d} is fixed at {declared} in the model "
                                 f"(shape {_shape_str(info.shape)}); only dynamic (-1) dims can be resized")
        with self._lock:
            try:
                self._native.resize_input(index, dims)
            finally:
                self._current_shapes = [self._native.input_info(i)["shape"] for i in range(len(self.inputs))]

    def _input_index(self, name):
        names = [info.name for info in self.inputs]
        if isinstance(name, (int, np.integer)) and not isinstance(name, bool):
            if not 0 <= name < len(names):
                raise ValueError(f"input index {name} out of range; the model has {len(names)} inputs {names}")
            return int(name)
        if name not in names:
            raise ValueError(f"unknown input name {name!r}; the model's inputs are {names}")
        return names.index(name)

    def metadata(self, key):
        """The model's metadata value for `key`, or None."""
        return self._model.metadata(key)

    def run(self, feeds):
        """Runs the model. `feeds`: dict name -> array, or a list in input order.

        Returns a dict output name -> a fresh numpy array.
        """
        arrays = self._checked_feeds(feeds)
        with self._lock:
            self._set_inputs(arrays)
            self._native.invoke()
            return {name: self._native.get_output(i) for i, name in enumerate(self._output_names)}

    def profile(self, feeds, runs=10, warmup=1):
        """Runs the model `warmup` + `runs` times on `feeds` and returns a `Profile`: per op,
        its opcode, name, output shape, kernel variant and mean time over the `runs` timed
        invokes. Timing is on only during this call."""
        if runs < 1:
            raise ValueError(f"runs must be at least 1, got {runs}")
        arrays = self._checked_feeds(feeds)
        with self._lock:
            self._set_inputs(arrays)
            for _ in range(warmup):
                self._native.invoke()
            self._native.set_profiling(True)
            try:
                elapsed = 0.0
                for _ in range(runs):
                    start = time.perf_counter()
                    self._native.invoke()
                    elapsed += time.perf_counter() - start
                rows = [self._native.op_profile(i) for i in range(self._native.num_ops)]
            finally:
                self._native.set_profiling(False)
        ops = [OpProfile(i, r["opcode"], r["name"], r["shape"], r["kernel"], r["total_ns"] / 1e6 / r["invokes"])
               for i, r in enumerate(rows)]
        return Profile(ops, 1e3 * elapsed / runs, runs)

    def _checked_feeds(self, feeds):
        """The feeds as arrays in input order, each checked against its input (no native call)."""
        return [self._check_feed(info, array, self._layout) for info, array in zip(self.inputs, self._arrange_feeds(feeds))]

    def _set_inputs(self, arrays):
        """Resizes dynamic inputs to the arrays' shapes and copies the arrays in (lock held)."""
        self._resize_dynamic_inputs(arrays)
        for index, array in enumerate(arrays):
            self._native.set_input(index, array)

    def _resize_dynamic_inputs(self, arrays):
        """Gives dynamic dims the feeds' sizes. Each C resize re-plans the whole graph, so with
        several inputs an intermediate state (one input resized, the next not yet) may not fit
        together; only the last resize, made with every input in place, decides."""
        changed = [i for i, array in enumerate(arrays) if array.shape != self._current_shapes[i]]
        if not changed:
            return
        error = None
        for index in changed:
            try:
                self._native.resize_input(index, arrays[index].shape)
                error = None
            except ValueError as e:
                error = e
        self._current_shapes = [self._native.input_info(i)["shape"] for i in range(len(self.inputs))]
        if error is not None:
            raise error

    def _arrange_feeds(self, feeds):
        """Feeds in input order, with unknown or missing names reported."""
        names = self._input_names
        if isinstance(feeds, dict):
            if len(feeds) == len(names) and all(name in feeds for name in names):
                return [feeds[name] for name in names]  # the usual call: exactly the model's inputs
            unknown = [name for name in feeds if name not in names]
            if unknown:
                raise ValueError(f"unknown input name {unknown[0]!r}; the model's inputs are {names}")
            missing = [name for name in names if name not in feeds]
            if missing:
                raise ValueError(f"missing input {missing[0]!r}; the model's inputs are {names}")
            return [feeds[name] for name in names]
        if isinstance(feeds, (list, tuple)):
            if len(feeds) != len(names):
                raise ValueError(f"got {len(feeds)} inputs, the model takes {len(names)}: {names}")
            return list(feeds)
        raise TypeError(f"feeds must be a dict by input name or a list in input order, got {type(feeds).__name__}")

    @staticmethod
    def _check_feed(info, array, layout=None):
        """Returns `array` as a C-contiguous numpy array matching `info`, or raises ValueError.
        `layout`: the model's "edgenet.layout" metadata, for a hint when the array is the input in
        the other layout (NCHW fed to an NHWC model, or the reverse)."""
        if not isinstance(array, np.ndarray):
            array = _untyped_feed_as(info, array)
        if array.dtype != info.dtype:
            hint = f"; cast it with .astype(np.{info.dtype.name})" if array.dtype.kind in "biuf" else ""
            raise ValueError(f"input {info.name!r}: expected dtype {info.dtype.name}, got {array.dtype.name}{hint}")
        declared = info.shape
        ok = len(array.shape) == len(declared) and all(d == -1 or d == s for d, s in zip(declared, array.shape))
        if not ok:
            raise ValueError(f"input {info.name!r}: expected shape {_shape_str(declared)}, "
                             f"got {_shape_str(array.shape)}{_layout_hint(declared, array.shape, layout)}")
        if array.ndim and array.flags.c_contiguous:
            return array
        return np.ascontiguousarray(array).reshape(array.shape)  # ascontiguousarray makes a 0-d feed 1-d
