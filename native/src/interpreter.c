/*
 * interpreter.c — per-thread run state: shape inference, memory planning and
 * execution of the main subgraph.
 *
 * prepare (on create and after every resize_input):
 *   1. run each op's prepare in order: checks shapes/dtypes, infers outputs;
 *   2. check the inferred shapes against those the file declares;
 *   3. plan one arena for every non-constant tensor by lifetime (placement: planner.c).
 * invoke then only runs kernels (and the fused activation) in order.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "planner.h"
#include "kernels/reference/reference.h"
#include "threadpool.h"
#include "cpu.h"
#include "portable.h" /* enet_aligned_alloc / enet_aligned_free */

struct enet_interpreter {
  const enet_model* model;
  const enet_subgraph_def* graph;
  enet_rt_tensor* tensors; /* one per graph tensor */
  enet_op_context* ops;    /* one per op */
  enet_rt_tensor** slots;  /* backing store for every op's input/output pointers */
  int prepared;            /* shapes inferred and memory planned */
  int invoked;             /* outputs hold results for the current shapes */
  uint8_t* arena;          /* enet_big_alloc'ed, 64-byte aligned */
  size_t arena_size, arena_capacity;
  void* scratch; /* the ops' shared scratch (enet_op_context.scratch), 64-byte aligned */
  size_t scratch_capacity;
  enet_threadpool* threadpool; /* shared by every op of this interpreter */
  int owns_threadpool;         /* 0 for a control-flow body: its parent's pool */
  enet_state_store states;     /* state variables, outside the arena (state.c); none in a body */
  /* Custom kernels by name (enet_options.custom_ops): the main interpreter's own copy of the array
   * and the names (owns_custom_ops), shared by its control-flow bodies. */
  enet_custom_op* custom_ops;
  int num_custom_ops;
  int owns_custom_ops;
  /* Profiling (enet_interpreter_set_profiling): per-op nanoseconds summed over
   * `profiled_invokes` invokes; NULL while profiling was never enabled. */
  int profiling;
  uint64_t* op_ns;
  uint64_t profiled_invokes;
};


static int has_unresolved_dims(const enet_rt_tensor* t) {
  for (int d = 0; d < t->ndim; d++)
    if (t->shape[d] < 0) return 1;
  return 0;
}

/* The declared shape must agree with the inferred one, except for -1 dims. */
static int shape_matches_declared(const enet_rt_tensor* t) {
  const enet_tensor_def* def = t->def;
  if (def->ndim != t->ndim) return 0;
  for (int d = 0; d < t->ndim; d++)
    if (def->shape[d] != -1 && def->shape[d] != t->shape[d]) return 0;
  return 1;
}

/* ---- memory planning ------------------------------------------------------ */

/* Lifetimes of the non-constant tensors, placed by the planner (planner.c), then the
 * arena (kept across re-prepares while it is large enough). */
