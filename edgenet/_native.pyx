# cython: language_level=3, boundscheck=False, wraparound=False, binding=False, auto_pickle=False
"""Low-level binding of the C API in native/include/edgenet.h.

Thin on purpose: one Python call per C call, C status codes turned into
exceptions carrying enet_last_error(). The user-facing API, with its checks of
names, shapes and dtypes, is edgenet/interpreter.py.
"""
from cpython.buffer cimport PyBUF_SIMPLE, PyBUF_WRITABLE, PyBUF_WRITE, PyBuffer_Release, PyObject_GetBuffer
from cpython.memoryview cimport PyMemoryView_FromMemory
from libc.stdint cimport int64_t, uint8_t, uint64_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memcpy, memset

import numpy as np

cdef extern from "edgenet.h" nogil:
    int ENET_MAX_DIMS

    ctypedef enum enet_status:
        ENET_OK
        ENET_ERROR_INVALID_ARGUMENT
        ENET_ERROR_INVALID_MODEL
        ENET_ERROR_UNSUPPORTED
        ENET_ERROR_OUT_OF_MEMORY
        ENET_ERROR_IO
        ENET_ERROR_INVALID_STATE

    ctypedef int enet_dtype

    ctypedef struct enet_model:
        pass
    ctypedef struct enet_interpreter:
        pass

    ctypedef struct enet_custom_tensor:
        enet_dtype dtype
        int ndim
        int64_t shape[8]
        void* data
        size_t bytes
        int num_quant
        const float* scale
        const int64_t* zero_point

    ctypedef struct enet_custom_call:
        void* user_data
        const char* name
        const uint8_t* options
        size_t options_size
        int num_inputs
        int num_outputs
        const enet_custom_tensor* inputs
        enet_custom_tensor* outputs
        char* error
        size_t error_size

    ctypedef struct enet_custom_op:
        const char* name
        enet_status (*prepare)(enet_custom_call* call) noexcept
        enet_status (*invoke)(enet_custom_call* call) noexcept
        void* user_data

    ctypedef struct enet_options:
        int num_threads
        const enet_custom_op* custom_ops
        int num_custom_ops

    ctypedef struct enet_tensor_info:
        const char* name
        enet_dtype dtype
        int ndim
        int64_t shape[8]
        size_t bytes
        int num_quant
        const float* scale
        const int64_t* zero_point
        int quant_axis

    const char* enet_version()
    const char* enet_last_error()
    const char* enet_status_name(enet_status status)

    unsigned ENET_LOAD_DEFAULT, ENET_LOAD_SKIP_CHECKSUM
    enet_status enet_model_load_file_ex(const char* path, unsigned flags, enet_model** out_model)
    enet_status enet_model_load_buffer_ex(const void* data, size_t size, int copy, unsigned flags,
                                          enet_model** out_model)
    void enet_model_free(enet_model* model)
    const char* enet_model_metadata(const enet_model* model, const char* key)

    enet_status enet_interpreter_create(const enet_model* model, const enet_options* options,
                                        enet_interpreter** out_interpreter)
    void enet_interpreter_free(enet_interpreter* interpreter)
    int enet_interpreter_num_inputs(const enet_interpreter* interpreter)
    int enet_interpreter_num_outputs(const enet_interpreter* interpreter)
    enet_status enet_interpreter_input_info(const enet_interpreter* interpreter, int index,
                                            enet_tensor_info* out_info)
    enet_status enet_interpreter_output_info(const enet_interpreter* interpreter, int index,
                                             enet_tensor_info* out_info)
    enet_status enet_interpreter_resize_input(enet_interpreter* interpreter, int index, int ndim,
                                              const int64_t* shape)
    enet_status enet_interpreter_set_input(enet_interpreter* interpreter, int index, const void* data,
                                           size_t bytes)
    enet_status enet_interpreter_invoke(enet_interpreter* interpreter)
    enet_status enet_interpreter_reset_state(enet_interpreter* interpreter)
    enet_status enet_interpreter_get_output(const enet_interpreter* interpreter, int index, void* data,
                                            size_t bytes)
    size_t enet_interpreter_arena_size(const enet_interpreter* interpreter)

    ctypedef struct enet_op_profile:
        const char* opcode
        const char* name
        int ndim
        int64_t shape[8]
        const char* kernel
        uint64_t total_ns
        uint64_t invokes

    int enet_interpreter_num_ops(const enet_interpreter* interpreter)
    enet_status enet_interpreter_set_profiling(enet_interpreter* interpreter, int enable)
    enet_status enet_interpreter_profile(const enet_interpreter* interpreter, int index, enet_op_profile* out)


