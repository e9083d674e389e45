/* util: small pieces every core module uses: error filling, growable
 * strings, an arena for per-operation memory, vectors.
 *
 * Nothing here aborts: every allocating helper returns NULL (or -1) when
 * memory runs out, and the caller turns that into an error of class
 * SMSMUX_ERR_SYSTEM, "out of memory" (err_oom). */
#ifndef SMSMUX_UTIL_H
#define SMSMUX_UTIL_H

#include <smsmux/smsmux.h>
#include <stdarg.h>
#include <stddef.h>

#if defined(__GNUC__)
#define UTIL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define UTIL_PRINTF(f, a)
#endif

/** strdup that accepts NULL (returns NULL); NULL when out of memory, so
    a caller that may pass NULL checks `s && !copy`. */
char *str_dup(const char *s);
/** The first n bytes of s (NULL: NULL) and a NUL; NULL when out of memory. */
char *str_ndup(const char *s, size_t n);
/** A malloc'd printf; NULL when out of memory. */
char *str_printf(const char *fmt, ...) UTIL_PRINTF(1, 2);
char *str_vprintf(const char *fmt, va_list ap);

/** Fill err (may be NULL). code may be NULL. */
void err_set(smsmux_error *err, smsmux_error_class cls, const char *code,
             const char *fmt, ...) UTIL_PRINTF(4, 5);
void err_vset(smsmux_error *err, smsmux_error_class cls, const char *code,
              const char *fmt, va_list ap);
void err_clear(smsmux_error *err);
/** err = SMSMUX_ERR_SYSTEM "out of memory"; returns -1. */
int err_oom(smsmux_error *err);

/** Growable NUL-terminated byte string.  Appending notes a failed
    allocation in `oom` and then appends nothing more, so that a string can
    be built without a check per piece: check sb_steal's NULL (or `oom`)
    once at the end. */
typedef struct strbuf {
  char *s;
  size_t len, cap;
  int oom;
} strbuf;
/** Append n bytes; 0, or -1 on out of memory (b unchanged, oom set). */
int sb_try_add(strbuf *b, const char *s, size_t n);
void sb_add(strbuf *b, const char *s, size_t n);
void sb_adds(strbuf *b, const char *s);
void sb_addf(strbuf *b, const char *fmt, ...) UTIL_PRINTF(2, 3);
/** The string (malloc'd; "" if empty) and b reset; NULL when an append
    failed or memory runs out (b freed). */
char *sb_steal(strbuf *b);
void sb_free(strbuf *b);

/** Arena: memory released all at once (per operation). */
typedef struct arena_block arena_block;
typedef struct arena {
  arena_block *head;
} arena;
/** n zeroed bytes (plus a NUL after them), max_align_t aligned, carved
    from the arena's current block; NULL on out of memory. */
void *arena_alloc(arena *a, size_t n);
/** Copies in the arena (NULL s: NULL); NULL on out of memory. */
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_vprintf(arena *a, const char *fmt, va_list ap);
void arena_free(arena *a);

/** `p` (an array of `*cap` items of `size` bytes) grown: the new array
    with *cap updated, or `p` itself, *cap unchanged, on out of memory. */
void *vec_grow(void *p, size_t *cap, size_t size);
/** Growable array of `T`: VEC_PUSH(ptr, n, cap) returns the new slot,
    zeroed, or NULL on out of memory (the array and n unchanged).  `cap`
    is a size_t. */
#define VEC_PUSH(p, n, cap)                                                    \
  (((n) < (cap) || ((p) = vec_grow((p), &(cap), sizeof *(p)), (n) < (cap)))   \
       ? (memset(&(p)[(n)], 0, sizeof *(p)), &(p)[(n)++])                      \
       : NULL)

/** The next piece of `s` (`n` bytes left, n > 0) as it may be shown to a
    user: a character copied, or an escape (see smsmux_quote_input; with
    `quotes`, '"' and '\\' are escaped too).  Writes at most 12 bytes to
    `out`, sets *used to the input bytes taken; returns the bytes written. */
size_t str_echo_piece(const char *s, size_t n, int quotes, char out[12],
                      size_t *used);
/** A malloc'd copy of `s` with its control characters escaped as
    str_echo_piece does ('"' and '\\' kept): for whole messages.  NULL on
    out of memory. */
char *str_escape_controls(const char *s);

/** Trim ASCII white space both ends in place; returns s. */
char *str_trim(char *s);
/** Case-insensitive ASCII equality. */
int str_ieq(const char *a, const char *b);
/** 1 when `s` starts with `prefix`. */
int str_starts(const char *s, const char *prefix);

/** 16 hex digits (and a NUL) drawn at random, for what names this process
    among others sharing a store: claim tokens.  Not the PID (containers'
    processes are all PID 1, and a restarted one may get its old PID). */
void process_nonce(char out[17]);

#endif
