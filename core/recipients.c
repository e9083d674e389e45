/* recipients: the inputs of a send that come from files.
 *
 *  - The recipient file (smsmux_recipients_*): one number per line, or a
 *    CSV whose header names the number column; read one record at a time,
 *    so that memory does not grow with the file.
 *  - ${COLUMN} templates (smsmux_template_*): a text personalised with the
 *    current record's values.
 *  - A message text read from a UTF-8 file (smsmux_read_text_file).
 *
 * Nothing here aborts: out of memory is an error of class SMSMUX_ERR_SYSTEM
 * (or NULL where a function says so). */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <smsmux/smsmux.h>

#include "charset.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>

#if defined(__GNUC__)
#define RCP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define RCP_PRINTF(f, a)
#endif

static void set_error(smsmux_error *err, smsmux_error_class cls,
                      const char *fmt, ...) RCP_PRINTF(3, 4);

static void set_error(smsmux_error *err, smsmux_error_class cls,
                      const char *fmt, ...) {
  va_list ap;
  if (!err)
    return;
  memset(err, 0, sizeof *err);
  err->cls = cls;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
}

static int out_of_memory(smsmux_error *err) {
  set_error(err, SMSMUX_ERR_SYSTEM, "out of memory");
  return -1;
}

/* ---------------------------------------------------- growable bytes -- */

/** A NUL-terminated byte buffer whose growth can fail. */
typedef struct bytes {
  char *s;
  size_t len, cap;
} bytes;

/** Room for `more` bytes and a NUL: 0, or -1 when memory runs out. */
static int bytes_reserve(bytes *b, size_t more) {
  size_t cap;
  char *s;
  if (b->len + more + 1 <= b->cap)
    return 0;
  if (more > (size_t)-1 / 4 - b->len)
    return -1;
  cap = b->cap ? b->cap : 64;
  while (b->len + more + 1 > cap)
    cap *= 2;
  s = realloc(b->s, cap);
  if (!s)
    return -1;
  b->s = s;
  b->cap = cap;
  return 0;
}

static int bytes_add(bytes *b, const char *s, size_t n) {
  if (bytes_reserve(b, n) < 0)
    return -1;
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
  return 0;
}

static int bytes_addc(bytes *b, char c) { return bytes_add(b, &c, 1); }

static int bytes_reset(bytes *b) {
  b->len = 0;
  if (bytes_reserve(b, 0) < 0)
    return -1;
  b->s[0] = '\0';
  return 0;
}

/* ------------------------------------------------- the recipient file -- */

/*
 * The first meaningful line decides the format: with a ',' or ';' it is a
 * CSV header (the more frequent of the two is the separator); a lone word
 * naming a number column is a one-column header; anything else is the
 * first number of a plain list.  CSV fields may be quoted ("a;b",
 * "say ""hi"""), even across lines.
 */
struct smsmux_recipients {
  char *label; /**< "WHAT NAME", how messages name the file */
  FILE *fp;
  int from_stdin;
  char sep;       /**< ',' or ';' for a CSV; 0 for a plain list */
  char **cols;    /**< header names (CSV) */
  size_t n_cols;
  size_t num_col; /**< index of the number column */
  char *line;     /**< the current line (read_line) */
  size_t line_cap;
  unsigned long line_no;  /**< physical lines read so far */
  unsigned long rec_line; /**< first line of the current record */
  int pending;            /**< `line` holds a record not yet returned */
  off_t data_offset;      /**< where the records start (rewind) */
  unsigned long data_line;
  bytes fields;      /**< the current record's fields, NUL-separated */
  size_t *field_off; /**< offsets into fields */
  size_t n_fields, fields_cap;
};

/* Column names that hold the numbers (case-insensitive). */
static const char *const number_columns[] = {
    "to",  "number",   "numero", "num\xc3\xa9ro", "mobile", "gsm",
    "sms", "portable", NULL};

static int is_number_column(const char *name, size_t len) {
  for (const char *const *n = number_columns; *n; n++)
    if (strlen(*n) == len && strncasecmp(*n, name, len) == 0)
      return 1;
  return 0;
}

