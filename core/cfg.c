/* cfg: load the INI file with iniparser and check it.  Keys and section
 * names are case-insensitive (iniparser lowercases them).  Relative paths
 * are taken relative to the file's own directory, so a configuration works
 * wherever it is run from.  Out of memory is an error (err_oom): the load
 * stops there and frees what it had built. */
#include "cfg.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <iniparser/iniparser.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef DOCDIR
#define DOCDIR "/usr/share/doc/smsmux"
#endif
/* conf/smsmux.ini, installed with the documentation */
#define EXAMPLE_CONFIG DOCDIR "/smsmux.ini"
#ifndef PLUGINDIR
#define PLUGINDIR "/usr/lib/smsmux/plugins"
#endif

static const char *const smsmux_keys[] = {
    "plugin_dir",       "routes",           "timeout",     "state_dir",
    "default_country",  "breaker_failures", "breaker_cooldown",
    "balance_ttl",      "retention_days",   "store",       "ca_file",
    "ca_path",          "stop_words",       "start_words",
    "webhook_retry_hours", NULL};
static const char *const host_provider_keys[] = {
    "plugin",  "base_url", "cost",       "credit_per_segment",
    "enabled", "timeout",  "max_rps",    "max_recipients",
    "ca_file", "ca_path",  "hook_token", "dlr_poll", "dlr_poll_deadline",
    NULL};
/* [server] (smsmuxd), with the default of each key ("": none) */
static const char *const server_keys[][2] = {
    {"listen", "127.0.0.1:8080"},
    {"tls_cert", ""},
    {"tls_key", ""},
    {"workers", "16"},
    {"public_url", ""},
    {"admin_key", ""},
    {"webhook_secret", ""},
    {"callback_url", ""},
    {"max_body", "1048576"},
    {"max_connections", "1024"},
    {"per_ip_connections", "64"},
    {"request_timeout", "30"},
    {NULL, NULL}};
static const char *const route_keys[] = {"match", "policy", "providers",
                                         "failover_on_unknown", NULL};

static int in_list(const char *const *list, const char *s) {
  for (; *list; list++)
    if (strcmp(*list, s) == 0)
      return 1;
  return 0;
}

int cfg_is_host_key(const char *key) {
  return in_list(host_provider_keys, key) || str_starts(key, "cost.");
}

/* ------------------------------------------------------------- trust -- */

/* "uid 65534 (nobody)", or "uid 1234" when it has no name. */
static void uid_name(uid_t uid, char *out, size_t size) {
  struct passwd pw, *res = NULL;
  char buf[1024];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res)
    snprintf(out, size, "uid %u (%s)", (unsigned)uid, res->pw_name);
  else
    snprintf(out, size, "uid %u", (unsigned)uid);
}

