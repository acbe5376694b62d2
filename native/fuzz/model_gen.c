/* model_gen.c — see model_gen.h. */
#include "model_gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fb_writer.h"
#include "internal.h"
#include "ops/ops.h" /* the registry: enet_op_lookup */

#define MAX_TENSORS 48
#define MAX_OPS 8
#define MAX_SUBGRAPHS 3
#define MAX_OP_INPUTS 6
#define MAX_OP_OUTPUTS 4
#define MAX_GRAPH_IO 8
#define MAX_QUANT 16
#define MAX_BUFFERS 40
#define MAX_FIELDS 12
#define MAX_STATES 2
#define MAX_DATA (1u << 16) /* bytes of constant data per model: keeps every run fast */

/* ---- decisions ------------------------------------------------------------------ */

typedef struct choices {
  const uint8_t* p;
  size_t n, pos;
} choices;

/* One decision in [0, n); 0 when the bytes run out (the plausible choice). */
static unsigned pick(choices* c, unsigned n) {
  if (n <= 1 || c->pos >= c->n) return 0;
  return c->p[c->pos++] % n;
}

/* A rare hostile twist: true for about 1 byte value in 16. */
static int rarely(choices* c) { return pick(c, 16) == 15; }

/* Small ints: mostly lo..hi, sometimes a boundary value. */
static int32_t pick_int(choices* c, int32_t lo, int32_t hi) {
  static const int32_t hostile[] = {0, -1, -2, 2147483647, -2147483647 - 1, 65536, 1 << 20, 100, 9, 255};
  unsigned b = pick(c, 256);
  if (b >= 240) return hostile[(b - 240) % (sizeof hostile / sizeof *hostile)];
  return lo + (int32_t)(b % (unsigned)(hi - lo + 1));
}

static float pick_float(choices* c, float sane) {
  static const float pool[] = {0.5f, 2.0f, 0.0f, -1.0f, 1e-3f, 6.0f, -6.0f, 1e30f, -1e30f, 1e-40f, 3.0f, 0.25f};
  unsigned b = pick(c, 32);
  if (b == 0) return sane;
  if (b == 31) return NAN;
  if (b == 30) return INFINITY;
  if (b == 29) return -INFINITY;
  return pool[b % (sizeof pool / sizeof *pool)];
}

/* ---- the model being generated ---------------------------------------------------- */

typedef struct gen_tensor {
  char name[16];
  int dtype, ndim;
  int32_t shape[ENET_MAX_DIMS]; /* declared in the file */
  int64_t guess[ENET_MAX_DIMS]; /* the generator's belief of the run-time shape (to derive partners) */
  int buffer;
  int num_quant, quant_axis;
  float scale[MAX_QUANT];
  int64_t zero_point[MAX_QUANT];
  int constant_kind; /* how to fill constant data, see fill_constant */
} gen_tensor;

enum { FIELD_I32, FIELD_F32, FIELD_U8, FIELD_I8, FIELD_VEC, FIELD_STR, FIELD_BYTES };

typedef struct gen_field {
  int slot, kind;
  int32_t i;
  float f;
  int vec_len;
  int32_t vec[2 * ENET_MAX_DIMS];
  char bytes[24]; /* FIELD_STR (NUL-terminated) and FIELD_BYTES (bytes_len of them) */
  int bytes_len;
} gen_field;

typedef struct gen_op {
  int opcode, num_inputs, num_outputs, options_type, options_present, activation;
  int32_t inputs[MAX_OP_INPUTS], outputs[MAX_OP_OUTPUTS];
  int num_fields;
  gen_field fields[MAX_FIELDS];
} gen_op;

typedef struct gen_subgraph {
  gen_tensor tensors[MAX_TENSORS];
  int num_tensors;
  gen_op ops[MAX_OPS];
  int num_ops;
  int32_t inputs[MAX_GRAPH_IO], outputs[MAX_GRAPH_IO];
  int num_inputs, num_outputs;
  int int8; /* activations are int8 */
  int last_value; /* the most recent non-constant tensor: the next op's default input */
  int32_t states[MAX_STATES][3]; /* StateVariable (tensor, initial_value, assigned) */
  int num_states;
} gen_subgraph;

/* ENET_FUZZ_SKIP_KNOWN in the environment: do not generate the known findings another
 * branch is fixing, so a campaign runs past them: "bias" = int8 CONV/DEPTHWISE/FC with a
 * non-constant bias, "pool" = int8 AVG_POOL_2D windows made only of padding, "1" = both. */
enum { KNOWN_BIAS = 1, KNOWN_POOL = 2 };
static int skip_known(int which) {
  static int mask = -1;
  if (mask < 0) {
    const char* v = getenv("ENET_FUZZ_SKIP_KNOWN");
    mask = 0;
    if (v && (strcmp(v, "1") == 0 || strstr(v, "bias"))) mask |= KNOWN_BIAS;
    if (v && (strcmp(v, "1") == 0 || strstr(v, "pool"))) mask |= KNOWN_POOL;
  }
  return (mask & which) != 0;
}

typedef struct gen_model {
  gen_subgraph subgraphs[MAX_SUBGRAPHS];
  int num_subgraphs;
  uint64_t buffer_offset[MAX_BUFFERS], buffer_size[MAX_BUFFERS]; /* offsets relative to the data section */
  int num_buffers;
  uint8_t data[MAX_DATA];
  size_t data_len;
  uint32_t rng;
  uint32_t version;
} gen_model;

static uint32_t next_random(gen_model* m) { /* xorshift32 */
  uint32_t x = m->rng ? m->rng : 0x9e3779b9u;
  x ^= x << 13, x ^= x >> 17, x ^= x << 5;
  return m->rng = x;
}

/* Element count, saturating at 2^31 (guesses only steer the generator). */
static int64_t elements(int ndim, const int64_t* dims) {
  int64_t n = 1;
  for (int d = 0; d < ndim; d++) {
    n *= dims[d] < 0 ? 1 : dims[d];
    if (n > INT32_MAX) return INT32_MAX;
  }
  return n;
}

static gen_tensor* new_tensor(gen_subgraph* g, int dtype, int ndim, const int64_t* guess) {
  if (g->num_tensors >= MAX_TENSORS) return NULL;
  gen_tensor* t = &g->tensors[g->num_tensors];
  memset(t, 0, sizeof *t);
  snprintf(t->name, sizeof t->name, "t%d", g->num_tensors);
  g->num_tensors++;
  t->dtype = dtype;
  t->ndim = ndim < 0 ? 0 : ndim > ENET_MAX_DIMS ? ENET_MAX_DIMS : ndim;
  t->buffer = -1;
  for (int d = 0; d < t->ndim; d++) {
    int64_t v = guess ? guess[d] : 1;
    t->guess[d] = v < 0 ? 1 : v > 65536 ? 65536 : v; /* hostile options make wild guesses */
    t->shape[d] = (int32_t)t->guess[d];
  }
  return t;
}

static int index_of(const gen_subgraph* g, const gen_tensor* t) { return (int)(t - g->tensors); }

/* Per-tensor activation quantization (int8 mode). */
static void quantize_per_tensor(choices* c, gen_tensor* t) {
  static const float scales[] = {0.05f, 1.0f / 256, 0.1f, 0.003f, 1.0f, 1e-6f, 1e6f, 0.0f};
  t->num_quant = 1;
  t->scale[0] = scales[pick(c, 8)];
  if (t->scale[0] == 0.0f && !rarely(c)) t->scale[0] = 0.02f; /* 0 is rejected at load: keep it rare */
  int32_t zp = pick(c, 4) == 1 ? -128 : pick_int(c, -4, 4);
  t->zero_point[0] = rarely(c) ? 128 + (int64_t)zp : zp; /* out of range for int8 now and then */
  if (t->dtype == ENET_DataType_INT32) t->zero_point[0] = 0;
}