/* A line (or a record across lines) longer than this is not a recipient:
   the file is refused there, so that memory stays bounded whatever it is
   (a file without line ends, /dev/zero). */
#define LINE_MAX_BYTES (64 * 1024)

/** The next physical line into r->line, its '\n' kept: its length, 0 at
    the end of the file, -1 with err (a read error, a line longer than
    LINE_MAX_BYTES, a NUL byte: not a text file). */
static ssize_t read_line(smsmux_recipients *r, smsmux_error *err) {
  size_t n = 0;
  int ch = EOF;

  if (!r->line) {
    r->line_cap = 256;
    r->line = malloc(r->line_cap);
    if (!r->line)
      return out_of_memory(err);
  }
  flockfile(r->fp);
  while ((ch = getc_unlocked(r->fp)) != EOF) {
    if (ch == '\0') {
      funlockfile(r->fp);
      set_error(err, SMSMUX_ERR_INPUT,
                "%s line %lu holds a NUL byte: it is not a text file",
                r->label, r->line_no + 1);
      return -1;
    }
    if (n >= LINE_MAX_BYTES) {
      funlockfile(r->fp);
      set_error(err, SMSMUX_ERR_INPUT,
                "%s line %lu is longer than %d KiB: is it the right file?",
                r->label, r->line_no + 1, LINE_MAX_BYTES / 1024);
      return -1;
    }
    if (n + 2 > r->line_cap) {
      size_t cap = r->line_cap * 2;
      char *l = realloc(r->line, cap);
      if (!l) {
        funlockfile(r->fp);
        return out_of_memory(err);
      }
      r->line = l;
      r->line_cap = cap;
    }
    r->line[n++] = (char)ch;
    if (ch == '\n')
      break;
  }
  funlockfile(r->fp);
  r->line[n] = '\0';
  if (ch == EOF && ferror(r->fp)) {
    set_error(err, SMSMUX_ERR_INPUT, "cannot read %s: %s", r->label,
              strerror(errno));
    return -1;
  }
  return (ssize_t)n;
}

/** Strip the line end of the `n` bytes read_line read; the new length. */
static size_t chomp(char *line, size_t n) {
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
    line[--n] = '\0';
  return n;
}

/** Read lines until one that is neither blank nor a # comment:
    1 (in r->line, newline stripped), 0 at the end, -1 on a read error. */
static int read_meaningful_line(smsmux_recipients *r, smsmux_error *err) {
  for (;;) {
    ssize_t got;
    size_t n;
    const char *p;
    errno = 0;
    got = read_line(r, err);
    if (got <= 0)
      return (int)got;
    r->line_no++;
    n = chomp(r->line, (size_t)got);
    if (r->line_no == 1 && strncmp(r->line, "\xEF\xBB\xBF", 3) == 0)
      memmove(r->line, r->line + 3, n - 2); /* a UTF-8 BOM */
    for (p = r->line; isspace((unsigned char)*p); p++)
      ;
    if (*p == '\0' || *p == '#')
      continue;
    r->rec_line = r->line_no;
    return 1;
  }
}

static int add_field(smsmux_recipients *r, size_t start) {
  if (r->n_fields == r->fields_cap) {
    size_t cap = r->fields_cap ? 2 * r->fields_cap : 16;
    size_t *off = realloc(r->field_off, cap * sizeof *off);
    if (!off)
      return -1;
    r->field_off = off;
    r->fields_cap = cap;
  }
  r->field_off[r->n_fields++] = start;
  return 0;
}

/** A plain list's record: one field, the line trimmed. */
static int parse_plain(smsmux_recipients *r, smsmux_error *err) {
  const char *p = r->line, *e;
  while (isspace((unsigned char)*p))
    p++;
  e = p + strlen(p);
  while (e > p && isspace((unsigned char)e[-1]))
    e--;
  if (add_field(r, 0) < 0 || bytes_add(&r->fields, p, (size_t)(e - p)) < 0)
    return out_of_memory(err);
  return 0;
}