int cfg_unsafe_path(const char *path, const struct stat *st, const char *what,
                    char **why) {
  uid_t me = geteuid();
  *why = NULL;
  if (st->st_uid != 0 && st->st_uid != me) {
    char owner[300], user[300];
    uid_name(st->st_uid, owner, sizeof owner);
    uid_name(me, user, sizeof user);
    *why = str_printf("%s: refusing this %s: it is owned by %s, neither root "
                      "nor the user running smsmux (%s), who could change "
                      "it behind your back; run `chown %u %s` (or move it "
                      "to a place of your own)",
                      path, what, owner, user, (unsigned)me, path);
    return -1;
  }
  if (st->st_mode & (S_IWGRP | S_IWOTH)) {
    *why = str_printf("%s: refusing this %s: it is writable by group or "
                      "others (mode %04o), so anyone of them could change "
                      "what smsmux %s; run `chmod go-w %s`",
                      path, what, (unsigned)(st->st_mode & 07777),
                      S_ISDIR(st->st_mode) || strstr(what, "plugin")
                          ? "runs"
                          : "reads",
                      path);
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------ lookup -- */

static int readable(const char *path) { return access(path, R_OK) == 0; }

char *cfg_find(const char *explicit_path, smsmux_error *err) {
  const char *env = getenv("SMSMUX_CONFIG");
  const char *xdg = getenv("XDG_CONFIG_HOME");
  const char *home = getenv("HOME");
  const char *cand[4] = {NULL, NULL, NULL, NULL};
  char *found = NULL;
  size_t i;

  if (explicit_path) {
    if (!readable(explicit_path)) {
      err_set(err, SMSMUX_ERR_CONFIG, NULL, "%s: cannot read: %s",
              explicit_path, strerror(errno));
      return NULL;
    }
    if (!(found = str_dup(explicit_path)))
      err_oom(err);
    return found;
  }
  if (env && *env) {
    if (!readable(env)) {
      err_set(err, SMSMUX_ERR_CONFIG, NULL,
              "%s (from $SMSMUX_CONFIG): cannot read: %s", env,
              strerror(errno));
      return NULL;
    }
    if (!(found = str_dup(env)))
      err_oom(err);
    return found;
  }
  cand[0] = "./smsmux.ini";
  if (xdg && *xdg)
    cand[1] = str_printf("%s/smsmux/smsmux.ini", xdg);
  else if (home && *home)
    cand[1] = str_printf("%s/.config/smsmux/smsmux.ini", home);
  cand[2] = SYSCONFDIR "/smsmux/smsmux.ini";
  /* a /usr/local build still reads the system-wide file the README and
     --help name */
  if (strcmp(SYSCONFDIR, "/etc") != 0)
    cand[3] = "/etc/smsmux/smsmux.ini";
  if (((xdg && *xdg) || (home && *home)) && !cand[1]) {
    err_oom(err);
    return NULL;
  }
  for (i = 0; i < 4 && !found; i++)
    if (cand[i] && readable(cand[i])) {
      if (!(found = str_dup(cand[i]))) {
        err_oom(err);
        break;
      }
    }
  if (!found && i == 4)
    err_set(err, SMSMUX_ERR_CONFIG, NULL,
            "no configuration found (tried $SMSMUX_CONFIG, %s, %s, %s%s%s): "
            "pass --config FILE, or copy the annotated example %s to one of "
            "them and edit it",
            cand[0], cand[1] ? cand[1] : "$XDG_CONFIG_HOME/smsmux/smsmux.ini",
            cand[2], cand[3] ? ", " : "", cand[3] ? cand[3] : "",
            EXAMPLE_CONFIG);
  free((char *)cand[1]);
  return found;
}

/* ------------------------------------------------------------ errors -- */

/* iniparser reports syntax errors through a process-wide callback, with
 * the offending line in the text (a secret, often): keep only the line
 * number of the first one while one load runs (loads are serialised), and
 * wipe the text.  The pre-scan below finds every error iniparser 4.1 would
 * first, so this is a safety net. */
static pthread_mutex_t ini_lock = PTHREAD_MUTEX_INITIALIZER;
static int ini_err_count, ini_err_line;

static int ini_error(const char *fmt, ...) {
  char buf[2048];
  const char *paren;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  /* "iniparser: syntax error in FILE (LINE):\n-> TEXT": the last '(' of
     the first line */
  buf[strcspn(buf, "\n")] = '\0';
  paren = strrchr(buf, '(');
  if (ini_err_count++ == 0 && paren)
    ini_err_line = atoi(paren + 1);
  explicit_bzero(buf, sizeof buf);
  return 0;
}

/* Line of `key` in [sec] (key NULL: of the section header), 0 if unknown. */
int cfg_line_of(const cfg *c, const char *sec, const char *key) {
  size_t i;
  int header = 0;
  for (i = 0; i < c->n_lines; i++) {
    const cfg_line *l = &c->lines[i];
    if (!sec || strcmp(l->section, sec) != 0)
      continue;
    if (!l->key && !header)
      header = l->line;
    if (key && l->key && strcmp(l->key, key) == 0)
      return l->line;
  }
  return header;
}

/* A configuration error about [sec] key (either may be NULL): "FILE:LINE: "
   (or "FILE: " when the line is unknown), then the message. */
static void cfg_err(smsmux_error *err, const cfg *c, const char *sec,
                    const char *key, const char *fmt, ...)
    UTIL_PRINTF(5, 6);
static void cfg_err(smsmux_error *err, const cfg *c, const char *sec,
                    const char *key, const char *fmt, ...) {
  va_list ap;
  char *msg;
  int line = cfg_line_of(c, sec, key);
  va_start(ap, fmt);
  msg = str_vprintf(fmt, ap);
  va_end(ap);
  if (!msg)
    err_oom(err);
  else if (line > 0)
    err_set(err, SMSMUX_ERR_CONFIG, NULL, "%s:%d: %s", c->path, line, msg);
  else
    err_set(err, SMSMUX_ERR_CONFIG, NULL, "%s: %s", c->path, msg);
  free(msg);
}

/* ---------------------------------------------------------- pre-scan -- */

/* iniparser 4.1 keeps the last of two sections or keys of one name, takes
 * a key written before any section, and reads `key = "abc` as abc; its
 * error messages echo the line, value included.  This pass reads the file
 * the way iniparser does (a line ending in '\' continues on the next one;
 * '#' or ';' starts a comment line; a value ends at ';' or '#' unless
 * quoted) and refuses all of that, naming file and line, never the value.
 * It records where each section and key is, for later messages. */

#define INI_MAX_LINE 1022 /* iniparser's buffer: 1024 with '\n' and NUL */

/* 0, or -1 when out of memory (err). */
static int add_line(cfg *c, size_t *cap, const char *sec, const char *key,
                    int line, smsmux_error *err) {
  cfg_line *l = VEC_PUSH(c->lines, c->n_lines, *cap);
  if (!l)
    return err_oom(err);
  l->line = line;
  if (!(l->section = str_dup(sec)) || (key && !(l->key = str_dup(key))))
    return err_oom(err);
  return 0;
}

static void lower(char *s) {
  for (; *s; s++)
    if (*s >= 'A' && *s <= 'Z')
      *s = (char)(*s - 'A' + 'a');
}

/* One logical line (continuations joined, trimmed) at line `no`; `sec` is
   the current section ("" before the first).  0, or -1 with err. */
static int scan_line(cfg *c, size_t *cap, char *line, int no, char **sec,
                     smsmux_error *err) {
  char *eq, *key, *val;
  size_t len = strlen(line), i;

  if (len == 0 || line[0] == '#' || line[0] == ';')
    return 0;
  if (line[0] == '[') {
    char *name;
    if (line[len - 1] != ']') {
      err_set(err, SMSMUX_ERR_CONFIG, NULL,
              "%s:%d: a section header that does not end with ']'", c->path,
              no);
      return -1;
    }
    line[len - 1] = '\0';
    name = str_trim(line + 1);
    lower(name);
    if (!*name || strchr(name, '[') || strchr(name, ']')) {
      err_set(err, SMSMUX_ERR_CONFIG, NULL,
              "%s:%d: a section header needs one name: [smsmux], "
              "[provider.NAME] or [route.NAME]",
              c->path, no);
      return -1;
    }
    for (i = 0; i < c->n_lines; i++)
      if (!c->lines[i].key && strcmp(c->lines[i].section, name) == 0) {
        err_set(err, SMSMUX_ERR_CONFIG, NULL,
                "%s:%d: [%s] appears a second time (first at line %d): "
                "write each section once",
                c->path, no, name, c->lines[i].line);
        return -1;
      }
    free(*sec);
    if (!(*sec = str_dup(name)))
      return err_oom(err);
    return add_line(c, cap, name, NULL, no, err);
  }
  eq = strchr(line, '=');
  if (!eq) {
    err_set(err, SMSMUX_ERR_CONFIG, NULL,
            "%s:%d: syntax error: not `key = value`, a [section] or a "
            "comment (the line is not shown: it may hold a secret)",
            c->path, no);
    return -1;
  }
  *eq = '\0';
  key = str_trim(line);
  val = str_trim(eq + 1);
  lower(key);
  if (!*key) {
    err_set(err, SMSMUX_ERR_CONFIG, NULL,
            "%s:%d: syntax error: a value without a key before its '='",
            c->path, no);
    return -1;
  }
  if (!**sec) {
    err_set(err, SMSMUX_ERR_CONFIG, NULL,
            "%s:%d: key \"%s\" is outside any section; put it under "
            "[smsmux] or a [provider.NAME]",
            c->path, no, key);
    return -1;
  }
  if ((val[0] == '"' || val[0] == '\'') && !strchr(val + 1, val[0])) {
    err_set(err, SMSMUX_ERR_CONFIG, NULL,
            "%s:%d: [%s] %s: unterminated quote: the value opens with %c "
            "and the line ends before it is closed",
            c->path, no, *sec, key, val[0]);
    return -1;
  }
  for (i = 0; i < c->n_lines; i++)
    if (c->lines[i].key && strcmp(c->lines[i].section, *sec) == 0 &&
        strcmp(c->lines[i].key, key) == 0) {
      err_set(err, SMSMUX_ERR_CONFIG, NULL,
              "%s:%d: [%s] %s: set a second time (first at line %d): keep "
              "one",
              c->path, no, *sec, key, c->lines[i].line);
      return -1;
    }
  return add_line(c, cap, *sec, key, no, err);
}

static int prescan(cfg *c, FILE *f, smsmux_error *err) {
  char *buf = NULL, *sec = str_dup("");
  size_t bufcap = 0, cap = 0;
  strbuf logical = {0};
  ssize_t n;
  int no = 0, first = 0, rc = sec ? 0 : err_oom(err);

  while (rc == 0 && (n = getline(&buf, &bufcap, f)) >= 0) {
    size_t len = (size_t)n;
    no++;
    if (len > 0 && buf[len - 1] == '\n')
      buf[--len] = '\0';
    if (len > INI_MAX_LINE) {
      err_set(err, SMSMUX_ERR_CONFIG, NULL,
              "%s:%d: line longer than %d characters (the INI reader's "
              "limit)",
              c->path, no, INI_MAX_LINE);
      rc = -1;
      break;
    }
    while (len > 0 && isspace((unsigned char)buf[len - 1]))
      buf[--len] = '\0';
    if (!logical.len)
      first = no;
    if (len > 0 && buf[len - 1] == '\\') {
      sb_add(&logical, buf, len - 1); /* continued on the next line */
      continue;
    }
    sb_add(&logical, buf, len);
    if (logical.oom) {
      rc = err_oom(err);
      break;
    }
    if (logical.s)
      rc = scan_line(c, &cap, str_trim(logical.s), first, &sec, err);
    if (logical.s)
      explicit_bzero(logical.s, logical.len);
    logical.len = 0;
    if (logical.s)
      logical.s[0] = '\0';
  }
  if (rc == 0 && !feof(f) && errno == ENOMEM)
    rc = err_oom(err); /* getline could not grow its buffer */
  if (rc == 0 && logical.oom)
    rc = err_oom(err);
  if (rc == 0 && logical.len)
    rc = scan_line(c, &cap, str_trim(logical.s), first, &sec, err);
  if (logical.s)
    explicit_bzero(logical.s, logical.len);
  if (buf)
    explicit_bzero(buf, bufcap);
  free(buf);
  sb_free(&logical);
  free(sec);
  return rc;
}

/* ------------------------------------------------------------ values -- */

/* NULL when out of memory. */
static char *abs_path(const char *base_dir, const char *p) {
  if (p[0] == '/')
    return str_dup(p);
  if (p[0] == '~' && p[1] == '/' && getenv("HOME"))
    return str_printf("%s%s", getenv("HOME"), p + 1);
  return str_printf("%s/%s", base_dir, p);
}

/* Each element of a ':'-separated list made absolute; NULL when out of
   memory. */
static char *abs_path_list(const char *base_dir, const char *list) {
  strbuf b = {0};
  char *copy = str_dup(list), *save = NULL, *tok;
  if (!copy)
    return NULL;
  for (tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
    char *t = str_trim(tok), *a;
    if (!*t)
      continue;
    a = abs_path(base_dir, t);
    if (!a)
      b.oom = 1;
    else if (b.len)
      sb_adds(&b, ":");
    if (a)
      sb_adds(&b, a);
    free(a);
  }
  free(copy);
  return sb_steal(&b);
}

static int parse_bool(const char *v, int *out) {
  if (str_ieq(v, "yes") || str_ieq(v, "true") || str_ieq(v, "on") ||
      strcmp(v, "1") == 0)
    *out = 1;
  else if (str_ieq(v, "no") || str_ieq(v, "false") || str_ieq(v, "off") ||
           strcmp(v, "0") == 0)
    *out = 0;
  else
    return -1;
  return 0;
}

/* A finite number: strtod also reads "nan" and "inf", which compare false
   with every bound (max_rps = nan switched the limiter off). */
static int parse_double(const char *v, double *out) {
  char *end;
  errno = 0;
  *out = strtod(v, &end);
  return (errno || end == v || *str_trim(end) || !isfinite(*out)) ? -1 : 0;
}

#define MAX_AMOUNT 1e6 /* a price or credits per segment: far above any */

/* "http://user:pw@host/": credentials in the authority part. */
static int url_has_userinfo(const char *v) {
  const char *auth = strstr(v, "://");
  size_t n;
  auth = auth ? auth + 3 : v;
  n = strcspn(auth, "/?#");
  return memchr(auth, '@', n) != NULL;
}

/* A PostgreSQL URL carrying a password (user:PASSWORD@ or password=). */
static int url_has_password(const char *v) {
  const char *auth = strstr(v, "://"), *q;
  size_t n;
  auth = auth ? auth + 3 : v;
  n = strcspn(auth, "/?#");
  q = memchr(auth, '@', n);
  if (q && memchr(auth, ':', (size_t)(q - auth)))
    return 1;
  q = strchr(auth, '?');
  return q && (strstr(q, "?password=") || strstr(q, "&password="));
}

static int parse_long(const char *v, long *out) {
  char *end;
  errno = 0;
  *out = strtol(v, &end, 10);
  return (errno || end == v || *end) ? -1 : 0;
}

static void free_list(char **l, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    free(l[i]);
  free(l);
}

/* Split "a, b c" into a vector of strings: 0, or -1 when out of memory
   (*out NULL, *n 0). */
static int split_list(const char *v, char ***out, size_t *n) {
  char *copy = str_dup(v), *save = NULL, *tok;
  size_t cap = 0;
  int oom = !copy;
  *out = NULL;
  *n = 0;
  for (tok = oom ? NULL : strtok_r(copy, ", \t", &save); tok && !oom;
       tok = strtok_r(NULL, ", \t", &save)) {
    char **slot = VEC_PUSH(*out, *n, cap);
    oom = !slot || !(*slot = str_dup(tok));
  }
  free(copy);
  if (oom) {
    free_list(*out, *n);
    *out = NULL;
    *n = 0;
    return -1;
  }
  return 0;
}

/* A value may reference the environment: "env:NAME" (so secrets need not
 * be written in the file).  Returns a malloc'd value or NULL with err. */
static char *resolve_value(const cfg *c, const char *sec, const char *key,
                           const char *v, int *literal, smsmux_error *err) {
  *literal = 1;
  if (str_starts(v, "env:")) {
    const char *e = getenv(v + 4);
    *literal = 0;
    if (!e) {
      cfg_err(err, c, sec, key, "[%s] %s: environment variable %s is not set",
              sec, key, v + 4);
      return NULL;
    }
    v = e;
  }
  {
    char *copy = str_dup(v);
    if (!copy)
      err_oom(err);
    return copy;
  }
}

/* [smsmux] store: a postgresql:// URL (a secret when it holds a password:
   never shown), literal or env:NAME; absent or empty: SQLite. */
static int load_store(cfg *c, dictionary *d, smsmux_error *err) {
  const char *raw = iniparser_getstring(d, "smsmux:store", NULL);
  int literal;
  if (!raw || !*raw)
    return 0;
  c->store = resolve_value(c, "smsmux", "store", raw, &literal, err);
  if (!c->store)
    return -1;
  if (strncmp(c->store, "postgresql://", 13) != 0 &&
      strncmp(c->store, "postgres://", 11) != 0) {
    cfg_err(err, c, "smsmux", "store",
            "[smsmux] store: not a postgresql:// URL (the value is not "
            "shown: it may hold a password); write "
            "postgresql://USER:PASSWORD@HOST/DATABASE, or env:NAME to take "
            "it from the environment, or remove the key to keep the store "
            "in state_dir");
    return -1;
  }
  if (literal && url_has_password(c->store) && (c->mode & 077)) {
    cfg_err(err, c, "smsmux", "store",
            "%s holds the secret [smsmux] store (a password in the URL) but "
            "is readable by group or others (mode %04o): run `chmod 600 "
            "%s`, or write the value as env:VARIABLE",
            c->path, (unsigned)c->mode, c->path);
    return -1;
  }
  return 0;
}

/* ----------------------------------------------------------- sections -- */

/* An integer key of [smsmux] within [min, max], `def` when absent. */
static int get_seconds(cfg *c, dictionary *d, const char *key, long def,
                       long min, long max, long *out, smsmux_error *err) {
  char full[64];
  const char *v;
  snprintf(full, sizeof full, "smsmux:%s", key);
  v = iniparser_getstring(d, full, NULL);
  *out = def;
  if (v && (parse_long(v, out) || *out < min || *out > max)) {
    cfg_err(err, c, "smsmux", key,
            "[smsmux] %s: \"%s\" is not a whole number between %ld and "
            "%ld",
            key, v, min, max);
    return -1;
  }
  return 0;
}

/* ca_file / ca_path of `sec`: an existing file / directory, made absolute
   (relative to the configuration's directory).  *out stays NULL when the
   key is absent. */
static int ca_key(cfg *c, const char *sec, const char *key, const char *v,
                  const char *dir, char **out, smsmux_error *err) {
  struct stat st;
  int want_dir = strcmp(key, "ca_path") == 0;
  char *path;
  *out = NULL;
  if (!v)
    return 0;
  if (!*v) {
    cfg_err(err, c, sec, key,
            "[%s] %s: empty; give the %s of the CA certificates to trust, "
            "or remove the key",
            sec, key, want_dir ? "directory" : "PEM file");
    return -1;
  }
  if (!(path = abs_path(dir, v)))
    return err_oom(err);
  {
    int rc = stat(path, &st), e = errno;
    const char *why = rc != 0 ? strerror(e)
                      : (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
                          ? (want_dir ? "not a directory" : "not a file")
                      : access(path, want_dir ? R_OK | X_OK : R_OK) != 0
                          ? "not readable"
                          : NULL;
    if (why) {
      cfg_err(err, c, sec, key, "[%s] %s: \"%s\": %s; give the %s", sec,
              key, path, why,
              want_dir ? "directory of CA certificates (c_rehash layout)"
                       : "PEM file of the CA certificates to trust");
      free(path);
      return -1;
    }
  }
  *out = path;
  return 0;
}

/* A reply's words as they are compared: ASCII upper case, runs of blanks
   as one space, no blank or . ! at either end.  malloc'd, NULL on out of
   memory. */
char *cfg_reply_key(const char *text) {
  size_t n = text ? strlen(text) : 0, i, o = 0;
  char *out = malloc(n + 1);
  int blank = 0;
  if (!out)
    return NULL;
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)text[i];
    if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
      blank = o > 0;
      continue;
    }
    if (blank)
      out[o++] = ' ';
    blank = 0;
    out[o++] = (char)(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
  }
  while (o && (out[o - 1] == '.' || out[o - 1] == '!' || out[o - 1] == ' '))
    o--;
  out[o] = '\0';
  return out;
}

/* stop_words / start_words: a comma-separated list of words or phrases. */
static int reply_words(cfg *c, dictionary *d, const char *key,
                       const char *def, char ***out, size_t *n,
                       smsmux_error *err) {
  char full[64], *copy, *save = NULL, *tok;
  const char *v;
  size_t cap = 0;
  snprintf(full, sizeof full, "smsmux:%s", key);
  v = iniparser_getstring(d, full, NULL);
  if (!v)
    v = def;
  if (!(copy = str_dup(v)))
    return err_oom(err);
  for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char *w = cfg_reply_key(tok), **slot = NULL;
    if (w && !*w) {
      free(w);
      continue;
    }
    if (!w || !(slot = VEC_PUSH(*out, *n, cap))) {
      free(w);
      free(copy);
      return err_oom(err); /* the words so far: freed with the cfg */
    }
    *slot = w;
  }
  free(copy);
  if (*n == 0 && *v) {
    cfg_err(err, c, "smsmux", key,
            "[smsmux] %s: \"%s\" holds no word (a comma-separated list, "
            "e.g. STOP, ARRET; empty: none)",
            key, v);
    return -1;
  }
  return 0;
}