/* Per-channel quantization along `axis` (weights), or one scale. */
static void quantize_per_channel(choices* c, gen_tensor* t, int axis) {
  int64_t channels = axis < t->ndim ? t->guess[axis] : 1;
  int n = pick(c, 4) == 3 || channels < 1 || channels > MAX_QUANT ? 1 : (int)channels;
  if (rarely(c)) n = 1 + (int)pick(c, MAX_QUANT); /* count not matching the channels */
  t->num_quant = n;
  t->quant_axis = rarely(c) ? pick_int(c, -1, 4) : axis;
  for (int i = 0; i < n; i++) {
    t->scale[i] = 0.01f / (float)(1 + i);
    t->zero_point[i] = 0;
  }
  if (rarely(c)) t->zero_point[pick(c, (unsigned)n)] = pick_int(c, -3, 3); /* asymmetric weights */
}

/* Constant data kinds. */
enum { DATA_DEFAULT, DATA_TABLE_S8, DATA_TABLE_S32_EXP, DATA_INDICES, DATA_BOOL, DATA_SPECIAL };

static void fill_constant(gen_model* m, const gen_tensor* t, uint8_t* p, size_t bytes, int64_t index_range) {
  size_t n = bytes / (t->dtype == ENET_DataType_BOOL ? 1 : enet_dtype_size((enet_dtype)t->dtype));
  for (size_t i = 0; i < n; i++) {
    uint32_t r = next_random(m);
    switch (t->dtype) {
      case ENET_DataType_FLOAT32: {
        float v = ((float)(r % 2001) - 1000.0f) / 250.0f;
        if (t->constant_kind == DATA_SPECIAL && r % 7 == 0) v = r % 2 ? NAN : INFINITY;
        memcpy(p + 4 * i, &v, 4);
        break;
      }
      case ENET_DataType_INT8:
      case ENET_DataType_UINT8:
        p[i] = (uint8_t)(t->constant_kind == DATA_TABLE_S8 ? r : (r % 255) - 127);
        break;
      case ENET_DataType_BOOL:
        p[i] = (uint8_t)(t->constant_kind == DATA_SPECIAL ? r : r % 2);
        break;
      case ENET_DataType_INT16: {
        int16_t v = (int16_t)r;
        memcpy(p + 2 * i, &v, 2);
        break;
      }
      case ENET_DataType_INT32: {
        int32_t v = (int32_t)(r % 2001) - 1000;
        if (t->constant_kind == DATA_TABLE_S32_EXP) v = (int32_t)(65536.0 * exp(-0.05 * (double)i));
        if (t->constant_kind == DATA_INDICES) v = (int32_t)((int64_t)(r % (2 * index_range + 1)) - index_range);
        if (t->constant_kind == DATA_SPECIAL) v = (int32_t)r;
        memcpy(p + 4 * i, &v, 4);
        break;
      }
      case ENET_DataType_INT64: {
        int64_t v = t->constant_kind == DATA_SPECIAL ? (int64_t)((uint64_t)r << 32 | next_random(m))
                                                     : (int64_t)(r % (2 * index_range + 1)) - index_range;
        memcpy(p + 8 * i, &v, 8);
        break;
      }
    }
  }
}

/* Makes `t` a constant: appends its data (64-aligned) to the data section. */
static void make_constant(choices* c, gen_model* m, gen_tensor* t, int kind, int64_t index_range) {
  for (int d = 0; d < t->ndim; d++)
    if (t->shape[d] < 0) t->shape[d] = 1, t->guess[d] = 1;
  int64_t dims[ENET_MAX_DIMS];
  for (int d = 0; d < t->ndim; d++) dims[d] = t->shape[d];
  size_t bytes;
  if (!enet_shape_bytes(t->ndim, dims, t->dtype, &bytes) || m->num_buffers >= MAX_BUFFERS) return;
  size_t offset = (m->data_len + 63) / 64 * 64;
  if (offset + bytes > MAX_DATA) return; /* stays a non-constant tensor */
  t->constant_kind = rarely(c) ? DATA_SPECIAL : kind;
  fill_constant(m, t, m->data + offset, bytes, index_range);
  m->buffer_offset[m->num_buffers] = offset;
  m->buffer_size[m->num_buffers] = bytes;
  if (rarely(c)) m->buffer_size[m->num_buffers] += pick_int(c, -1, 1) | 1; /* size not matching the shape */
  t->buffer = m->num_buffers++;
  m->data_len = offset + bytes;
}

/* ---- shapes --------------------------------------------------------------------- */

static int pick_rank(choices* c) {
  static const int ranks[] = {4, 2, 3, 1, 0, 5, 6, 8};
  return ranks[pick(c, 8)];
}

static int64_t pick_dim(choices* c) {
  static const int64_t dims[] = {2, 3, 1, 4, 5, 6, 0, 7};
  return dims[pick(c, 8)];
}

/* A new graph input of `dtype`, rank and dims from decisions (or `like` when given). */
static gen_tensor* new_graph_input(choices* c, gen_subgraph* g, int dtype, const gen_tensor* like) {
  if (g->num_inputs >= MAX_GRAPH_IO) return NULL;
  int64_t guess[ENET_MAX_DIMS];
  int ndim = like ? like->ndim : pick_rank(c);
  for (int d = 0; d < ndim; d++) guess[d] = like ? like->guess[d] : pick_dim(c);
  gen_tensor* t = new_tensor(g, dtype, ndim, guess);
  if (!t) return NULL;
  for (int d = 0; d < t->ndim; d++)
    if (pick(c, 8) == 7) t->shape[d] = -1; /* dynamic: the harness resizes it */
  if (dtype == ENET_DataType_INT8) quantize_per_tensor(c, t);
  g->inputs[g->num_inputs++] = index_of(g, t);
  return t;
}

/* Rarely a dtype that is not the expected one. */
static int maybe_other_dtype(choices* c, int dtype) {
  if (!rarely(c)) return dtype;
  return (int)pick(c, ENET_DataType_COUNT);
}

/* ---- inputs of an op ------------------------------------------------------------- */

/* Where a parameter input comes from. */
enum { FROM_DEFAULT, FROM_GRAPH_INPUT, FROM_EXISTING, FROM_ABSENT, FROM_OUT_OF_RANGE };

/* A parameter tensor (weights, bias, table, partner operand) of the given shape and dtype:
 * a constant by default, else a graph input, an existing tensor, -1 or a bad index. */
static int32_t parameter(choices* c, gen_model* m, gen_subgraph* g, int dtype, int ndim, const int64_t* dims,
                         int kind, int64_t index_range, int default_constant, int per_channel_axis) {
  unsigned from = pick(c, 12);
  if (from > FROM_OUT_OF_RANGE) from = FROM_DEFAULT;
  if (from == FROM_DEFAULT && !default_constant) from = pick(c, 2) ? FROM_EXISTING : FROM_GRAPH_INPUT;
  if (from == FROM_ABSENT) return -1;
  if (from == FROM_OUT_OF_RANGE) return pick(c, 2) ? (int32_t)MAX_TENSORS + 5 : -2;
  if (from == FROM_EXISTING && g->num_tensors > 0) {
    /* the latest value when its dtype fits, else any tensor */
    const gen_tensor* last = &g->tensors[g->last_value];
    if (pick(c, 3) == 0 && last->dtype == dtype) return g->last_value;
    return (int32_t)pick(c, (unsigned)g->num_tensors);
  }
  gen_tensor* t;
  if (from == FROM_GRAPH_INPUT) {
    gen_tensor like;
    memset(&like, 0, sizeof like);
    like.ndim = ndim;
    for (int d = 0; d < ndim; d++) like.guess[d] = dims[d];
    t = new_graph_input(c, g, dtype, &like);
    if (t && dtype != ENET_DataType_INT8 && per_channel_axis >= 0 && dtype != ENET_DataType_FLOAT32)
      quantize_per_tensor(c, t);
  } else {
    t = new_tensor(g, dtype, ndim, dims);
    if (t && per_channel_axis >= 0) quantize_per_channel(c, t, per_channel_axis);
    if (t) make_constant(c, m, t, kind, index_range);
  }
  return t ? index_of(g, t) : -1;
}