/** The rest of a quoted field from just after its opening '"' to just
    after its closing one, reading further lines while it stays open.
    Returns the position after the quote, or NULL with err. */
static const char *parse_quoted(smsmux_recipients *r, const char *p,
                                smsmux_error *err) {
  for (;;) {
    if (*p == '\0') { /* the quoted field goes on on the next line */
      ssize_t got;
      if (r->fields.len > LINE_MAX_BYTES) {
        set_error(err, SMSMUX_ERR_INPUT,
                  "%s line %lu: a record longer than %d KiB (a quoted "
                  "field not closed?)",
                  r->label, r->rec_line, LINE_MAX_BYTES / 1024);
        return NULL;
      }
      got = read_line(r, err);
      if (got < 0)
        return NULL;
      if (got == 0) {
        set_error(err, SMSMUX_ERR_INPUT,
                  "%s line %lu: a quoted field is not closed "
                  "(missing '\"')",
                  r->label, r->rec_line);
        return NULL;
      }
      r->line_no++;
      chomp(r->line, (size_t)got);
      if (bytes_addc(&r->fields, '\n') < 0)
        break;
      p = r->line;
      continue;
    }
    if (*p == '"') {
      if (p[1] != '"')
        return p + 1;
      p++; /* "" is one quote */
    }
    if (bytes_addc(&r->fields, *p++) < 0)
      break;
  }
  out_of_memory(err);
  return NULL;
}

/** Split r->line (and, inside quotes, the lines after it) into fields.
    Unquoted fields are trimmed; a plain list has one field, the line. */
static int parse_record(smsmux_recipients *r, smsmux_error *err) {
  const char *p = r->line;

  if (bytes_reset(&r->fields) < 0)
    return out_of_memory(err);
  r->n_fields = 0;
  if (!r->sep)
    return parse_plain(r, err);
  for (;;) { /* one field per turn */
    size_t start = r->fields.len;
    int quoted = 0;
    while (*p == ' ' || *p == '\t')
      p++;
    if (add_field(r, start) < 0)
      return out_of_memory(err);
    if (*p == '"') {
      quoted = 1;
      p = parse_quoted(r, p + 1, err);
      if (!p)
        return -1;
    }
    while (*p && *p != r->sep)
      if (bytes_addc(&r->fields, *p++) < 0)
        return out_of_memory(err);
    if (!quoted || r->fields.len > start) {
      /* trim what is outside quotes */
      size_t e = r->fields.len;
      while (e > start &&
             (r->fields.s[e - 1] == ' ' || r->fields.s[e - 1] == '\t'))
        e--;
      r->fields.len = e;
    }
    if (bytes_addc(&r->fields, '\0') < 0)
      return out_of_memory(err);
    if (*p != r->sep)
      return 0;
    p++;
  }
}

/** Decide the format from the first meaningful line (in r->line): 1 a
    header (r->sep set), 0 a plain list (the line is its first number). */
static int detect_header(smsmux_recipients *r) {
  size_t commas = 0, semis = 0, len;
  const char *b;

  for (b = r->line; *b; b++) {
    commas += *b == ',';
    semis += *b == ';';
  }
  if (commas || semis) {
    r->sep = semis >= commas ? ';' : ',';
    return 1;
  }
  /* One word: a header if it names a number column. */
  for (b = r->line; isspace((unsigned char)*b); b++)
    ;
  len = strlen(b);
  while (len && isspace((unsigned char)b[len - 1]))
    len--;
  if (is_number_column(b, len)) {
    r->sep = ',';
    return 1;
  }
  return 0;
}

/** Keep the header's fields as the column names and find the number
    column. */
