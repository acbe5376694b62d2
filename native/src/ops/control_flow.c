/* Control flow: IF and WHILE run other subgraphs of the model (Python side: edgenet/ops/control_flow.py).
 *
 * Each body is an interpreter of its own (interpreter.c, enet_body_create) over its subgraph, sharing
 * the parent's thread pool: the op's first prepare creates it, every prepare re-prepares it with the
 * op's input shapes (shape inference and its own arena, planner.c), and invoke only copies values in
 * and out of the bodies and runs them: no allocation while running.
 *
 * Values cross a body boundary by copy. The loader (enet_check_control_flow, below) makes sure the
 * two sides of every crossing have one dtype and one quantization (so an int8 loop variable keeps one
 * scale on both sides of the loop), that body indices are valid, and that no body refers to itself or
 * to an ancestor.
 *
 * WHILE: inputs = n loop variables (n = the op's outputs), then invariants; the op's outputs hold the
 * loop variables while it runs. The invariants are copied into the bodies once per invoke (a graph
 * input lives through the whole run of its subgraph, so no body op overwrites it). A loop without
 * max_iterations that is still running after ENET_WHILE_ITERATION_LIMIT iterations fails with an error:
 * a hostile file alone must never hang the interpreter. A model that needs longer loops states its
 * bound (WhileLoopOptions.max_iterations, any int32).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

#define TRY_CHECK(call)           \
  do {                            \
    enet_status s_ = (call);      \
    if (s_ != ENET_OK) return s_; \
  } while (0)

#define ENET_WHILE_ITERATION_LIMIT (1 << 20)
/* Bounds on what a file may ask for: nesting depth, and body interpreters created in all. */
#define ENET_MAX_BODY_DEPTH 16
#define ENET_MAX_BODY_INSTANCES 1024

/* ---- load-time checks ---------------------------------------------------- */

/* The bodies an op runs: {then, else} or {cond, body}; 0 for any other op. */
static int op_bodies(const enet_op_def* op, int bodies[2]) {
  bodies[0] = bodies[1] = -1; /* no body: an index no subgraph has */
  if (op->opcode == ENET_OpCode_IF) {
    bodies[0] = op->options.if_branch.then_subgraph;
    bodies[1] = op->options.if_branch.else_subgraph;
    return 2;
  }
  if (op->opcode == ENET_OpCode_WHILE) {
    bodies[0] = op->options.while_loop.cond_subgraph;
    bodies[1] = op->options.while_loop.body_subgraph;
    return 2;
  }
  return 0;
}


static int same_quantization(const enet_tensor_def* a, const enet_tensor_def* b) {
  if (a->num_quant != b->num_quant || (a->num_quant > 1 && a->quant_axis != b->quant_axis)) return 0;
  for (int i = 0; i < a->num_quant; i++)
    if (a->scale[i] != b->scale[i] || a->zero_point[i] != b->zero_point[i]) return 0;
  return 1;
}

/* One value crossing between the op's tensor `outer` and the body's tensor `inner`: one dtype, one
 * quantization, declared shapes that can agree (-1 matches any size). */
static enet_status check_crossing(const enet_tensor_def* outer, const enet_tensor_def* inner, const char* what, int i,
                                  int body) {
  char a[ENET_SHAPE_STR_MAX], b[ENET_SHAPE_STR_MAX];
  int shapes_agree = outer->ndim == inner->ndim;
  for (int d = 0; shapes_agree && d < outer->ndim; d++)
    shapes_agree = outer->shape[d] == -1 || inner->shape[d] == -1 || outer->shape[d] == inner->shape[d];
  if (outer->dtype != inner->dtype)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "%s %d: tensor '%s' is %s but subgraph %d's '%s' is %s", what, i,
                          outer->name, enet_dtype_name(outer->dtype), body, inner->name, enet_dtype_name(inner->dtype));
  if (!shapes_agree)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "%s %d: tensor '%s' has shape %s but subgraph %d's '%s' has %s",
                          what, i, outer->name, enet_format_shape(a, sizeof a, outer->ndim, outer->shape), body,
                          inner->name, enet_format_shape(b, sizeof b, inner->ndim, inner->shape));
  if (!same_quantization(outer, inner))
    return enet_set_error(ENET_ERROR_INVALID_MODEL,
                          "%s %d: tensor '%s' and subgraph %d's '%s' have different quantization (a value keeps "
                          "one scale across a body boundary)",
                          what, i, outer->name, body, inner->name);
  return ENET_OK;
}

