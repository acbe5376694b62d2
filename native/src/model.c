/*
 * model.c — loading and verifying a model file.
 *
 * The file is untrusted. Loading decodes the whole flatbuffer into the plain
 * structs of internal.h through the bounds-checked reader, and checks every
 * index, count, dtype, shape and buffer range on the way, so the interpreter
 * and kernels can trust what they get. Any failure frees everything and
 * returns ENET_ERROR_INVALID_MODEL (or UNSUPPORTED) with a message naming the
 * offending tensor / op / buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "fb_reader.h"
#include "internal.h"

#if defined(_WIN32)
#include <stdio.h>
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

/* Returns from the enclosing function when a reader call reports a malformed buffer. */
#define TRY_FB(call)                                 \
  do {                                               \
    if ((call) < 0) return ENET_ERROR_INVALID_MODEL; \
  } while (0)
#define TRY(call)                       \
  do {                                  \
    enet_status s_ = (call);            \
    if (s_ != ENET_OK) return s_;       \
  } while (0)

/* calloc that turns a failure into a status; n == 0 still returns a valid pointer. */
static enet_status alloc_array(void** out, size_t n, size_t elem) {
  *out = calloc(n ? n : 1, elem);
  if (!*out) return enet_set_error(ENET_ERROR_OUT_OF_MEMORY, "out of memory allocating %zu x %zu bytes", n, elem);
  return ENET_OK;
}

/* Byte ranges of Model.buffers, checked against the file once. */
typedef struct buffer_range {
  uint64_t offset, size;
} buffer_range;

typedef struct loader {
  enet_model* model;
  unsigned flags; /* ENET_LOAD_* */
  int num_buffers;
  buffer_range* buffers;
} loader;

/* Reads an [int] vector of at most `max_len` entries into a new array. */
static enet_status read_int_vector(const fb_table* t, int slot, uint32_t max_len, const char* what, int** out,
                                   int* out_len) {
  fb_vector v;
  TRY_FB(fb_get_vector(t, slot, 4, &v));
  if (v.len > max_len)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "%s has %u entries, at most %u allowed", what, v.len, max_len);
  TRY(alloc_array((void**)out, v.len, sizeof(int)));
  for (uint32_t i = 0; i < v.len; i++) {
    int32_t x;
    TRY_FB(fb_vec_i32(&v, i, &x));
    (*out)[i] = x;
  }
  *out_len = (int)v.len;
  return ENET_OK;
}

/* Reads a small [int] vector (shape, axes, perm, paddings) into a fixed array. */
static enet_status read_small_vector(const fb_table* t, int slot, int max_len, const char* what, int64_t* out,
                                     int* out_len) {
  fb_vector v;
  TRY_FB(fb_get_vector(t, slot, 4, &v));
  if (v.len > (uint32_t)max_len)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "%s has %u entries, at most %d allowed", what, v.len, max_len);
  for (uint32_t i = 0; i < v.len; i++) {
    int32_t x;
    TRY_FB(fb_vec_i32(&v, i, &x));
    out[i] = x;
  }
  *out_len = (int)v.len;
  return ENET_OK;
}