static enet_status plan_memory(enet_interpreter* it) {
  const enet_subgraph_def* g = it->graph;
  int n = 0;
  enet_plan_tensor* items = calloc((size_t)g->num_tensors + 1, sizeof *items);
  int* item_of = malloc(((size_t)g->num_tensors + 1) * sizeof *item_of);
  if (!items || !item_of) {
    free(items), free(item_of);
    return enet_set_error(ENET_ERROR_OUT_OF_MEMORY, "out of memory planning the arena");
  }
  for (int t = 0; t < g->num_tensors; t++) item_of[t] = -1;
  /* Lifetimes: graph inputs live from the start, op outputs from their op; both
   * until their last reader, graph outputs until the end. */
  for (int i = 0; i < g->num_inputs; i++) {
    int t = g->inputs[i];
    items[n] = (enet_plan_tensor){t, 0, 0, (int64_t)it->tensors[t].bytes, 0};
    item_of[t] = n++;
  }
  for (int o = 0; o < g->num_ops; o++) {
    const enet_op_def* op = &g->ops[o];
    for (int i = 0; i < op->num_inputs; i++)
      if (op->inputs[i] >= 0 && item_of[op->inputs[i]] >= 0) items[item_of[op->inputs[i]]].last = o;
    for (int i = 0; i < op->num_outputs; i++) {
      int t = op->outputs[i];
      items[n] = (enet_plan_tensor){t, o, o, (int64_t)it->tensors[t].bytes, 0};
      item_of[t] = n++;
    }
  }
  /* Graph inputs and outputs live to the end: an app may invoke again without
   * re-setting its inputs (as with LiteRT), so no intermediate may overwrite them. */
  for (int i = 0; i < g->num_inputs; i++) items[item_of[g->inputs[i]]].last = g->num_ops;
  for (int i = 0; i < g->num_outputs; i++)
    if (item_of[g->outputs[i]] >= 0) items[item_of[g->outputs[i]]].last = g->num_ops;
  /* A state's assigned value is copied after the last op (state.c): it lives to the end too. */
  for (int k = 0; k < g->num_states; k++)
    if (g->states[k].assigned >= 0 && item_of[g->states[k].assigned] >= 0)
      items[item_of[g->states[k].assigned]].last = g->num_ops;

  /* The planner's offsets are sums of sizes in int64: with every tensor under 2^38 bytes (more
   * than any device allocates) and at most 2^24 tensors (the loader's limit), none can overflow. */
  for (int i = 0; i < n; i++)
    if (items[i].size > ((int64_t)1 << 38)) {
      enet_status s = enet_set_error(ENET_ERROR_OUT_OF_MEMORY, "tensor '%s' needs %lld bytes, more than can be allocated",
                                     g->tensors[items[i].id].name, (long long)items[i].size);
      free(items), free(item_of);
      return s;
    }
  int64_t arena_size = 0;
  enet_status planned = enet_plan_arena(items, n, &arena_size);
  if (planned != ENET_OK) {
    free(items), free(item_of);
    return planned;
  }
  enet_status s = ENET_OK;
  if ((uint64_t)arena_size > (uint64_t)SIZE_MAX - ENET_ALIGNMENT) {
    s = enet_set_error(ENET_ERROR_OUT_OF_MEMORY, "arena of %lld bytes is too large", (long long)arena_size);
  } else if ((size_t)arena_size > it->arena_capacity || !it->arena) {
    enet_aligned_free(it->arena);
    it->arena_capacity = 0;
    if (!(it->arena = enet_big_alloc((size_t)arena_size))) /* ENET_ALIGNMENT-aligned, never 0 bytes */
      s = enet_set_error(ENET_ERROR_OUT_OF_MEMORY, "out of memory allocating a %lld-byte arena", (long long)arena_size);
    else
      it->arena_capacity = (size_t)arena_size;
  }
  if (s == ENET_OK) {
    it->arena_size = (size_t)arena_size;
    for (int i = 0; i < n; i++) it->tensors[items[i].id].data = it->arena + items[i].offset;
  }
  free(items), free(item_of);
  return s;
}

/* ---- prepare -------------------------------------------------------------- */

static enet_status prepare_op(enet_interpreter* it, int index) {
  enet_op_context* ctx = &it->ops[index];
  const enet_op_registration* reg = enet_op_lookup(ctx->op->opcode);
  enet_aligned_free(ctx->state); /* from an earlier prepare (before a resize) */
  ctx->state = NULL;
  ctx->scratch_bytes = 0;
  ctx->fused_activation = 0;
  ctx->optimized = 0;
  ctx->kernel[0] = '\0';
  enet_status s = reg->prepare(ctx);
  for (int i = 0; s == ENET_OK && i < ctx->num_outputs; i++) {
    enet_rt_tensor* out = ctx->outputs[i];
    char inferred[ENET_SHAPE_STR_MAX], declared[ENET_SHAPE_STR_MAX];
    if (!shape_matches_declared(out))
      s = enet_set_error(ENET_ERROR_INVALID_MODEL, "output tensor '%s' has inferred shape %s but the file declares %s",
                         out->def->name, enet_format_shape(inferred, sizeof inferred, out->ndim, out->shape),
                         enet_format_shape(declared, sizeof declared, out->def->ndim, out->def->shape));
    else if (!enet_shape_bytes(out->ndim, out->shape, out->def->dtype, &out->bytes))
      s = enet_set_error(ENET_ERROR_INVALID_MODEL, "output tensor '%s' byte size overflows", out->def->name);
    else if (ctx->op->activation != ENET_Activation_NONE && !ctx->fused_activation &&
             out->def->dtype != ENET_DataType_FLOAT32)
      s = enet_set_error(ENET_ERROR_UNSUPPORTED, "fused activation on a %s output is not supported yet",
                         enet_dtype_name(out->def->dtype));
  }
  if (s != ENET_OK)
    enet_prefix_error("op %d '%s' (%s): ", index, ctx->op->name, enet_opcode_name(ctx->op->opcode));
  return s;
}

