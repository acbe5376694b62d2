/* CUSTOM: an op whose kernel the app registers by name (enet_options.custom_ops, edgenet.h).
 *
 * The interpreter resolves each CUSTOM op's kernel when it is created (ctx->custom); prepare and
 * invoke here translate between the core's tensors and the public enet_custom_tensor view, and
 * turn a callback's failure into an error with its message. The loader's checks of the op's
 * identity (CustomOptions: name, blob) are enet_check_custom_options below. */
#include <stdio.h>
#include <string.h>

#include "ops.h"

/* Longest message a callback may leave in call->error. */
#define CUSTOM_ERROR_MAX 256

/* What prepare keeps for invoke: the call, its tensor views and the message buffer, in one block. */
typedef struct custom_state {
  enet_custom_call call;
  char error[CUSTOM_ERROR_MAX];
  enet_custom_tensor tensors[]; /* inputs, then outputs */
} custom_state;

/* 1 when s[0..len) is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
static int valid_utf8(const unsigned char* s, size_t len) {
  size_t i = 0;
  while (i < len) {
    unsigned c = s[i];
    size_t n;
    unsigned min, cp;
    if (c < 0x80) { i++; continue; }
    if (c >= 0xC2 && c <= 0xDF) n = 1, min = 0x80, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) n = 2, min = 0x800, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) n = 3, min = 0x10000, cp = c & 0x07;
    else return 0;
    if (len - i <= n) return 0;
    for (size_t k = 1; k <= n; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return 0;
      cp = cp << 6 | (s[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    i += n + 1;
  }
  return 1;
}

/* The loader's checks (the generated reader already bounded the name at 128 bytes and the blob at
 * 16 MiB): the name is what apps register kernels under and what messages print, so it must be
 * non-empty, printable UTF-8. */
enet_status enet_check_custom_options(const enet_op_options* options) {
  const enet_CustomOptions* o = &options->custom;
  if (o->len_name == 0) return enet_set_error(ENET_ERROR_INVALID_MODEL, "CustomOptions.name is missing or empty");
  if (!valid_utf8((const unsigned char*)o->name, o->len_name))
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "CustomOptions.name is not valid UTF-8");
  for (uint32_t i = 0; i < o->len_name; i++)
    if ((unsigned char)o->name[i] < 0x20 || o->name[i] == 0x7F)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "CustomOptions.name contains control character 0x%02x",
                            (unsigned)(unsigned char)o->name[i]);
  return ENET_OK;
}

static void to_view(const enet_rt_tensor* t, enet_custom_tensor* v) {
  memset(v, 0, sizeof *v);
  if (!t) { /* an absent optional input */
    v->dtype = (enet_dtype)-1;
    return;
  }
  v->dtype = (enet_dtype)t->def->dtype;
  v->ndim = t->ndim;
  memcpy(v->shape, t->shape, sizeof v->shape);
  v->data = t->data;
  v->bytes = t->bytes;
  v->num_quant = t->def->num_quant;
  v->scale = t->def->scale;
  v->zero_point = t->def->zero_point;
}

/* A failed callback: its status (any other value than a known error reads as INVALID_ARGUMENT)
 * and its message, or a stand-in when it left none. */
static enet_status callback_error(enet_status s, const custom_state* st, const char* phase, char* msg, size_t size) {
  if (s < ENET_ERROR_INVALID_ARGUMENT || s > ENET_ERROR_INVALID_STATE) s = ENET_ERROR_INVALID_ARGUMENT;
  const char* text = st->error[0] ? st->error : "(no message)";
  snprintf(msg, size, "custom op '%s' %s failed (%s): %s", st->call.name, phase, enet_status_name(s), text);
  return s;
}