static enet_status read_quantization(const fb_table* t, enet_tensor_def* tensor) {
  fb_table q;
  fb_vector scale, zp;
  int r = fb_get_table(t, ENET_Tensor_quantization, &q);
  TRY_FB(r);
  if (r == 0) return ENET_OK;
  TRY_FB(fb_get_vector(&q, ENET_QuantizationParameters_scale, 4, &scale));
  TRY_FB(fb_get_vector(&q, ENET_QuantizationParameters_zero_point, 8, &zp));
  int zero_points_stored = zp.len > 0; /* absent or empty: all zero (symmetric, the lean form of format v2) */
  int32_t axis;
  TRY_FB(fb_get_i32(&q, ENET_QuantizationParameters_axis, ENET_QuantizationParameters_axis_DEFAULT, &axis));
  if (scale.len == 0 && zp.len == 0) return ENET_OK; /* an empty table means "not quantized" */
  if (zero_points_stored && scale.len != zp.len)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "quantization has %u scales but %u zero points", scale.len,
                          zp.len);
  if (scale.len > 1) {
    if (axis < 0 || axis >= tensor->ndim)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "quantization axis %d out of range for rank %d", axis,
                            tensor->ndim);
    if (tensor->shape[axis] >= 0 && (int64_t)scale.len != tensor->shape[axis])
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "quantization has %u scales but dim %d is %lld", scale.len,
                            axis, (long long)tensor->shape[axis]);
  }
  TRY(alloc_array((void**)&tensor->scale, scale.len, sizeof(float)));
  TRY(alloc_array((void**)&tensor->zero_point, scale.len, sizeof(int64_t))); /* zeroed */
  for (uint32_t i = 0; i < scale.len; i++) {
    TRY_FB(fb_vec_f32(&scale, i, &tensor->scale[i]));
    if (zero_points_stored) TRY_FB(fb_vec_i64(&zp, i, &tensor->zero_point[i]));
    if (!(tensor->scale[i] > 0.0f) || tensor->scale[i] != tensor->scale[i] || tensor->scale[i] > 3.4e38f)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "quantization scale[%u] = %g is not a positive finite number",
                            i, (double)tensor->scale[i]);
    /* A zero point is a value of the tensor's own dtype. */
    int64_t zp_min = INT64_MIN, zp_max = INT64_MAX;
    if (tensor->dtype == ENET_DataType_INT8) zp_min = -128, zp_max = 127;
    if (tensor->dtype == ENET_DataType_UINT8) zp_min = 0, zp_max = 255;
    if (tensor->dtype == ENET_DataType_INT16) zp_min = INT16_MIN, zp_max = INT16_MAX;
    if (tensor->dtype == ENET_DataType_INT32) zp_min = INT32_MIN, zp_max = INT32_MAX;
    if (tensor->zero_point[i] < zp_min || tensor->zero_point[i] > zp_max)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "quantization zero_point[%u] = %lld is out of range for %s", i,
                            (long long)tensor->zero_point[i], enet_dtype_name(tensor->dtype));
  }
  tensor->num_quant = (int)scale.len;
  tensor->quant_axis = axis;
  return ENET_OK;
}

static enet_status read_tensor(const loader* ld, const fb_table* t, enet_tensor_def* tensor) {
  uint32_t name_len;
  int8_t dtype;
  int32_t buffer;
  TRY_FB(fb_get_string(t, ENET_Tensor_name, &tensor->name, &name_len));
  TRY(read_small_vector(t, ENET_Tensor_shape, ENET_MAX_DIMS, "shape", tensor->shape, &tensor->ndim));
  TRY_FB(fb_get_i8(t, ENET_Tensor_dtype, ENET_Tensor_dtype_DEFAULT, &dtype));
  TRY_FB(fb_get_i32(t, ENET_Tensor_buffer, ENET_Tensor_buffer_DEFAULT, &buffer));
  if (dtype < 0 || dtype >= ENET_DataType_COUNT)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "unknown dtype %d", dtype);
  tensor->dtype = dtype;
  tensor->buffer = buffer;

  /* Dims are >= 0 or -1 (dynamic); even with dynamic dims counted as 1 the element
   * count must not overflow. */
  int64_t known[ENET_MAX_DIMS];
  for (int d = 0; d < tensor->ndim; d++) {
    if (tensor->shape[d] < -1)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "shape dim %d is %lld (only -1 may be negative)", d,
                            (long long)tensor->shape[d]);
    known[d] = tensor->shape[d] < 0 ? 1 : tensor->shape[d];
  }
  size_t bytes;
  if (!enet_shape_bytes(tensor->ndim, known, tensor->dtype, &bytes))
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "shape element count overflows");

  if (buffer != -1) {
    if (buffer < 0 || buffer >= ld->num_buffers)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "buffer index %d out of range (model has %d buffers)", buffer,
                            ld->num_buffers);
    for (int d = 0; d < tensor->ndim; d++)
      if (tensor->shape[d] < 0)
        return enet_set_error(ENET_ERROR_INVALID_MODEL, "constant tensor has a dynamic dim %d", d);
    const buffer_range* b = &ld->buffers[buffer];
    if (b->size != (uint64_t)bytes)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "buffer %d holds %llu bytes but shape needs %zu", buffer,
                            (unsigned long long)b->size, bytes);
    tensor->data = ld->model->data + b->offset;
    tensor->data_bytes = bytes;
  }
  return read_quantization(t, tensor);
}

/* Where a tensor comes from, to check that the graph is in topological order. */
enum { SRC_NONE = 0, SRC_GRAPH_INPUT, SRC_CONSTANT, SRC_OP_OUTPUT, SRC_STATE };

/* Parameters are constants: each input whose data the op's prepare reads (registry
 * const_inputs, plus const_inputs_int8 for an int8 node, as enet_is_int8_op decides at
 * prepare) must be a constant tensor. Run after the op's inputs and outputs are checked,
 * so every input is a graph input, a constant or an earlier op's output. */