static int load_smsmux(cfg *c, dictionary *d, const char *dir,
                       smsmux_error *err, char ***route_names,
                       size_t *n_route_names) {
  int nk = iniparser_getsecnkeys(d, "smsmux"), i;
  const char **keys;
  const char *v;

  if (nk > 0) {
    keys = calloc((size_t)nk, sizeof *keys);
    if (!keys || !iniparser_getseckeys(d, "smsmux", keys)) {
      free(keys);
      return err_oom(err);
    }
    for (i = 0; i < nk; i++) {
      const char *k = keys[i] + strlen("smsmux:");
      if (!in_list(smsmux_keys, k)) {
        cfg_err(err, c, "smsmux", k,
                "[smsmux] %s: unknown key (known: plugin_dir, routes, "
                "timeout, state_dir, store, default_country, "
                "breaker_failures, breaker_cooldown, balance_ttl, "
                "retention_days, ca_file, ca_path, stop_words, "
                "start_words, webhook_retry_hours)",
                k);
        free(keys);
        return -1;
      }
    }
    free(keys);
  }

  v = iniparser_getstring(d, "smsmux:plugin_dir", NULL);
  c->plugin_dir = (v && *v) ? abs_path_list(dir, v) : str_dup(PLUGINDIR);
  if (!c->plugin_dir)
    return err_oom(err);

  v = iniparser_getstring(d, "smsmux:state_dir", NULL);
  if (v && *v) {
    c->state_dir = abs_path(dir, v);
  } else {
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
      c->state_dir = str_printf("%s/smsmux", xdg);
    else if (home && *home)
      c->state_dir = str_printf("%s/.local/state/smsmux", home);
    else
      c->state_dir = str_dup("/var/lib/smsmux");
  }
  if (!c->state_dir)
    return err_oom(err);

  if (load_store(c, d, err))
    return -1;

  c->timeout = 15;
  v = iniparser_getstring(d, "smsmux:timeout", NULL);
  if (v && (parse_long(v, &c->timeout) || c->timeout <= 0 ||
            c->timeout > 3600)) {
    cfg_err(err, c, "smsmux", "timeout",
            "[smsmux] timeout: \"%s\" is not a number of seconds "
            "between 1 and 3600",
            v);
    return -1;
  }

  if (get_seconds(c, d, "breaker_failures", 3, 0, 1000, &c->breaker_failures,
                  err) ||
      get_seconds(c, d, "breaker_cooldown", 60, 1, 86400, &c->breaker_cooldown,
                  err) ||
      get_seconds(c, d, "balance_ttl", 300, 0, 86400, &c->balance_ttl, err) ||
      get_seconds(c, d, "retention_days", 90, 1, 36500, &c->retention_days,
                  err) ||
      get_seconds(c, d, "webhook_retry_hours", 24, 1, 720,
                  &c->webhook_retry_hours, err))
    return -1;
  if (reply_words(c, d, "stop_words", "STOP, STOP SMS, ARRET, UNSUBSCRIBE",
                  &c->stop_words, &c->n_stop_words, err) ||
      reply_words(c, d, "start_words", "START, UNSTOP", &c->start_words,
                  &c->n_start_words, err))
    return -1;

  v = iniparser_getstring(d, "smsmux:default_country", "33");
  if (*v == '+')
    v++;
  if (!*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 3) {
    cfg_err(err, c, "smsmux", "default_country",
            "[smsmux] default_country: \"%s\" is not a country calling "
            "code (e.g. 33)",
            v);
    return -1;
  }
  if (!(c->default_cc = str_dup(v)))
    return err_oom(err);

  if (ca_key(c, "smsmux", "ca_file",
             iniparser_getstring(d, "smsmux:ca_file", NULL), dir, &c->ca_file,
             err) ||
      ca_key(c, "smsmux", "ca_path",
             iniparser_getstring(d, "smsmux:ca_path", NULL), dir, &c->ca_path,
             err))
    return -1;

  v = iniparser_getstring(d, "smsmux:routes", NULL);
  *route_names = NULL;
  *n_route_names = 0;
  if (v && split_list(v, route_names, n_route_names))
    return err_oom(err);
  return 0;
}