/* One scratch block for all ops, as large as the largest need (kept across re-prepares while it
 * is large enough). Zeroed when allocated, so no op ever reads uninitialized bytes. */
static enet_status plan_scratch(enet_interpreter* it) {
  size_t need = 0;
  for (int o = 0; o < it->graph->num_ops; o++)
    need = it->ops[o].scratch_bytes > need ? it->ops[o].scratch_bytes : need;
  if (need > it->scratch_capacity) {
    enet_aligned_free(it->scratch);
    it->scratch_capacity = 0;
    if (!(it->scratch = enet_big_alloc(need)))
      return enet_set_error(ENET_ERROR_OUT_OF_MEMORY, "out of memory allocating %zu bytes of scratch", need);
    memset(it->scratch, 0, need);
    it->scratch_capacity = need;
  }
  for (int o = 0; o < it->graph->num_ops; o++) it->ops[o].scratch = it->ops[o].scratch_bytes ? it->scratch : NULL;
  return ENET_OK;
}

/* Infers every shape and plans the arena; defers (prepared = 0) while a graph
 * input still has an unresolved dynamic dim. */
static enet_status prepare_all(enet_interpreter* it) {
  const enet_subgraph_def* g = it->graph;
  it->prepared = 0;
  it->invoked = 0;
  for (int i = 0; i < g->num_inputs; i++)
    if (has_unresolved_dims(&it->tensors[g->inputs[i]])) return ENET_OK;
  for (int o = 0; o < g->num_ops; o++) {
    enet_status s = prepare_op(it, o);
    if (s != ENET_OK) return s;
  }
  enet_status s = enet_states_check_shapes(g, it->tensors);
  if (s == ENET_OK) s = plan_memory(it);
  if (s == ENET_OK) s = plan_scratch(it);
  if (s == ENET_OK) it->prepared = 1;
  return s;
}

/* ---- create / free -------------------------------------------------------- */

void enet_interpreter_free(enet_interpreter* it) {
  if (!it) return;
  for (int o = 0; it->ops && it->graph && o < it->graph->num_ops; o++) {
    enet_aligned_free(it->ops[o].state);
    enet_interpreter_free(it->ops[o].bodies[0]); /* control-flow bodies (ops/control_flow.c) */
    enet_interpreter_free(it->ops[o].bodies[1]);
  }
  if (it->owns_threadpool) enet_threadpool_free(it->threadpool);
  for (int i = 0; it->owns_custom_ops && i < it->num_custom_ops; i++) free((char*)it->custom_ops[i].name);
  if (it->owns_custom_ops) free(it->custom_ops);
  enet_states_free(&it->states);
  free(it->op_ns);
  free(it->tensors);
  free(it->ops);
  free(it->slots);
  enet_aligned_free(it->arena);
  enet_aligned_free(it->scratch);
  free(it);
}

/* The kernel registered under a CUSTOM op's name, or an UNSUPPORTED error naming the op. */
static enet_status resolve_custom(enet_op_context* ctx, const enet_custom_op* ops, int n) {
  const char* name = ctx->op->options.custom.name;
  for (int i = 0; i < n; i++)
    if (strcmp(ops[i].name, name) == 0) {
      ctx->custom = &ops[i];
      return ENET_OK;
    }
  return enet_set_error(ENET_ERROR_UNSUPPORTED,
                        "custom op '%s' has no kernel: register one under that name in enet_options.custom_ops "
                        "(Python: Interpreter(..., custom_ops=...))", name);
}