static enet_status check_const_inputs(const enet_subgraph_def* g, const enet_op_def* op,
                                      const enet_op_registration* reg, const uint8_t* source) {
  int int8 = (op->num_inputs > 0 && op->inputs[0] >= 0 && g->tensors[op->inputs[0]].dtype == ENET_DataType_INT8) ||
             (op->num_outputs > 0 && g->tensors[op->outputs[0]].dtype == ENET_DataType_INT8);
  unsigned must = reg->const_inputs | (int8 ? reg->const_inputs_int8 : 0u);
  for (int i = 0; i < op->num_inputs && i < 32; i++) {
    int x = op->inputs[i];
    if (!(must & (1u << i)) || x < 0 || source[x] == SRC_CONSTANT) continue;
    char role[48] = "", origin[64] = "a graph input";
    for (int k = 0; reg->input_names && reg->input_names[k]; k++)
      if (k == i) snprintf(role, sizeof role, " (%s)", reg->input_names[k]);
    for (const enet_op_def* p = g->ops; source[x] == SRC_OP_OUTPUT && p < op; p++) /* the ops before are decoded */
      for (int k = 0; k < p->num_outputs; k++)
        if (p->outputs[k] == x)
          snprintf(origin, sizeof origin, "the output of op %d (%s)", (int)(p - g->ops), enet_opcode_name(p->opcode));
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "input %d%s must be a constant tensor, but tensor %d '%s' is %s", i,
                          role, x, g->tensors[x].name, origin);
  }
  return ENET_OK;
}

static enet_status read_operator(const enet_subgraph_def* g, const fb_table* t, enet_op_def* op, uint8_t* source) {
  uint16_t opcode;
  uint8_t options_type;
  int8_t activation;
  uint32_t name_len;
  TRY_FB(fb_get_string(t, ENET_Operator_name, &op->name, &name_len));
  TRY_FB(fb_get_u16(t, ENET_Operator_opcode, 0, &opcode));
  op->opcode = opcode;
  const enet_op_registration* reg = enet_op_lookup(opcode);
  if (!reg) return enet_set_error(ENET_ERROR_UNSUPPORTED, "unknown opcode %u", opcode);
  TRY(read_int_vector(t, ENET_Operator_inputs, 1u << 20, "inputs", &op->inputs, &op->num_inputs));
  TRY(read_int_vector(t, ENET_Operator_outputs, 1u << 20, "outputs", &op->outputs, &op->num_outputs));
  if (reg->max_inputs < 0 && op->num_inputs < reg->min_inputs) /* CONCAT: any number from min_inputs */
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "%s needs %d or more inputs, got %d", enet_opcode_name(opcode),
                          reg->min_inputs, op->num_inputs);
  if (op->num_inputs < reg->min_inputs || (reg->max_inputs >= 0 && op->num_inputs > reg->max_inputs))
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "%s takes %d..%d inputs, got %d", enet_opcode_name(opcode),
                          reg->min_inputs, reg->max_inputs, op->num_inputs);
  if (reg->num_outputs >= 0 ? op->num_outputs != reg->num_outputs : op->num_outputs < 1)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "%s has %d outputs, got %d", enet_opcode_name(opcode),
                          reg->num_outputs, op->num_outputs);

  /* Every input must already exist: a graph input, a constant or an earlier op's output. */
  for (int i = 0; i < op->num_inputs; i++) {
    int x = op->inputs[i];
    if (x == -1 && i < 32 && (reg->optional_inputs & (1u << i))) continue;
    if (x < 0 || x >= g->num_tensors)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "input %d: tensor index %d out of range (subgraph has %d)", i, x,
                            g->num_tensors);
    if (source[x] == SRC_NONE)
      return enet_set_error(ENET_ERROR_INVALID_MODEL,
                            "input %d: tensor %d '%s' is used before any op produces it (ops not in topological order)",
                            i, x, g->tensors[x].name);
  }
  for (int i = 0; i < op->num_outputs; i++) {
    int x = op->outputs[i];
    if (x < 0 || x >= g->num_tensors)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "output %d: tensor index %d out of range (subgraph has %d)", i,
                            x, g->num_tensors);
    if (source[x] == SRC_STATE)
      return enet_set_error(ENET_ERROR_INVALID_MODEL,
                            "output %d: tensor %d '%s' is a state variable (ops read states; the state table assigns "
                            "them)", i, x, g->tensors[x].name);
    if (source[x] != SRC_NONE)
      return enet_set_error(ENET_ERROR_INVALID_MODEL,
                            "output %d: tensor %d '%s' is already a graph input, a constant or another op's output", i,
                            x, g->tensors[x].name);
    source[x] = SRC_OP_OUTPUT;
  }
  TRY(check_const_inputs(g, op, reg, source));

  TRY_FB(fb_get_u8(t, ENET_Operator_options_type, ENET_OperatorOptions_NONE, &options_type));
  if (options_type != ENET_OperatorOptions_NONE && options_type != reg->options_type)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "options type %u does not match opcode %s (expects %d)",
                          options_type, enet_opcode_name(opcode), reg->options_type);
  fb_table options;
  int present = 0;
  if (options_type != ENET_OperatorOptions_NONE) TRY_FB(present = fb_get_table(t, ENET_Operator_options, &options));
  /* Generated reader (options_generated.c), then the range checks of the op's family. */
  TRY(enet_read_op_options(reg->options_type, present ? &options : NULL, &op->options));
  TRY(enet_check_op_options(reg->options_type, &op->options));

  TRY_FB(fb_get_i8(t, ENET_Operator_activation, ENET_Operator_activation_DEFAULT, &activation));
  if (activation < 0 || activation >= ENET_Activation_COUNT)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "unknown fused activation %d", activation);
  op->activation = activation;
  int8_t requantization;
  TRY_FB(fb_get_i8(t, ENET_Operator_requantization, ENET_Operator_requantization_DEFAULT, &requantization));
  if (requantization < 0 || requantization >= ENET_Requantization_COUNT)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "unknown requantization %d", requantization);
  op->requantization = requantization;
  int8_t hybrid;
  TRY_FB(fb_get_i8(t, ENET_Operator_hybrid_quantization, ENET_Operator_hybrid_quantization_DEFAULT, &hybrid));
  if (hybrid < 0 || hybrid >= ENET_HybridQuantization_COUNT)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "unknown hybrid_quantization %d", hybrid);
  op->hybrid_quantization = hybrid;
  return ENET_OK;
}