/* The value input of an op (slot 0): the latest value, graph input 0, a fresh graph
 * input or any tensor; re-made as a fresh input of `dtype` when its dtype differs. */
static gen_tensor* value_input(choices* c, gen_subgraph* g, int dtype) {
  gen_tensor* x = NULL;
  switch (pick(c, 8)) {
    case 1:
      if (g->num_inputs) x = &g->tensors[g->inputs[0]];
      break;
    case 2:
      x = new_graph_input(c, g, dtype, NULL);
      break;
    case 3:
      if (g->num_tensors) x = &g->tensors[pick(c, (unsigned)g->num_tensors)];
      break;
    default:
      if (g->num_tensors) x = &g->tensors[g->last_value];
  }
  if (!x || (x->dtype != dtype && !rarely(c))) x = new_graph_input(c, g, dtype, x);
  return x;
}

/* ---- options -------------------------------------------------------------------- */

static gen_field* add_field(gen_op* op, int slot, int kind) {
  if (op->num_fields >= MAX_FIELDS) return NULL;
  gen_field* f = &op->fields[op->num_fields++];
  memset(f, 0, sizeof *f);
  f->slot = slot;
  f->kind = kind;
  return f;
}

static void field_i32(gen_op* op, int slot, int32_t v) {
  gen_field* f = add_field(op, slot, FIELD_I32);
  if (f) f->i = v;
}
static void field_f32(gen_op* op, int slot, float v) {
  gen_field* f = add_field(op, slot, FIELD_F32);
  if (f) f->f = v;
}
static void field_u8(gen_op* op, int slot, int v) {
  gen_field* f = add_field(op, slot, FIELD_U8);
  if (f) f->i = v;
}
static void field_i8(gen_op* op, int slot, int v) {
  gen_field* f = add_field(op, slot, FIELD_I8);
  if (f) f->i = v;
}
static gen_field* field_vec(gen_op* op, int slot, int len) {
  gen_field* f = add_field(op, slot, FIELD_VEC);
  if (f) f->vec_len = len < 0 ? 0 : len > 2 * ENET_MAX_DIMS ? 2 * ENET_MAX_DIMS : len;
  return f;
}

/* An axis of a rank-`rank` tensor: mostly valid, sometimes -1 or out of range. */
static int32_t pick_axis(choices* c, int rank) {
  if (rarely(c)) return pick_int(c, -9, 9);
  return rank > 0 ? (int32_t)pick(c, (unsigned)rank) : 0;
}

/* A permutation of 0..n-1 from decisions (Fisher-Yates), sometimes broken. */
static void pick_permutation(choices* c, int32_t* out, int n) {
  for (int i = 0; i < n; i++) out[i] = i;
  for (int i = n - 1; i > 0; i--) {
    int j = (int)pick(c, (unsigned)i + 1);
    int32_t tmp = out[i];
    out[i] = out[j], out[j] = tmp;
  }
  if (n > 1 && rarely(c)) out[pick(c, (unsigned)n)] = out[0]; /* a repeated axis */
}

/* Options of `op` from decisions; `x` is its value input (rank, guessed dims). May
 * change `out_guess` (the output's guessed shape) and *out_rank. */