/* An interpreter over model->subgraphs[subgraph]: its own thread pool when `pool` is NULL (the
 * main graph), else the given one (a control-flow body). Prepared when `prepare` is set. `custom`
 * is the main interpreter's (possibly NULL) array of custom kernels (num_custom entries). */
static enet_status create_interpreter(const enet_model* model, int subgraph, enet_threadpool* pool, int num_threads,
                                      enet_isa isa, int prepare, const enet_custom_op* custom, int num_custom,
                                      enet_interpreter** out_interpreter) {
  *out_interpreter = NULL;
  const enet_subgraph_def* g = &model->subgraphs[subgraph];
  size_t num_slots = 0;
  for (int o = 0; o < g->num_ops; o++) num_slots += (size_t)g->ops[o].num_inputs + (size_t)g->ops[o].num_outputs;

  enet_interpreter* it = calloc(1, sizeof *it);
  if (it) {
    it->tensors = calloc((size_t)g->num_tensors + 1, sizeof *it->tensors);
    it->ops = calloc((size_t)g->num_ops + 1, sizeof *it->ops);
    it->slots = calloc(num_slots + 1, sizeof *it->slots);
  }
  if (!it || !it->tensors || !it->ops || !it->slots) {
    enet_interpreter_free(it);
    return enet_set_error(ENET_ERROR_OUT_OF_MEMORY, "out of memory creating an interpreter");
  }
  it->model = model;
  it->graph = g;
  it->custom_ops = (enet_custom_op*)custom;
  it->num_custom_ops = num_custom;
  /* num_threads <= 0: one per core. Optimized kernels split their work over it. */
  it->owns_threadpool = pool == NULL;
  it->threadpool = pool ? pool : enet_threadpool_create(num_threads);
  if (!it->threadpool) {
    enet_interpreter_free(it);
    return enet_set_error(ENET_ERROR_OUT_OF_MEMORY, "out of memory creating the thread pool");
  }
  for (int t = 0; t < g->num_tensors; t++) {
    enet_rt_tensor* rt = &it->tensors[t];
    rt->def = &g->tensors[t];
    rt->ndim = rt->def->ndim;
    memcpy(rt->shape, rt->def->shape, sizeof rt->shape);
    if (rt->def->data) { /* constants are used in place */
      rt->data = (void*)rt->def->data;
      rt->bytes = rt->def->data_bytes;
    } else if (!has_unresolved_dims(rt)) {
      enet_shape_bytes(rt->ndim, rt->shape, rt->def->dtype, &rt->bytes); /* checked by the loader */
    }
  }
  enet_rt_tensor** slot = it->slots;
  for (int o = 0; o < g->num_ops; o++) {
    const enet_op_def* op = &g->ops[o];
    enet_op_context* ctx = &it->ops[o];
    ctx->op = op;
    ctx->model = model;
    ctx->isa = isa;
    ctx->threadpool = it->threadpool;
    ctx->custom_ops = custom;
    ctx->num_custom_ops = num_custom;
    ctx->num_inputs = op->num_inputs;
    ctx->num_outputs = op->num_outputs;
    ctx->inputs = slot;
    for (int i = 0; i < op->num_inputs; i++) *slot++ = op->inputs[i] >= 0 ? &it->tensors[op->inputs[i]] : NULL;
    ctx->outputs = slot;
    for (int i = 0; i < op->num_outputs; i++) *slot++ = &it->tensors[op->outputs[i]];
  }
  enet_status s = ENET_OK;
  for (int o = 0; s == ENET_OK && o < g->num_ops; o++)
    if (g->ops[o].opcode == ENET_OpCode_CUSTOM && (s = resolve_custom(&it->ops[o], custom, num_custom)) != ENET_OK)
      enet_prefix_error("op %d '%s' (CUSTOM): ", o, g->ops[o].name);
  if (s == ENET_OK) s = enet_states_create(&it->states, g, it->tensors);
  if (s == ENET_OK && prepare) s = prepare_all(it);
  if (s != ENET_OK) {
    enet_interpreter_free(it);
    return s;
  }
  *out_interpreter = it;
  return ENET_OK;
}