/* ---- state variables (schema StateVariable) ---- */

static int same_quantization(const enet_tensor_def* a, const enet_tensor_def* b) {
  if (a->num_quant != b->num_quant || (a->num_quant > 1 && a->quant_axis != b->quant_axis)) return 0;
  for (int i = 0; i < a->num_quant; i++)
    if (a->scale[i] != b->scale[i] || a->zero_point[i] != b->zero_point[i]) return 0;
  return 1;
}

/* `other` (the initial value or the assigned tensor) must match the state's dtype, quantization and
 * shape; a -1 dim of `other` is resolved at prepare (state.c checks it again then). */
static enet_status check_state_match(const enet_subgraph_def* g, int k, const char* role, int x) {
  const enet_tensor_def* state = &g->tensors[g->states[k].tensor];
  const enet_tensor_def* other = &g->tensors[x];
  int same_shape = other->ndim == state->ndim;
  for (int d = 0; same_shape && d < state->ndim; d++)
    same_shape = other->shape[d] == -1 || other->shape[d] == state->shape[d];
  char a[ENET_SHAPE_STR_MAX], b[ENET_SHAPE_STR_MAX];
  if (other->dtype != state->dtype)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "state %d '%s': %s tensor %d '%s' is %s, the state is %s", k,
                          state->name, role, x, other->name, enet_dtype_name(other->dtype),
                          enet_dtype_name(state->dtype));
  if (!same_shape)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "state %d '%s': %s tensor %d '%s' has shape %s, the state %s", k,
                          state->name, role, x, other->name, enet_format_shape(a, sizeof a, other->ndim, other->shape),
                          enet_format_shape(b, sizeof b, state->ndim, state->shape));
  if (!same_quantization(state, other))
    return enet_set_error(ENET_ERROR_INVALID_MODEL,
                          "state %d '%s': %s tensor %d '%s' has other quantization parameters than the state", k,
                          state->name, role, x, other->name);
  return ENET_OK;
}

/* Reads SubGraph.states before the operators: each state tensor is marked SRC_STATE, so ops may
 * read it and none may produce it. The assigned tensors are checked after the operators. */