/* Arity, dtypes and shapes between one IF / WHILE op of graph `g` and its bodies. */
static enet_status check_op(const enet_model* m, const enet_subgraph_def* g, const enet_op_def* op) {
  int bodies[2];
  op_bodies(op, bodies);
  int is_if = op->opcode == ENET_OpCode_IF;
  for (int k = 0; k < 2; k++)
    if (bodies[k] < 1 || bodies[k] >= m->num_subgraphs)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "%s subgraph index %d out of range (1..%d; 0 is the main graph)",
                            is_if ? (k ? "else" : "then") : (k ? "body" : "cond"), bodies[k], m->num_subgraphs - 1);
  if (is_if) {
    const enet_tensor_def* pred = &g->tensors[op->inputs[0]];
    if (pred->dtype != ENET_DataType_BOOL)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "the condition '%s' must be BOOL, got %s", pred->name,
                            enet_dtype_name(pred->dtype));
  } else if (op->num_outputs > op->num_inputs) {
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "WHILE has %d outputs but only %d inputs (one input per loop "
                          "variable, then invariants)", op->num_outputs, op->num_inputs);
  }
  int first_operand = is_if ? 1 : 0;
  for (int k = 0; k < 2; k++) {
    const enet_subgraph_def* b = &m->subgraphs[bodies[k]];
    int is_cond = !is_if && k == 0;
    int want_outputs = is_cond ? 1 : op->num_outputs;
    if (b->num_inputs != op->num_inputs - first_operand || b->num_outputs != want_outputs)
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "subgraph %d '%s' has %d inputs and %d outputs; this %s needs %d "
                            "and %d", bodies[k], b->name, b->num_inputs, b->num_outputs, enet_opcode_name(op->opcode),
                            op->num_inputs - first_operand, want_outputs);
    for (int i = 0; i < b->num_inputs; i++) {
      int x = op->inputs[first_operand + i];
      if (x < 0) return enet_set_error(ENET_ERROR_INVALID_MODEL, "input %d is absent", first_operand + i);
      TRY_CHECK(check_crossing(&g->tensors[x], &b->tensors[b->inputs[i]], "input", first_operand + i, bodies[k]));
    }
    if (is_cond) {
      const enet_tensor_def* c = &b->tensors[b->outputs[0]];
      if (c->dtype != ENET_DataType_BOOL)
        return enet_set_error(ENET_ERROR_INVALID_MODEL, "condition subgraph %d's output '%s' must be BOOL, got %s",
                              bodies[k], c->name, enet_dtype_name(c->dtype));
      continue;
    }
    for (int i = 0; i < op->num_outputs; i++)
      TRY_CHECK(check_crossing(&g->tensors[op->outputs[i]], &b->tensors[b->outputs[i]], "output", i, bodies[k]));
    /* WHILE: a body result becomes the next iteration's loop variable. */
    for (int i = 0; !is_if && i < op->num_outputs; i++)
      TRY_CHECK(check_crossing(&g->tensors[op->inputs[i]], &b->tensors[b->outputs[i]], "loop variable", i,
                               bodies[k]));
  }
  return ENET_OK;
}

/* Depth-first over the subgraphs a graph runs: refuses a cycle (a body that runs itself or an
 * ancestor) and counts the body interpreters an interpreter of `index` would create. */
typedef struct walk {
  const enet_model* m;
  unsigned char* state; /* 0 unseen, 1 on the current path, 2 done */
  int64_t* instances;   /* per done subgraph: interpreters it creates, itself included */
} walk;

