/*
 * internal.h — the core's private types, shared by the loader (model.c), the
 * interpreter (interpreter.c) and the ops (ops/). Not installed.
 *
 * The loader turns the untrusted flatbuffer into the plain structs below once,
 * verifying everything on the way; nothing after it parses the flatbuffer's tables
 * again. The structs still point into the file's bytes, though: constant tensor data
 * is used in place (read when prepare packs weights or checks a table, and by kernels
 * at every invoke), and every name (tensors, ops, subgraphs), the producer and the
 * metadata are NUL-terminated strings inside the file. So the bytes must stay
 * mapped and unchanged while the model lives (enet_model_load_buffer with copy = 0).
 */
#ifndef EDGENET_INTERNAL_H
#define EDGENET_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "edgenet.h"
#include "options_generated.h"
#include "schema_generated.h"

/* The model format version this build reads (Model.version). */
#define ENET_FORMAT_VERSION 2u
/* Version 1 files (no checksum trailer, zero points always stored) still load. */
#define ENET_FORMAT_VERSION_OLDEST 1u
/* Alignment of constant buffers in the file and of every tensor in the arena. */
#define ENET_ALIGNMENT 64

/* ---- errors (common.c) ---------------------------------------------------- */

/* Formats the thread-local error message and returns `status` for chaining:
 *   return enet_set_error(ENET_ERROR_INVALID_MODEL, "tensor %d ...", i); */