static int read_header(smsmux_recipients *r, smsmux_error *err) {
  if (parse_record(r, err) < 0)
    return -1;
  r->cols = calloc(r->n_fields, sizeof *r->cols);
  if (!r->cols)
    return out_of_memory(err);
  for (size_t i = 0; i < r->n_fields; i++) {
    r->cols[i] = strdup(r->fields.s + r->field_off[i]);
    if (!r->cols[i])
      return out_of_memory(err);
    r->n_cols++;
  }
  r->num_col = (size_t)-1;
  for (size_t i = 0; i < r->n_cols && r->num_col == (size_t)-1; i++)
    if (is_number_column(r->cols[i], strlen(r->cols[i])))
      r->num_col = i;
  if (r->num_col == (size_t)-1) {
    set_error(err, SMSMUX_ERR_INPUT,
              "%s: the header line names no number column; name "
              "it to, number, numero, mobile, gsm, sms or portable (or give "
              "one number per line without a header)",
              r->label);
    return -1;
  }
  r->data_line = r->line_no;
  if (!r->from_stdin) {
    r->data_offset = ftello(r->fp);
    if (r->data_offset < 0)
      r->data_offset = 0;
  }
  return 0;
}

smsmux_recipients *smsmux_recipients_open(const char *path, const char *what,
                                          smsmux_error *err) {
  smsmux_recipients *r = calloc(1, sizeof *r);
  struct stat st;
  size_t size;
  int k;

  if (!r) {
    out_of_memory(err);
    return NULL;
  }
  r->from_stdin = strcmp(path, "-") == 0;
  if (!what)
    what = "recipient file";
  size = strlen(what) + strlen(path) + 8;
  r->label = malloc(size);
  if (!r->label) {
    out_of_memory(err);
    goto fail;
  }
  snprintf(r->label, size, "%s %s", what, r->from_stdin ? "stdin" : path);
  r->fp = r->from_stdin ? stdin : fopen(path, "r");
  if (!r->fp) {
    set_error(err, SMSMUX_ERR_INPUT, "cannot read %s: %s", r->label,
              strerror(errno));
    goto fail;
  }
  if (!r->from_stdin && fstat(fileno(r->fp), &st) == 0 &&
      S_ISDIR(st.st_mode)) {
    set_error(err, SMSMUX_ERR_INPUT, "%s is a directory", r->label);
    goto fail;
  }
  k = read_meaningful_line(r, err);
  if (k < 0)
    goto fail;
  if (k == 0) {
    set_error(err, SMSMUX_ERR_INPUT, "%s holds no number", r->label);
    goto fail;
  }
  if (!detect_header(r)) { /* a plain list: this line is the first number */
    r->pending = 1;
    return r;
  }
  if (read_header(r, err) < 0)
    goto fail;
  return r;
fail:
  smsmux_recipients_close(r);
  return NULL;
}

const char *smsmux_recipients_field(const smsmux_recipients *r, size_t i) {
  return i < r->n_fields ? r->fields.s + r->field_off[i] : "";
}

const char *smsmux_recipients_number(const smsmux_recipients *r) {
  return smsmux_recipients_field(r, r->sep ? r->num_col : 0);
}

/** Is the current record complete: the header's field count, a number? */
static int check_row(const smsmux_recipients *r, smsmux_error *err) {
  if (r->sep) {
    size_t n = r->n_fields;
    while (n > r->n_cols && !*smsmux_recipients_field(r, n - 1))
      n--; /* empty trailing cells are harmless */
    if (n != r->n_cols) {
      set_error(err, SMSMUX_ERR_INPUT,
                "%s line %lu: %zu field%s where the header has %zu "
                "(separator '%c'); quote values that hold it",
                r->label, r->rec_line, r->n_fields,
                r->n_fields == 1 ? "" : "s", r->n_cols, r->sep);
      return -1;
    }
  }
  if (!*smsmux_recipients_number(r)) {
    set_error(err, SMSMUX_ERR_INPUT, "%s line %lu: no number%s%s", r->label,
              r->rec_line, r->sep ? " in column " : "",
              r->sep ? r->cols[r->num_col] : "");
    return -1;
  }
  return 0;
}

