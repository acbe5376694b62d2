/*
 * test_c_api — checks of the C API's argument and error handling that need no
 * model file (models are exercised from pytest through edgenet_run and the
 * Python binding). Prints each failed check and exits 1 if any failed.
 */
#include <stdio.h>
#include <string.h>

#include "edgenet.h"

static int failures = 0;

#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) {                                                    \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                     \
    }                                                                 \
  } while (0)

int main(void) {
  enet_model* m = (enet_model*)1;
  /* Empty and tiny buffers are rejected with a message, and the out-pointer is cleared. */
  CHECK(enet_model_load_buffer("", 0, 1, &m) == ENET_ERROR_INVALID_MODEL);
  CHECK(m == NULL);
  CHECK(strstr(enet_last_error(), "too small") != NULL);
  /* A wrong identifier is named as such. */
  static const unsigned char not_enet[16] = {8, 0, 0, 0, 'T', 'F', 'L', '3'};
  CHECK(enet_model_load_buffer(not_enet, sizeof not_enet, 0, &m) == ENET_ERROR_INVALID_MODEL);
  CHECK(strstr(enet_last_error(), "identifier") != NULL);
  /* A root offset pointing past the end. */
  static const unsigned char bad_root[8] = {0xff, 0xff, 0, 0, 'E', 'N', 'E', 'T'};
  CHECK(enet_model_load_buffer(bad_root, sizeof bad_root, 1, &m) == ENET_ERROR_INVALID_MODEL);
  CHECK(strstr(enet_last_error(), "outside") != NULL);
  /* Missing files and NULL arguments. */
  CHECK(enet_model_load_file("/nonexistent/model.enet", &m) == ENET_ERROR_IO);
  CHECK(enet_model_load_file(NULL, &m) == ENET_ERROR_INVALID_ARGUMENT);
  /* Unknown load flags are refused, not ignored. */
  CHECK(enet_model_load_buffer_ex(not_enet, sizeof not_enet, 1, 0x80u, &m) == ENET_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(enet_last_error(), "unknown load flags") != NULL);
  CHECK(enet_model_load_file_ex("/nonexistent/model.enet", ENET_LOAD_SKIP_CHECKSUM, &m) == ENET_ERROR_IO);
  CHECK(enet_interpreter_create(NULL, NULL, NULL) == ENET_ERROR_INVALID_ARGUMENT);
  CHECK(enet_interpreter_invoke(NULL) == ENET_ERROR_INVALID_ARGUMENT);
  enet_model_free(NULL);
  enet_interpreter_free(NULL);
  /* Names and sizes. */
  CHECK(strcmp(enet_status_name(ENET_ERROR_UNSUPPORTED), "UNSUPPORTED") == 0);
  CHECK(enet_dtype_size(ENET_FLOAT32) == 4 && enet_dtype_size(ENET_INT64) == 8 && enet_dtype_size(ENET_INT8) == 1);
  CHECK(enet_version()[0] != '\0');
  if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
  else printf("test_c_api: all checks passed\n");
  return failures ? 1 : 0;
}