static int load_provider(cfg *c, dictionary *d, const char *dir,
                         const char *sec,
                         smsmux_error *err) {
  cfg_provider *p;
  size_t cap = c->n_providers;
  int nk = iniparser_getsecnkeys(d, sec), i;
  const char **keys;
  const char *name = sec + strlen("provider.");
  size_t kcap = 0, pcap = 0;

  if (!*name) {
    cfg_err(err, c, sec, NULL,
            "[%s]: a provider section needs a name: [provider.NAME]",
            sec);
    return -1;
  }
  p = VEC_PUSH(c->providers, c->n_providers, cap);
  if (!p)
    return err_oom(err);
  p->credit_per_segment = 1;
  p->enabled = 1;
  p->timeout = c->timeout;
  p->dlr_poll = -1;
  p->dlr_poll_deadline = 48;
  if (!(p->name = str_dup(name)))
    return err_oom(err);

  keys = calloc(nk > 0 ? (size_t)nk : 1, sizeof *keys);
  p->key_literal = calloc(nk > 0 ? (size_t)nk : 1, sizeof(int));
  if (!keys || !p->key_literal ||
      (nk > 0 && !iniparser_getseckeys(d, sec, keys))) {
    free(keys);
    return err_oom(err);
  }
  for (i = 0; i < nk; i++) {
    const char *k = keys[i] + strlen(sec) + 1;
    const char *raw = iniparser_getstring(d, keys[i], "");
    int literal;
    char *v = resolve_value(c, sec, k, raw, &literal, err);
    smsmux_kv *kv;
    if (!v) {
      free(keys);
      return -1;
    }
    p->key_literal[p->n_keys] = literal;
    kv = VEC_PUSH(p->keys, p->n_keys, kcap);
    if (!kv) {
      free(v);
      free(keys);
      return err_oom(err);
    }
    kv->value = v;
    if (!(kv->key = str_dup(k)) ||
        (strcmp(k, "plugin") == 0 && !(p->plugin = str_dup(v)))) {
      free(keys);
      return err_oom(err);
    }

    if (strcmp(k, "plugin") == 0) {
      /* copied above */
    } else if (strcmp(k, "base_url") == 0) {
      /* never shown: it would be printed, logged and stored with requests */
      if (url_has_userinfo(v)) {
        cfg_err(err, c, sec, "base_url",
                "[%s] base_url: holds credentials (user:password@ before the "
                "host); remove them from the URL and set them with the "
                "plugin's own keys (e.g. login, password, access_token: "
                "`smsmux plugins` lists each plugin's), which are kept "
                "secret",
                sec);
        free(keys);
        return -1;
      }
      if (*v && !str_starts(v, "http://") && !str_starts(v, "https://")) {
        cfg_err(err, c, sec, "base_url",
                "[%s] base_url: \"%s\" is not an http:// or https:// URL",
                sec, v);
        free(keys);
        return -1;
      }
      if (*v && !(p->base_url = str_dup(v))) {
        free(keys);
        return err_oom(err);
      }
    } else if (strcmp(k, "cost") == 0 || str_starts(k, "cost.")) {
      double x;
      if (parse_double(v, &x) || x < 0 || x > MAX_AMOUNT) {
        cfg_err(err, c, sec, k,
                "[%s] %s: \"%s\" is not a price (a number from 0 to "
                "1000000)",
                sec, k, v);
        free(keys);
        return -1;
      }
      if (strcmp(k, "cost") == 0) {
        p->cost = x;
      } else {
        const char *pre = k + 5;
        cfg_prefix_cost *pc;
        if (*pre != '+' || strlen(pre) < 2 ||
            strspn(pre + 1, "0123456789") != strlen(pre + 1)) {
          cfg_err(err, c, sec, k,
                  "[%s] %s: a price per destination is written "
                  "cost.+PREFIX (e.g. cost.+32)",
                  sec, k);
          free(keys);
          return -1;
        }
        pc = VEC_PUSH(p->prefix_costs, p->n_prefix_costs, pcap);
        if (!pc || !(pc->prefix = str_dup(pre))) {
          free(keys);
          return err_oom(err);
        }
        pc->cost = x;
      }
    } else if (strcmp(k, "credit_per_segment") == 0) {
      if (parse_double(v, &p->credit_per_segment) ||
          p->credit_per_segment < 0 || p->credit_per_segment > MAX_AMOUNT) {
        cfg_err(err, c, sec, "credit_per_segment",
                "[%s] credit_per_segment: \"%s\" is not a number from 0 "
                "to 1000000",
                sec, v);
        free(keys);
        return -1;
      }
    } else if (strcmp(k, "enabled") == 0) {
      if (parse_bool(v, &p->enabled)) {
        cfg_err(err, c, sec, "enabled",
                "[%s] enabled: \"%s\" is not yes or no",
                sec, v);
        free(keys);
        return -1;
      }
    } else if (strcmp(k, "max_recipients") == 0) {
      long n;
      if (parse_long(v, &n) || n < 1 || n > 100000) {
        cfg_err(err, c, sec, "max_recipients",
                "[%s] max_recipients: \"%s\" is not a number of recipients "
                "per send from 1 to 100000 (leave it out: the plugin's "
                "limit)",
                sec, v);
        free(keys);
        return -1;
      }
      p->max_recipients = (unsigned)n;
    } else if (strcmp(k, "ca_file") == 0 || strcmp(k, "ca_path") == 0) {
      if (ca_key(c, sec, k, v, dir,
                 strcmp(k, "ca_file") == 0 ? &p->ca_file : &p->ca_path,
                 err)) {
        free(keys);
        return -1;
      }
    } else if (strcmp(k, "dlr_poll") == 0) {
      if (parse_long(v, &p->dlr_poll) || p->dlr_poll < 0 ||
          p->dlr_poll > 86400) {
        cfg_err(err, c, sec, "dlr_poll",
                "[%s] dlr_poll: \"%s\" is not a number of seconds from 0 "
                "(no polling) to 86400",
                sec, v);
        free(keys);
        return -1;
      }
    } else if (strcmp(k, "dlr_poll_deadline") == 0) {
      if (parse_long(v, &p->dlr_poll_deadline) || p->dlr_poll_deadline < 1 ||
          p->dlr_poll_deadline > 720) {
        cfg_err(err, c, sec, "dlr_poll_deadline",
                "[%s] dlr_poll_deadline: \"%s\" is not a number of hours "
                "from 1 to 720",
                sec, v);
        free(keys);
        return -1;
      }
    } else if (strcmp(k, "max_rps") == 0) {
      if (parse_double(v, &p->max_rps) || p->max_rps < 0 ||
          (p->max_rps > 0 && p->max_rps < 0.001) || p->max_rps > 1e6) {
        cfg_err(err, c, sec, "max_rps",
                "[%s] max_rps: \"%s\" is not a number of requests per "
                "second from 0.001 to 1000000 (0 or leave it out: no "
                "limit)",
                sec, v);
        free(keys);
        return -1;
      }
    } else if (strcmp(k, "timeout") == 0) {
      if (parse_long(v, &p->timeout) || p->timeout <= 0 ||
          p->timeout > 3600) {
        cfg_err(err, c, sec, "timeout",
                "[%s] timeout: \"%s\" is not a number of seconds between "
                "1 and 3600",
                sec, v);
        free(keys);
        return -1;
      }
    }
  }
  free(keys);
  if (!p->plugin || !*p->plugin) {
    cfg_err(err, c, sec, "plugin",
            "[%s] plugin: missing; say which plugin serves this provider "
            "(smsmode, clever-http, clever-rest, mediasflow, allmysms)",
            sec);
    return -1;
  }
  return 0;
}