# Numpy dtypes in the order of schema DataType / enet_dtype.
DTYPES = (np.dtype(np.float32), np.dtype(np.int8), np.dtype(np.int32), np.dtype(np.uint8),
          np.dtype(np.int16), np.dtype(np.int64), np.dtype(np.bool_))


cdef int check(enet_status status) except -1:
    """Raises the exception matching a failed status, with the core's message."""
    if status == ENET_OK:
        return 0
    message = enet_last_error().decode("utf-8", "replace")
    if status in (ENET_ERROR_INVALID_ARGUMENT, ENET_ERROR_INVALID_MODEL):
        raise ValueError(message)
    raise RuntimeError(f"{enet_status_name(status).decode()}: {message}")


def version():
    """Version string of the C core."""
    return enet_version().decode()


cdef class Model:
    """A loaded, verified model (enet_model). Immutable; shareable between interpreters."""
    cdef enet_model* ptr

    def __cinit__(self):
        self.ptr = NULL

    def __dealloc__(self):
        enet_model_free(self.ptr)

    @staticmethod
    def from_file(path, verify_checksum=True):
        """Memory-maps and verifies the file at `path` (str or bytes); verify_checksum=False skips the
        CRC32C over the whole file (the structural checks still run)."""
        cdef Model m = Model()
        cdef unsigned flags = ENET_LOAD_DEFAULT if verify_checksum else ENET_LOAD_SKIP_CHECKSUM
        cdef bytes encoded = path.encode() if isinstance(path, str) else bytes(path)
        cdef const char* c_path = encoded
        cdef enet_status status
        with nogil:
            status = enet_model_load_file_ex(c_path, flags, &m.ptr)
        check(status)
        return m

    @staticmethod
    def from_buffer(data, verify_checksum=True):
        """Verifies a model held in any bytes-like object; the core keeps its own copy.
        verify_checksum: as in from_file."""
        cdef Model m = Model()
        cdef unsigned flags = ENET_LOAD_DEFAULT if verify_checksum else ENET_LOAD_SKIP_CHECKSUM
        cdef Py_buffer view
        cdef enet_status status
        PyObject_GetBuffer(memoryview(data).cast("B"), &view, PyBUF_SIMPLE)
        try:
            with nogil:
                status = enet_model_load_buffer_ex(view.buf, view.len, 1, flags, &m.ptr)
        finally:
            PyBuffer_Release(&view)
        check(status)
        return m

    def metadata(self, key):
        """The metadata value for `key`, or None."""
        cdef bytes k = key.encode()
        cdef const char* value = enet_model_metadata(self.ptr, k)
        return None if value == NULL else value.decode("utf-8", "replace")


cdef dict info_to_dict(enet_tensor_info* info):
    quant = None
    if info.num_quant > 0:
        quant = (np.array([info.scale[i] for i in range(info.num_quant)], dtype=np.float32),
                 np.array([info.zero_point[i] for i in range(info.num_quant)], dtype=np.int64),
                 info.quant_axis)
    return {
        "name": info.name.decode("utf-8", "replace"),
        "dtype": DTYPES[info.dtype],
        "shape": tuple([info.shape[d] for d in range(info.ndim)]),
        "bytes": info.bytes,
        "quantization": quant,
    }


# ---- custom ops: a Python kernel behind the C core's callbacks (edgenet.h, "custom ops") -------------
# user_data is the kernel object: .prepare(inputs, options) -> [(shape, dtype)] with inputs as
# (shape, dtype) pairs, .invoke(arrays, options) -> [arrays] (edgenet/interpreter.py, PythonKernel).
# Callbacks run on the thread that called into the core, which holds no GIL during invoke: they take it.

cdef void _custom_error(enet_custom_call* call, message):
    cdef bytes text = str(message).encode("utf-8", "replace")[:call.error_size - 1]
    memcpy(call.error, <const char*>text, len(text))
    call.error[len(text)] = 0


