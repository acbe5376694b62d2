/* QUANTIZE / DEQUANTIZE arrive with the int8 kernels; until then a model using
 * them is rejected cleanly when the interpreter is created. */
#include "ops.h"

enet_status enet_quantize_prepare(enet_op_context* ctx) {
  return enet_set_error(ENET_ERROR_UNSUPPORTED, "%s is not supported by this build yet (int8 support comes later)",
                        enet_opcode_name(ctx->op->opcode));
}

void enet_quantize_invoke(const enet_op_context* ctx) { (void)ctx; }