static void gen_options(choices* c, gen_op* op, const gen_tensor* x, int64_t* out_guess, int* out_rank,
                        int num_outputs) {
  int rank = x ? x->ndim : 0;
  op->options_present = !rarely(c); /* absent: all defaults */
  switch (op->options_type) {
    case ENET_OperatorOptions_Conv2DOptions:
    case ENET_OperatorOptions_Conv2DTransposeOptions: {
      int transpose = op->options_type == ENET_OperatorOptions_Conv2DTransposeOptions;
      int32_t sh = pick_int(c, 1, 2), sw = pick_int(c, 1, 2), dh = pick_int(c, 1, 2), dw = pick_int(c, 1, 2);
      field_i32(op, 0, sh), field_i32(op, 1, sw), field_i32(op, 2, dh), field_i32(op, 3, dw);
      for (int slot = 4; slot < 8; slot++) field_i32(op, slot, pick_int(c, 0, 2));
      if (transpose) {
        field_i32(op, 8, pick_int(c, 0, 1));
        field_i32(op, 9, pick_int(c, 0, 1));
      } else {
        field_i32(op, 8, pick_int(c, 1, 2)); /* depth_multiplier */
      }
      break;
    }
    case ENET_OperatorOptions_Pool2DOptions: {
      int no_padding = skip_known(KNOWN_POOL) && op->opcode == ENET_OpCode_AVG_POOL_2D && x && x->dtype == ENET_DataType_INT8;
      field_i32(op, 0, pick_int(c, 1, 3)), field_i32(op, 1, pick_int(c, 1, 3));
      field_i32(op, 2, pick_int(c, 1, 2)), field_i32(op, 3, pick_int(c, 1, 2));
      for (int slot = 4; slot < 8; slot++) field_i32(op, slot, no_padding ? 0 : pick_int(c, 0, 2));
      field_u8(op, 8, (int)pick(c, 2));
      break;
    }
    case ENET_OperatorOptions_ReduceOptions: {
      int n = (int)pick(c, (unsigned)rank + 1);
      gen_field* f = field_vec(op, 0, n ? n : 1);
      if (f)
        for (int i = 0; i < f->vec_len; i++) f->vec[i] = pick_axis(c, rank);
      int keep = (int)pick(c, 2);
      field_u8(op, 1, keep);
      if (f && !keep) *out_rank = rank - f->vec_len < 0 ? 0 : rank - f->vec_len;
      break;
    }
    case ENET_OperatorOptions_ReshapeOptions: {
      unsigned how = pick(c, 5);
      if (how == 4) break; /* no new_shape: the output tensor's declared shape */
      int64_t n = x ? elements(x->ndim, x->guess) : 1;
      int new_rank = how == 0 ? 2 : pick_rank(c);
      gen_field* f = field_vec(op, 0, new_rank);
      if (!f) break;
      for (int i = 0; i < f->vec_len; i++) f->vec[i] = 1;
      if (f->vec_len > 0) f->vec[f->vec_len - 1] = (int32_t)n;
      if (f->vec_len > 0 && how == 1) f->vec[0] = -1;
      if (f->vec_len > 0 && how == 3) f->vec[pick(c, (unsigned)f->vec_len)] = pick_int(c, -2, 5);
      *out_rank = f->vec_len;
      for (int i = 0; i < f->vec_len; i++) out_guess[i] = f->vec[i] < 0 ? 1 : f->vec[i];
      break;
    }
    case ENET_OperatorOptions_TransposeOptions: {
      int n = rarely(c) ? (int)pick(c, ENET_MAX_DIMS + 1) : rank;
      gen_field* f = field_vec(op, 0, n);
      if (f) {
        pick_permutation(c, f->vec, f->vec_len);
        for (int i = 0; i < f->vec_len && i < rank; i++)
          out_guess[i] = f->vec[i] >= 0 && f->vec[i] < rank ? x->guess[f->vec[i]] : 1;
      }
      break;
    }
    case ENET_OperatorOptions_ConcatOptions:
      field_i32(op, 0, pick_axis(c, rank));
      break;
    case ENET_OperatorOptions_PadOptions: {
      gen_field* f = field_vec(op, 0, rarely(c) ? (int)pick(c, 17) : 2 * rank);
      if (f)
        for (int i = 0; i < f->vec_len; i++) f->vec[i] = pick(c, 3) == 0 ? 1 : pick_int(c, 0, 3);
      field_f32(op, 1, pick_float(c, 0.0f));
      field_i8(op, 2, rarely(c) ? pick_int(c, -1, 5) : (int)pick(c, 3));
      break;
    }
    case ENET_OperatorOptions_SoftmaxOptions:
      field_i32(op, 0, pick(c, 2) ? pick_axis(c, rank) : -1);
      field_f32(op, 1, pick_float(c, 1.0f));
      break;
    case ENET_OperatorOptions_ClipOptions:
      field_f32(op, 0, pick_float(c, 0.0f));
      field_f32(op, 1, pick_float(c, 6.0f));
      break;
    case ENET_OperatorOptions_GeluOptions:
      field_u8(op, 0, (int)pick(c, 2));
      break;
    case ENET_OperatorOptions_AlphaBetaOptions:
      field_f32(op, 0, pick_float(c, 0.2f));
      field_f32(op, 1, pick_float(c, 0.5f));
      break;
    case ENET_OperatorOptions_ArgOptions: {
      int32_t axis = pick_axis(c, rank);
      int keep = pick(c, 2) == 0;
      field_i32(op, 0, axis), field_u8(op, 1, keep), field_u8(op, 2, (int)pick(c, 2));
      if (!keep && rank > 0) *out_rank = rank - 1;
      break;
    }
    case ENET_OperatorOptions_SplitOptions: {
      int32_t axis = pick_axis(c, rank);
      field_i32(op, 0, axis);
      gen_field* f = field_vec(op, 1, num_outputs + (rarely(c) ? 1 : 0));
      int64_t dim = x && axis >= 0 && axis < rank ? x->guess[axis] : 1;
      if (f) {
        for (int i = 0; i < f->vec_len; i++) f->vec[i] = (int32_t)(dim / f->vec_len);
        if (f->vec_len > 0) f->vec[0] += (int32_t)(dim % f->vec_len);
        if (f->vec_len > 0 && rarely(c)) f->vec[pick(c, (unsigned)f->vec_len)] = pick_int(c, -1, 4);
      }
      break;
    }
    case ENET_OperatorOptions_SliceOptions: {
      int n = rarely(c) ? (int)pick(c, ENET_MAX_DIMS + 1) : rank;
      gen_field* b = field_vec(op, 0, n);
      gen_field* e = field_vec(op, 1, rarely(c) ? n + 1 : n);
      gen_field* s = field_vec(op, 2, n);
      for (int i = 0; b && e && s && i < n; i++) {
        int64_t dim = x && i < rank ? x->guess[i] : 1;
        int reverse = pick(c, 4) == 3;
        s->vec[i] = reverse ? -1 : 1 + (int32_t)pick(c, 2);
        b->vec[i] = reverse ? (int32_t)dim - 1 : (int32_t)pick(c, 2);
        e->vec[i] = reverse ? -1 : (int32_t)dim;
        if (rarely(c)) b->vec[i] = pick_int(c, -3, 9);
        if (rarely(c)) e->vec[i] = pick_int(c, -3, 9);
        if (rarely(c)) s->vec[i] = pick_int(c, -2, 2);
      }
      break;
    }
    case ENET_OperatorOptions_GatherOptions:
      field_i32(op, 0, pick_axis(c, rank));
      break;
    case ENET_OperatorOptions_ResizeOptions: {
      float scale = pick(c, 3) == 0 ? 2.0f : pick_float(c, 0.5f);
      field_i8(op, 0, rarely(c) ? pick_int(c, -1, 3) : (int)pick(c, 2));
      field_i8(op, 1, (int)pick(c, ENET_CoordinateMode_COUNT + (rarely(c) ? 2 : 0)));
      field_i8(op, 2, (int)pick(c, ENET_NearestMode_COUNT));
      field_f32(op, 3, scale), field_f32(op, 4, pick(c, 2) ? scale : pick_float(c, 1.0f));
      if (rank == 4 && scale > 0 && scale < 8)
        for (int d = 1; d < 3; d++) out_guess[d] = (int64_t)((float)out_guess[d] * scale);
      break;
    }
    case ENET_OperatorOptions_DepthSpaceOptions: {
      int32_t block = pick_int(c, 2, 3);
      field_i32(op, 0, block), field_u8(op, 1, (int)pick(c, 2));
      if (rank == 4 && block > 0 && block < 8) {
        if (op->opcode == ENET_OpCode_DEPTH_TO_SPACE)
          out_guess[1] *= block, out_guess[2] *= block, out_guess[3] /= block * block;
        else
          out_guess[1] /= block, out_guess[2] /= block, out_guess[3] *= block * block;
      }
      break;
    }
    case ENET_OperatorOptions_LayerNormOptions:
      field_i32(op, 0, pick(c, 2) ? pick_axis(c, rank) : rank - 1);
      field_f32(op, 1, pick_float(c, 1e-5f));
      break;
    case ENET_OperatorOptions_InstanceNormOptions:
      field_f32(op, 0, pick_float(c, 1e-5f));
      break;
    case ENET_OperatorOptions_CustomOptions: {
      /* The kernel fuzz_run.c registers, one it does not, and names the loader refuses. */
      static const char* const names[] = {"fuzz_copy", "unregistered", "bad\xff\xfeutf8", "", "ctl\x01", "\xc3\xa9t\xc3\xa9"};
      gen_field* name = add_field(op, ENET_CustomOptions_name, FIELD_STR);
      if (name) snprintf(name->bytes, sizeof name->bytes, "%s", names[pick(c, 6)]);
      gen_field* data = pick(c, 2) ? NULL : add_field(op, ENET_CustomOptions_data, FIELD_BYTES);
      if (data) {
        data->bytes_len = (int)pick(c, sizeof data->bytes + 1);
        for (int i = 0; i < data->bytes_len; i++) data->bytes[i] = (char)pick(c, 256);
      }
      break;
    }
  }
  if (rarely(c)) op->options_type = (int)pick(c, ENET_OperatorOptions_COUNT + 2); /* mismatching options */
}

/* skip_known(KNOWN_BIAS): a bias that is not a constant becomes absent. */
static int32_t constant_or_absent(const gen_subgraph* g, int32_t t) {
  return t >= 0 && t < g->num_tensors && g->tensors[t].buffer >= 0 ? t : -1;
}

/* ---- one op ------------------------------------------------------------------------ */

static int is_unary_with_table(const enet_op_registration* reg) {
  return reg->min_inputs == 1 && reg->max_inputs == 2 && !reg->optional_inputs;
}

/* Output guess of a 2-D window op along one dim. */
static int64_t window_out(int64_t in, int64_t pad, int64_t k, int64_t stride) {
  int64_t span = in + pad - (k - 1) - 1;
  return span < 0 || stride < 1 ? 0 : span / stride + 1;
}

