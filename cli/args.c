/* args: the argument scanning of the smsmux command.  Long flags (--NAME
 * VALUE, --NAME=VALUE), the short -c FILE, -h and -v, "--" ending the
 * flags; the global options (--config, --json, --verbose, --help) are
 * accepted before the command and after it. */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Accepted before the command and, except --version, after it too. */
static const cli_flag global_flags[] = {{"config", 1, F_CONFIG},
                                        {"json", 0, F_JSON},
                                        {"verbose", 0, F_VERBOSE},
                                        {"help", 0, F_HELP},
                                        {NULL, 0, 0}};

static const cli_flag *find_flag(const cli_flag *flags, const char *name,
                                 size_t len) {
  for (; flags && flags->name; flags++)
    if (strlen(flags->name) == len && strncmp(flags->name, name, len) == 0)
      return flags;
  return NULL;
}

/** True when `s` is "--NAME" or "--NAME=..." for a flag of `flags`. */
static int looks_like_flag(const cli_flag *flags, const char *s) {
  size_t len;
  if (strncmp(s, "--", 2) != 0 || s[2] == '\0')
    return 0;
  s += 2;
  len = strcspn(s, "=");
  return find_flag(flags, s, len) || find_flag(global_flags, s, len);
}

/** The flag of the short option `a` (-c FILE, -cFILE, -h, -v), with *eq
    just before its attached value; NULL after a usage error. */
static const cli_flag *short_flag(const cli *c, const char *a,
                                  const char **eq) {
  *eq = NULL;
  if (a[1] == 'c') {
    *eq = a[2] ? a + 1 : NULL; /* -cFILE: value after "c" */
    return find_flag(global_flags, "config", 6);
  }
  if (a[1] == 'h' && a[2] == '\0')
    return find_flag(global_flags, "help", 4);
  if (a[1] == 'v' && a[2] == '\0')
    return find_flag(global_flags, "verbose", 7);
  if (c->command)
    usage_error(c, "unknown option '%s' for '%s'", a, c->command);
  else
    usage_error(c, "unknown option '%s'", a);
  return NULL;
}

/** The flag of the long option `a` ("--NAME" or "--NAME=VALUE"), a flag
    of `flags` or a global one, with *eq at its '=' or NULL; NULL after a
    usage error. */
static const cli_flag *long_flag(const cli *c, const cli_flag *flags,
                                 const char *a, const char **eq) {
  const char *name = a + 2;
  const cli_flag *f;
  size_t len;

  *eq = strchr(name, '=');
  len = *eq ? (size_t)(*eq - name) : strlen(name);
  f = find_flag(flags, name, len);
  if (!f)
    f = find_flag(global_flags, name, len);
  if (!f) {
    if (c->command)
      usage_error(c, "unknown option '--%.*s' for '%s'", (int)len, name,
                  c->command);
    else
      usage_error(c, "unknown option '--%.*s'", (int)len, name);
  }
  return f;
}

/** The value of flag `f`: after its '=' (`eq`), or the next argument
    unless that is a flag; 0, or -1 after a usage error. */
static int flag_value(const cli *c, argscan *s, const cli_flag *flags,
                      const cli_flag *f, const char *eq, const char **value) {
  if (!f->takes_value) {
    if (!eq)
      return 0;
    usage_error(c, "option '--%s' takes no value", f->name);
    return -1;
  }
  if (eq) {
    *value = eq + 1;
  } else if (s->i < s->argc && !looks_like_flag(flags, s->argv[s->i])) {
    *value = s->argv[s->i++];
  } else {
    usage_error(c, "option '--%s' needs a value", f->name);
    return -1;
  }
  return 0;
}

int next_arg(cli *c, argscan *s, const cli_flag *flags, int *id,
             const char **value) {
  for (;;) {
    const char *a, *eq;
    const cli_flag *f;

    *id = 0;
    *value = NULL;
    if (s->i >= s->argc)
      return ARG_END;
    a = s->argv[s->i++];
    if (s->only_positional || a[0] != '-' || a[1] == '\0') {
      *value = a;
      return ARG_POSITIONAL;
    }
    if (strcmp(a, "--") == 0) {
      s->only_positional = 1;
      continue;
    }
    f = a[1] != '-' ? short_flag(c, a, &eq) : long_flag(c, flags, a, &eq);
    if (!f || flag_value(c, s, flags, f, eq, value) < 0)
      return ARG_ERROR;
    switch (f->id) { /* the global options are applied here */
    case F_CONFIG:
      c->config = *value;
      continue;
    case F_JSON:
      c->json = json_mode = 1;
      continue;
    case F_VERBOSE:
      c->verbose = 1;
      continue;
    default:
      *id = f->id;
      return ARG_FLAG;
    }
  }
}