/* The interpreter's own copy of enet_options.custom_ops (the array and the names), checked. */
static enet_status copy_custom_ops(const enet_options* options, enet_custom_op** out) {
  *out = NULL;
  if (!options || options->num_custom_ops == 0) return ENET_OK;
  if (options->num_custom_ops < 0 || !options->custom_ops)
    return enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "enet_options: num_custom_ops %d with custom_ops %s",
                          options->num_custom_ops, options->custom_ops ? "set" : "NULL");
  int n = options->num_custom_ops;
  for (int i = 0; i < n; i++) {
    const enet_custom_op* op = &options->custom_ops[i];
    if (!op->name || !op->name[0] || !op->invoke)
      return enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "enet_options.custom_ops[%d]: %s", i,
                            !op->name || !op->name[0] ? "name is NULL or empty" : "invoke is NULL");
    for (int k = 0; k < i; k++)
      if (strcmp(options->custom_ops[k].name, op->name) == 0)
        return enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "enet_options.custom_ops: '%s' is registered twice",
                              op->name);
  }
  enet_custom_op* copy = calloc((size_t)n, sizeof *copy);
  if (!copy) return enet_set_error(ENET_ERROR_OUT_OF_MEMORY, "out of memory copying the custom ops");
  for (int i = 0; i < n; i++) {
    copy[i] = options->custom_ops[i];
    size_t len = strlen(copy[i].name) + 1;
    char* name = malloc(len);
    if (name) memcpy(name, options->custom_ops[i].name, len);
    copy[i].name = name;
    if (!name) {
      for (int k = 0; k < i; k++) free((char*)copy[k].name);
      free(copy);
      return enet_set_error(ENET_ERROR_OUT_OF_MEMORY, "out of memory copying the custom ops");
    }
  }
  *out = copy;
  return ENET_OK;
}

enet_status enet_interpreter_create(const enet_model* model, const enet_options* options,
                                    enet_interpreter** out_interpreter) {
  if (!model || !out_interpreter) return enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "model or out_interpreter is NULL");
  /* The kernel family, read once here (cpu.h reads EDGENET_KERNELS): every prepare and
   * invoke of this interpreter (and of its control-flow bodies) uses it, and invoke never
   * consults the environment. */
  *out_interpreter = NULL;
  enet_custom_op* custom = NULL;
  int num_custom = options ? options->num_custom_ops : 0;
  enet_status s = copy_custom_ops(options, &custom);
  if (s == ENET_OK)
    s = create_interpreter(model, 0, NULL, options ? options->num_threads : 0, enet_isa_selected(), 1, custom,
                           num_custom, out_interpreter);
  if (s != ENET_OK) {
    for (int i = 0; custom && i < num_custom; i++) free((char*)custom[i].name);
    free(custom);
    return s;
  }
  (*out_interpreter)->owns_custom_ops = 1;
  return ENET_OK;
}

/* ---- control-flow bodies (ops/control_flow.c) ------------------------------ */

enet_status enet_body_create(const enet_op_context* parent, int subgraph, enet_interpreter** out) {
  return create_interpreter(parent->model, subgraph, parent->threadpool, 0, parent->isa, 0, parent->custom_ops,
                            parent->num_custom_ops, out);
}

enet_status enet_body_prepare(enet_interpreter* body, enet_rt_tensor* const* shapes) {
  const enet_subgraph_def* g = body->graph;
  for (int i = 0; i < g->num_inputs; i++) {
    enet_rt_tensor* t = &body->tensors[g->inputs[i]];
    const enet_rt_tensor* from = shapes[i];
    char want[ENET_SHAPE_STR_MAX], got[ENET_SHAPE_STR_MAX];
    int ok = from->ndim == t->def->ndim;
    for (int d = 0; ok && d < from->ndim; d++) ok = t->def->shape[d] == -1 || t->def->shape[d] == from->shape[d];
    if (!ok)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "input %d '%s' gets shape %s but the subgraph declares %s", i,
                            t->def->name, enet_format_shape(got, sizeof got, from->ndim, from->shape),
                            enet_format_shape(want, sizeof want, t->def->ndim, t->def->shape));
    t->ndim = from->ndim;
    memcpy(t->shape, from->shape, sizeof t->shape);
    t->bytes = from->bytes; /* same dtype (the loader checks), so the same size */
  }
  return prepare_all(body);
}