/* Adds one op; opcode < 0: chosen here. */
static void gen_op_into(choices* c, gen_model* m, gen_subgraph* g, int opcode) {
  if (g->num_ops >= MAX_OPS || g->num_tensors + 8 > MAX_TENSORS) return;
  gen_op* op = &g->ops[g->num_ops];
  memset(op, 0, sizeof *op);
  op->opcode = opcode >= 0 ? opcode : (int)pick(c, ENET_OpCode_COUNT + 2); /* the 2 beyond: unknown op codes */
  const enet_op_registration* reg = enet_op_lookup(op->opcode);
  int int8 = g->int8;
  int act = int8 ? ENET_DataType_INT8 : ENET_DataType_FLOAT32;

  /* The dtype the value input wants. */
  int x_dtype = act;
  if (op->opcode == ENET_OpCode_QUANTIZE) x_dtype = pick(c, 4) == 3 ? ENET_DataType_INT8 : ENET_DataType_FLOAT32;
  if (op->opcode == ENET_OpCode_DEQUANTIZE || op->opcode == ENET_OpCode_TABLE) x_dtype = ENET_DataType_INT8;
  if (op->opcode == ENET_OpCode_WHERE) x_dtype = ENET_DataType_BOOL;
  gen_tensor* x = value_input(c, g, maybe_other_dtype(c, x_dtype));
  if (!x) return;
  int xi = index_of(g, x);
  int rank = x->ndim;
  int64_t xg[ENET_MAX_DIMS], out_guess[ENET_MAX_DIMS];
  for (int d = 0; d < ENET_MAX_DIMS; d++) xg[d] = d < rank ? (x->guess[d] < 0 ? 1 : x->guess[d]) : 1;
  memcpy(out_guess, xg, sizeof xg);
  int out_rank = rank;
  int out_dtype = act;
  if (op->opcode == ENET_OpCode_QUANTIZE) out_dtype = ENET_DataType_INT8;
  if (op->opcode == ENET_OpCode_DEQUANTIZE) out_dtype = ENET_DataType_FLOAT32;
  if (op->opcode >= ENET_OpCode_EQUAL && op->opcode <= ENET_OpCode_GREATER_EQUAL) out_dtype = ENET_DataType_BOOL;
  if (op->opcode == ENET_OpCode_ARG_MAX || op->opcode == ENET_OpCode_ARG_MIN) out_dtype = ENET_DataType_INT64;
  if (op->opcode == ENET_OpCode_CAST) out_dtype = (int)pick(c, ENET_DataType_COUNT);
  if (op->opcode == ENET_OpCode_TABLE) out_dtype = ENET_DataType_INT8;

  op->inputs[0] = xi;
  op->num_inputs = 1;
  op->num_outputs = 1;
  if (!reg) { /* unknown op code: the loader must refuse it */
    op->options_type = ENET_OperatorOptions_NONE;
  } else {
    op->options_type = reg->options_type;
    int max_in = reg->max_inputs < 0 ? 4 : reg->max_inputs;
    if (max_in > MAX_OP_INPUTS) max_in = MAX_OP_INPUTS;
    /* Float unary ops take one input; their int8 form a table as the second. */
    int n_in = is_unary_with_table(reg) ? (int8 ? 2 : 1) : max_in;
    if (op->opcode == ENET_OpCode_CONCAT) n_in = 1 + (int)pick(c, 3);
    if (rarely(c)) n_in = reg->min_inputs + (int)pick(c, (unsigned)(max_in - reg->min_inputs + 2)); /* +1 too many */
    if (n_in > MAX_OP_INPUTS) n_in = MAX_OP_INPUTS;
    op->num_inputs = n_in < 1 ? 1 : n_in;
    if (reg->num_outputs < 0) op->num_outputs = 1 + (int)pick(c, 3);
    if (rarely(c)) op->num_outputs = (int)pick(c, 3); /* 0 or too many outputs */
    if (op->num_outputs > MAX_OP_OUTPUTS) op->num_outputs = MAX_OP_OUTPUTS;
    gen_options(c, op, x, out_guess, &out_rank, op->num_outputs);
  }

  /* The other inputs, by op family. */
  int64_t dims[ENET_MAX_DIMS];
  int32_t* in = op->inputs;
  int64_t cin = rank > 0 ? xg[rank - 1] : 1;
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dil_h = 1, dil_w = 1, dm = 1; /* int64: hostile values */
  for (int i = 0; i < op->num_fields; i++) {
    const gen_field* f = &op->fields[i];
    if (op->options_type == ENET_OperatorOptions_Conv2DOptions ||
        op->options_type == ENET_OperatorOptions_Conv2DTransposeOptions) {
      if (f->slot == 0) stride_h = f->i;
      if (f->slot == 1) stride_w = f->i;
      if (f->slot == 2) dil_h = f->i;
      if (f->slot == 3) dil_w = f->i;
      if (f->slot == 4 || f->slot == 5) pad_h += f->i;
      if (f->slot == 6 || f->slot == 7) pad_w += f->i;
      if (f->slot == 8 && op->options_type == ENET_OperatorOptions_Conv2DOptions) dm = f->i;
    }
  }
  int64_t kh = 1 + pick(c, 3), kw = 1 + pick(c, 3), cout = 1 + pick(c, 4);
  int weight_dtype = int8 ? ENET_DataType_INT8 : ENET_DataType_FLOAT32;
  int bias_dtype = int8 ? ENET_DataType_INT32 : ENET_DataType_FLOAT32;
  switch (op->opcode) {
    case ENET_OpCode_CONV_2D:
    case ENET_OpCode_DEPTHWISE_CONV_2D:
    case ENET_OpCode_CONV_2D_TRANSPOSE: {
      int depthwise = op->opcode == ENET_OpCode_DEPTHWISE_CONV_2D;
      if (depthwise) cout = cin * (dm > 0 && dm < 5 ? dm : 1);
      dims[0] = depthwise ? 1 : cout, dims[1] = kh, dims[2] = kw, dims[3] = depthwise ? cout : cin;
      if (rarely(c)) dims[3] += 1;
      int w_axis = depthwise ? 3 : 0;
      if (op->num_inputs > 1)
        in[1] = parameter(c, m, g, maybe_other_dtype(c, weight_dtype), 4, dims, DATA_DEFAULT, 0, 1, int8 ? w_axis : -1);
      dims[0] = cout;
      if (op->num_inputs > 2)
        in[2] = parameter(c, m, g, maybe_other_dtype(c, bias_dtype), 1, dims, DATA_DEFAULT, 0, 1, int8 ? 0 : -1);
      if (op->num_inputs > 2 && int8 && skip_known(KNOWN_BIAS)) in[2] = constant_or_absent(g, in[2]);
      out_rank = 4;
      if (rank == 4) {
        if (op->opcode == ENET_OpCode_CONV_2D_TRANSPOSE) {
          out_guess[1] = (xg[1] - 1) * stride_h + (kh - 1) * dil_h + 1 - pad_h;
          out_guess[2] = (xg[2] - 1) * stride_w + (kw - 1) * dil_w + 1 - pad_w;
        } else {
          out_guess[1] = window_out(xg[1], pad_h, (kh - 1) * dil_h + 1, stride_h);
          out_guess[2] = window_out(xg[2], pad_w, (kw - 1) * dil_w + 1, stride_w);
        }
        out_guess[3] = cout;
      }
      break;
    }
    case ENET_OpCode_FULLY_CONNECTED:
      dims[0] = cout, dims[1] = cin;
      if (op->num_inputs > 1)
        in[1] = parameter(c, m, g, maybe_other_dtype(c, weight_dtype), 2, dims, DATA_DEFAULT, 0, 1, int8 ? 0 : -1);
      if (op->num_inputs > 2)
        in[2] = parameter(c, m, g, maybe_other_dtype(c, bias_dtype), 1, dims, DATA_DEFAULT, 0, 1, int8 ? 0 : -1);
      if (op->num_inputs > 2 && int8 && skip_known(KNOWN_BIAS)) in[2] = constant_or_absent(g, in[2]);
      if (rank > 0) out_guess[rank - 1] = cout;
      break;
    case ENET_OpCode_MATMUL:
      for (int d = 0; d < rank; d++) dims[d] = xg[d];
      if (rank >= 2) dims[rank - 2] = cin, dims[rank - 1] = cout;
      if (rank >= 1 && pick(c, 3) == 2) { /* fewer batch dims (broadcast) */
        in[1] = parameter(c, m, g, maybe_other_dtype(c, act), rank > 2 ? 2 : rank, dims + (rank > 2 ? rank - 2 : 0),
                          DATA_DEFAULT, 0, 0, -1);
      } else {
        in[1] = parameter(c, m, g, maybe_other_dtype(c, act), rank, dims, DATA_DEFAULT, 0, 0, -1);
      }
      if (rank >= 1) out_guess[rank - 1] = cout;
      break;
    case ENET_OpCode_LAYER_NORM:
    case ENET_OpCode_INSTANCE_NORM: {
      int from = rank > 0 ? rank - 1 : 0; /* scale and bias cover dims from..rank-1 */
      for (int i = 0; i < op->num_fields; i++)
        if (op->options_type == ENET_OperatorOptions_LayerNormOptions && op->fields[i].slot == 0 &&
            op->fields[i].i >= 0 && op->fields[i].i < rank)
          from = op->fields[i].i;
      int n = rank - from;
      for (int d = 0; d < n; d++) dims[d] = xg[from + d];
      for (int s = 1; s < op->num_inputs; s++)
        in[s] = parameter(c, m, g, maybe_other_dtype(c, act), n, dims, DATA_DEFAULT, 0, 1, -1);
      break;
    }
    case ENET_OpCode_GATHER: {
      int axis = 0;
      for (int i = 0; i < op->num_fields; i++)
        if (op->fields[i].slot == 0) axis = op->fields[i].i;
      int64_t dim = axis >= 0 && axis < rank ? xg[axis] : 1;
      int irank = (int)pick(c, 3);
      for (int d = 0; d < irank; d++) dims[d] = 1 + pick(c, 3);
      int idtype = pick(c, 2) ? ENET_DataType_INT64 : ENET_DataType_INT32;
      in[1] = parameter(c, m, g, maybe_other_dtype(c, idtype), irank, dims, DATA_INDICES,
                        rarely(c) ? dim + 3 : dim, 1, -1);
      if (rank + irank - 1 <= ENET_MAX_DIMS && rank > 0) {
        out_rank = rank + irank - 1;
        int64_t g2[ENET_MAX_DIMS];
        int k = 0;
        for (int d = 0; d < rank && k < ENET_MAX_DIMS; d++) {
          if (d == axis)
            for (int e = 0; e < irank && k < ENET_MAX_DIMS; e++) g2[k++] = dims[e];
          else
            g2[k++] = xg[d];
        }
        memcpy(out_guess, g2, sizeof g2);
      }
      break;
    }
    case ENET_OpCode_WHERE: {
      /* in: cond (x, BOOL), a, b */
      for (int s = 1; s < op->num_inputs; s++) {
        unsigned shape_kind = pick(c, 3);
        for (int d = 0; d < rank; d++) dims[d] = shape_kind == 1 && pick(c, 2) ? 1 : xg[d];
        in[s] = parameter(c, m, g, maybe_other_dtype(c, act), shape_kind == 2 ? 0 : rank, dims, DATA_DEFAULT, 0,
                          pick(c, 2), -1);
      }
      break;
    }
    case ENET_OpCode_TABLE:
      dims[0] = rarely(c) ? 255 : 256;
      in[1] = parameter(c, m, g, maybe_other_dtype(c, ENET_DataType_INT8), 1, dims, DATA_TABLE_S8, 0, 1, -1);
      break;
    default:
      if (!reg) break;
      if (is_unary_with_table(reg) && op->num_inputs > 1) {
        int softmax = op->opcode == ENET_OpCode_SOFTMAX;
        dims[0] = rarely(c) ? 128 : 256;
        in[1] = parameter(c, m, g, maybe_other_dtype(c, softmax ? ENET_DataType_INT32 : ENET_DataType_INT8), 1, dims,
                          softmax ? DATA_TABLE_S32_EXP : DATA_TABLE_S8, 0, 1, -1);
        break;
      }
      /* Binary / broadcasting ops and CONCAT: a partner of x's shape, a broadcast of it
       * (some dims 1, fewer leading dims) or a scalar. */
      for (int s = 1; s < op->num_inputs; s++) {
        unsigned shape_kind = pick(c, 4);
        int prank = rank;
        int axis = -1;
        if (op->opcode == ENET_OpCode_CONCAT)
          for (int i = 0; i < op->num_fields; i++) axis = op->fields[i].i;
        for (int d = 0; d < rank; d++) dims[d] = xg[d];
        if (shape_kind == 1)
          for (int d = 0; d < rank; d++) dims[d] = pick(c, 2) ? 1 : xg[d];
        if (shape_kind == 2) prank = rank > 0 ? rank - (int)pick(c, (unsigned)rank + 1) : 0;
        if (shape_kind == 2)
          for (int d = 0; d < prank; d++) dims[d] = xg[rank - prank + d];
        if (shape_kind == 3 && rank > 0) dims[pick(c, (unsigned)rank)] += 1; /* incompatible */
        if (axis >= 0 && axis < rank) dims[axis] = 1 + pick(c, 3);
        in[s] = parameter(c, m, g, maybe_other_dtype(c, act), prank, dims, DATA_DEFAULT, 0, pick(c, 2),
                          int8 ? 0 : -1);
        if (in[s] >= 0 && in[s] < g->num_tensors && int8 && g->tensors[in[s]].dtype == ENET_DataType_INT8 &&
            g->tensors[in[s]].num_quant != 1)
          quantize_per_tensor(c, &g->tensors[in[s]]); /* activations are per tensor */
      }
      if (op->opcode == ENET_OpCode_CONCAT && op->num_fields > 0) {
        int axis = op->fields[0].i;
        if (axis >= 0 && axis < rank) out_guess[axis] = -1;
      }
  }
  /* Optional inputs dropped now and then (-1 where the registry allows it). */
  if (reg)
    for (int s = 0; s < op->num_inputs && s < 32; s++)
      if ((reg->optional_inputs & (1u << s)) && pick(c, 4) == 3) in[s] = -1;

  /* Outputs. Declared dims: all -1 (prepare infers them), the guess, or a wrong rank. */
  unsigned declare = pick(c, 4);
  int needs_declared = op->opcode == ENET_OpCode_BROADCAST_TO || op->opcode == ENET_OpCode_RESIZE ||
                       (op->opcode == ENET_OpCode_RESHAPE && op->num_fields == 0);
  if (op->opcode == ENET_OpCode_BROADCAST_TO && out_rank < ENET_MAX_DIMS && pick(c, 2)) {
    memmove(out_guess + 1, out_guess, sizeof(int64_t) * (ENET_MAX_DIMS - 1)); /* a new leading dim */
    out_guess[0] = 2;
    out_rank++;
  }
  for (int o = 0; o < op->num_outputs; o++) {
    int orank = declare == 3 && rarely(c) ? out_rank + 1 : out_rank;
    gen_tensor* y = new_tensor(g, maybe_other_dtype(c, out_dtype), orank, out_guess);
    if (!y) break;
    for (int d = 0; d < y->ndim; d++) {
      if (y->guess[d] < 0) y->guess[d] = 1;
      if (!needs_declared && declare != 1) y->shape[d] = -1;
    }
    if (y->dtype == ENET_DataType_INT8) {
      quantize_per_tensor(c, y);
      if (op->opcode == ENET_OpCode_SOFTMAX && !rarely(c)) y->scale[0] = 1.0f / 256, y->zero_point[0] = -128;
    }
    op->outputs[o] = index_of(g, y);
    g->last_value = op->outputs[o];
  }
  if (op->num_outputs > 0 && rarely(c)) op->outputs[0] = pick(c, 2) ? xi : MAX_TENSORS + 1; /* output reuse / bad */
  if (rarely(c)) in[pick(c, (unsigned)op->num_inputs)] = pick(c, 2) ? -1 : g->num_tensors; /* bad input ref */
  op->activation = pick(c, 8) == 7 ? (int)pick(c, ENET_Activation_COUNT + 1) : ENET_Activation_NONE;
  g->num_ops++;
}