static enet_status read_states(const fb_table* t, enet_subgraph_def* g, int main_graph, uint8_t* source) {
  fb_vector states;
  TRY_FB(fb_get_vector(t, ENET_SubGraph_states, 4, &states));
  if (states.len == 0) return ENET_OK;
  if (!main_graph)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "only the main subgraph may have state variables (this one has %u)",
                          states.len);
  if (states.len > (uint32_t)g->num_tensors)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "%u state variables but only %d tensors", states.len,
                          g->num_tensors);
  TRY(alloc_array((void**)&g->states, states.len, sizeof(enet_state_def)));
  g->num_states = (int)states.len;
  for (int k = 0; k < g->num_states; k++) {
    fb_table st;
    int32_t x, init, assigned;
    TRY_FB(fb_vec_table(&states, (uint32_t)k, &st));
    TRY_FB(fb_get_i32(&st, ENET_StateVariable_tensor, ENET_StateVariable_tensor_DEFAULT, &x));
    TRY_FB(fb_get_i32(&st, ENET_StateVariable_initial_value, ENET_StateVariable_initial_value_DEFAULT, &init));
    TRY_FB(fb_get_i32(&st, ENET_StateVariable_assigned, ENET_StateVariable_assigned_DEFAULT, &assigned));
    g->states[k] = (enet_state_def){x, init, assigned};
    static const char* const what[] = {"", "a graph input", "a constant", "an op output",
                                       "already a state (two entries would assign it twice)"};
    if (x < 0 || x >= g->num_tensors)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "state %d: tensor index %d out of range (subgraph has %d)", k, x,
                            g->num_tensors);
    if (source[x] != SRC_NONE)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "state %d: tensor %d '%s' is %s", k, x, g->tensors[x].name,
                            what[source[x]]);
    const enet_tensor_def* state = &g->tensors[x];
    for (int d = 0; d < state->ndim; d++)
      if (state->shape[d] < 0)
        return enet_set_error(ENET_ERROR_INVALID_MODEL, "state %d '%s': dim %d is dynamic; states have static shapes",
                              k, state->name, d);
    source[x] = SRC_STATE;
    if (init < 0 || init >= g->num_tensors)
      return enet_set_error(ENET_ERROR_INVALID_MODEL,
                            "state %d '%s': initial value tensor index %d out of range (subgraph has %d)", k,
                            state->name, init, g->num_tensors);
    if (source[init] != SRC_CONSTANT)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "state %d '%s': initial value tensor %d '%s' is not a constant",
                            k, state->name, init, g->tensors[init].name);
    TRY(check_state_match(g, k, "initial value", init));
  }
  return ENET_OK;
}

/* After the operators: each assigned value exists (a graph input, constant, op output or state). */
static enet_status check_state_assignments(const enet_subgraph_def* g, const uint8_t* source) {
  for (int k = 0; k < g->num_states; k++) {
    int x = g->states[k].assigned;
    const char* name = g->tensors[g->states[k].tensor].name;
    if (x == -1) continue;
    if (x < 0 || x >= g->num_tensors)
      return enet_set_error(ENET_ERROR_INVALID_MODEL,
                            "state %d '%s': assigned tensor index %d out of range (subgraph has %d)", k, name, x,
                            g->num_tensors);
    if (source[x] == SRC_NONE)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "state %d '%s': assigned tensor %d '%s' is never produced", k,
                            name, x, g->tensors[x].name);
    TRY(check_state_match(g, k, "assigned", x));
  }
  return ENET_OK;
}