enet_rt_tensor* enet_body_input(enet_interpreter* body, int i) { return &body->tensors[body->graph->inputs[i]]; }
enet_rt_tensor* enet_body_output(enet_interpreter* body, int i) { return &body->tensors[body->graph->outputs[i]]; }

/* ---- inputs and outputs --------------------------------------------------- */

int enet_interpreter_num_inputs(const enet_interpreter* it) { return it ? it->graph->num_inputs : 0; }
int enet_interpreter_num_outputs(const enet_interpreter* it) { return it ? it->graph->num_outputs : 0; }

static enet_status check_index(const enet_interpreter* it, int index, int count, const char* what) {
  if (!it) return enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "interpreter is NULL");
  if (index < 0 || index >= count)
    return enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "%s index %d out of range (model has %d)", what, index, count);
  return ENET_OK;
}

static void fill_info(const enet_rt_tensor* t, enet_tensor_info* info) {
  memset(info, 0, sizeof *info);
  info->name = t->def->name;
  info->dtype = (enet_dtype)t->def->dtype;
  info->ndim = t->ndim;
  memcpy(info->shape, t->shape, sizeof info->shape);
  info->bytes = t->bytes;
  info->num_quant = t->def->num_quant;
  info->scale = t->def->scale;
  info->zero_point = t->def->zero_point;
  info->quant_axis = t->def->quant_axis;
}

enet_status enet_interpreter_input_info(const enet_interpreter* it, int index, enet_tensor_info* out_info) {
  enet_status s = check_index(it, index, enet_interpreter_num_inputs(it), "input");
  if (s == ENET_OK && !out_info) s = enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "out_info is NULL");
  if (s == ENET_OK) fill_info(&it->tensors[it->graph->inputs[index]], out_info);
  return s;
}

enet_status enet_interpreter_output_info(const enet_interpreter* it, int index, enet_tensor_info* out_info) {
  enet_status s = check_index(it, index, enet_interpreter_num_outputs(it), "output");
  if (s == ENET_OK && !out_info) s = enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "out_info is NULL");
  if (s == ENET_OK) fill_info(&it->tensors[it->graph->outputs[index]], out_info);
  return s;
}

static int find_by_name(const enet_interpreter* it, const int* list, int count, const char* name) {
  if (!it || !name) return -1;
  for (int i = 0; i < count; i++)
    if (strcmp(it->graph->tensors[list[i]].name, name) == 0) return i;
  return -1;
}

int enet_interpreter_input_index(const enet_interpreter* it, const char* name) {
  return it ? find_by_name(it, it->graph->inputs, it->graph->num_inputs, name) : -1;
}

int enet_interpreter_output_index(const enet_interpreter* it, const char* name) {
  return it ? find_by_name(it, it->graph->outputs, it->graph->num_outputs, name) : -1;
}

enet_status enet_interpreter_resize_input(enet_interpreter* it, int index, int ndim, const int64_t* shape) {
  enet_status s = check_index(it, index, enet_interpreter_num_inputs(it), "input");
  if (s != ENET_OK) return s;
  enet_rt_tensor* t = &it->tensors[it->graph->inputs[index]];
  const enet_tensor_def* def = t->def;
  char want[ENET_SHAPE_STR_MAX], got[ENET_SHAPE_STR_MAX];
  int ok = ndim == def->ndim && (shape || ndim == 0);
  for (int d = 0; ok && d < ndim; d++)
    ok = shape[d] >= 0 && (def->shape[d] == -1 || def->shape[d] == shape[d]);
  if (!ok)
    return enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "input %d '%s': cannot resize to %s; the model declares %s "
                          "(only -1 dims may change)", index, def->name,
                          shape ? enet_format_shape(got, sizeof got, ndim, shape) : "NULL",
                          enet_format_shape(want, sizeof want, def->ndim, def->shape));
  size_t bytes;
  if (!enet_shape_bytes(ndim, shape, def->dtype, &bytes))
    return enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "input %d '%s': shape %s is too large", index, def->name,
                          enet_format_shape(got, sizeof got, ndim, shape));
  for (int d = 0; d < ndim; d++) t->shape[d] = shape[d];
  t->bytes = bytes;
  return prepare_all(it);
}