/* ---- a whole model --------------------------------------------------------------------- */

/* Sometimes a state variable (schema StateVariable): a new state tensor like the last value (static
 * shape, same dtype and quantization), a constant initial value, assigned the last value; rarely
 * with one index broken. */
static void gen_state(choices* c, gen_model* m, gen_subgraph* g) {
  if (pick(c, 4) != 3 || g->num_tensors + 2 > MAX_TENSORS || g->num_states >= MAX_STATES) return;
  const gen_tensor* value = &g->tensors[g->last_value];
  int64_t dims[ENET_MAX_DIMS];
  for (int d = 0; d < value->ndim; d++) dims[d] = value->shape[d] < 0 ? 1 : value->shape[d];
  gen_tensor* pair[2] = {new_tensor(g, value->dtype, value->ndim, dims), new_tensor(g, value->dtype, value->ndim, dims)};
  for (int i = 0; i < 2; i++) {
    pair[i]->num_quant = value->num_quant;
    pair[i]->quant_axis = value->quant_axis;
    memcpy(pair[i]->scale, value->scale, sizeof value->scale);
    memcpy(pair[i]->zero_point, value->zero_point, sizeof value->zero_point);
  }
  make_constant(c, m, pair[1], DATA_DEFAULT, 0);
  int32_t* st = g->states[g->num_states++];
  st[0] = index_of(g, pair[0]), st[1] = index_of(g, pair[1]), st[2] = g->last_value;
  if (rarely(c)) st[pick(c, 3)] = pick_int(c, -2, g->num_tensors + 1);
}