static int parse_match(cfg *c, cfg_route *r, const char *sec, const char *v,
                       smsmux_error *err) {
  size_t n, i;
  char **parts;
  if (split_list(v, &parts, &n))
    return err_oom(err);
  for (i = 0; i < n; i++) {
    char *eq = strchr(parts[i], '='), **slot = NULL;
    if (eq) {
      *eq = '\0';
      if (strcmp(parts[i], "kind") == 0)
        slot = &r->match_kind;
      else if (strcmp(parts[i], "to") == 0)
        slot = &r->match_to;
      else if (strcmp(parts[i], "from") == 0)
        slot = &r->match_from;
    }
    if (!slot || !eq[1]) {
      if (eq)
        *eq = '=';
      cfg_err(err, c, sec, "match",
              "[%s] match: \"%s\" is not kind=..., to=+PREFIX or "
              "from=...",
              sec, parts[i]);
      free_list(parts, n);
      return -1;
    }
    if (slot == &r->match_kind && strcmp(eq + 1, "sms") != 0 &&
        strcmp(eq + 1, "mms") != 0 && strcmp(eq + 1, "voice") != 0) {
      cfg_err(err, c, sec, "match",
              "[%s] match: kind=%s: kind is sms, mms or voice",
              sec, eq + 1);
      free_list(parts, n);
      return -1;
    }
    free(*slot);
    if (!(*slot = str_dup(eq + 1))) {
      free_list(parts, n);
      return err_oom(err);
    }
  }
  free_list(parts, n);
  return 0;
}

static int load_route(cfg *c, dictionary *d, const char *name,
                      smsmux_error *err) {
  char sec[300], key[400];
  const char *v;
  int nk, i;
  const char **keys;
  size_t cap = c->n_routes, j;
  cfg_route *r;

  snprintf(sec, sizeof sec, "route.%s", name);
  if (!iniparser_find_entry(d, sec)) {
    cfg_err(err, c, "smsmux", "routes",
            "[smsmux] routes: route \"%s\" has no [%s] section",
            name, sec);
    return -1;
  }
  nk = iniparser_getsecnkeys(d, sec);
  keys = calloc(nk > 0 ? (size_t)nk : 1, sizeof *keys);
  if (!keys || (nk > 0 && !iniparser_getseckeys(d, sec, keys))) {
    free(keys);
    return err_oom(err);
  }
  for (i = 0; i < nk; i++) {
    const char *k = keys[i] + strlen(sec) + 1;
    if (!in_list(route_keys, k)) {
      cfg_err(err, c, sec, k,
              "[%s] %s: unknown key (known: match, policy, providers, "
              "failover_on_unknown)",
              sec, k);
      free(keys);
      return -1;
    }
  }
  free(keys);

  r = VEC_PUSH(c->routes, c->n_routes, cap);
  if (!r || !(r->name = str_dup(name)))
    return err_oom(err);
  snprintf(key, sizeof key, "%s:match", sec);
  v = iniparser_getstring(d, key, NULL);
  if (v && *v && parse_match(c, r, sec, v, err))
    return -1;
  snprintf(key, sizeof key, "%s:policy", sec);
  /* checked against the router's table of policies (router_check_config),
     the one list of them */
  v = iniparser_getstring(d, key, "failover");
  if (!(r->policy = str_dup(v)))
    return err_oom(err);
  snprintf(key, sizeof key, "%s:failover_on_unknown", sec);
  v = iniparser_getstring(d, key, "no");
  if (parse_bool(v, &r->failover_on_unknown)) {
    cfg_err(err, c, sec, "failover_on_unknown",
            "[%s] failover_on_unknown: \"%s\" is not yes or no",
            sec, v);
    return -1;
  }
  snprintf(key, sizeof key, "%s:providers", sec);
  v = iniparser_getstring(d, key, "");
  if (split_list(v, &r->providers, &r->n_providers))
    return err_oom(err);
  if (r->n_providers == 0) {
    cfg_err(err, c, sec, "providers",
            "[%s] providers: empty; list the provider instances this "
            "route uses",
            sec);
    return -1;
  }
  for (j = 0; j < r->n_providers; j++)
    if (!cfg_provider_find(c, r->providers[j])) {
      cfg_err(err, c, sec, "providers",
              "[%s] providers: \"%s\" is not a configured provider "
              "(no [provider.%s] section)",
              sec, r->providers[j], r->providers[j]);
      return -1;
    }
  return 0;
}

