/*
 * edgenet.h — the public C API of the edgenet inference core.
 *
 * Two opaque handles:
 *   enet_model        an immutable, verified model. Thread-safe: share one
 *                     model between any number of interpreters and threads.
 *   enet_interpreter  per-thread run state (activation arena, scratch). NOT
 *                     thread-safe: use one interpreter per thread.
 *
 * Every fallible call returns an enet_status. On failure, enet_last_error()
 * returns a message (thread-local, valid until the next failing call on the
 * same thread) saying what went wrong. The core never aborts the process.
 *
 * Typical use:
 *   enet_model* m; enet_interpreter* it;
 *   if (enet_model_load_file("model.enet", &m) != ENET_OK) puts(enet_last_error());
 *   enet_interpreter_create(m, NULL, &it);
 *   enet_interpreter_set_input(it, 0, pixels, sizeof pixels);
 *   enet_interpreter_invoke(it);
 *   enet_interpreter_get_output(it, 0, probs, sizeof probs);
 *   enet_interpreter_free(it); enet_model_free(m);
 */
#ifndef EDGENET_H
#define EDGENET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Windows: the core exports its API (EDGENET_BUILDING, set by native/CMakeLists.txt), an app
 * linking edgenet.dll imports it (EDGENET_DLL, set by the CMake target edgenet::edgenet), and a
 * static library needs neither. */
#if defined(_WIN32) && defined(EDGENET_BUILDING)
#define ENET_API __declspec(dllexport)
#elif defined(_WIN32) && defined(EDGENET_DLL)
#define ENET_API __declspec(dllimport)
#elif defined(_WIN32)
#define ENET_API
#else
#define ENET_API __attribute__((visibility("default")))
#endif

#define ENET_MAX_DIMS 8

typedef enum enet_status {
  ENET_OK = 0,
  ENET_ERROR_INVALID_ARGUMENT = 1, /* bad name / index / shape / dtype / size from the caller */
  ENET_ERROR_INVALID_MODEL = 2,    /* file failed verification (corrupt, truncated, wrong id) */
  ENET_ERROR_UNSUPPORTED = 3,      /* op, dtype or format version this build cannot run */
  ENET_ERROR_OUT_OF_MEMORY = 4,
  ENET_ERROR_IO = 5,               /* file could not be opened or read */
  ENET_ERROR_INVALID_STATE = 6,    /* e.g. reading outputs before invoke */
} enet_status;

/* Values equal schema/edgenet.fbs DataType. */
typedef enum enet_dtype {
  ENET_FLOAT32 = 0,
  ENET_INT8 = 1,
  ENET_INT32 = 2,
  ENET_UINT8 = 3,
  ENET_INT16 = 4,
  ENET_INT64 = 5,
  ENET_BOOL = 6,
} enet_dtype;

typedef struct enet_model enet_model;
typedef struct enet_interpreter enet_interpreter;

struct enet_custom_op;

/* Initialize with `enet_options o = {0};` (or memset) so fields added later stay zero. */
typedef struct enet_options {
  int num_threads; /* <= 0: one thread per core */
  /* Kernels of the model's custom ops (OpCode CUSTOM), found by name; see "custom ops" below.
   * The interpreter copies the array and the names; user_data must outlive it. */
  const struct enet_custom_op* custom_ops;
  int num_custom_ops;
} enet_options;

/* Describes an input or output tensor. Pointers stay valid while the
 * interpreter lives and its shapes are unchanged. */
typedef struct enet_tensor_info {
  const char* name;
  enet_dtype dtype;
  int ndim;
  int64_t shape[ENET_MAX_DIMS]; /* -1 for a dynamic dim not yet resolved */
  size_t bytes;                 /* size of the data at the current shape */
  int num_quant;                /* 0 when not quantized */
  const float* scale;           /* num_quant entries */
  const int64_t* zero_point;    /* num_quant entries */
  int quant_axis;
} enet_tensor_info;

ENET_API const char* enet_version(void);
ENET_API const char* enet_last_error(void);
ENET_API const char* enet_status_name(enet_status status);
ENET_API size_t enet_dtype_size(enet_dtype dtype);

/* ---- model ---------------------------------------------------------------- */

/* Memory-maps the file (read-only) and verifies it: the checksum (format version 2),
 * then every offset, index, shape and dtype, and each op's contract (e.g. inputs that
 * must be constants). The model keeps using the file's bytes in place: constant tensor
 * data, and the strings returned as tensor names, op names and metadata, point into them. */