static enet_status visit(walk* w, int index, int depth) {
  if (depth > ENET_MAX_BODY_DEPTH)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "control flow nested deeper than %d levels", ENET_MAX_BODY_DEPTH);
  w->state[index] = 1;
  int64_t count = 1;
  const enet_subgraph_def* g = &w->m->subgraphs[index];
  for (int o = 0; o < g->num_ops; o++) {
    int bodies[2], n = op_bodies(&g->ops[o], bodies);
    if (n == 0) continue;
    enet_status s = check_op(w->m, g, &g->ops[o]);
    for (int k = 0; s == ENET_OK && k < n; k++) {
      int b = bodies[k];
      if (w->state[b] == 0) {
        s = visit(w, b, depth + 1);
        if (s != ENET_OK) return s; /* named by the op where it was found */
      }
      if (w->state[b] == 1)
        s = enet_set_error(ENET_ERROR_INVALID_MODEL, "subgraph %d '%s' runs itself or an enclosing graph (recursion "
                           "is not allowed)", b, w->m->subgraphs[b].name);
      else if ((count += w->instances[b]) > ENET_MAX_BODY_INSTANCES)
        s = enet_set_error(ENET_ERROR_INVALID_MODEL, "control flow would create more than %d body interpreters",
                           ENET_MAX_BODY_INSTANCES);
    }
    if (s != ENET_OK) {
      enet_prefix_error("subgraph %d op %d '%s' (%s): ", index, o, g->ops[o].name, enet_opcode_name(g->ops[o].opcode));
      return s;
    }
  }
  w->state[index] = 2;
  w->instances[index] = count;
  return ENET_OK;
}

enet_status enet_check_control_flow(const enet_model* m) {
  walk w = {m, calloc((size_t)m->num_subgraphs, 1), calloc((size_t)m->num_subgraphs, sizeof(int64_t))};
  enet_status s = w.state && w.instances ? visit(&w, 0, 0)
                                         : enet_set_error(ENET_ERROR_OUT_OF_MEMORY, "out of memory checking subgraphs");
  free(w.state);
  free(w.instances);
  return s;
}

/* ---- prepare ------------------------------------------------------------- */

/* Creates (first time) and prepares body k on the op's inputs from `first`. */
static enet_status prepare_body(enet_op_context* ctx, int k, int subgraph, int first) {
  if (!ctx->bodies[k]) TRY_CHECK(enet_body_create(ctx, subgraph, &ctx->bodies[k]));
  enet_status s = enet_body_prepare(ctx->bodies[k], ctx->inputs + first);
  if (s != ENET_OK) enet_prefix_error("subgraph %d '%s': ", subgraph, ctx->model->subgraphs[subgraph].name);
  return s;
}

/* Output i takes body k's output shape; a second body must give the same one. */
static enet_status take_output_shapes(enet_op_context* ctx, int k, int subgraph, int set) {
  for (int i = 0; i < ctx->num_outputs; i++) {
    enet_rt_tensor *out = ctx->outputs[i], *from = enet_body_output(ctx->bodies[k], i);
    int same = out->ndim == from->ndim;
    for (int d = 0; same && d < from->ndim; d++) same = out->shape[d] == from->shape[d];
    if (set) {
      enet_set_output_shape(out, from->ndim, from->shape);
    } else if (!same) {
      char a[ENET_SHAPE_STR_MAX], b[ENET_SHAPE_STR_MAX];
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "output %d: subgraph %d gives shape %s, the other one %s", i,
                            subgraph, enet_format_shape(a, sizeof a, from->ndim, from->shape),
                            enet_format_shape(b, sizeof b, out->ndim, out->shape));
    }
  }
  return ENET_OK;
}

static enet_status one_element(const enet_rt_tensor* t, const char* what) {
  if (enet_tensor_elements(t) != 1) {
    char s[ENET_SHAPE_STR_MAX];
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "%s '%s' must have one element, got shape %s", what, t->def->name,
                          enet_format_shape(s, sizeof s, t->ndim, t->shape));
  }
  return ENET_OK;
}

enet_status enet_if_prepare(enet_op_context* ctx) {
  const enet_IfBranchOptions* o = &ctx->op->options.if_branch;
  TRY_CHECK(one_element(ctx->inputs[0], "the condition"));
  TRY_CHECK(prepare_body(ctx, 0, o->then_subgraph, 1));
  TRY_CHECK(prepare_body(ctx, 1, o->else_subgraph, 1));
  TRY_CHECK(take_output_shapes(ctx, 0, o->then_subgraph, 1));
  return take_output_shapes(ctx, 1, o->else_subgraph, 0);
}

