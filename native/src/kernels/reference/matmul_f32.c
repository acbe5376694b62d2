/* Reference float batched matrix multiply (numpy matmul semantics). */
#include "reference.h"

void enet_ref_matmul_f32(int batch_ndim, const int64_t* batch_shape, const int64_t* a_batch_shape,
                         const int64_t* b_batch_shape, int64_t m, int64_t k, int64_t n, const float* a, const float* b,
                         const float* bias, float* y) {
  const int64_t* shapes[2] = {a_batch_shape, b_batch_shape};
  enet_broadcast it; /* walks the (broadcast) batch dims; offsets count whole matrices */
  enet_broadcast_init(&it, batch_ndim, batch_shape, 2, shapes);
  for (int64_t p = 0; p < it.total; p++, enet_broadcast_next(&it)) {
    const float* ap = a + it.offset[0] * m * k;
    const float* bp = b + it.offset[1] * k * n;
    float* yp = y + p * m * n;
    /* Row i of y accumulates a[i, q] * b[q, :] for q = 0, 1, ...: b is read row by row (cache
     * friendly), and every y[i, j] still sums its k products in order q = 0..k-1. */
    for (int64_t i = 0; i < m; i++) {
      float* row = yp + i * n;
      for (int64_t j = 0; j < n; j++) row[j] = bias ? bias[j] : 0.0f;
      for (int64_t q = 0; q < k; q++) {
        float aq = ap[i * k + q];
        const float* bq = bp + q * n;
        for (int64_t j = 0; j < n; j++) row[j] += aq * bq[j];
      }
    }
  }
}
