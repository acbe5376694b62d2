/* f32 indirect GEMM tile 4 rows x 8 columns, SSE (see enet_f32_igemm_ukernel). */
#if defined(__x86_64__)
#include <emmintrin.h>
#include <string.h>

#include "../optimized.h"

static inline void store_row(float* c, size_t nc, __m128 lo, __m128 hi) {
  if (nc == 8) {
    _mm_storeu_ps(c, lo);
    _mm_storeu_ps(c + 4, hi);
  } else {
    float tmp[8];
    _mm_storeu_ps(tmp, lo);
    _mm_storeu_ps(tmp + 4, hi);
    memcpy(c, tmp, nc * sizeof(float));
  }
}

void enet_f32_igemm_4x8_sse(size_t mr, size_t nc, size_t kc, size_t ks, const float** a, const float* w,
                            const float* bias, float* c, size_t c_stride, float min, float max) {
  const float** r0 = a;
  const float** r1 = mr > 1 ? r0 + ks : r0; /* missing rows alias the row above */
  const float** r2 = mr > 2 ? r1 + ks : r1;
  const float** r3 = mr > 3 ? r2 + ks : r2;
  __m128 c0l = _mm_loadu_ps(bias), c0h = _mm_loadu_ps(bias + 4);
  __m128 c1l = c0l, c1h = c0h, c2l = c0l, c2h = c0h, c3l = c0l, c3h = c0h;
  for (size_t s = 0; s < ks; s++) {
    const float *a0 = r0[s], *a1 = r1[s], *a2 = r2[s], *a3 = r3[s];
    for (size_t k = 0; k < kc; k++, w += 8) {
      const __m128 wl = _mm_loadu_ps(w), wh = _mm_loadu_ps(w + 4);
      __m128 v = _mm_load1_ps(a0 + k);
      c0l = _mm_add_ps(c0l, _mm_mul_ps(v, wl)), c0h = _mm_add_ps(c0h, _mm_mul_ps(v, wh));
      v = _mm_load1_ps(a1 + k);
      c1l = _mm_add_ps(c1l, _mm_mul_ps(v, wl)), c1h = _mm_add_ps(c1h, _mm_mul_ps(v, wh));
      v = _mm_load1_ps(a2 + k);
      c2l = _mm_add_ps(c2l, _mm_mul_ps(v, wl)), c2h = _mm_add_ps(c2h, _mm_mul_ps(v, wh));
      v = _mm_load1_ps(a3 + k);
      c3l = _mm_add_ps(c3l, _mm_mul_ps(v, wl)), c3h = _mm_add_ps(c3h, _mm_mul_ps(v, wh));
    }
  }
  const __m128 lo = _mm_set1_ps(min), hi = _mm_set1_ps(max);
#define CLAMP(x) x = _mm_min_ps(hi, _mm_max_ps(lo, x)) /* NaN passes through */
  CLAMP(c0l), CLAMP(c0h), CLAMP(c1l), CLAMP(c1h), CLAMP(c2l), CLAMP(c2h), CLAMP(c3l), CLAMP(c3h);
#undef CLAMP
  store_row(c, nc, c0l, c0h);
  if (mr > 1) store_row(c + c_stride, nc, c1l, c1h);
  if (mr > 2) store_row(c + 2 * c_stride, nc, c2l, c2h);
  if (mr > 3) store_row(c + 3 * c_stride, nc, c3l, c3h);
}
#endif
