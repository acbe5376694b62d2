/* RESIZE (Python side: edgenet/ops/image.py): x (N, H, W, C) -> (N, out_h, out_w, C), with
 * (out_h, out_w) from the output tensor's declared shape and ResizeOptions' ONNX modes. */
#include <math.h>

#include "../kernels/reference/reference.h"
#include "ops.h"

/* Range checks of the options this family reads; the loader runs them (ops/registry.c). */
enet_status enet_check_resize_options(const enet_op_options* options) {
  const enet_ResizeOptions* o = &options->resize;
  if (o->mode < 0 || o->mode >= ENET_ResizeMode_COUNT || o->coordinate_mode < 0 ||
      o->coordinate_mode >= ENET_CoordinateMode_COUNT || o->nearest_mode < 0 || o->nearest_mode >= ENET_NearestMode_COUNT)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "ResizeOptions modes (%d, %d, %d) are unknown", o->mode,
                          o->coordinate_mode, o->nearest_mode);
  if (!(o->scale_h > 0.0f) || !(o->scale_w > 0.0f) || isinf(o->scale_h) || isinf(o->scale_w))
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "ResizeOptions scales (%g, %g) must be positive and finite",
                          o->scale_h, o->scale_w);
  return ENET_OK;
}

enet_status enet_resize_prepare(enet_op_context* ctx) {
  const enet_rt_tensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  enet_status s = enet_check_float(ctx);
  if (s == ENET_OK) s = enet_check_rank(ctx, 0, 4, "input (N, H, W, C)");
  if (s != ENET_OK) return s;
  if (y->def->ndim != 4 || y->def->shape[1] < 1 || y->def->shape[2] < 1) {
    char ys[ENET_SHAPE_STR_MAX];
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "the output's declared shape %s must be (N, out_h, out_w, C) "
                          "with a static out_h and out_w >= 1",
                          enet_format_shape(ys, sizeof ys, y->def->ndim, y->def->shape));
  }
  if (x->shape[1] < 1 || x->shape[2] < 1)
    return enet_set_error(ENET_ERROR_INVALID_MODEL, "cannot resize an empty image (H = %lld, W = %lld)",
                          (long long)x->shape[1], (long long)x->shape[2]);
  int64_t shape[4] = {x->shape[0], y->def->shape[1], y->def->shape[2], x->shape[3]};
  enet_set_output_shape(ctx->outputs[0], 4, shape);
  return ENET_OK;
}

/* The file stores scales as float32. When one is just the float32 rounding of out/in (the
 * usual case: the converter writes out/in), use the exact ratio, as the numpy reference and
 * ONNX's do: e.g. 3 -> 7 maps output 3 to input 1.0 exactly, where the rounded scale gives
 * 1.0000001, and nearest "ceil" would pick the next pixel. */
static double exact_scale(float stored, int64_t in, int64_t out) {
  double ratio = (double)out / (double)in;
  return (float)ratio == stored ? ratio : (double)stored;
}

void enet_resize_invoke(const enet_op_context* ctx) {
  const enet_rt_tensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  const enet_op_options* o = &ctx->op->options;
  static const enet_resize_coordinates coordinates[ENET_CoordinateMode_COUNT] = {
      [ENET_CoordinateMode_HALF_PIXEL] = ENET_RESIZE_HALF_PIXEL,
      [ENET_CoordinateMode_ALIGN_CORNERS] = ENET_RESIZE_ALIGN_CORNERS,
      [ENET_CoordinateMode_ASYMMETRIC] = ENET_RESIZE_ASYMMETRIC,
      [ENET_CoordinateMode_PYTORCH_HALF_PIXEL] = ENET_RESIZE_PYTORCH_HALF_PIXEL,
      [ENET_CoordinateMode_TF_HALF_PIXEL_FOR_NN] = ENET_RESIZE_TF_HALF_PIXEL_FOR_NN,
      [ENET_CoordinateMode_HALF_PIXEL_SYMMETRIC] = ENET_RESIZE_HALF_PIXEL_SYMMETRIC,
  };
  static const enet_resize_nearest nearest[ENET_NearestMode_COUNT] = {
      [ENET_NearestMode_ROUND_PREFER_FLOOR] = ENET_NEAREST_ROUND_PREFER_FLOOR,
      [ENET_NearestMode_ROUND_PREFER_CEIL] = ENET_NEAREST_ROUND_PREFER_CEIL,
      [ENET_NearestMode_FLOOR] = ENET_NEAREST_FLOOR,
      [ENET_NearestMode_CEIL] = ENET_NEAREST_CEIL,
  };
  enet_resize_params p = {.linear = o->resize.mode == ENET_ResizeMode_LINEAR,
                          .coordinates = coordinates[o->resize.coordinate_mode], /* ranges checked by the loader */
                          .nearest = nearest[o->resize.nearest_mode],
                          .scale_h = exact_scale(o->resize.scale_h, x->shape[1], y->shape[1]),
                          .scale_w = exact_scale(o->resize.scale_w, x->shape[2], y->shape[2])};
  enet_ref_resize_f32(&p, x->shape[0], x->shape[1], x->shape[2], x->shape[3], y->shape[1], y->shape[2], x->data,
                      y->data);
}
