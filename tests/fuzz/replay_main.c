/* replay_main: runs saved fuzz inputs through the plugin harness without
 * libFuzzer, so `make check` (any compiler) replays the seed corpus and
 * every crash found so far: `replay-NAME FILE...`.  Exit 0 when every file
 * ran (a crash, an ASan report or a broken plugin contract aborts). */
#include <config.h>

#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>

static int replay(const char *path) {
  FILE *f = fopen(path, "rb");
  unsigned char *data = NULL;
  size_t len = 0, cap = 0, n;
  if (!f) {
    perror(path);
    return -1;
  }
  for (;;) {
    if (len == cap) {
      unsigned char *bigger;
      cap = cap ? cap * 2 : 4096;
      bigger = realloc(data, cap);
      if (!bigger) {
        fclose(f);
        free(data);
        fprintf(stderr, "%s: out of memory\n", path);
        return -1;
      }
      data = bigger;
    }
    n = fread(data + len, 1, cap - len, f);
    if (n == 0)
      break;
    len += n;
  }
  if (ferror(f)) {
    perror(path);
    fclose(f);
    free(data);
    return -1;
  }
  fclose(f);
  LLVMFuzzerTestOneInput(data, len);
  free(data);
  return 0;
}

int main(int argc, char **argv) {
  int i, status = 0;
  if (argc < 2) {
    fprintf(stderr, "usage: %s INPUT...\n", argv[0]);
    return 2;
  }
  for (i = 1; i < argc; i++)
    if (replay(argv[i]) != 0)
      status = 1;
  return status;
}
