/* gen_seeds.c — writes the seed corpora of both harnesses:
 *   gen_seeds STRUCTURED_DIR RAW_DIR [variants]
 * For every op code (and two unknown ones), float and int8, `variants` (default 8)
 * decision strings for fuzz_structured into STRUCTURED_DIR, and the model files they
 * generate into RAW_DIR (seeds for fuzz_raw, next to the converter-made models of
 * native/fuzz/make_seed_models.py).
 *   gen_seeds --emit DECISIONS OUT.enet
 * writes the model file a fuzz_structured input generates (to turn a finding into a
 * regression file that fuzz_raw replays, whatever the generator becomes later). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_gen.h"
#include "schema_generated.h"

static int write_file(const char* dir, const char* name, const uint8_t* p, size_t n) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE* f = fopen(path, "wb");
  if (!f || fwrite(p, 1, n, f) != n) {
    fprintf(stderr, "cannot write %s\n", path);
    if (f) fclose(f);
    return 1;
  }
  return fclose(f) != 0;
}

static int emit(const char* decisions_path, const char* out_path) {
  static uint8_t decisions[1 << 20];
  FILE* f = fopen(decisions_path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", decisions_path);
    return 1;
  }
  size_t n = fread(decisions, 1, sizeof decisions, f);
  fclose(f);
  uint8_t* model = NULL;
  size_t m = enet_fuzz_generate(decisions, n, &model);
  FILE* out = fopen(out_path, "wb");
  int failed = !out || !m || fwrite(model, 1, m, out) != m;
  if (out) failed |= fclose(out) != 0;
  free(model);
  if (failed) fprintf(stderr, "cannot write %s\n", out_path);
  return failed;
}

int main(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[1], "--emit") == 0) return emit(argv[2], argv[3]);
  if (argc < 3) {
    fprintf(stderr, "usage: %s STRUCTURED_DIR RAW_DIR [variants]\n", argv[0]);
    return 2;
  }
  int variants = argc > 3 ? atoi(argv[3]) : 8;
  int failed = 0, count = 0;
  for (int opcode = 0; opcode < ENET_OpCode_COUNT + 2; opcode++)
    for (int int8 = 0; int8 < 2; int8++)
      for (int v = 0; v < variants; v++) {
        uint8_t decisions[96], *model = NULL;
        size_t n = enet_fuzz_seed_for_op(opcode, int8, (uint32_t)v, decisions, sizeof decisions);
        char name[64];
        snprintf(name, sizeof name, "op%02d-%s-%d", opcode, int8 ? "int8" : "float", v);
        failed |= write_file(argv[1], name, decisions, n);
        size_t m = enet_fuzz_generate(decisions, n, &model);
        snprintf(name, sizeof name, "op%02d-%s-%d.enet", opcode, int8 ? "int8" : "float", v);
        if (m) failed |= write_file(argv[2], name, model, m);
        free(model);
        count++;
      }
  printf("%d seeds per harness\n", count);
  return failed;
}