static enet_status read_subgraph(const loader* ld, const fb_table* t, enet_subgraph_def* g, int main_graph) {
  uint32_t name_len;
  fb_vector tensors, ops;
  TRY_FB(fb_get_string(t, ENET_SubGraph_name, &g->name, &name_len));
  TRY_FB(fb_get_vector(t, ENET_SubGraph_tensors, 4, &tensors));
  TRY_FB(fb_get_vector(t, ENET_SubGraph_operators, 4, &ops));
  if (tensors.len > (1u << 24) || ops.len > (1u << 24))
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "%u tensors / %u operators is more than supported", tensors.len,
                          ops.len);

  TRY(alloc_array((void**)&g->tensors, tensors.len, sizeof(enet_tensor_def)));
  g->num_tensors = (int)tensors.len;
  for (uint32_t i = 0; i < tensors.len; i++) {
    fb_table tt;
    enet_tensor_def* tensor = &g->tensors[i];
    tensor->name = "";
    tensor->buffer = -1;
    enet_status s = fb_vec_table(&tensors, i, &tt) < 0 ? ENET_ERROR_INVALID_MODEL : read_tensor(ld, &tt, tensor);
    if (s != ENET_OK) {
      enet_prefix_error("tensor %u '%s': ", i, tensor->name);
      return s;
    }
  }

  uint8_t* source;
  TRY(alloc_array((void**)&source, tensors.len, 1));
  enet_status s = ENET_OK;
  for (int i = 0; i < g->num_tensors; i++)
    if (g->tensors[i].buffer >= 0) source[i] = SRC_CONSTANT;

  s = read_int_vector(t, ENET_SubGraph_inputs, tensors.len, "inputs", &g->inputs, &g->num_inputs);
  for (int i = 0; s == ENET_OK && i < g->num_inputs; i++) {
    int x = g->inputs[i];
    if (x < 0 || x >= g->num_tensors)
      s = enet_set_error(ENET_ERROR_INVALID_MODEL, "graph input %d: tensor index %d out of range (subgraph has %d)", i,
                         x, g->num_tensors);
    else if (source[x] != SRC_NONE)
      s = enet_set_error(ENET_ERROR_INVALID_MODEL, "graph input %d: tensor %d '%s' is a constant or listed twice", i,
                         x, g->tensors[x].name);
    else
      source[x] = SRC_GRAPH_INPUT;
  }
  if (s == ENET_OK) s = read_states(t, g, main_graph, source);

  if (s == ENET_OK) {
    s = alloc_array((void**)&g->ops, ops.len, sizeof(enet_op_def));
    if (s == ENET_OK) g->num_ops = (int)ops.len;
  }
  for (uint32_t i = 0; s == ENET_OK && i < ops.len; i++) {
    fb_table ot;
    enet_op_def* op = &g->ops[i];
    op->name = "";
    s = fb_vec_table(&ops, i, &ot) < 0 ? ENET_ERROR_INVALID_MODEL : read_operator(g, &ot, op, source);
    if (s != ENET_OK) enet_prefix_error("op %u '%s' (%s): ", i, op->name, enet_opcode_name(op->opcode));
  }

  if (s == ENET_OK) s = check_state_assignments(g, source);
  if (s == ENET_OK) s = read_int_vector(t, ENET_SubGraph_outputs, tensors.len, "outputs", &g->outputs, &g->num_outputs);
  for (int i = 0; s == ENET_OK && i < g->num_outputs; i++) {
    int x = g->outputs[i];
    if (x < 0 || x >= g->num_tensors)
      s = enet_set_error(ENET_ERROR_INVALID_MODEL, "graph output %d: tensor index %d out of range (subgraph has %d)",
                         i, x, g->num_tensors);
    else if (source[x] == SRC_NONE)
      s = enet_set_error(ENET_ERROR_INVALID_MODEL, "graph output %d: tensor %d '%s' is never produced", i, x,
                         g->tensors[x].name);
  }
  free(source);
  return s;
}

/* Format version 2 and later end with the checksum trailer (checksum.h). Checks
 * it (unless the caller opted out) and shrinks *size to the bytes before it, so
 * nothing else may point into the trailer. */
static enet_status check_trailer(const enet_model* m, unsigned flags, size_t* size) {
  const uint8_t* trailer = m->data + m->size - ENET_CHECKSUM_TRAILER_SIZE;
  if (m->size < ENET_CHECKSUM_TRAILER_SIZE + 8 || memcmp(trailer + 4, ENET_CHECKSUM_TAG, 4) != 0)
    return enet_set_error(ENET_ERROR_INVALID_MODEL,
                          "model file is corrupted (format version %u must end with the checksum trailer \"%s\"; "
                          "truncated?)",
                          m->version, ENET_CHECKSUM_TAG);
  *size = m->size - ENET_CHECKSUM_TRAILER_SIZE;
  if (flags & ENET_LOAD_SKIP_CHECKSUM) return ENET_OK;
  uint32_t stored = (uint32_t)trailer[0] | (uint32_t)trailer[1] << 8 | (uint32_t)trailer[2] << 16 |
                    (uint32_t)trailer[3] << 24;
  if (enet_crc32c(m->data, *size) != stored)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "model file is corrupted (checksum mismatch)");
  return ENET_OK;
}