enet_status enet_set_error(enet_status status, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Puts context in front of the current message ("tensor 3: " + message). */
void enet_prefix_error(const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* For an op's invoke (which returns void) to report bad run-time data, e.g. an
 * index out of range: the interpreter stops after that op and returns `status`. */
void enet_fail_invoke(enet_status status, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* The failure set since the last call (ENET_OK if none), and clears it. */
enet_status enet_take_invoke_failure(void);

const char* enet_opcode_name(int opcode);
const char* enet_dtype_name(int dtype);

/* Overflow-checked arithmetic on sizes: return 0 on overflow. */
int enet_mul_i64(int64_t a, int64_t b, int64_t* out);
/* Elements of a shape (all dims >= 0); 0 on overflow of int64, also of the product of
 * the nonzero dims (so a shape with a 0 dim cannot hide overflowing partial products). */
int enet_shape_elements(int ndim, const int64_t* shape, int64_t* out);
/* Bytes of a shape of `dtype`; 0 on overflow of int64 or size_t, as enet_shape_elements. */
int enet_shape_bytes(int ndim, const int64_t* shape, int dtype, size_t* out);
/* "(1, 32, 32, 3)" into buf, for messages. */
const char* enet_format_shape(char* buf, size_t buf_size, int ndim, const int64_t* shape);
#define ENET_SHAPE_STR_MAX (ENET_MAX_DIMS * 22 + 4)

/* ---- the verified model (model.c) ----------------------------------------- */

typedef struct enet_tensor_def {
  const char* name; /* never NULL; points into the model's bytes */
  int dtype;
  int ndim;
  int64_t shape[ENET_MAX_DIMS]; /* -1 marks a dynamic dim */
  int buffer;                   /* -1: not constant */
  const void* data;             /* constant data (in the model's bytes), else NULL */
  size_t data_bytes;
  int num_quant;
  float* scale;
  int64_t* zero_point;
  int quant_axis;
} enet_tensor_def;

/* Operator options (enet_op_options, one struct per schema table, defaults filled in) are
 * decoded by code generated from the schema: options_generated.h. */

typedef struct enet_op_def {
  int opcode;
  int activation;
  int requantization; /* ENET_Requantization_*: int8 conv / depthwise / FC / mul (ops_s8.h) */
  int hybrid_quantization; /* ENET_HybridQuantization_*: hybrid conv / depthwise / FC (reference_s8.h) */
  const char* name; /* "" when the file has none */
  int num_inputs, num_outputs;
  int* inputs; /* tensor indices; -1 = optional input absent */
  int* outputs;
  enet_op_options options;
} enet_op_def;

/* A state variable (schema StateVariable), verified: `tensor` is read by ops and holds the
 * state's value at the start of a run; `initial_value` is a constant of the same shape, dtype
 * and quantization; `assigned` (-1: none) gives the value kept after a run, same dtype and
 * quantization, shape checked again at prepare. Run-time storage: state.c. */
typedef struct enet_state_def {
  int tensor, initial_value, assigned;
} enet_state_def;

typedef struct enet_subgraph_def {
  const char* name;
  int num_tensors, num_inputs, num_outputs, num_ops;
  enet_tensor_def* tensors;
  int* inputs;
  int* outputs;
  enet_op_def* ops;
  int num_states;
  enet_state_def* states;
} enet_subgraph_def;

struct enet_model {
  const uint8_t* data; /* the whole file */
  size_t size;
  void* owned_copy; /* malloc'ed copy we free, or NULL */
  void* mapping;    /* mmap'ed file we unmap, or NULL */
  uint32_t version;
  const char* producer;
  int num_subgraphs;
  enet_subgraph_def* subgraphs; /* [0] is the main graph */
  int num_metadata;
  const char** metadata_keys;
  const char** metadata_values;
};

/* ---- run-time state (interpreter.c) and ops (ops/) ------------------------ */

typedef struct enet_rt_tensor {
  const enet_tensor_def* def;
  int ndim;
  int64_t shape[ENET_MAX_DIMS]; /* resolved shape (no -1 once prepared) */
  size_t bytes;
  void* data; /* constant data or a slot in the arena */
} enet_rt_tensor;

/* State variables of one interpreter (state.c): storage outside the arena that persists across
 * invokes and resizes; each state tensor's data points into it. */
typedef struct enet_state_store {
  void* values_raw;     /* every state's value, 64-byte aligned each */
  void* staging;        /* commit: values assigned from another state, copied before any state changes */
  uint8_t* from_state;  /* per state: its assigned tensor is a state tensor */
} enet_state_store;

/* Allocates the storage, points the state tensors at it and sets the initial values. */
enet_status enet_states_create(enet_state_store* st, const enet_subgraph_def* g, enet_rt_tensor* tensors);
void enet_states_free(enet_state_store* st);
void enet_states_reset(const enet_subgraph_def* g, enet_rt_tensor* tensors);
/* At prepare: each assigned tensor's resolved shape equals its state's. */
enet_status enet_states_check_shapes(const enet_subgraph_def* g, const enet_rt_tensor* tensors);
/* After a successful invoke: every state takes its assigned value. */
void enet_states_commit(const enet_state_store* st, const enet_subgraph_def* g, enet_rt_tensor* tensors);

struct enet_threadpool;

typedef struct enet_op_context {
  const enet_op_def* op;
  int num_inputs, num_outputs;
  enet_rt_tensor** inputs; /* NULL entry for an absent optional input */
  enet_rt_tensor** outputs;
  /* What prepare keeps for invoke (packed weights, the kernels it picked,
   * scratch): ONE malloc'ed block, or NULL. The interpreter frees it before
   * every re-prepare and when it is freed. */
  void* state;
  /* Working memory invoke needs only while the op runs (a conv's gathered rows of A): prepare sets
   * how many bytes (0: none), and the interpreter points `scratch` at one block, 64-byte aligned,
   * that all its ops share (they run one after another), so it stays in cache from op to op.
   * Its contents on entry are whatever the previous op left. */
  size_t scratch_bytes;
  void* scratch;
  /* Set by prepare when invoke applies op->activation itself (fused into the
   * kernel's clamp), so the interpreter does not apply it again. */
  int fused_activation;
  /* Set by prepare when ctx->state holds an optimized kernel's plan (packed
   * weights; kernels/optimized.h) that invoke runs instead of the reference. */
  int optimized;
  /* The kernel family this interpreter uses (cpu.h), chosen once when it was created:
   * prepare picks kernels from it and invoke runs them, so the two cannot disagree. */
  enet_isa isa;
  /* The interpreter's thread pool for kernels that split work (threadpool.h). */
  struct enet_threadpool* threadpool;
  /* Name of the kernel variant prepare picked, for the profiler (e.g.
   * "f32-gemm-6x16-avx2"); empty: "reference" (or the ISA, when optimized). */
  char kernel[48];
  /* Control flow (ops/control_flow.c): the model, whose other subgraphs are the op's bodies, and
   * the interpreters running them, created by the op's first prepare and kept (re-prepared) across
   * re-prepares; the interpreter frees them with itself. */
  const struct enet_model* model;
  struct enet_interpreter* bodies[2];
  /* Custom ops (ops/custom.c): the interpreter's kernels by name (enet_options.custom_ops; also
   * handed to control-flow bodies), and this op's kernel when it is CUSTOM, found at create. */
  const enet_custom_op* custom_ops;
  int num_custom_ops;
  const enet_custom_op* custom;
} enet_op_context;

/* An op's entry in the registry, TFLite style: `prepare` does all checking and
 * output shape inference (setting outputs[i]->ndim/shape), so `invoke` is lean.
 * An invoke fails only on bad run-time data that prepare cannot see (e.g. GATHER
 * indices computed by the graph): it calls enet_fail_invoke and the interpreter
 * stops after that op. */
typedef struct enet_op_registration {
  int min_inputs, max_inputs; /* max_inputs < 0: unlimited */
  unsigned optional_inputs;   /* bit i set: input i may be -1 */
  int num_outputs;  /* < 0: one or more (SPLIT) */
  int options_type; /* ENET_OperatorOptions_* this op reads; NONE if it takes none */
  enet_status (*prepare)(enet_op_context* ctx);
  void (*invoke)(const enet_op_context* ctx);
  /* Inputs whose data prepare reads (an int8 bias, a lookup table), so the file must
   * give them as constant tensors: a non-constant one has no data until the arena is
   * planned. Bit i set: input i. The loader checks this (model.c, read_operator). */
  unsigned const_inputs;      /* whatever the dtype */
  unsigned const_inputs_int8; /* in addition, when the node is int8 (input 0 or output 0 INT8) */
  const char* const* input_names; /* names of inputs 0, 1, ... for messages, or NULL */
} enet_op_registration;

/* NULL for an opcode this build does not know. (ops/registry.c) */
const enet_op_registration* enet_op_lookup(int opcode);
/* The range checks of a decoded options table of type `options_type` (ops/registry.c). */
enet_status enet_check_op_options(int options_type, const enet_op_options* options);

/* ---- control flow bodies (interpreter.c, used by ops/control_flow.c) ------- */

/* An interpreter over model->subgraphs[subgraph] that shares `parent`'s thread pool and kernel
 * family. Not prepared until enet_body_prepare. */
enet_status enet_body_create(const enet_op_context* parent, int subgraph, struct enet_interpreter** out);
/* Gives the body's inputs the shapes of `shapes` (one per body input) and prepares it once:
 * shape inference and its own arena. */
enet_status enet_body_prepare(struct enet_interpreter* body, enet_rt_tensor* const* shapes);
/* The body's i-th input / output tensor (valid after enet_body_prepare). */
enet_rt_tensor* enet_body_input(struct enet_interpreter* body, int i);
enet_rt_tensor* enet_body_output(struct enet_interpreter* body, int i);
/* The model checks of IF / WHILE ops across subgraphs (ops/control_flow.c, run by the loader once
 * every subgraph is read): indices, arity, dtypes, quantization and declared shapes between each op
 * and its bodies; no body refers to itself or an ancestor; nesting and body counts stay bounded. */
enet_status enet_check_control_flow(const struct enet_model* model);

/* Shared prepare helpers (ops/common.c). They set a message on failure. */
enet_status enet_check_float(const enet_op_context* ctx);
void enet_set_output_shape(enet_rt_tensor* out, int ndim, const int64_t* shape);

#endif /* EDGENET_INTERNAL_H */