/* Explains why the interpreter cannot run yet. */
static enet_status not_prepared(const enet_interpreter* it) {
  for (int i = 0; i < it->graph->num_inputs; i++) {
    const enet_rt_tensor* t = &it->tensors[it->graph->inputs[i]];
    char s[ENET_SHAPE_STR_MAX];
    if (has_unresolved_dims(t))
      return enet_set_error(ENET_ERROR_INVALID_STATE,
                            "input %d '%s' has dynamic shape %s; call enet_interpreter_resize_input first", i,
                            t->def->name, enet_format_shape(s, sizeof s, t->ndim, t->shape));
  }
  return enet_set_error(ENET_ERROR_INVALID_STATE, "interpreter is not prepared (the last resize failed)");
}

enet_status enet_interpreter_set_input(enet_interpreter* it, int index, const void* data, size_t bytes) {
  enet_status s = check_index(it, index, enet_interpreter_num_inputs(it), "input");
  if (s != ENET_OK) return s;
  if (!it->prepared) return not_prepared(it);
  enet_rt_tensor* t = &it->tensors[it->graph->inputs[index]];
  if (bytes != t->bytes) {
    char shape[ENET_SHAPE_STR_MAX];
    return enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "input %d '%s': got %zu bytes, expected %zu for %s shape %s",
                          index, t->def->name, bytes, t->bytes, enet_dtype_name(t->def->dtype),
                          enet_format_shape(shape, sizeof shape, t->ndim, t->shape));
  }
  if (bytes && !data) return enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "input %d: data is NULL", index);
  if (bytes) memcpy(t->data, data, bytes);
  it->invoked = 0;
  return ENET_OK;
}

void* enet_interpreter_input_data(enet_interpreter* it, int index) {
  if (check_index(it, index, enet_interpreter_num_inputs(it), "input") != ENET_OK || !it->prepared) return NULL;
  it->invoked = 0; /* the caller is about to write new input data */
  return it->tensors[it->graph->inputs[index]].data;
}

const void* enet_interpreter_output_data(const enet_interpreter* it, int index) {
  if (check_index(it, index, enet_interpreter_num_outputs(it), "output") != ENET_OK || !it->prepared) return NULL;
  return it->tensors[it->graph->outputs[index]].data;
}

enet_status enet_interpreter_get_output(const enet_interpreter* it, int index, void* data, size_t bytes) {
  enet_status s = check_index(it, index, enet_interpreter_num_outputs(it), "output");
  if (s != ENET_OK) return s;
  if (!it->invoked) return enet_set_error(ENET_ERROR_INVALID_STATE, "output %d read before a successful invoke", index);
  const enet_rt_tensor* t = &it->tensors[it->graph->outputs[index]];
  if (bytes != t->bytes)
    return enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "output %d '%s': buffer has %zu bytes, expected %zu", index,
                          t->def->name, bytes, t->bytes);
  if (bytes && !data) return enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "output %d: data is NULL", index);
  if (bytes) memcpy(data, t->data, bytes);
  return ENET_OK;
}

size_t enet_interpreter_arena_size(const enet_interpreter* it) { return it && it->prepared ? it->arena_size : 0; }

/* ---- invoke --------------------------------------------------------------- */

/* The fused activation, applied in place to the op's float output. */
static void apply_activation(int activation, enet_rt_tensor* out) {
  int64_t n = 1;
  for (int d = 0; d < out->ndim; d++) n *= out->shape[d];
  if (activation == ENET_Activation_RELU) enet_ref_unary_f32(ENET_UNARY_RELU, n, out->data, out->data);
  if (activation == ENET_Activation_RELU6) enet_ref_unary_f32(ENET_UNARY_RELU6, n, out->data, out->data);
}