int smsmux_recipients_next(smsmux_recipients *r, smsmux_error *err) {
  for (;;) {
    if (r->pending) {
      r->pending = 0;
    } else {
      int k = read_meaningful_line(r, err);
      if (k <= 0)
        return k;
    }
    if (parse_record(r, err) < 0)
      return -1;
    /* A row of empty fields (";;;" from a spreadsheet) is a blank line. */
    for (size_t i = 0; i < r->n_fields; i++)
      if (r->fields.s[r->field_off[i]])
        return check_row(r, err) < 0 ? -1 : 1;
  }
}

int smsmux_recipients_rewind(smsmux_recipients *r, smsmux_error *err) {
  if (r->from_stdin || fseeko(r->fp, r->data_offset, SEEK_SET) < 0) {
    set_error(err, SMSMUX_ERR_INPUT, "cannot read %s again", r->label);
    return -1;
  }
  r->line_no = r->data_line;
  r->pending = 0;
  r->n_fields = 0;
  return 0;
}

unsigned long smsmux_recipients_line(const smsmux_recipients *r) {
  return r->rec_line;
}

size_t smsmux_recipients_n_columns(const smsmux_recipients *r) {
  return r->n_cols;
}

const char *smsmux_recipients_column(const smsmux_recipients *r, size_t i) {
  return i < r->n_cols ? r->cols[i] : NULL;
}

void smsmux_recipients_close(smsmux_recipients *r) {
  if (!r)
    return;
  if (r->fp && !r->from_stdin)
    fclose(r->fp);
  free(r->line);
  for (size_t i = 0; i < r->n_cols; i++)
    free(r->cols[i]);
  free(r->cols);
  free(r->fields.s);
  free(r->field_off);
  free(r->label);
  free(r);
}

/* ------------------------------------------------------ placeholders -- */

/** Next "${NAME}" at or after `s`: its start, and NAME's bounds; NULL
    when there is none (a "${" never closed is plain text). */
static const char *next_placeholder(const char *s, const char **name,
                                    size_t *len) {
  const char *p = strstr(s, "${"), *end;
  if (!p || !(end = strchr(p + 2, '}')))
    return NULL;
  *name = p + 2;
  *len = (size_t)(end - (p + 2));
  return p;
}

int smsmux_template_has_placeholders(const char *text) {
  const char *name;
  size_t len;
  return text && next_placeholder(text, &name, &len) != NULL;
}

/** Column index of placeholder NAME (case-insensitive, trimmed), or -1. */
static long column_index(const smsmux_recipients *r, const char *name,
                         size_t len) {
  while (len && isspace((unsigned char)*name)) {
    name++;
    len--;
  }
  while (len && isspace((unsigned char)name[len - 1]))
    len--;
  for (size_t i = 0; i < r->n_cols; i++)
    if (strlen(r->cols[i]) == len && strncasecmp(r->cols[i], name, len) == 0)
      return (long)i;
  return -1;
}

int smsmux_template_check(const char *text, const smsmux_recipients *r,
                          smsmux_error *err) {
  const char *p = text, *name = "";
  size_t len = 0;

  if (!text || !smsmux_template_has_placeholders(text))
    return 0;
  if (!r->sep) {
    next_placeholder(text, &name, &len);
    set_error(err, SMSMUX_ERR_INPUT,
              "the text uses ${%.*s} but %s is a plain list of "
              "numbers: give it a header line (e.g. numero;%.*s) and the "
              "values in columns",
              (int)len, name, r->label, (int)len, name);
    return -1;
  }
  while ((p = next_placeholder(p, &name, &len)) != NULL) {
    if (column_index(r, name, len) < 0) {
      char cols[sizeof err->message];
      size_t used = 0;
      cols[0] = '\0';
      for (size_t i = 0; i < r->n_cols && used < sizeof cols; i++) {
        int n = snprintf(cols + used, sizeof cols - used, "%s%s",
                         i ? ", " : "", r->cols[i]);
        if (n < 0)
          break;
        used += (size_t)n;
      }
      set_error(err, SMSMUX_ERR_INPUT,
                "the text uses ${%.*s} but %s has no such column "
                "(its columns: %s)",
                (int)len, name, r->label, cols);
      return -1;
    }
    p = name + len + 1;
  }
  return 0;
}