/* ------------------------------------------------------------- plans -- */

static const char *const refund_statuses[] = {"undelivered", "rejected",
                                              "expired", NULL};

/* A price in whole units: 0 .. 1000000. */
static int parse_units(const char *v, int64_t *out) {
  long n;
  if (parse_long(v, &n) || n < 0 || n > (long)MAX_AMOUNT)
    return -1;
  *out = (int64_t)n;
  return 0;
}

/* refund = a list of undelivered, rejected, expired: normalised to a comma
   list (NULL when empty). */
static int plan_refund(cfg *c, const char *sec, const char *v, char **out,
                       smsmux_error *err) {
  size_t n, i;
  char **l = NULL;
  char buf[64] = "";
  if (split_list(v, &l, &n))
    return err_oom(err);
  for (i = 0; i < n; i++) {
    if (!in_list(refund_statuses, l[i])) {
      cfg_err(err, c, sec, "refund",
              "[%s] refund: \"%s\" is not a delivery status a plan can "
              "refund (undelivered, rejected, expired)",
              sec, l[i]);
      free_list(l, n);
      return -1;
    }
    if (!strstr(buf, l[i])) {
      if (*buf)
        strcat(buf, ",");
      strcat(buf, l[i]);
    }
  }
  free_list(l, n);
  if (*buf && !(*out = str_dup(buf)))
    return err_oom(err);
  return 0;
}

static int load_plan(cfg *c, dictionary *d, const char *sec,
                     smsmux_error *err) {
  cfg_plan *p;
  size_t cap = c->n_plans, pcap = 0;
  const char *name = sec + strlen("plan."), **keys;
  int nk = iniparser_getsecnkeys(d, sec), i, rc = -1;

  if (!*name || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") !=
                    strlen(name)) {
    cfg_err(err, c, sec, NULL,
            "[%s]: a plan section is [plan.NAME], NAME of letters, digits, "
            "'-' and '_'",
            sec);
    return -1;
  }
  if (!(p = VEC_PUSH(c->plans, c->n_plans, cap)))
    return err_oom(err);
  memset(p, 0, sizeof *p);
  p->sms = p->mms = p->voice = 1;
  if (!(p->name = str_dup(name)))
    return err_oom(err);
  keys = calloc(nk > 0 ? (size_t)nk : 1, sizeof *keys);
  if (!keys || (nk > 0 && !iniparser_getseckeys(d, sec, keys))) {
    free(keys);
    return err_oom(err);
  }
  for (i = 0; i < nk; i++) {
    const char *k = keys[i] + strlen(sec) + 1;
    const char *v = iniparser_getstring(d, keys[i], "");
    int64_t *slot = strcmp(k, "sms") == 0     ? &p->sms
                    : strcmp(k, "mms") == 0   ? &p->mms
                    : strcmp(k, "voice") == 0 ? &p->voice
                                              : NULL;
    if (slot) {
      if (parse_units(v, slot)) {
        cfg_err(err, c, sec, k,
                "[%s] %s: \"%s\" is not a price in whole units (0 to "
                "1000000)",
                sec, k, v);
        goto out;
      }
    } else if (str_starts(k, "sms.")) {
      const char *pre = k + 4;
      cfg_prefix_cost *pc;
      int64_t u;
      if (*pre != '+' || strlen(pre) < 2 ||
          strspn(pre + 1, "0123456789") != strlen(pre + 1)) {
        cfg_err(err, c, sec, k,
                "[%s] %s: a price per destination is written sms.+PREFIX "
                "(e.g. sms.+32)",
                sec, k);
        goto out;
      }
      if (parse_units(v, &u)) {
        cfg_err(err, c, sec, k,
                "[%s] %s: \"%s\" is not a price in whole units (0 to "
                "1000000)",
                sec, k, v);
        goto out;
      }
      if (!(pc = VEC_PUSH(p->sms_prefix, p->n_sms_prefix, pcap)) ||
          !(pc->prefix = str_dup(pre))) {
        err_oom(err);
        goto out;
      }
      pc->cost = (double)u;
    } else if (strcmp(k, "refund") == 0) {
      if (plan_refund(c, sec, v, &p->refund, err))
        goto out;
    } else {
      cfg_err(err, c, sec, k,
              "[%s] %s: unknown key (known: sms, sms.+PREFIX, mms, voice, "
              "refund)",
              sec, k);
      goto out;
    }
  }
  rc = 0;
out:
  free(keys);
  return rc;
}

const cfg_plan *cfg_plan_find(const cfg *c, const char *name) {
  size_t i;
  for (i = 0; name && i < c->n_plans; i++)
    if (strcmp(c->plans[i].name, name) == 0)
      return &c->plans[i];
  return NULL;
}

int64_t cfg_plan_units(const cfg_plan *p, smsmux_kind kind,
                       unsigned segments, const char *e164) {
  size_t i, best_len = 0;
  int64_t price;
  if (!p)
    return kind == SMSMUX_KIND_SMS ? (int64_t)segments : 1;
  if (kind == SMSMUX_KIND_MMS)
    return p->mms;
  if (kind == SMSMUX_KIND_VOICE)
    return p->voice;
  price = p->sms;
  for (i = 0; e164 && i < p->n_sms_prefix; i++) {
    size_t l = strlen(p->sms_prefix[i].prefix);
    if (l > best_len && str_starts(e164, p->sms_prefix[i].prefix)) {
      best_len = l;
      price = (int64_t)p->sms_prefix[i].cost;
    }
  }
  return price * (int64_t)segments;
}

/* ------------------------------------------------------------ server -- */

static int server_is_secret(const char *k) {
  return strcmp(k, "admin_key") == 0 || strcmp(k, "webhook_secret") == 0;
}

static const char *server_default(const char *k) {
  size_t i;
  for (i = 0; server_keys[i][0]; i++)
    if (strcmp(server_keys[i][0], k) == 0)
      return server_keys[i][1];
  return NULL;
}

/* "host:port" or "[v6]:port", port 0..65535 (0: any free port). */
static int listen_item_ok(const char *item) {
  const char *colon;
  long port;
  if (*item == '[') {
    const char *close = strchr(item, ']');
    if (!close || close == item + 1 || close[1] != ':')
      return 0;
    colon = close + 1;
  } else {
    colon = strrchr(item, ':');
    if (!colon || colon == item || memchr(item, ':', (size_t)(colon - item)))
      return 0;
  }
  return parse_long(colon + 1, &port) == 0 && port >= 0 && port <= 65535;
}

