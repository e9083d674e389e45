/* util: small pieces every core module uses: error filling, growable
 * strings, an arena for per-operation memory, vectors. */
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

/** strdup that accepts NULL (returns NULL) and aborts on out of memory. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xasprintf(const char *fmt, ...) UTIL_PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap);

/** Fill err (may be NULL). code may be NULL. */
void err_set(smsmux_error *err, smsmux_error_class cls, const char *code,
             const char *fmt, ...) UTIL_PRINTF(4, 5);
void err_vset(smsmux_error *err, smsmux_error_class cls, const char *code,
              const char *fmt, va_list ap);
void err_clear(smsmux_error *err);

/** Growable NUL-terminated byte string. */
typedef struct strbuf {
  char *s;
  size_t len, cap;
} strbuf;
/** Append n bytes; 0, or -1 on out of memory (b unchanged). */
int sb_try_add(strbuf *b, const char *s, size_t n);
void sb_add(strbuf *b, const char *s, size_t n);
void sb_adds(strbuf *b, const char *s);
void sb_addf(strbuf *b, const char *fmt, ...) UTIL_PRINTF(2, 3);
char *sb_steal(strbuf *b); /* returns s ("" if empty), resets b */
void sb_free(strbuf *b);

/** Arena: memory released all at once (per operation). */
typedef struct arena_block arena_block;
typedef struct arena {
  arena_block *head;
} arena;
/** n zeroed bytes (plus a NUL after them), max_align_t aligned, carved
    from the arena's current block; NULL on out of memory. */
void *arena_try_alloc(arena *a, size_t n);
void *arena_alloc(arena *a, size_t n);
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_vprintf(arena *a, const char *fmt, va_list ap);
void arena_free(arena *a);

/** Growable array of `T`: VEC_PUSH(ptr, n, cap) returns the new slot. */
#define VEC_PUSH(p, n, cap)                                                    \
  ((n) == (cap) ? ((cap) = (cap) ? (cap) * 2 : 8,                              \
                   (p) = xrealloc((p), (cap) * sizeof *(p))) : (p),            \
   memset(&(p)[(n)], 0, sizeof *(p)), &(p)[(n)++])

/** The next piece of `s` (`n` bytes left, n > 0) as it may be shown to a
    user: a character copied, or an escape (see smsmux_quote_input; with
    `quotes`, '"' and '\\' are escaped too).  Writes at most 12 bytes to
    `out`, sets *used to the input bytes taken; returns the bytes written. */
size_t str_echo_piece(const char *s, size_t n, int quotes, char out[12],
                      size_t *used);
/** A malloc'd copy of `s` with its control characters escaped as
    str_echo_piece does ('"' and '\\' kept): for whole messages. */
char *str_escape_controls(const char *s);

/** Trim ASCII white space both ends in place; returns s. */
char *str_trim(char *s);
/** Case-insensitive ASCII equality. */
int str_ieq(const char *a, const char *b);
/** 1 when `s` starts with `prefix`. */
int str_starts(const char *s, const char *prefix);

#endif
