/* The op registry: for each op code, its input/output/options contract (the
 * loader verifies files against it) and its prepare/invoke functions.
 * Adding an op: a row here, its prepare/invoke in ops/<family>.c, its kernel in
 * kernels/reference/<family>_f32.c; a new options table also gets its entry in
 * options_checks below (the checklist: docs/ARCHITECTURE.md, "Adding an op"). */
#include "ops.h"
#include "ops_s8.h" /* enet_lookup_s8_* (TABLE) */

#define BIAS (1u << 2) /* input 2 (bias) may be -1 */
#define UNLIMITED (-1)
#define OPT(name) ENET_OperatorOptions_##name
#define OP(min_in, max_in, optional, options, fn) {min_in, max_in, optional, 1, options, enet_##fn##_prepare, enet_##fn##_invoke}
/* An op with one or more outputs (SPLIT). */
#define OP_MULTI_OUT(min_in, max_in, optional, options, fn) \
  {min_in, max_in, optional, UNLIMITED, options, enet_##fn##_prepare, enet_##fn##_invoke}

/* Parameters are constants: inputs whose data prepare reads must be constant tensors in
 * the file (enet_op_registration.const_inputs*; the loader checks). Ops that read an
 * operand only at invoke accept a computed one: PRELU's slope, LAYER_NORM's and
 * INSTANCE_NORM's scale and bias, MATMUL's b, CONV_2D_TRANSPOSE's weights and bias (float
 * reference kernels), float conv / fully connected weights and bias (packed only when
 * constant), and GATHER's indices (checked at prepare when constant, else at invoke). */
static const char* const CONV_INPUTS[] = {"input", "weights", "bias", NULL};
static const char* const TABLE_INPUTS[] = {"input", "lookup table", NULL};
#define TABLE (1u << 1) /* input 1: the lookup table */
/* An op whose prepare reads `always` inputs whatever the dtype, and `int8` ones more when int8. */
#define OP_CONST(min_in, max_in, optional, options, fn, always, int8, names) \
  {min_in, max_in, optional, 1, options, enet_##fn##_prepare, enet_##fn##_invoke, always, int8, names}
/* Conv-like ops: the int8 prepare reads the bias (to bound the int32 accumulator). int8
 * weights may be computed: prepare reads only their quantization, and packs them only
 * when constant. */
#define OP_CONV(options, fn) OP_CONST(2, 3, BIAS, options, fn, 0, BIAS, CONV_INPUTS)
/* Elementwise unary ops and SOFTMAX: in int8, a lookup in the table that is their second
 * input (prepare checks its shape; SOFTMAX's its values). */
#define OP_UNARY(options, fn) OP_CONST(1, 2, 0, options, fn, 0, TABLE, TABLE_INPUTS)

/* LSTM / GRU: bias, initial_h, initial_c optional. */
static const char* const LSTM_INPUTS[] = {"x", "w", "r", "bias", "initial_h", "initial_c", NULL};
#define RECURRENT_OPTIONAL ((1u << 3) | (1u << 4) | (1u << 5))
#define RECURRENT_CONST ((1u << 1) | (1u << 2) | (1u << 3))
#define OP_RECURRENT(max_in, num_outputs, options, fn) \
  {3, max_in, RECURRENT_OPTIONAL, num_outputs, options, enet_##fn##_prepare, enet_##fn##_invoke, RECURRENT_CONST, 0, \
   LSTM_INPUTS}

static const enet_op_registration registry[ENET_OpCode_COUNT] = {
    [ENET_OpCode_CONV_2D] = OP_CONV(OPT(Conv2DOptions), conv2d),
    [ENET_OpCode_DEPTHWISE_CONV_2D] = OP_CONV(OPT(Conv2DOptions), depthwise_conv2d),
    [ENET_OpCode_FULLY_CONNECTED] = OP_CONV(OPT(NONE), fully_connected),
    [ENET_OpCode_ADD] = OP(2, 2, 0, OPT(NONE), binary),
    [ENET_OpCode_SUB] = OP(2, 2, 0, OPT(NONE), binary),
    [ENET_OpCode_MUL] = OP(2, 2, 0, OPT(NONE), binary),
    [ENET_OpCode_RELU] = OP_UNARY(OPT(NONE), unary),
    [ENET_OpCode_RELU6] = OP_UNARY(OPT(NONE), unary),
    [ENET_OpCode_SIGMOID] = OP_UNARY(OPT(NONE), unary),
    [ENET_OpCode_TANH] = OP_UNARY(OPT(NONE), unary),
    [ENET_OpCode_HARD_SWISH] = OP_UNARY(OPT(NONE), unary),
    [ENET_OpCode_MAX_POOL_2D] = OP(1, 1, 0, OPT(Pool2DOptions), pool2d),
    [ENET_OpCode_AVG_POOL_2D] = OP(1, 1, 0, OPT(Pool2DOptions), pool2d),
    [ENET_OpCode_MEAN] = OP(1, 1, 0, OPT(ReduceOptions), mean),
    [ENET_OpCode_RESHAPE] = OP(1, 1, 0, OPT(ReshapeOptions), reshape),
    [ENET_OpCode_TRANSPOSE] = OP(1, 1, 0, OPT(TransposeOptions), transpose),
    [ENET_OpCode_CONCAT] = OP(1, UNLIMITED, 0, OPT(ConcatOptions), concat),
    [ENET_OpCode_PAD] = OP(1, 1, 0, OPT(PadOptions), pad),
    [ENET_OpCode_SOFTMAX] = OP_UNARY(OPT(SoftmaxOptions), softmax),
    [ENET_OpCode_CLIP] = OP_UNARY(OPT(ClipOptions), clip),
    [ENET_OpCode_QUANTIZE] = OP(1, 1, 0, OPT(NONE), quantize),
    [ENET_OpCode_DEQUANTIZE] = OP(1, 1, 0, OPT(NONE), quantize),
    /* ---- added for the ONNX importer ---- */
    /* ops/math.c */
    [ENET_OpCode_DIV] = OP(2, 2, 0, OPT(NONE), math_binary),
    [ENET_OpCode_POW] = OP(2, 2, 0, OPT(NONE), math_binary),
    [ENET_OpCode_MINIMUM] = OP(2, 2, 0, OPT(NONE), math_binary),
    [ENET_OpCode_MAXIMUM] = OP(2, 2, 0, OPT(NONE), math_binary),
    [ENET_OpCode_PRELU] = OP(2, 2, 0, OPT(NONE), math_binary),
    [ENET_OpCode_EQUAL] = OP(2, 2, 0, OPT(NONE), compare),
    [ENET_OpCode_LESS] = OP(2, 2, 0, OPT(NONE), compare),
    [ENET_OpCode_GREATER] = OP(2, 2, 0, OPT(NONE), compare),
    [ENET_OpCode_LESS_EQUAL] = OP(2, 2, 0, OPT(NONE), compare),
    [ENET_OpCode_GREATER_EQUAL] = OP(2, 2, 0, OPT(NONE), compare),
    /* unary math: int8 takes its lookup table as a second input, like RELU */
    [ENET_OpCode_SQRT] = OP_UNARY(OPT(NONE), math_unary),
    [ENET_OpCode_EXP] = OP_UNARY(OPT(NONE), math_unary),
    [ENET_OpCode_LOG] = OP_UNARY(OPT(NONE), math_unary),
    [ENET_OpCode_ABS] = OP_UNARY(OPT(NONE), math_unary),
    [ENET_OpCode_NEG] = OP_UNARY(OPT(NONE), math_unary),
    [ENET_OpCode_ERF] = OP_UNARY(OPT(NONE), math_unary),
    [ENET_OpCode_FLOOR] = OP_UNARY(OPT(NONE), math_unary),
    [ENET_OpCode_CEIL] = OP_UNARY(OPT(NONE), math_unary),
    [ENET_OpCode_RECIPROCAL] = OP_UNARY(OPT(NONE), math_unary),
    [ENET_OpCode_SOFTPLUS] = OP_UNARY(OPT(NONE), math_unary),
    [ENET_OpCode_SIN] = OP_UNARY(OPT(NONE), math_unary),
    [ENET_OpCode_COS] = OP_UNARY(OPT(NONE), math_unary),
    [ENET_OpCode_SILU] = OP_UNARY(OPT(NONE), math_unary),
    /* int8 only: a chain of elementwise ops as one lookup table (ops/elementwise_s8.c) */
    [ENET_OpCode_TABLE] = OP_CONST(2, 2, 0, OPT(NONE), lookup_s8, TABLE, 0, TABLE_INPUTS),
    [ENET_OpCode_GELU] = OP_UNARY(OPT(GeluOptions), math_unary),
    [ENET_OpCode_LEAKY_RELU] = OP_UNARY(OPT(AlphaBetaOptions), math_unary),
    [ENET_OpCode_ELU] = OP_UNARY(OPT(AlphaBetaOptions), math_unary),
    [ENET_OpCode_HARD_SIGMOID] = OP_UNARY(OPT(AlphaBetaOptions), math_unary),
    [ENET_OpCode_WHERE] = OP(3, 3, 0, OPT(NONE), where),
    [ENET_OpCode_CAST] = OP(1, 1, 0, OPT(NONE), cast),
    /* ops/reduction.c */
    [ENET_OpCode_REDUCE_SUM] = OP(1, 1, 0, OPT(ReduceOptions), reduce),
    [ENET_OpCode_REDUCE_MAX] = OP(1, 1, 0, OPT(ReduceOptions), reduce),
    [ENET_OpCode_REDUCE_MIN] = OP(1, 1, 0, OPT(ReduceOptions), reduce),
    [ENET_OpCode_ARG_MAX] = OP(1, 1, 0, OPT(ArgOptions), arg_reduce),
    [ENET_OpCode_ARG_MIN] = OP(1, 1, 0, OPT(ArgOptions), arg_reduce),
    /* ops/linalg.c */
    [ENET_OpCode_MATMUL] = OP(2, 2, 0, OPT(NONE), matmul),
    [ENET_OpCode_CONV_2D_TRANSPOSE] = OP(2, 3, BIAS, OPT(Conv2DTransposeOptions), conv2d_transpose),
    /* ops/normalization.c */
    [ENET_OpCode_LOG_SOFTMAX] = OP(1, 1, 0, OPT(SoftmaxOptions), log_softmax),
    [ENET_OpCode_LAYER_NORM] = OP(2, 3, BIAS, OPT(LayerNormOptions), layer_norm),
    [ENET_OpCode_INSTANCE_NORM] = OP(3, 3, 0, OPT(InstanceNormOptions), instance_norm),
    /* ops/data.c (PAD's REFLECT/EDGE modes too, via ops/shape.c) */
    [ENET_OpCode_SPLIT] = OP_MULTI_OUT(1, 1, 0, OPT(SplitOptions), split),
    [ENET_OpCode_SLICE] = OP(1, 1, 0, OPT(SliceOptions), slice),
    [ENET_OpCode_GATHER] = OP(2, 2, 0, OPT(GatherOptions), gather),
    [ENET_OpCode_BROADCAST_TO] = OP(1, 1, 0, OPT(NONE), broadcast_to),
    [ENET_OpCode_DEPTH_TO_SPACE] = OP(1, 1, 0, OPT(DepthSpaceOptions), depth_space),
    [ENET_OpCode_SPACE_TO_DEPTH] = OP(1, 1, 0, OPT(DepthSpaceOptions), depth_space),
    /* ops/image.c */
    [ENET_OpCode_RESIZE] = OP(1, 1, 0, OPT(ResizeOptions), resize),
    /* ops/recurrent.c: w, r and bias are packed at prepare, so constant */
    [ENET_OpCode_LSTM] = OP_RECURRENT(6, 3, OPT(RecurrentOptions), recurrent),
    [ENET_OpCode_GRU] = OP_RECURRENT(5, 2, OPT(RecurrentOptions), recurrent),
    /* ops/shape.c */
    [ENET_OpCode_SHAPE] = OP(1, 1, 0, OPT(NONE), shape),
    /* ops/control_flow.c: IF (pred, operands...), WHILE (loop variables, invariants); the loader checks
     * the bodies against the op (enet_check_control_flow) */
    [ENET_OpCode_IF] = OP_MULTI_OUT(1, UNLIMITED, 0, OPT(IfBranchOptions), if),
    [ENET_OpCode_WHILE] = OP_MULTI_OUT(1, UNLIMITED, 0, OPT(WhileLoopOptions), while),
    /* ops/custom.c: the app's kernel (enet_options.custom_ops), any inputs, one or more outputs */
    [ENET_OpCode_CUSTOM] = OP_MULTI_OUT(0, UNLIMITED, 0, OPT(CustomOptions), custom),
};

/* The range checks of each options table (tflite-micro's ParseXxx), run by the loader right
 * after the generated reader decoded the table. NULL: any value the schema's type holds is
 * valid (ClipOptions, GeluOptions, AlphaBetaOptions). */
static const enet_options_check options_checks[ENET_OperatorOptions_COUNT] = {
    [OPT(NONE)] = NULL,
    [OPT(Conv2DOptions)] = enet_check_conv2d_options,
    [OPT(Pool2DOptions)] = enet_check_pool2d_options,
    [OPT(ReduceOptions)] = enet_check_reduce_options,
    [OPT(ReshapeOptions)] = enet_check_reshape_options,
    [OPT(TransposeOptions)] = enet_check_transpose_options,
    [OPT(ConcatOptions)] = enet_check_concat_options,
    [OPT(PadOptions)] = enet_check_pad_options,
    [OPT(SoftmaxOptions)] = enet_check_softmax_options,
    [OPT(ClipOptions)] = NULL,
    [OPT(GeluOptions)] = NULL,
    [OPT(AlphaBetaOptions)] = NULL,
    [OPT(ArgOptions)] = enet_check_arg_options,
    [OPT(Conv2DTransposeOptions)] = enet_check_conv2d_transpose_options,
    [OPT(SplitOptions)] = enet_check_split_options,
    [OPT(SliceOptions)] = enet_check_slice_options,
    [OPT(GatherOptions)] = enet_check_gather_options,
    [OPT(DepthSpaceOptions)] = enet_check_depth_space_options,
    [OPT(ResizeOptions)] = enet_check_resize_options,
    [OPT(LayerNormOptions)] = enet_check_layer_norm_options,
    [OPT(InstanceNormOptions)] = enet_check_instance_norm_options,
    [OPT(RecurrentOptions)] = enet_check_recurrent_options,
    [OPT(IfBranchOptions)] = NULL,  /* subgraph indices: checked with the subgraphs (enet_check_control_flow) */
    [OPT(WhileLoopOptions)] = NULL, /* any max_iterations; < 0 means none */
    [OPT(CustomOptions)] = enet_check_custom_options,
};

enet_status enet_check_op_options(int options_type, const enet_op_options* options) {
  if (options_type < 0 || options_type >= ENET_OperatorOptions_COUNT)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "unknown options type %d", options_type);
  return options_checks[options_type] ? options_checks[options_type](options) : ENET_OK;
}

const enet_op_registration* enet_op_lookup(int opcode) {
  if (opcode < 0 || opcode >= ENET_OpCode_COUNT || !registry[opcode].prepare) return NULL;
  return &registry[opcode];
}