static int server_long(cfg *c, const char *k, const char *v, long min,
                       long max, const char *unit, long *out,
                       smsmux_error *err) {
  if (parse_long(v, out) || *out < min || *out > max) {
    cfg_err(err, c, "server", k,
            "[server] %s: \"%s\" is not a whole number of %s between %ld "
            "and %ld",
            k, v, unit, min, max);
    return -1;
  }
  return 0;
}

/* One key of [server], resolved; checks and stores it. */
static int server_key(cfg *c, const char *dir, const char *k, const char *v,
                      smsmux_error *err) {
  cfg_server *sv = &c->server;
  if (strcmp(k, "listen") == 0) {
    size_t n, i;
    char **items;
    int ok;
    if (split_list(v, &items, &n))
      return err_oom(err);
    ok = n > 0;
    for (i = 0; ok && i < n; i++)
      ok = listen_item_ok(items[i]);
    free_list(items, n);
    if (!ok) {
      cfg_err(err, c, "server", k,
              "[server] listen: \"%s\" is not a list of host:port "
              "(e.g. 127.0.0.1:8080, [::1]:8080)",
              v);
      return -1;
    }
    if (!(sv->listen = str_dup(v)))
      return err_oom(err);
  } else if (strcmp(k, "tls_cert") == 0 || strcmp(k, "tls_key") == 0) {
    char **dst = k[4] == 'c' ? &sv->tls_cert : &sv->tls_key;
    if (*v && !(*dst = abs_path(dir, v)))
      return err_oom(err);
  } else if (strcmp(k, "public_url") == 0 || strcmp(k, "callback_url") == 0) {
    if (*v && !str_starts(v, "http://") && !str_starts(v, "https://")) {
      cfg_err(err, c, "server", k,
              "[server] %s: \"%s\" is not an http:// or https:// URL", k, v);
      return -1;
    }
  } else if (strcmp(k, "admin_key") == 0) {
    if (*v && strlen(v) < 16) {
      cfg_err(err, c, "server", k,
              "[server] admin_key: too short (at least 16 characters; "
              "`openssl rand -hex 32` makes a good one)");
      return -1;
    }
    if (*v && !(sv->admin_key = str_dup(v)))
      return err_oom(err);
  } else if (strcmp(k, "workers") == 0) {
    return server_long(c, k, v, 1, 256, "workers", &sv->workers, err);
  } else if (strcmp(k, "max_body") == 0) {
    return server_long(c, k, v, 1024, 64L << 20, "bytes", &sv->max_body,
                       err);
  } else if (strcmp(k, "max_connections") == 0) {
    return server_long(c, k, v, 1, 65536, "connections",
                       &sv->max_connections, err);
  } else if (strcmp(k, "per_ip_connections") == 0) {
    return server_long(c, k, v, 1, 65536, "connections",
                       &sv->per_ip_connections, err);
  } else if (strcmp(k, "request_timeout") == 0) {
    return server_long(c, k, v, 1, 3600, "seconds", &sv->request_timeout,
                       err);
  }
  return 0;
}

/* [server]: smsmuxd's keys, checked like every other section (also by
   the `smsmux` command, which reads the same file). */
static int load_server(cfg *c, dictionary *d, const char *dir,
                       smsmux_error *err) {
  cfg_server *sv = &c->server;
  size_t i, cap = 0;
  int nk = iniparser_getsecnkeys(d, "server"), j;

  if (nk > 0) {
    const char **keys = calloc((size_t)nk, sizeof *keys);
    if (!keys || !iniparser_getseckeys(d, "server", keys)) {
      free(keys);
      return err_oom(err);
    }
    for (j = 0; j < nk; j++) {
      const char *k = keys[j] + strlen("server:");
      if (!server_default(k)) {
        cfg_err(err, c, "server", k,
                "[server] %s: unknown key (known: listen, tls_cert, "
                "tls_key, workers, public_url, admin_key, webhook_secret, "
                "callback_url, max_body, max_connections, "
                "per_ip_connections, request_timeout)",
                k);
        free(keys);
        return -1;
      }
    }
    free(keys);
  }
  for (i = 0; server_keys[i][0]; i++) {
    const char *k = server_keys[i][0];
    char full[64];
    const char *raw;
    char *v;
    int literal = 1;
    smsmux_kv *kv;
    snprintf(full, sizeof full, "server:%s", k);
    raw = iniparser_getstring(d, full, NULL);
    if (raw) {
      v = resolve_value(c, "server", k, raw, &literal, err);
      if (!v)
        return -1;
      if (literal && *v && server_is_secret(k) && (c->mode & 077)) {
        cfg_err(err, c, "server", k,
                "holds the secret [server] %s but is readable by group or "
                "others (mode %04o): run `chmod 600 %s`, or write the value "
                "as env:VARIABLE",
                k, (unsigned)c->mode, c->path);
        free(v);
        return -1;
      }
    } else if (!(v = str_dup(server_keys[i][1]))) {
      return err_oom(err);
    }
    kv = VEC_PUSH(sv->keys, sv->n_keys, cap);
    if (!kv) {
      free(v);
      return err_oom(err);
    }
    kv->value = v;
    if (!(kv->key = str_dup(k)))
      return err_oom(err);
    if (server_key(c, dir, k, v, err))
      return -1;
    /* the paths as the file means them: relative to its directory */
    if ((strcmp(k, "tls_cert") == 0 && sv->tls_cert) ||
        (strcmp(k, "tls_key") == 0 && sv->tls_key)) {
      char *abs = str_dup(k[4] == 'c' ? sv->tls_cert : sv->tls_key);
      if (!abs)
        return err_oom(err);
      free(v);
      kv->value = abs;
    }
  }
  if (!sv->tls_cert != !sv->tls_key) {
    cfg_err(err, c, "server", sv->tls_cert ? "tls_cert" : "tls_key",
            "[server] tls_cert and tls_key go together: set both for HTTPS, "
            "or neither for plain HTTP");
    return -1;
  }
  return 0;
}

const char *cfg_server_get(const cfg *c, const char *key) {
  size_t i;
  for (i = 0; i < c->server.n_keys; i++)
    if (strcmp(c->server.keys[i].key, key) == 0)
      return c->server.keys[i].value;
  return NULL;
}

/* Keys written before any section, and sections nobody reads. */
static int check_sections(cfg *c, dictionary *d, smsmux_error *err) {
  int n = iniparser_getnsec(d), i;
  ssize_t k;
  for (k = 0; k < (ssize_t)d->size; k++) {
    if (!d->key[k] || !d->val[k])
      continue;
    if (!strchr(d->key[k], ':')) {
      err_set(err, SMSMUX_ERR_CONFIG, NULL,
              "%s: key \"%s\" is outside any section; put it under "
              "[smsmux] or a [provider.NAME]",
              c->path, d->key[k]);
      return -1;
    }
  }
  for (i = 0; i < n; i++) {
    const char *s = iniparser_getsecname(d, i);
    if (strcmp(s, "smsmux") && strcmp(s, "server") &&
        !str_starts(s, "provider.") && !str_starts(s, "route.") &&
        !str_starts(s, "plan.")) {
      cfg_err(err, c, s, NULL,
              "[%s]: unknown section (known: [smsmux], [server], "
              "[provider.NAME], [route.NAME], [plan.NAME])",
              s);
      return -1;
    }
  }
  return 0;
}

/* Any key a plugin reads (credentials are among them, wherever the value
   comes from: the file or env:), and the service's keys. */
static int holds_secrets(const cfg *c) {
  size_t i, j;
  if (c->store) /* its URL may carry a password */
    return 1;
  if (c->server.admin_key || *cfg_server_get(c, "webhook_secret"))
    return 1;
  for (i = 0; i < c->n_providers; i++)
    for (j = 0; j < c->providers[i].n_keys; j++)
      if (!cfg_is_host_key(c->providers[i].keys[j].key) ||
          strcmp(c->providers[i].keys[j].key, "hook_token") == 0)
        return 1;
  return 0;
}