ENET_API enet_status enet_model_load_file(const char* path, enet_model** out_model);
/* Verifies `size` bytes at `data`, as enet_model_load_file. With copy=0 the model
 * uses `data` in place (constants, names, metadata), so the caller keeps it alive
 * and unchanged until enet_model_free; with copy=1 the model owns a copy. (A buffer
 * that is not 64-byte aligned is copied either way.) */
ENET_API enet_status enet_model_load_buffer(const void* data, size_t size, int copy,
                                            enet_model** out_model);

/* Load flags (bitwise or) for the _ex variants. */
#define ENET_LOAD_DEFAULT 0u
/* Skip the CRC32C over the whole file that format version 2 files carry (a
 * mismatch is ENET_ERROR_INVALID_MODEL "model file is corrupted (checksum
 * mismatch)"). Only for apps that verify the bytes themselves, e.g. with a
 * signature (edgenet sign); every structural check still runs. */
#define ENET_LOAD_SKIP_CHECKSUM 1u
ENET_API enet_status enet_model_load_file_ex(const char* path, unsigned flags, enet_model** out_model);
ENET_API enet_status enet_model_load_buffer_ex(const void* data, size_t size, int copy, unsigned flags,
                                               enet_model** out_model);
ENET_API void enet_model_free(enet_model* model); /* NULL is fine */

ENET_API int enet_model_num_inputs(const enet_model* model);
ENET_API int enet_model_num_outputs(const enet_model* model);
/* Metadata value for key, or NULL. */
ENET_API const char* enet_model_metadata(const enet_model* model, const char* key);

/* ---- interpreter ---------------------------------------------------------- */

/* Plans memory and prepares every op (shape checks, weight packing).
 * options may be NULL for defaults. */
ENET_API enet_status enet_interpreter_create(const enet_model* model, const enet_options* options,
                                             enet_interpreter** out_interpreter);
ENET_API void enet_interpreter_free(enet_interpreter* interpreter); /* NULL is fine */

ENET_API int enet_interpreter_num_inputs(const enet_interpreter* interpreter);
ENET_API int enet_interpreter_num_outputs(const enet_interpreter* interpreter);
ENET_API enet_status enet_interpreter_input_info(const enet_interpreter* interpreter, int index,
                                                 enet_tensor_info* out_info);
ENET_API enet_status enet_interpreter_output_info(const enet_interpreter* interpreter, int index,
                                                  enet_tensor_info* out_info);
/* Index of the input/output with this name, or -1. */
ENET_API int enet_interpreter_input_index(const enet_interpreter* interpreter, const char* name);
ENET_API int enet_interpreter_output_index(const enet_interpreter* interpreter, const char* name);

/* Changes the shape of an input (only dims the model marks dynamic, -1) and
 * re-plans memory. Output shapes follow. */
ENET_API enet_status enet_interpreter_resize_input(enet_interpreter* interpreter, int index, int ndim,
                                                   const int64_t* shape);

/* Copies `bytes` bytes (must equal the input's size) into input `index`. */
ENET_API enet_status enet_interpreter_set_input(enet_interpreter* interpreter, int index,
                                                const void* data, size_t bytes);
/* Zero-copy access to an input's / output's storage inside the arena. Valid
 * until the next resize; output data is meaningful after a successful invoke. */
ENET_API void* enet_interpreter_input_data(enet_interpreter* interpreter, int index);
ENET_API const void* enet_interpreter_output_data(const enet_interpreter* interpreter, int index);

/* Runs the model on the current inputs. Everything a model file can get wrong is
 * rejected at load or create, so invoke fails only on run-time data that no check
 * could see earlier: an index computed by the graph that is out of range (GATHER),
 * which returns ENET_ERROR_INVALID_ARGUMENT naming the op; also
 * ENET_ERROR_INVALID_STATE before the dynamic inputs are resized. After a failure
 * the outputs cannot be read until the next successful invoke. */
ENET_API enet_status enet_interpreter_invoke(enet_interpreter* interpreter);

/* State variables (streaming models: a recurrent state, a window of past frames; TFLite
 * resource variables). A model may hold states whose values persist across invokes of one
 * interpreter: each invoke reads the values the previous successful invoke left and, after its
 * last op, stores the new ones (a failed invoke changes no state). Every interpreter has its own
 * states, set to the model's initial values when it is created; resizing inputs keeps them.
 * enet_interpreter_reset_state sets every state back to its initial value (e.g. at the start of
 * a new stream). Models without states: nothing to do, returns ENET_OK. */
ENET_API enet_status enet_interpreter_reset_state(enet_interpreter* interpreter);

/* Copies output `index` into `data` (`bytes` must equal the output's size). */
ENET_API enet_status enet_interpreter_get_output(const enet_interpreter* interpreter, int index,
                                                 void* data, size_t bytes);