int parse_unsigned(const char *s, unsigned *out) {
  char *end;
  unsigned long v;
  if (!isdigit((unsigned char)*s))
    return -1;
  errno = 0;
  v = strtoul(s, &end, 10);
  if (errno || *end || v > 0xffffffffUL)
    return -1;
  *out = (unsigned)v;
  return 0;
}

int parse_local_time(const char *s, int64_t *when, char norm[20]) {
  smsmux_error err;
  if (smsmux_parse_time(s, when, &err) < 0)
    return -1;
  if (norm) {
    time_t t = (time_t)*when;
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(norm, 20, "%Y-%m-%d %H:%M:%S", &tm);
  }
  return 0;
}

/* ---------------------------------------------------- string vectors -- */

void strv_push_n(strv *sv, const char *s, size_t n) {
  char *copy;
  if (sv->n == sv->cap) {
    size_t cap = sv->cap ? 2 * sv->cap : 8;
    char **v = realloc(sv->v, cap * sizeof *v);
    if (!v)
      out_of_memory();
    sv->v = v;
    sv->cap = cap;
  }
  copy = strndup(s, n);
  if (!copy)
    out_of_memory();
  sv->v[sv->n++] = copy;
}

void strv_push(strv *sv, const char *s) { strv_push_n(sv, s, strlen(s)); }

void strv_free(strv *sv) {
  for (size_t i = 0; i < sv->n; i++)
    free(sv->v[i]);
  free(sv->v);
  memset(sv, 0, sizeof *sv);
}

/* --------------------------------------------------- KEY=VALUE values -- */

/* Whether an @- value read stdin: it gives one value per command. */
static int stdin_value_read;

/* A value read from stdin longer than this is surely not a value. */
#define STDIN_VALUE_MAX (64 * 1024)

static int read_stdin_value(cli *c, const char *what, char **out) {
  char *buf = malloc(STDIN_VALUE_MAX + 2);
  size_t n;

  if (!buf)
    out_of_memory();
  n = fread(buf, 1, STDIN_VALUE_MAX + 1, stdin);
  if (ferror(stdin)) {
    free(buf);
    return usage_error(c, "%s=@-: cannot read stdin", what);
  }
  if (n > STDIN_VALUE_MAX) {
    explicit_bzero(buf, n);
    free(buf);
    return usage_error(c, "%s=@-: the value on stdin is longer than 64 KiB",
                       what);
  }
  if (memchr(buf, '\0', n)) {
    explicit_bzero(buf, n);
    free(buf);
    return usage_error(c, "%s=@-: the value on stdin holds a NUL byte", what);
  }
  /* the line end that `echo` or a here-document adds is not the value's */
  if (n > 0 && buf[n - 1] == '\n')
    n--;
  if (n > 0 && buf[n - 1] == '\r')
    n--;
  buf[n] = '\0';
  *out = buf;
  return EXIT_DONE;
}

int resolve_value(cli *c, const char *what, const char *value, char **out) {
  *out = NULL;
  if (strcmp(value, "@-") == 0) {
    if (stdin_value_read)
      return usage_error(c,
                         "%s=@-: stdin gives one value per command, and an "
                         "earlier @- has read it; pass the other one as "
                         "env:NAME",
                         what);
    stdin_value_read = 1;
    return read_stdin_value(c, what, out);
  }
  if (strncmp(value, "env:", 4) == 0) {
    char q[SMSMUX_QUOTE_SIZE];
    const char *name = value + 4, *e;
    if (!*name || strchr(name, '='))
      return usage_error(c, "%s=%s: give the name of an environment variable "
                            "after env:",
                         what, smsmux_quote_input(value, q, sizeof q));
    e = getenv(name);
    if (!e)
      return usage_error(c,
                         "%s=env:%s: the environment variable %s is not set",
                         what, smsmux_quote_input(name, q, sizeof q),
                         smsmux_quote_input(name, q, sizeof q));
    *out = strdup(e);
    if (!*out)
      out_of_memory();
  }
  return EXIT_DONE;
}
