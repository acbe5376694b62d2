/* The op registry: for each op code, its input/output/options contract (the
 * loader verifies files against it) and its prepare/invoke functions.
 * Adding an op: a row here, its prepare/invoke in ops/, its kernel in kernels/. */
#include "ops.h"

#define BIAS (1u << 2) /* input 2 (bias) may be -1 */
#define UNLIMITED (-1)
#define OPT(name) ENET_OperatorOptions_##name
#define OP(min_in, max_in, optional, options, fn) {min_in, max_in, optional, 1, options, enet_##fn##_prepare, enet_##fn##_invoke}

static const enet_op_registration registry[ENET_OpCode_COUNT] = {
    [ENET_OpCode_CONV_2D] = OP(2, 3, BIAS, OPT(Conv2DOptions), conv2d),
    [ENET_OpCode_DEPTHWISE_CONV_2D] = OP(2, 3, BIAS, OPT(Conv2DOptions), depthwise_conv2d),
    [ENET_OpCode_FULLY_CONNECTED] = OP(2, 3, BIAS, OPT(NONE), fully_connected),
    [ENET_OpCode_ADD] = OP(2, 2, 0, OPT(NONE), binary),
    [ENET_OpCode_SUB] = OP(2, 2, 0, OPT(NONE), binary),
    [ENET_OpCode_MUL] = OP(2, 2, 0, OPT(NONE), binary),
    [ENET_OpCode_RELU] = OP(1, 1, 0, OPT(NONE), unary),
    [ENET_OpCode_RELU6] = OP(1, 1, 0, OPT(NONE), unary),
    /* int8 SIGMOID, TANH, HARD_SWISH and SOFTMAX take a second input: their lookup table. */
    [ENET_OpCode_SIGMOID] = OP(1, 2, 0, OPT(NONE), unary),
    [ENET_OpCode_TANH] = OP(1, 2, 0, OPT(NONE), unary),
    [ENET_OpCode_HARD_SWISH] = OP(1, 2, 0, OPT(NONE), unary),
    [ENET_OpCode_MAX_POOL_2D] = OP(1, 1, 0, OPT(Pool2DOptions), pool2d),
    [ENET_OpCode_AVG_POOL_2D] = OP(1, 1, 0, OPT(Pool2DOptions), pool2d),
    [ENET_OpCode_MEAN] = OP(1, 1, 0, OPT(ReduceOptions), mean),
    [ENET_OpCode_RESHAPE] = OP(1, 1, 0, OPT(ReshapeOptions), reshape),
    [ENET_OpCode_TRANSPOSE] = OP(1, 1, 0, OPT(TransposeOptions), transpose),
    [ENET_OpCode_CONCAT] = OP(1, UNLIMITED, 0, OPT(ConcatOptions), concat),
    [ENET_OpCode_PAD] = OP(1, 1, 0, OPT(PadOptions), pad),
    [ENET_OpCode_SOFTMAX] = OP(1, 2, 0, OPT(SoftmaxOptions), softmax),
    [ENET_OpCode_CLIP] = OP(1, 1, 0, OPT(ClipOptions), clip),
    [ENET_OpCode_QUANTIZE] = OP(1, 1, 0, OPT(NONE), quantize),
    [ENET_OpCode_DEQUANTIZE] = OP(1, 1, 0, OPT(NONE), quantize),
};

const enet_op_registration* enet_op_lookup(int opcode) {
  if (opcode < 0 || opcode >= ENET_OpCode_COUNT || !registry[opcode].prepare) return NULL;
  return &registry[opcode];
}