static void gen_subgraph_into(choices* c, gen_model* m, gen_subgraph* g, int int8, int first_opcode, int num_ops) {
  g->int8 = int8;
  gen_tensor* x0 = new_graph_input(c, g, int8 ? ENET_DataType_INT8 : ENET_DataType_FLOAT32, NULL);
  g->last_value = x0 ? index_of(g, x0) : 0;
  for (int i = 0; i < num_ops; i++) gen_op_into(c, m, g, i == 0 ? first_opcode : -1);
  /* Graph outputs: the last value, plus sometimes another tensor or a bad index. */
  g->outputs[g->num_outputs++] = g->last_value;
  if (pick(c, 4) == 3 && g->num_tensors > 0) g->outputs[g->num_outputs++] = (int32_t)pick(c, (unsigned)g->num_tensors);
  if (rarely(c)) g->outputs[g->num_outputs++] = pick(c, 2) ? -1 : g->num_tensors;
  if (rarely(c) && g->num_inputs < MAX_GRAPH_IO) g->inputs[g->num_inputs++] = (int32_t)pick(c, (unsigned)g->num_tensors + 1);
  gen_state(c, m, g);
}

/* ---- serialization ----------------------------------------------------------------------- */

static size_t write_quantization(fbw* w, const gen_tensor* t) {
  fbw_table q;
  fbw_table_begin(&q);
  fbw_table_ref(&q, ENET_QuantizationParameters_scale);
  fbw_table_ref(&q, ENET_QuantizationParameters_zero_point);
  int32_t axis = t->quant_axis;
  if (axis != 0) fbw_table_scalar(&q, ENET_QuantizationParameters_axis, &axis, 4);
  size_t pos = fbw_table_end(w, &q);
  fbw_patch(w, fbw_field_pos(&q, pos, 0), fbw_vector(w, t->scale, (uint32_t)t->num_quant, 4));
  fbw_patch(w, fbw_field_pos(&q, pos, 1), fbw_vector(w, t->zero_point, (uint32_t)t->num_quant, 8));
  return pos;
}

static size_t write_tensor(fbw* w, const gen_tensor* t) {
  fbw_table tt;
  fbw_table_begin(&tt);
  fbw_table_ref(&tt, ENET_Tensor_name);
  fbw_table_ref(&tt, ENET_Tensor_shape);
  int8_t dtype = (int8_t)t->dtype;
  if (dtype != 0) fbw_table_scalar(&tt, ENET_Tensor_dtype, &dtype, 1);
  int32_t buffer = t->buffer;
  if (buffer != -1) fbw_table_scalar(&tt, ENET_Tensor_buffer, &buffer, 4);
  if (t->num_quant) fbw_table_ref(&tt, ENET_Tensor_quantization);
  size_t pos = fbw_table_end(w, &tt);
  fbw_patch(w, fbw_field_pos(&tt, pos, ENET_Tensor_name), fbw_string(w, t->name));
  fbw_patch(w, fbw_field_pos(&tt, pos, ENET_Tensor_shape), fbw_vector(w, t->shape, (uint32_t)t->ndim, 4));
  if (t->num_quant) fbw_patch(w, fbw_field_pos(&tt, pos, ENET_Tensor_quantization), write_quantization(w, t));
  return pos;
}

static size_t write_options(fbw* w, const gen_op* op) {
  fbw_table t;
  fbw_table_begin(&t);
  for (int i = 0; i < op->num_fields; i++) {
    const gen_field* f = &op->fields[i];
    int8_t b = (int8_t)f->i;
    switch (f->kind) {
      case FIELD_I32:
        fbw_table_scalar(&t, f->slot, &f->i, 4);
        break;
      case FIELD_F32:
        fbw_table_scalar(&t, f->slot, &f->f, 4);
        break;
      case FIELD_U8:
      case FIELD_I8:
        fbw_table_scalar(&t, f->slot, &b, 1);
        break;
      case FIELD_VEC:
      case FIELD_STR:
      case FIELD_BYTES:
        fbw_table_ref(&t, f->slot);
        break;
    }
  }
  size_t pos = fbw_table_end(w, &t);
  for (int i = 0; i < op->num_fields; i++) {
    const gen_field* f = &op->fields[i];
    if (f->kind == FIELD_VEC)
      fbw_patch(w, fbw_field_pos(&t, pos, f->slot), fbw_vector(w, f->vec, (uint32_t)f->vec_len, 4));
    if (f->kind == FIELD_STR) fbw_patch(w, fbw_field_pos(&t, pos, f->slot), fbw_string(w, f->bytes));
    if (f->kind == FIELD_BYTES)
      fbw_patch(w, fbw_field_pos(&t, pos, f->slot), fbw_vector(w, f->bytes, (uint32_t)f->bytes_len, 1));
  }
  return pos;
}

static size_t write_operator(fbw* w, const gen_op* op, int index) {
  fbw_table t;
  fbw_table_begin(&t);
  uint16_t opcode = (uint16_t)op->opcode;
  fbw_table_scalar(&t, ENET_Operator_opcode, &opcode, 2);
  fbw_table_ref(&t, ENET_Operator_inputs);
  fbw_table_ref(&t, ENET_Operator_outputs);
  uint8_t options_type = (uint8_t)op->options_type;
  int with_options = options_type != ENET_OperatorOptions_NONE && op->options_present;
  if (options_type != ENET_OperatorOptions_NONE) fbw_table_scalar(&t, ENET_Operator_options_type, &options_type, 1);
  if (with_options) fbw_table_ref(&t, ENET_Operator_options);
  int8_t activation = (int8_t)op->activation;
  if (activation) fbw_table_scalar(&t, ENET_Operator_activation, &activation, 1);
  fbw_table_ref(&t, ENET_Operator_name);
  size_t pos = fbw_table_end(w, &t);
  fbw_patch(w, fbw_field_pos(&t, pos, ENET_Operator_inputs), fbw_vector(w, op->inputs, (uint32_t)op->num_inputs, 4));
  fbw_patch(w, fbw_field_pos(&t, pos, ENET_Operator_outputs),
            fbw_vector(w, op->outputs, (uint32_t)op->num_outputs, 4));
  if (with_options) fbw_patch(w, fbw_field_pos(&t, pos, ENET_Operator_options), write_options(w, op));
  char name[16];
  snprintf(name, sizeof name, "op%d", index);
  fbw_patch(w, fbw_field_pos(&t, pos, ENET_Operator_name), fbw_string(w, name));
  return pos;
}