static enet_status read_model(loader* ld) {
  enet_model* m = ld->model;
  fb_buffer buf = {m->data, m->size};
  fb_table root;
  TRY_FB(fb_root(&buf, ENET_FILE_IDENTIFIER, &root));

  TRY_FB(fb_get_u32(&root, ENET_Model_version, 0, &m->version));
  if (m->version < ENET_FORMAT_VERSION_OLDEST || m->version > ENET_FORMAT_VERSION)
    return enet_set_error(ENET_ERROR_UNSUPPORTED, "model format version %u; this build reads versions %u to %u",
                          m->version, ENET_FORMAT_VERSION_OLDEST, ENET_FORMAT_VERSION);
  /* A version-1 file ends with constant data, so it ends with the tag only by a
   * 2^-32 chance: one that does is a later file whose version field was damaged,
   * and is checked as such. */
  int has_trailer = m->version >= 2 || (m->size >= ENET_CHECKSUM_TRAILER_SIZE &&
                                        memcmp(m->data + m->size - 4, ENET_CHECKSUM_TAG, 4) == 0);
  if (has_trailer) {
    /* Verify the checksum before reading anything else, then re-open the FlatBuffer
     * without the trailer. */
    TRY(check_trailer(m, ld->flags, &buf.size));
    TRY_FB(fb_root(&buf, ENET_FILE_IDENTIFIER, &root));
  }
  uint32_t len;
  TRY_FB(fb_get_string(&root, ENET_Model_producer, &m->producer, &len));

  /* Constant buffers: 64-byte aligned absolute ranges inside the file. */
  fb_vector buffers;
  TRY_FB(fb_get_vector(&root, ENET_Model_buffers, ENET_Buffer_SIZEOF, &buffers));
  TRY(alloc_array((void**)&ld->buffers, buffers.len, sizeof(buffer_range)));
  ld->num_buffers = (int)buffers.len;
  for (uint32_t i = 0; i < buffers.len; i++) {
    buffer_range* b = &ld->buffers[i];
    TRY_FB(fb_vec_struct_u64(&buffers, i, ENET_Buffer_offset, &b->offset));
    TRY_FB(fb_vec_struct_u64(&buffers, i, ENET_Buffer_size, &b->size));
    if (b->offset % ENET_ALIGNMENT != 0)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "buffer %u offset %llu is not %d-byte aligned", i,
                            (unsigned long long)b->offset, ENET_ALIGNMENT);
    if (b->offset > buf.size || b->size > buf.size - b->offset)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "buffer %u range [%llu, %llu) exceeds file size %zu%s", i,
                            (unsigned long long)b->offset, (unsigned long long)(b->offset + b->size), buf.size,
                            buf.size < m->size ? " (before the checksum trailer)" : "");
  }

  fb_vector metadata;
  TRY_FB(fb_get_vector(&root, ENET_Model_metadata, 4, &metadata));
  TRY(alloc_array((void**)&m->metadata_keys, metadata.len, sizeof(char*)));
  TRY(alloc_array((void**)&m->metadata_values, metadata.len, sizeof(char*)));
  for (uint32_t i = 0; i < metadata.len; i++) {
    fb_table kv;
    if (fb_vec_table(&metadata, i, &kv) < 0 || fb_get_string(&kv, ENET_Metadata_key, &m->metadata_keys[i], &len) < 0 ||
        fb_get_string(&kv, ENET_Metadata_value, &m->metadata_values[i], &len) < 0) {
      enet_prefix_error("metadata %u: ", i);
      return ENET_ERROR_INVALID_MODEL;
    }
    m->num_metadata = (int)i + 1;
  }

  fb_vector subgraphs;
  TRY_FB(fb_get_vector(&root, ENET_Model_subgraphs, 4, &subgraphs));
  if (subgraphs.len == 0) return enet_set_error(ENET_ERROR_INVALID_MODEL, "model has no subgraphs");
  TRY(alloc_array((void**)&m->subgraphs, subgraphs.len, sizeof(enet_subgraph_def)));
  m->num_subgraphs = (int)subgraphs.len;
  for (uint32_t i = 0; i < subgraphs.len; i++) {
    fb_table st;
    enet_subgraph_def* g = &m->subgraphs[i];
    g->name = "";
    enet_status s = fb_vec_table(&subgraphs, i, &st) < 0 ? ENET_ERROR_INVALID_MODEL : read_subgraph(ld, &st, g, i == 0);
    if (s != ENET_OK) {
      if (i > 0) enet_prefix_error("subgraph %u '%s': ", i, g->name);
      return s;
    }
  }
  return enet_check_control_flow(m); /* IF / WHILE against their bodies (ops/control_flow.c) */
}

void enet_model_free(enet_model* m) {
  if (!m) return;
  for (int s = 0; m->subgraphs && s < m->num_subgraphs; s++) {
    enet_subgraph_def* g = &m->subgraphs[s];
    for (int i = 0; g->tensors && i < g->num_tensors; i++) {
      free(g->tensors[i].scale);
      free(g->tensors[i].zero_point);
    }
    for (int i = 0; g->ops && i < g->num_ops; i++) {
      free(g->ops[i].inputs);
      free(g->ops[i].outputs);
    }
    free(g->tensors);
    free(g->ops);
    free(g->inputs);
    free(g->outputs);
    free(g->states);
  }
  free(m->subgraphs);
  free(m->metadata_keys);
  free(m->metadata_values);
#if !defined(_WIN32)
  if (m->mapping) munmap(m->mapping, m->size);
#endif
  free(m->owned_copy);
  free(m);
}

/* Verifies m->data / m->size and publishes the model, or frees it. */
static enet_status finish_load(enet_model* m, unsigned flags, enet_model** out_model) {
  loader ld = {m, flags, 0, NULL};
  enet_status s = read_model(&ld);
  free(ld.buffers);
  if (s != ENET_OK) {
    enet_model_free(m);
    return s;
  }
  *out_model = m;
  return ENET_OK;
}