cdef bytes _custom_options(enet_custom_call* call):
    return (<const char*>call.options)[:call.options_size] if call.options_size else b""


cdef enet_status _custom_prepare(enet_custom_call* call) noexcept with gil:
    cdef int i, d
    try:
        kernel = <object>call.user_data
        inputs = [(tuple([call.inputs[i].shape[d] for d in range(call.inputs[i].ndim)]), DTYPES[call.inputs[i].dtype])
                  for i in range(call.num_inputs)]
        outputs = list(kernel.prepare(inputs, _custom_options(call)))
        if len(outputs) != call.num_outputs:
            raise ValueError(f"gives {len(outputs)} outputs, the model has {call.num_outputs}")
        for i, (shape, dtype) in enumerate(outputs):
            if len(shape) > ENET_MAX_DIMS:
                raise ValueError(f"output {i} has {len(shape)} dims, at most {ENET_MAX_DIMS}")
            call.outputs[i].dtype = DTYPES.index(np.dtype(dtype))
            call.outputs[i].ndim = len(shape)
            for d in range(len(shape)):
                call.outputs[i].shape[d] = -1 if shape[d] is None else shape[d]
        return ENET_OK
    except BaseException as e:
        _custom_error(call, f"{type(e).__name__}: {e}")
        return ENET_ERROR_INVALID_ARGUMENT


cdef object _custom_array(const enet_custom_tensor* t, bint writable):
    """A numpy view of a tensor's data (no copy)."""
    shape = tuple([t.shape[d] for d in range(t.ndim)])
    if t.bytes == 0:
        return np.empty(shape, DTYPES[t.dtype])
    view = PyMemoryView_FromMemory(<char*>t.data, t.bytes, PyBUF_WRITE)
    array = np.asarray(view).view(DTYPES[t.dtype]).reshape(shape)
    array.flags.writeable = writable
    return array


cdef enet_status _custom_invoke(enet_custom_call* call) noexcept with gil:
    cdef int i
    try:
        kernel = <object>call.user_data
        arrays = [_custom_array(&call.inputs[i], False) for i in range(call.num_inputs)]
        results = list(kernel.invoke(arrays, _custom_options(call)))
        if len(results) != call.num_outputs:
            raise ValueError(f"gives {len(results)} outputs, the model has {call.num_outputs}")
        for i in range(call.num_outputs):
            out = _custom_array(&call.outputs[i], True)
            result = np.asarray(results[i])
            if result.shape != out.shape or result.dtype != out.dtype:
                raise ValueError(f"output {i} is {result.dtype} {result.shape}, prepare said {out.dtype} {out.shape}")
            out[...] = result
        return ENET_OK
    except BaseException as e:
        _custom_error(call, f"{type(e).__name__}: {e}")
        return ENET_ERROR_INVALID_ARGUMENT