enet_status enet_custom_prepare(enet_op_context* ctx) {
  const enet_custom_op* kernel = ctx->custom; /* resolved at create; never NULL here */
  const enet_CustomOptions* o = &ctx->op->options.custom;
  int n = ctx->num_inputs + ctx->num_outputs;
  custom_state* st = enet_alloc_op_state(ctx, sizeof *st + (size_t)n * sizeof(enet_custom_tensor));
  if (!st) return ENET_ERROR_OUT_OF_MEMORY;
  ctx->state = st;
  memset(st, 0, sizeof *st);
  enet_custom_tensor* in = st->tensors;
  enet_custom_tensor* out = st->tensors + ctx->num_inputs;
  for (int i = 0; i < ctx->num_inputs; i++) {
    to_view(ctx->inputs[i], &in[i]);
    if (ctx->inputs[i] && !ctx->inputs[i]->def->data) in[i].data = NULL; /* no data before invoke */
  }
  for (int i = 0; i < ctx->num_outputs; i++) {
    to_view(ctx->outputs[i], &out[i]);
    out[i].ndim = ctx->outputs[i]->def->ndim; /* the file's declared shape, -1 where to infer */
    memcpy(out[i].shape, ctx->outputs[i]->def->shape, sizeof out[i].shape);
    out[i].data = NULL;
    out[i].bytes = 0;
  }
  st->call = (enet_custom_call){kernel->user_data, o->name, o->data, (size_t)o->num_data, ctx->num_inputs,
                                ctx->num_outputs, in, out, st->error, sizeof st->error};
  snprintf(ctx->kernel, sizeof ctx->kernel, "custom:%s", o->name);
  if (kernel->prepare) {
    enet_status s = kernel->prepare(&st->call);
    st->error[sizeof st->error - 1] = '\0'; /* whatever the callback wrote */
    if (s != ENET_OK) {
      char msg[CUSTOM_ERROR_MAX + 200];
      s = callback_error(s, st, "prepare", msg, sizeof msg);
      return enet_set_error(s, "%s", msg);
    }
  }
  /* What the callback set is checked like a file: known rank, dims >= 0, the file's dtype. */
  for (int i = 0; i < ctx->num_outputs; i++) {
    enet_rt_tensor* t = ctx->outputs[i];
    if (out[i].ndim < 0 || out[i].ndim > ENET_MAX_DIMS)
      return enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "custom op '%s' prepare gave output %d %d dims (0..%d)",
                            o->name, i, out[i].ndim, ENET_MAX_DIMS);
    for (int d = 0; d < out[i].ndim; d++)
      if (out[i].shape[d] < 0)
        return enet_set_error(ENET_ERROR_INVALID_ARGUMENT,
                              "custom op '%s' prepare left dim %d of output %d unresolved (%lld)%s", o->name, d, i,
                              (long long)out[i].shape[d], kernel->prepare ? "" : " (no prepare callback)");
    if ((int)out[i].dtype != t->def->dtype)
      return enet_set_error(ENET_ERROR_INVALID_ARGUMENT, "custom op '%s' prepare gave output %d dtype %s, the file "
                            "declares %s", o->name, i, enet_dtype_name((int)out[i].dtype), enet_dtype_name(t->def->dtype));
    enet_set_output_shape(t, out[i].ndim, out[i].shape);
  }
  return ENET_OK;
}

void enet_custom_invoke(const enet_op_context* ctx) {
  custom_state* st = ctx->state;
  /* Data pointers and sizes are final now (the arena is planned after every prepare). */
  for (int i = 0; i < ctx->num_inputs; i++) to_view(ctx->inputs[i], &st->tensors[i]);
  for (int i = 0; i < ctx->num_outputs; i++) to_view(ctx->outputs[i], &st->tensors[ctx->num_inputs + i]);
  st->error[0] = '\0';
  enet_status s = ctx->custom->invoke(&st->call);
  st->error[sizeof st->error - 1] = '\0';
  if (s != ENET_OK) {
    char msg[CUSTOM_ERROR_MAX + 200];
    s = callback_error(s, st, "invoke", msg, sizeof msg);
    enet_fail_invoke(s, "%s", msg);
  }
}