enet_status enet_model_load_buffer(const void* data, size_t size, int copy, enet_model** out_model) {
  return enet_model_load_buffer_ex(data, size, copy, ENET_LOAD_DEFAULT, out_model);
}

enet_status enet_model_load_file(const char* path, enet_model** out_model) {
  return enet_model_load_file_ex(path, ENET_LOAD_DEFAULT, out_model);
}

static enet_status check_flags(unsigned flags) {
  if (flags & ~(unsigned)ENET_LOAD_SKIP_CHECKSUM)
    return enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "unknown load flags 0x%x", flags);
  return ENET_OK;
}

enet_status enet_model_load_buffer_ex(const void* data, size_t size, int copy, unsigned flags,
                                      enet_model** out_model) {
  if (!out_model) return enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "out_model is NULL");
  *out_model = NULL;
  if (!data && size) return enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "data is NULL");
  TRY(check_flags(flags));
  enet_model* m = calloc(1, sizeof *m);
  if (!m) return enet_set_error(ENET_ERROR_OUT_OF_MEMORY, "out of memory");
  /* Kernels read constants in place and expect them 64-byte aligned, so an
   * unaligned caller buffer is copied even when copy == 0. */
  if (copy || ((uintptr_t)data % ENET_ALIGNMENT) != 0) {
    if (size > SIZE_MAX - ENET_ALIGNMENT || !(m->owned_copy = malloc(size + ENET_ALIGNMENT))) {
      free(m);
      return enet_set_error(ENET_ERROR_OUT_OF_MEMORY, "out of memory copying a %zu-byte model", size);
    }
    uint8_t* aligned = (uint8_t*)m->owned_copy + (ENET_ALIGNMENT - (uintptr_t)m->owned_copy % ENET_ALIGNMENT);
    if (size) memcpy(aligned, data, size);
    m->data = aligned;
  } else {
    m->data = data;
  }
  m->size = size;
  return finish_load(m, flags, out_model);
}

enet_status enet_model_load_file_ex(const char* path, unsigned flags, enet_model** out_model) {
  if (!out_model || !path) return enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "path or out_model is NULL");
  *out_model = NULL;
  TRY(check_flags(flags));
#if defined(_WIN32)
  /* No mmap on Windows here: read the file into an aligned copy. */
  FILE* f = fopen(path, "rb");
  if (!f) return enet_set_error(ENET_ERROR_IO, "cannot open model file '%s'", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  void* tmp = n > 0 ? malloc((size_t)n) : NULL;
  if (n > 0 && (!tmp || fread(tmp, 1, (size_t)n, f) != (size_t)n)) {
    fclose(f);
    free(tmp);
    return enet_set_error(ENET_ERROR_IO, "cannot read model file '%s'", path);
  }
  fclose(f);
  enet_status s = enet_model_load_buffer_ex(tmp ? tmp : "", n > 0 ? (size_t)n : 0, 1, flags, out_model);
  free(tmp);
  return s;
#else
  int fd = open(path, O_RDONLY);
  if (fd < 0) return enet_set_error(ENET_ERROR_IO, "cannot open model file '%s'", path);
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return enet_set_error(ENET_ERROR_IO, "'%s' is not a regular file", path);
  }
  if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX) {
    close(fd);
    return enet_set_error(ENET_ERROR_IO, "model file '%s' is too large", path);
  }
  size_t size = (size_t)st.st_size;
  if (size == 0) {
    close(fd);
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "model file '%s' is empty", path);
  }
  void* mapping = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (mapping == MAP_FAILED) return enet_set_error(ENET_ERROR_IO, "cannot memory-map model file '%s'", path);
  enet_model* m = calloc(1, sizeof *m);
  if (!m) {
    munmap(mapping, size);
    return enet_set_error(ENET_ERROR_OUT_OF_MEMORY, "out of memory");
  }
  m->mapping = mapping;
  m->data = mapping;
  m->size = size;
  enet_status s = finish_load(m, flags, out_model);
  if (s != ENET_OK) enet_prefix_error("%s: ", path);
  return s;
#endif
}

int enet_model_num_inputs(const enet_model* m) { return m ? m->subgraphs[0].num_inputs : 0; }
int enet_model_num_outputs(const enet_model* m) { return m ? m->subgraphs[0].num_outputs : 0; }

const char* enet_model_metadata(const enet_model* m, const char* key) {
  if (!m || !key) return NULL;
  for (int i = 0; i < m->num_metadata; i++)
    if (strcmp(m->metadata_keys[i], key) == 0) return m->metadata_values[i];
  return NULL;
}