cfg *cfg_load(const char *path, smsmux_error *err) {
  cfg *c = calloc(1, sizeof *c);
  dictionary *d;
  struct stat st;
  char *dir, *slash, **route_names = NULL;
  size_t n_route_names = 0, j;
  int n, i, rc = -1;
  char resolved[PATH_MAX], *why;
  FILE *f;

  if (!c || !(c->path = str_dup(path))) {
    err_oom(err);
    cfg_free(c);
    return NULL;
  }
  if (stat(path, &st) != 0) {
    err_set(err, SMSMUX_ERR_CONFIG, NULL, "%s: %s", path, strerror(errno));
    cfg_free(c);
    return NULL;
  }
  if (!S_ISREG(st.st_mode)) {
    err_set(err, SMSMUX_ERR_CONFIG, NULL, "%s: not a regular file", path);
    cfg_free(c);
    return NULL;
  }
  /* Before reading a byte: a file someone else may write could point
     plugin_dir anywhere, and its plugins run as us. */
  if (cfg_unsafe_path(path, &st, "configuration", &why)) {
    if (why)
      err_set(err, SMSMUX_ERR_CONFIG, NULL, "%s", why);
    else
      err_oom(err);
    free(why);
    cfg_free(c);
    return NULL;
  }
  c->mode = st.st_mode & 07777;

  f = fopen(path, "r");
  if (!f) {
    err_set(err, SMSMUX_ERR_CONFIG, NULL, "%s: cannot read: %s", path,
            strerror(errno));
    cfg_free(c);
    return NULL;
  }
  rc = prescan(c, f, err);
  fclose(f);
  if (rc) {
    cfg_free(c);
    return NULL;
  }
  rc = -1;

  pthread_mutex_lock(&ini_lock);
  ini_err_count = ini_err_line = 0;
  iniparser_set_error_callback(ini_error);
  d = iniparser_load(path);
  iniparser_set_error_callback(NULL); /* iniparser's default again */
  if (!d || ini_err_count) {
    if (ini_err_line > 0)
      err_set(err, SMSMUX_ERR_CONFIG, NULL,
              "%s:%d: not a valid INI line (not shown: it may hold a secret)",
              path, ini_err_line);
    else
      err_set(err, SMSMUX_ERR_CONFIG, NULL, "%s: not a valid INI file",
              path);
    pthread_mutex_unlock(&ini_lock);
    if (d)
      iniparser_freedict(d);
    cfg_free(c);
    return NULL;
  }
  pthread_mutex_unlock(&ini_lock);

  if (realpath(path, resolved))
    dir = str_dup(resolved);
  else
    dir = str_dup(path);
  if (!dir) {
    err_oom(err);
    goto out;
  }
  slash = strrchr(dir, '/');
  if (slash && slash != dir)
    *slash = '\0';
  else if (slash)
    slash[1] = '\0';
  else {
    free(dir);
    if (!(dir = str_dup("."))) {
      err_oom(err);
      goto out;
    }
  }

  if (check_sections(c, d, err))
    goto out;
  if (load_smsmux(c, d, dir, err, &route_names, &n_route_names))
    goto out;
  if (load_server(c, d, dir, err))
    goto out;
  n = iniparser_getnsec(d);
  for (i = 0; i < n; i++) {
    const char *s = iniparser_getsecname(d, i);
    if (str_starts(s, "provider.") && load_provider(c, d, dir, s, err))
      goto out;
  }
  for (i = 0; i < n; i++) {
    const char *s = iniparser_getsecname(d, i);
    if (str_starts(s, "plan.") && load_plan(c, d, s, err))
      goto out;
  }
  for (j = 0; j < n_route_names; j++)
    if (load_route(c, d, route_names[j], err))
      goto out;
  for (i = 0; i < n; i++) {
    const char *s = iniparser_getsecname(d, i);
    int listed = 0;
    if (!str_starts(s, "route."))
      continue;
    for (j = 0; j < n_route_names; j++)
      if (strcmp(route_names[j], s + 6) == 0)
        listed = 1;
    if (!listed) {
      cfg_err(err, c, s, NULL,
              "[%s] is never reachable: add \"%s\" to [smsmux] routes",
              s, s + 6);
      goto out;
    }
  }
  /* Plugin keys hold the credentials: from now on no core dump, and no
     ptrace or /proc/PID/mem by other processes of the same user, can read
     them.  Never switched back: copies may linger in freed memory. */
  if (holds_secrets(c))
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  rc = 0;
out:
  free_list(route_names, n_route_names);
  free(dir);
  iniparser_freedict(d);
  if (rc) {
    cfg_free(c);
    return NULL;
  }
  return c;
}

void cfg_free(cfg *c) {
  size_t i, j;
  if (!c)
    return;
  for (i = 0; i < c->n_providers; i++) {
    cfg_provider *p = &c->providers[i];
    free(p->name);
    free(p->plugin);
    free(p->base_url);
    free(p->ca_file);
    free(p->ca_path);
    for (j = 0; j < p->n_prefix_costs; j++)
      free(p->prefix_costs[j].prefix);
    free(p->prefix_costs);
    for (j = 0; j < p->n_keys; j++) {
      /* values may be secrets: never leave them in freed memory (plugins
         borrow them instead of copying, so this is the one place) */
      char *v = (char *)p->keys[j].value;
      if (v)
        memset(v, 0, strlen(v));
      free((char *)p->keys[j].key);
      free(v);
    }
    free(p->keys);
    free(p->key_literal);
  }
  free(c->providers);
  for (i = 0; i < c->n_plans; i++) {
    free(c->plans[i].name);
    free(c->plans[i].refund);
    for (j = 0; j < c->plans[i].n_sms_prefix; j++)
      free(c->plans[i].sms_prefix[j].prefix);
    free(c->plans[i].sms_prefix);
  }
  free(c->plans);
  for (i = 0; i < c->n_routes; i++) {
    cfg_route *r = &c->routes[i];
    free(r->name);
    free(r->match_kind);
    free(r->match_to);
    free(r->match_from);
    free(r->policy);
    free_list(r->providers, r->n_providers);
  }
  free(c->routes);
  for (i = 0; i < c->server.n_keys; i++) {
    char *v = (char *)c->server.keys[i].value;
    if (v)
      memset(v, 0, strlen(v));
    free((char *)c->server.keys[i].key);
    free(v);
  }
  free(c->server.keys);
  free(c->server.listen);
  free(c->server.tls_cert);
  free(c->server.tls_key);
  if (c->server.admin_key)
    memset(c->server.admin_key, 0, strlen(c->server.admin_key));
  free(c->server.admin_key);
  for (i = 0; i < c->n_lines; i++) {
    free(c->lines[i].section);
    free(c->lines[i].key);
  }
  free(c->lines);
  free(c->path);
  free(c->plugin_dir);
  free(c->state_dir);
  if (c->store) {
    memset(c->store, 0, strlen(c->store));
    free(c->store);
  }
  free(c->ca_file);
  free(c->ca_path);
  free(c->default_cc);
  free_list(c->stop_words, c->n_stop_words);
  free_list(c->start_words, c->n_start_words);
  free(c);
}

cfg_provider *cfg_provider_find(cfg *c, const char *name) {
  size_t i;
  for (i = 0; i < c->n_providers; i++)
    if (str_ieq(c->providers[i].name, name))
      return &c->providers[i];
  return NULL;
}

const char *cfg_provider_get(const cfg_provider *p, const char *key) {
  size_t i;
  for (i = 0; i < p->n_keys; i++)
    if (strcmp(p->keys[i].key, key) == 0)
      return p->keys[i].value;
  return NULL;
}

double cfg_price(const cfg_provider *p, const char *e164) {
  size_t i, best_len = 0;
  double price = p->cost;
  for (i = 0; i < p->n_prefix_costs; i++) {
    size_t l = strlen(p->prefix_costs[i].prefix);
    if (l > best_len && str_starts(e164, p->prefix_costs[i].prefix)) {
      best_len = l;
      price = p->prefix_costs[i].cost;
    }
  }
  return price;
}
