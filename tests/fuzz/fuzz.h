/* fuzz.h: the libFuzzer entry point the plugin harness defines, declared
 * once for fuzz_plugin.c and replay_main.c (which calls it without
 * libFuzzer, for `make check`). */
#ifndef SMSMUX_FUZZ_H
#define SMSMUX_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/** Run one input through the plugin built into this program; always 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