char *smsmux_template_render(const char *text, const smsmux_recipients *r) {
  const char *p = text, *ph, *name;
  bytes out = {0};
  size_t len;

  if (bytes_reset(&out) < 0)
    return NULL;
  while ((ph = next_placeholder(p, &name, &len)) != NULL) {
    long col = column_index(r, name, len);
    const char *v = col >= 0 ? smsmux_recipients_field(r, (size_t)col) : ph;
    if (bytes_add(&out, p, (size_t)(ph - p)) < 0 ||
        bytes_add(&out, v, col >= 0 ? strlen(v) : len + 3) < 0)
      goto oom;
    p = name + len + 1;
  }
  if (bytes_add(&out, p, strlen(p)) < 0)
    goto oom;
  return out.s;
oom:
  free(out.s);
  return NULL;
}

/* ------------------------------------------------------- text files -- */

/* A text longer than this is surely the wrong file. */
#define TEXT_FILE_MAX (1024 * 1024)

/** Offset of the first byte that is not valid UTF-8, or (size_t)-1. */
static size_t utf8_invalid_at(const char *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    uint32_t cp;
    size_t n = charset_utf8_decode(s + i, len - i, &cp, NULL);
    if (n == 0)
      return i;
    i += n;
  }
  return (size_t)-1;
}

/** Whole contents of `fp` into b, at most TEXT_FILE_MAX bytes. */
static int read_all(FILE *fp, const char *label, bytes *b, smsmux_error *err) {
  char chunk[8192];
  size_t n;

  if (bytes_reset(b) < 0)
    return out_of_memory(err);
  while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
    if (b->len + n > TEXT_FILE_MAX) {
      set_error(err, SMSMUX_ERR_INPUT,
                "%s is larger than 1 MiB: is it the right file?", label);
      return -1;
    }
    if (bytes_add(b, chunk, n) < 0)
      return out_of_memory(err);
  }
  if (ferror(fp)) {
    set_error(err, SMSMUX_ERR_INPUT, "cannot read %s: %s", label,
              strerror(errno));
    return -1;
  }
  return 0;
}

/** Check b as a text, then drop its BOM and trailing newlines. */
static int clean_text(bytes *b, const char *label, smsmux_error *err) {
  size_t bad, start = 0;

  if (memchr(b->s, '\0', b->len)) {
    set_error(err, SMSMUX_ERR_INPUT,
              "%s holds NUL bytes: it is not a text file", label);
    return -1;
  }
  if (b->len >= 3 && memcmp(b->s, "\xEF\xBB\xBF", 3) == 0)
    start = 3;
  bad = utf8_invalid_at(b->s + start, b->len - start);
  if (bad != (size_t)-1) {
    set_error(err, SMSMUX_ERR_INPUT,
              "%s is not valid UTF-8 (byte %zu): save it as UTF-8", label,
              bad + start);
    return -1;
  }
  while (b->len > start && (b->s[b->len - 1] == '\n' || b->s[b->len - 1] == '\r'))
    b->s[--b->len] = '\0';
  if (start)
    memmove(b->s, b->s + start, b->len - start + 1);
  return 0;
}

char *smsmux_read_text_file(const char *path, const char *what,
                            smsmux_error *err) {
  int from_stdin = strcmp(path, "-") == 0;
  FILE *fp = from_stdin ? stdin : fopen(path, "rb");
  char label[1024];
  bytes b = {0};

  if (!what)
    what = "text file";
  if (!fp) {
    set_error(err, SMSMUX_ERR_INPUT, "cannot read %s %s: %s", what, path,
              strerror(errno));
    return NULL;
  }
  snprintf(label, sizeof label, "%s %s", what, from_stdin ? "stdin" : path);
  if (read_all(fp, label, &b, err) < 0 || clean_text(&b, label, err) < 0) {
    free(b.s);
    b.s = NULL;
  }
  if (!from_stdin)
    fclose(fp);
  return b.s;
}