static void run_op(const enet_op_context* ctx) {
  /* Outputs with no elements: nothing to compute. Kernels would still loop over the other
   * dims, which a hostile file can make huge around a 0 dim (hours, or an int64 overflow). */
  size_t out_bytes = 0;
  for (int i = 0; i < ctx->num_outputs; i++) out_bytes |= ctx->outputs[i]->bytes;
  if (out_bytes == 0) return;
  enet_op_lookup(ctx->op->opcode)->invoke(ctx);
  if (ctx->op->activation != ENET_Activation_NONE && !ctx->fused_activation) apply_activation(ctx->op->activation, ctx->outputs[0]);
}

static uint64_t now_ns(void) { return enet_monotonic_ns(); } /* portable.h */

/* An op that found bad run-time data (enet_fail_invoke) stops the run. */
static enet_status op_failure(enet_interpreter* it, int o) {
  enet_status s = enet_take_invoke_failure();
  if (s != ENET_OK) {
    const enet_op_def* op = it->ops[o].op;
    enet_prefix_error("op %d '%s' (%s): ", o, op->name, enet_opcode_name(op->opcode));
    it->invoked = 0;
  }
  return s;
}

enet_status enet_interpreter_invoke(enet_interpreter* it) {
  if (!it) return enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "interpreter is NULL");
  if (!it->prepared) return not_prepared(it);
  enet_take_invoke_failure(); /* start clean */
  if (it->profiling) { /* a separate loop, so the normal path has no clock calls */
    uint64_t start = now_ns();
    for (int o = 0; o < it->graph->num_ops; o++) {
      run_op(&it->ops[o]);
      uint64_t end = now_ns();
      it->op_ns[o] += end - start;
      start = end; /* the next op's clock starts where this one stopped: op times sum to the invoke */
      enet_status s = op_failure(it, o);
      if (s != ENET_OK) return s;
    }
    it->profiled_invokes++;
  } else {
    for (int o = 0; o < it->graph->num_ops; o++) {
      run_op(&it->ops[o]);
      enet_status s = op_failure(it, o);
      if (s != ENET_OK) return s;
    }
  }
  enet_states_commit(&it->states, it->graph, it->tensors);
  it->invoked = 1;
  return ENET_OK;
}

enet_status enet_interpreter_reset_state(enet_interpreter* it) {
  if (!it) return enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "interpreter is NULL");
  enet_states_reset(it->graph, it->tensors);
  return ENET_OK;
}

/* ---- profiling ------------------------------------------------------------ */

int enet_interpreter_num_ops(const enet_interpreter* it) { return it ? it->graph->num_ops : 0; }

enet_status enet_interpreter_set_profiling(enet_interpreter* it, int enable) {
  if (!it) return enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "interpreter is NULL");
  if (enable && !it->op_ns) {
    it->op_ns = calloc((size_t)it->graph->num_ops + 1, sizeof *it->op_ns);
    if (!it->op_ns) return enet_set_error(ENET_ERROR_OUT_OF_MEMORY, "out of memory for the profile");
  }
  if (enable) { /* (re)start from zero */
    memset(it->op_ns, 0, (size_t)it->graph->num_ops * sizeof *it->op_ns);
    it->profiled_invokes = 0;
  }
  it->profiling = enable != 0;
  return ENET_OK;
}

enet_status enet_interpreter_profile(const enet_interpreter* it, int index, enet_op_profile* out) {
  enet_status s = check_index(it, index, enet_interpreter_num_ops(it), "op");
  if (s == ENET_OK && !out) s = enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "out is NULL");
  if (s != ENET_OK) return s;
  const enet_op_context* ctx = &it->ops[index];
  memset(out, 0, sizeof *out);
  out->opcode = enet_opcode_name(ctx->op->opcode);
  out->name = ctx->op->name;
  if (ctx->num_outputs > 0) {
    out->ndim = ctx->outputs[0]->ndim;
    memcpy(out->shape, ctx->outputs[0]->shape, sizeof out->shape);
  }
  out->kernel = ctx->kernel[0] ? ctx->kernel : ctx->optimized ? enet_isa_name(ctx->isa) : "reference";
  out->total_ns = it->op_ns ? it->op_ns[index] : 0;
  out->invokes = it->op_ns ? it->profiled_invokes : 0;
  return ENET_OK;
}