/* Bytes of the planned activation arena (all intermediate tensors). */
ENET_API size_t enet_interpreter_arena_size(const enet_interpreter* interpreter);

/* ---- custom ops ------------------------------------------------------------ */

/* A custom op (OpCode CUSTOM in the file; edgenet.register_custom_op in the converter) runs a
 * kernel the app registers, by the op's name, in enet_options.custom_ops when it creates an
 * interpreter: like TFLite's op resolver, per interpreter, so no global registry and no locks.
 * A model with a custom op no entry names fails enet_interpreter_create with
 * ENET_ERROR_UNSUPPORTED "custom op 'name' has no kernel ...". Java and Swift cannot register
 * kernels yet: a custom kernel is C, registered by an app that calls the C API.
 *
 * Both callbacks get an enet_custom_call and return ENET_OK, or an error status after writing a
 * message into call->error; the interpreter then fails (create / resize for prepare, invoke for
 * invoke) with that status and "op 3 'node' (CUSTOM): custom op 'my_op' invoke failed
 * (INVALID_ARGUMENT): <message>". A callback must
 * return: the core never aborts, and cannot recover from a callback that does. Both run on the
 * thread that called enet_interpreter_create / _resize_input / _invoke. */

/* A tensor as a custom kernel sees it. */
typedef struct enet_custom_tensor {
  enet_dtype dtype;
  int ndim;
  int64_t shape[ENET_MAX_DIMS];
  /* invoke: the tensor's data (inputs read-only; outputs to be written, bytes at the shape
   * prepare gave). prepare: constant inputs' data, else NULL. */
  void* data;
  size_t bytes;
  /* int8 / uint8 tensors: per-tensor (num_quant 1) or per-channel quantization, else 0. */
  int num_quant;
  const float* scale;
  const int64_t* zero_point;
} enet_custom_tensor;

typedef struct enet_custom_call {
  void* user_data;            /* enet_custom_op.user_data */
  const char* name;           /* the op's custom name */
  const uint8_t* options;     /* the op's options blob from the file (CustomOptions.data), as is */
  size_t options_size;        /* 0 (options NULL) when the file gives none */
  int num_inputs, num_outputs;
  const enet_custom_tensor* inputs; /* an absent optional input (-1 in the file): dtype -1, ndim 0 */
  /* prepare: dtype and shape as the file declares them (-1: a dim to infer); set every dim
   * (ndim and shape). The dtype must stay the file's. invoke: write the data. */
  enet_custom_tensor* outputs;
  char* error;                /* on failure, a NUL-terminated message up to error_size bytes */
  size_t error_size;
} enet_custom_call;

typedef struct enet_custom_op {
  const char* name; /* matches CustomOptions.name in the file */
  /* Checks the inputs and options and sets the output shapes. Runs when the interpreter is
   * created and after every resize of an input. NULL: each output keeps the shape the file
   * declares (which must then have no -1 dim). */
  enet_status (*prepare)(enet_custom_call* call);
  /* Computes the outputs. Required. */
  enet_status (*invoke)(enet_custom_call* call);
  void* user_data;
} enet_custom_op;

/* ---- per-op profiling ----------------------------------------------------- */

/* One op's profile: what it is, which kernel runs it, and the time it took. */
typedef struct enet_op_profile {
  const char* opcode;           /* e.g. "CONV_2D" */
  const char* name;             /* the node's name in the file, "" when it has none */
  int ndim;                     /* first output's shape at the current input shapes */
  int64_t shape[ENET_MAX_DIMS];
  const char* kernel;           /* kernel variant, e.g. "f32-gemm-6x16-avx2"; "reference" for the
                                   portable C kernels */
  uint64_t total_ns;            /* time spent in this op (incl. its activation) over `invokes` */
  uint64_t invokes;             /* invokes timed since profiling was (re-)enabled */
} enet_op_profile;

/* Number of ops in the main graph, in execution order. */
ENET_API int enet_interpreter_num_ops(const enet_interpreter* interpreter);
/* enable = 1 starts (or restarts: counters go to zero) timing every op of each
 * invoke with a monotonic clock; 0 stops it. Off by default, and free when off. */
ENET_API enet_status enet_interpreter_set_profiling(enet_interpreter* interpreter, int enable);
/* Fills `out` for op `index` (0 <= index < num_ops). Valid with profiling on
 * or off (times are then those collected so far). Strings live as long as the
 * interpreter and its current shapes. */
ENET_API enet_status enet_interpreter_profile(const enet_interpreter* interpreter, int index,
                                              enet_op_profile* out);

#ifdef __cplusplus
}
#endif
#endif /* EDGENET_H */