enet_status enet_while_prepare(enet_op_context* ctx) {
  const enet_WhileLoopOptions* o = &ctx->op->options.while_loop;
  TRY_CHECK(prepare_body(ctx, 0, o->cond_subgraph, 0));
  TRY_CHECK(prepare_body(ctx, 1, o->body_subgraph, 0));
  TRY_CHECK(one_element(enet_body_output(ctx->bodies[0], 0), "the condition subgraph's output"));
  /* Loop variables keep their shapes: the body must give back what it was given. */
  for (int i = 0; i < ctx->num_outputs; i++) {
    enet_rt_tensor *in = ctx->inputs[i], *from = enet_body_output(ctx->bodies[1], i);
    int same = in->ndim == from->ndim;
    for (int d = 0; same && d < in->ndim; d++) same = in->shape[d] == from->shape[d];
    if (!same) {
      char a[ENET_SHAPE_STR_MAX], b[ENET_SHAPE_STR_MAX];
      return enet_set_error(ENET_ERROR_INVALID_MODEL, "loop variable %d '%s' has shape %s but the body gives %s", i,
                            in->def->name, enet_format_shape(a, sizeof a, in->ndim, in->shape),
                            enet_format_shape(b, sizeof b, from->ndim, from->shape));
    }
    enet_set_output_shape(ctx->outputs[i], in->ndim, in->shape);
  }
  return ENET_OK;
}

/* ---- invoke -------------------------------------------------------------- */

static void copy_tensor(enet_rt_tensor* to, const enet_rt_tensor* from) {
  if (to->data != from->data && from->bytes) memcpy(to->data, from->data, from->bytes);
}

/* Runs body k; on failure reports it as this op's failure, keeping the body's message. */
static int run_body(const enet_op_context* ctx, int k) {
  enet_status s = enet_interpreter_invoke(ctx->bodies[k]);
  if (s == ENET_OK) return 1;
  char message[400]; /* enet_fail_invoke writes the message buffer this one is copied from */
  snprintf(message, sizeof message, "%s", enet_last_error());
  int bodies[2];
  op_bodies(ctx->op, bodies);
  int subgraph = bodies[k];
  enet_fail_invoke(s, "subgraph %d '%s': %s", subgraph, ctx->model->subgraphs[subgraph].name, message);
  return 0;
}

static int is_true(const enet_rt_tensor* t) { return *(const uint8_t*)t->data != 0; }

void enet_if_invoke(const enet_op_context* ctx) {
  int k = is_true(ctx->inputs[0]) ? 0 : 1;
  enet_interpreter* branch = ctx->bodies[k];
  for (int i = 1; i < ctx->num_inputs; i++) copy_tensor(enet_body_input(branch, i - 1), ctx->inputs[i]);
  if (!run_body(ctx, k)) return;
  for (int i = 0; i < ctx->num_outputs; i++) copy_tensor(ctx->outputs[i], enet_body_output(branch, i));
}

void enet_while_invoke(const enet_op_context* ctx) {
  enet_interpreter *cond = ctx->bodies[0], *body = ctx->bodies[1];
  int n = ctx->num_outputs;
  int64_t max_iterations = ctx->op->options.while_loop.max_iterations;
  for (int i = 0; i < n; i++) copy_tensor(ctx->outputs[i], ctx->inputs[i]); /* the loop variables */
  for (int i = n; i < ctx->num_inputs; i++) {                              /* invariants, once */
    copy_tensor(enet_body_input(cond, i), ctx->inputs[i]);
    copy_tensor(enet_body_input(body, i), ctx->inputs[i]);
  }
  for (int64_t iteration = 0;; iteration++) {
    if (max_iterations >= 0 && iteration >= max_iterations) return;
    for (int i = 0; i < n; i++) copy_tensor(enet_body_input(cond, i), ctx->outputs[i]);
    if (!run_body(ctx, 0)) return;
    if (!is_true(enet_body_output(cond, 0))) return;
    if (max_iterations < 0 && iteration >= ENET_WHILE_ITERATION_LIMIT) {
      enet_fail_invoke(ENET_ERROR_UNSUPPORTED,
                       "the loop is still running after %d iterations, the limit for a WHILE without "
                       "max_iterations (give the loop a max_iterations to allow more)",
                       ENET_WHILE_ITERATION_LIMIT);
      return;
    }
    for (int i = 0; i < n; i++) copy_tensor(enet_body_input(body, i), ctx->outputs[i]);
    if (!run_body(ctx, 1)) return;
    for (int i = 0; i < n; i++) copy_tensor(ctx->outputs[i], enet_body_output(body, i));
  }
}