cdef class NativeInterpreter:
    """One enet_interpreter: run state for one thread.

    `invoke` releases the GIL, so another Python thread could call in while it runs; every other
    method holds the GIL throughout. Callers serialize whole runs (edgenet.Interpreter holds a
    lock); `invoking` is the last line of defence: a call that would touch the native state while
    an invoke runs raises instead of racing it.
    """
    cdef enet_interpreter* ptr
    cdef Model model  # keeps the model alive as long as the interpreter
    cdef bint invoking
    cdef list kernels  # custom op kernels: the C core holds pointers to them (user_data)

    def __cinit__(self, Model model, int num_threads=0, custom_ops=()):
        """custom_ops: kernel objects with .name, .prepare and .invoke (see _custom_prepare)."""
        cdef enet_options options
        cdef enet_custom_op* ops = NULL
        cdef int i
        memset(&options, 0, sizeof(options))
        options.num_threads = num_threads
        self.ptr = NULL
        self.invoking = False
        self.model = model
        self.kernels = list(custom_ops)
        names = [k.name.encode("utf-8") for k in self.kernels]
        if self.kernels:
            ops = <enet_custom_op*>calloc(len(self.kernels), sizeof(enet_custom_op))
            if ops == NULL:
                raise MemoryError()
            for i in range(len(self.kernels)):
                ops[i].name = <const char*>names[i]
                ops[i].prepare = _custom_prepare
                ops[i].invoke = _custom_invoke
                ops[i].user_data = <void*>self.kernels[i]
            options.custom_ops = ops
            options.num_custom_ops = len(self.kernels)
        try:  # the core copies the array and the names
            check(enet_interpreter_create(model.ptr, &options, &self.ptr))
        finally:
            free(ops)

    def __dealloc__(self):
        enet_interpreter_free(self.ptr)

    cdef int idle(self) except -1:
        if self.invoking:
            raise RuntimeError("this interpreter is running invoke() on another thread; "
                               "serialize calls on one interpreter, or use one per thread")
        return 0

    @property
    def num_inputs(self):
        return enet_interpreter_num_inputs(self.ptr)

    @property
    def num_outputs(self):
        return enet_interpreter_num_outputs(self.ptr)

    def input_info(self, int index):
        """dict(name, dtype, shape, bytes, quantization) of input `index` at its current shape."""
        cdef enet_tensor_info info
        self.idle()
        check(enet_interpreter_input_info(self.ptr, index, &info))
        return info_to_dict(&info)

    def output_info(self, int index):
        cdef enet_tensor_info info
        self.idle()
        check(enet_interpreter_output_info(self.ptr, index, &info))
        return info_to_dict(&info)

    def resize_input(self, int index, shape):
        cdef int64_t dims[8]
        self.idle()
        if len(shape) > 8:
            raise ValueError(f"shape {tuple(shape)} has more than 8 dims")
        for d, size in enumerate(shape):
            dims[d] = size
        check(enet_interpreter_resize_input(self.ptr, index, len(shape), dims))

    def set_input(self, int index, array):
        """Copies a C-contiguous numpy array (checked by the caller) into input `index`."""
        cdef Py_buffer view
        cdef enet_status status
        self.idle()
        if not array.nbytes:  # memoryview cannot cast an empty array; the core takes (NULL, 0)
            check(enet_interpreter_set_input(self.ptr, index, NULL, 0))
            return
        # numpy hands out a C-contiguous array of any dtype as plain bytes (PyBUF_SIMPLE)
        PyObject_GetBuffer(array, &view, PyBUF_SIMPLE)
        try:
            status = enet_interpreter_set_input(self.ptr, index, view.buf, view.len)
        finally:
            PyBuffer_Release(&view)
        check(status)

    def invoke(self):
        cdef enet_status status
        self.idle()
        self.invoking = True
        try:
            with nogil:  # kernels run without the GIL, so other Python threads keep going
                status = enet_interpreter_invoke(self.ptr)
        finally:
            self.invoking = False
        check(status)

    def reset_state(self):
        """Sets every state variable back to its initial value."""
        self.idle()
        check(enet_interpreter_reset_state(self.ptr))

    def get_output(self, int index):
        """A fresh numpy array holding a copy of output `index`."""
        cdef enet_tensor_info info
        cdef Py_buffer view
        cdef enet_status status
        self.idle()
        check(enet_interpreter_output_info(self.ptr, index, &info))  # shape and dtype only: no dict per run
        out = np.empty(tuple([info.shape[d] for d in range(info.ndim)]), dtype=DTYPES[info.dtype])
        if not out.nbytes:
            check(enet_interpreter_get_output(self.ptr, index, NULL, 0))
            return out
        PyObject_GetBuffer(out, &view, PyBUF_SIMPLE | PyBUF_WRITABLE)
        try:
            status = enet_interpreter_get_output(self.ptr, index, view.buf, view.len)
        finally:
            PyBuffer_Release(&view)
        check(status)
        return out

    @property
    def arena_size(self):
        self.idle()
        return enet_interpreter_arena_size(self.ptr)

    @property
    def num_ops(self):
        return enet_interpreter_num_ops(self.ptr)

    def set_profiling(self, bint enable):
        """Turns per-op timing on (resetting the counters) or off."""
        self.idle()
        check(enet_interpreter_set_profiling(self.ptr, enable))

    def op_profile(self, int index):
        """dict(opcode, name, shape, kernel, total_ns, invokes) of op `index`."""
        cdef enet_op_profile p
        self.idle()
        check(enet_interpreter_profile(self.ptr, index, &p))
        return dict(opcode=p.opcode.decode(), name=p.name.decode(errors="replace"),
                    shape=tuple([p.shape[d] for d in range(p.ndim)]), kernel=p.kernel.decode(),
                    total_ns=p.total_ns, invokes=p.invokes)