static size_t write_state(fbw* w, const int32_t* state) {
  fbw_table t;
  fbw_table_begin(&t);
  fbw_table_scalar(&t, ENET_StateVariable_tensor, &state[0], 4);
  fbw_table_scalar(&t, ENET_StateVariable_initial_value, &state[1], 4);
  fbw_table_scalar(&t, ENET_StateVariable_assigned, &state[2], 4);
  return fbw_table_end(w, &t);
}

static size_t write_subgraph(fbw* w, const gen_subgraph* g, int index) {
  fbw_table t;
  fbw_table_begin(&t);
  fbw_table_ref(&t, ENET_SubGraph_name);
  fbw_table_ref(&t, ENET_SubGraph_tensors);
  fbw_table_ref(&t, ENET_SubGraph_inputs);
  fbw_table_ref(&t, ENET_SubGraph_outputs);
  fbw_table_ref(&t, ENET_SubGraph_operators);
  if (g->num_states) fbw_table_ref(&t, ENET_SubGraph_states);
  size_t pos = fbw_table_end(w, &t);
  char name[16];
  snprintf(name, sizeof name, "g%d", index);
  fbw_patch(w, fbw_field_pos(&t, pos, ENET_SubGraph_name), fbw_string(w, name));
  size_t first;
  fbw_patch(w, fbw_field_pos(&t, pos, ENET_SubGraph_tensors), fbw_ref_vector(w, (uint32_t)g->num_tensors, &first));
  for (int i = 0; i < g->num_tensors; i++) fbw_patch(w, first + 4 * (size_t)i, write_tensor(w, &g->tensors[i]));
  fbw_patch(w, fbw_field_pos(&t, pos, ENET_SubGraph_inputs), fbw_vector(w, g->inputs, (uint32_t)g->num_inputs, 4));
  fbw_patch(w, fbw_field_pos(&t, pos, ENET_SubGraph_outputs), fbw_vector(w, g->outputs, (uint32_t)g->num_outputs, 4));
  fbw_patch(w, fbw_field_pos(&t, pos, ENET_SubGraph_operators), fbw_ref_vector(w, (uint32_t)g->num_ops, &first));
  for (int i = 0; i < g->num_ops; i++) fbw_patch(w, first + 4 * (size_t)i, write_operator(w, &g->ops[i], i));
  if (g->num_states) {
    fbw_patch(w, fbw_field_pos(&t, pos, ENET_SubGraph_states), fbw_ref_vector(w, (uint32_t)g->num_states, &first));
    for (int i = 0; i < g->num_states; i++) fbw_patch(w, first + 4 * (size_t)i, write_state(w, g->states[i]));
  }
  return pos;
}

static size_t serialize(const gen_model* m, uint8_t** out) {
  fbw w;
  fbw_init(&w);
  uint32_t root_placeholder = 0;
  fbw_bytes(&w, &root_placeholder, 4);
  fbw_bytes(&w, ENET_FILE_IDENTIFIER, 4);
  fbw_table t;
  fbw_table_begin(&t);
  fbw_table_scalar(&t, ENET_Model_version, &m->version, 4);
  fbw_table_ref(&t, ENET_Model_producer);
  fbw_table_ref(&t, ENET_Model_subgraphs);
  fbw_table_ref(&t, ENET_Model_buffers);
  fbw_table_ref(&t, ENET_Model_metadata);
  size_t root = fbw_table_end(&w, &t);
  fbw_patch(&w, 0, root);
  fbw_patch(&w, fbw_field_pos(&t, root, ENET_Model_producer), fbw_string(&w, "edgenet-fuzz"));
  size_t first;
  fbw_patch(&w, fbw_field_pos(&t, root, ENET_Model_subgraphs), fbw_ref_vector(&w, (uint32_t)m->num_subgraphs, &first));
  for (int i = 0; i < m->num_subgraphs; i++) fbw_patch(&w, first + 4 * (size_t)i, write_subgraph(&w, &m->subgraphs[i], i));
  /* Metadata: one entry. */
  fbw_patch(&w, fbw_field_pos(&t, root, ENET_Model_metadata), fbw_ref_vector(&w, 1, &first));
  fbw_table kv;
  fbw_table_begin(&kv);
  fbw_table_ref(&kv, ENET_Metadata_key);
  fbw_table_ref(&kv, ENET_Metadata_value);
  size_t kv_pos = fbw_table_end(&w, &kv);
  fbw_patch(&w, first, kv_pos);
  fbw_patch(&w, fbw_field_pos(&kv, kv_pos, 0), fbw_string(&w, "fuzz"));
  fbw_patch(&w, fbw_field_pos(&kv, kv_pos, 1), fbw_string(&w, "1"));
  /* Buffers: the struct vector is written last so the data section's start is known:
   * vector, then padding to 64, then the data. */
  uint64_t buffers[2 * MAX_BUFFERS];
  size_t vec_bytes = 4 + 16 * (size_t)m->num_buffers + 8; /* upper bound incl. alignment */
  size_t data_start = (w.len + vec_bytes + 63) / 64 * 64;
  for (int i = 0; i < m->num_buffers; i++) {
    buffers[2 * i] = data_start + m->buffer_offset[i];
    buffers[2 * i + 1] = m->buffer_size[i];
  }
  fbw_patch(&w, fbw_field_pos(&t, root, ENET_Model_buffers), fbw_vector(&w, buffers, (uint32_t)m->num_buffers, 16));
  static const uint8_t zeros[128];
  if (w.len <= data_start && data_start - w.len <= sizeof zeros) fbw_bytes(&w, zeros, data_start - w.len);
  else w.failed = 1;
  fbw_bytes(&w, m->data, m->data_len);
  if (w.failed) {
    fbw_free(&w);
    return 0;
  }
  *out = w.data;
  return w.len;
}

size_t enet_fuzz_generate(const uint8_t* decisions, size_t size, uint8_t** out) {
  gen_model* m = calloc(1, sizeof *m);
  if (!m) return 0;
  choices c = {decisions, size, 0};
  /* Header: the first op's code, mode, op count, subgraph count, data seed. */
  int first_opcode = (int)pick(&c, ENET_OpCode_COUNT + 2);
  int int8 = (int)pick(&c, 2);
  int num_ops = 1 + (int)pick(&c, MAX_OPS);
  m->num_subgraphs = pick(&c, 8) == 7 ? 2 + (int)pick(&c, MAX_SUBGRAPHS - 1) : 1;
  m->rng = 0x12345u + (uint32_t)pick(&c, 256);
  m->version = rarely(&c) ? (uint32_t)pick_int(&c, 0, 3) : ENET_FORMAT_VERSION;
  gen_subgraph_into(&c, m, &m->subgraphs[0], int8, first_opcode, num_ops);
  for (int s = 1; s < m->num_subgraphs; s++) gen_subgraph_into(&c, m, &m->subgraphs[s], (int)pick(&c, 2), -1, 1);
  size_t n = serialize(m, out);
  free(m);
  return n;
}

size_t enet_fuzz_seed_for_op(int opcode, int int8, uint32_t variant, uint8_t* buf, size_t buf_size) {
  /* The header of enet_fuzz_generate (op code, mode), then plausible (zero) choices;
   * variants > 0 sprinkle small values over the rest. */
  size_t n = buf_size < 96 ? buf_size : 96;
  if (n < 2) return 0;
  memset(buf, 0, n);
  buf[0] = (uint8_t)opcode;
  buf[1] = (uint8_t)int8;
  uint32_t r = variant * 2654435761u + 1;
  for (size_t i = 2; variant && i < n; i++) {
    r ^= r << 13, r ^= r >> 17, r ^= r << 5;
    buf[i] = (uint8_t)(r % 4 == 0 ? r >> 8 : r % 3);
  }
  if (variant) buf[2] = (uint8_t)(variant % 3); /* 1..3 ops */
  return n;
}
