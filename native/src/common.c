/* common.c — error messages, names and overflow-checked size arithmetic. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#if defined(_MSC_VER)
#define ENET_THREAD_LOCAL __declspec(thread)
#else
#define ENET_THREAD_LOCAL _Thread_local
#endif

#define ENET_ERROR_MAX 512
static ENET_THREAD_LOCAL char g_error[ENET_ERROR_MAX];

enet_status enet_set_error(enet_status status, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vsnprintf(g_error, sizeof g_error, fmt, args);
  va_end(args);
  return status;
}

void enet_prefix_error(const char* fmt, ...) {
  char prefix[ENET_ERROR_MAX];
  va_list args;
  va_start(args, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, args);
  va_end(args);
  /* Shift the old message right and put the prefix in front, truncating the tail. */
  size_t plen = strlen(prefix), olen = strlen(g_error);
  if (olen > ENET_ERROR_MAX - 1 - plen) olen = ENET_ERROR_MAX - 1 - plen;
  memmove(g_error + plen, g_error, olen);
  memcpy(g_error, prefix, plen);
  g_error[plen + olen] = '\0';
}

const char* enet_last_error(void) { return g_error; }

/* Set by an op's invoke when its run-time data is bad (e.g. a gather index out of
 * range); the interpreter checks it after every op. Thread-local, like the message:
 * invoke runs ops on the calling thread. */
static ENET_THREAD_LOCAL enet_status g_invoke_failure;

void enet_fail_invoke(enet_status status, const char* fmt, ...) {
  if (g_invoke_failure != ENET_OK) return; /* keep the first failure's message */
  va_list args;
  va_start(args, fmt);
  vsnprintf(g_error, sizeof g_error, fmt, args);
  va_end(args);
  g_invoke_failure = status;
}

enet_status enet_take_invoke_failure(void) {
  enet_status status = g_invoke_failure;
  g_invoke_failure = ENET_OK;
  return status;
}

const char* enet_version(void) { return "0.1.0"; }

const char* enet_status_name(enet_status status) {
  switch (status) {
    case ENET_OK: return "OK";
    case ENET_ERROR_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case ENET_ERROR_INVALID_MODEL: return "INVALID_MODEL";
    case ENET_ERROR_UNSUPPORTED: return "UNSUPPORTED";
    case ENET_ERROR_OUT_OF_MEMORY: return "OUT_OF_MEMORY";
    case ENET_ERROR_IO: return "IO";
    case ENET_ERROR_INVALID_STATE: return "INVALID_STATE";
  }
  return "UNKNOWN_STATUS";
}

size_t enet_dtype_size(enet_dtype dtype) {
  switch (dtype) {
    case ENET_FLOAT32: return 4;
    case ENET_INT8: return 1;
    case ENET_INT32: return 4;
    case ENET_UINT8: return 1;
    case ENET_INT16: return 2;
    case ENET_INT64: return 8;
    case ENET_BOOL: return 1;
  }
  return 0;
}

const char* enet_opcode_name(int opcode) {
  static const char* const names[] = ENET_OpCode_NAMES;
  if (opcode < 0 || opcode >= (int)(sizeof names / sizeof names[0])) return "UNKNOWN_OP";
  return names[opcode];
}

const char* enet_dtype_name(int dtype) {
  static const char* const names[] = ENET_DataType_NAMES;
  if (dtype < 0 || dtype >= (int)(sizeof names / sizeof names[0])) return "UNKNOWN_DTYPE";
  return names[dtype];
}

int enet_mul_i64(int64_t a, int64_t b, int64_t* out) {
  if (a < 0 || b < 0) return 0; /* sizes only */
  if (a != 0 && b > INT64_MAX / a) return 0;
  *out = a * b;
  return 1;
}

/* The product of the nonzero dims. A shape with a 0 dim holds no elements, yet ops still
 * multiply its other dims (rows, inner sizes, kernel taps): bounding this product keeps
 * every such partial product in range, e.g. (0, 2^31 - 1, 2^31 - 1, 2^31 - 1). */
static int nonzero_product(int ndim, const int64_t* shape, int64_t* product, int* empty) {
  *product = 1, *empty = 0;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] == 0) *empty = 1;
    else if (!enet_mul_i64(*product, shape[i], product)) return 0;
  }
  return 1;
}

int enet_shape_elements(int ndim, const int64_t* shape, int64_t* out) {
  int64_t n;
  int empty;
  if (!nonzero_product(ndim, shape, &n, &empty)) return 0;
  *out = empty ? 0 : n;
  return 1;
}

int enet_shape_bytes(int ndim, const int64_t* shape, int dtype, size_t* out) {
  int64_t n, bytes;
  int empty;
  if (!nonzero_product(ndim, shape, &n, &empty)) return 0;
  if (!enet_mul_i64(n, (int64_t)enet_dtype_size((enet_dtype)dtype), &bytes)) return 0;
  if ((uint64_t)bytes > (uint64_t)SIZE_MAX) return 0;
  *out = empty ? 0 : (size_t)bytes;
  return 1;
}

const char* enet_format_shape(char* buf, size_t buf_size, int ndim, const int64_t* shape) {
  size_t used = 0;
  used += (size_t)snprintf(buf, buf_size, "(");
  for (int i = 0; i < ndim && used < buf_size; i++)
    used += (size_t)snprintf(buf + used, buf_size - used, i ? ", %lld" : "%lld", (long long)shape[i]);
  if (used < buf_size) snprintf(buf + used, buf_size - used, ndim == 1 ? ",)" : ")");
  return buf;
}
