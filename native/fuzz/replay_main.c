/* replay_main.c — a main() for the harnesses when built without libFuzzer (e.g. with
 * gcc): runs each file given (or each file in each directory given) once, for the
 * regression and seed corpora in CI. A crash or sanitizer report ends the process
 * with a non-zero status; the file being run is printed first. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

static int run_file(const char* path) {
  FILE* f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    return 1;
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t* buf = malloc(n > 0 ? (size_t)n : 1);
  if (!buf || (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)) {
    fprintf(stderr, "cannot read %s\n", path);
    fclose(f);
    free(buf);
    return 1;
  }
  fclose(f);
  fprintf(stderr, "running %s\n", path);
  LLVMFuzzerTestOneInput(buf, n > 0 ? (size_t)n : 0);
  free(buf);
  return 0;
}

int main(int argc, char** argv) {
  int failed = 0, count = 0;
  for (int a = 1; a < argc; a++) {
    struct stat st;
    if (stat(argv[a], &st) == 0 && S_ISDIR(st.st_mode)) {
      DIR* d = opendir(argv[a]);
      struct dirent* e;
      while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[a], e->d_name);
        failed |= run_file(path), count++;
      }
      if (d) closedir(d);
    } else {
      failed |= run_file(argv[a]), count++;
    }
  }
  fprintf(stderr, "replayed %d inputs\n", count);
  return failed;
}
