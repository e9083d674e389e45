/* Unit tests for core/recipients.c: the recipient file reader, ${COLUMN}
   templates and text files (compiled in with core/charset.c). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "check.h"

#include <smsmux/smsmux.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/test_recipients.XXXXXX";
static char path[256];

static int contains(const char *s, const char *sub) {
  return s && sub && strstr(s, sub) != NULL;
}

/* Write `len` bytes (strlen when -1) to a fresh file; its path. */
static const char *file_n(const char *text, long len) {
  static unsigned n;
  FILE *f;
  snprintf(path, sizeof path, "%s/f%u", dir, n++);
  f = fopen(path, "wb");
  if (!f) {
    perror(path);
    exit(99);
  }
  fwrite(text, 1, len < 0 ? strlen(text) : (size_t)len, f);
  fclose(f);
  return path;
}

static const char *file(const char *text) { return file_n(text, -1); }

static smsmux_recipients *open_text(const char *text, smsmux_error *err) {
  memset(err, 0, sizeof *err);
  return smsmux_recipients_open(file(text), "--to-file", err);
}

static void test_plain(void) {
  smsmux_error err;
  smsmux_recipients *r =
      open_text("\xEF\xBB\xBF# my list\n\n+33612345678\r\n  0612345678 \n", &err);

  if (!CHECK(r != NULL, "plain: opens"))
    return;
  CHECK_INT_EQ(smsmux_recipients_n_columns(r), 0, "plain: no columns");
  CHECK_INT_EQ(smsmux_recipients_next(r, &err), 1, "plain: first row");
  CHECK_STR_EQ(smsmux_recipients_number(r), "+33612345678",
               "plain: first number, CR dropped");
  CHECK_INT_EQ(smsmux_recipients_line(r), 3, "plain: first row's line");
  CHECK_INT_EQ(smsmux_recipients_next(r, &err), 1, "plain: second row");
  CHECK_STR_EQ(smsmux_recipients_number(r), "0612345678",
               "plain: number trimmed");
  CHECK_STR_EQ(smsmux_recipients_field(r, 0), "0612345678",
               "plain: the one field is the number");
  CHECK_INT_EQ(smsmux_recipients_next(r, &err), 0, "plain: end");
  CHECK_INT_EQ(smsmux_recipients_rewind(r, &err), 0, "plain: rewind");
  CHECK_INT_EQ(smsmux_recipients_next(r, &err), 1, "plain: first row again");
  CHECK_STR_EQ(smsmux_recipients_number(r), "+33612345678",
               "plain: first number again");
  CHECK_INT_EQ(smsmux_recipients_line(r), 3, "plain: its line again");
  smsmux_recipients_close(r);
}

static void test_csv_semicolon(void) {
  smsmux_error err;
  smsmux_recipients *r = open_text("nom;Numero;ville\n"
                                   "Anne ; 0611111111;Paris\n"
                                   ";;\n"
                                   "Bob;0622222222;Lyon;;\n",
                                   &err);

  if (!CHECK(r != NULL, "csv ';': opens"))
    return;
  CHECK_INT_EQ(smsmux_recipients_n_columns(r), 3, "csv ';': three columns");
  CHECK_STR_EQ(smsmux_recipients_column(r, 1), "Numero",
               "csv ';': column as spelled");
  CHECK_STR_EQ(smsmux_recipients_column(r, 3), NULL,
               "csv ';': no column past the end");
  CHECK_INT_EQ(smsmux_recipients_next(r, &err), 1, "csv ';': row 1");
  CHECK_STR_EQ(smsmux_recipients_number(r), "0611111111",
               "csv ';': number from the Numero column");
  CHECK_STR_EQ(smsmux_recipients_field(r, 0), "Anne", "csv ';': field trimmed");
  CHECK_STR_EQ(smsmux_recipients_field(r, 7), "", "csv ';': past the end");
  CHECK_INT_EQ(smsmux_recipients_next(r, &err), 1,
               "csv ';': empty row skipped, trailing empty cells accepted");
  CHECK_INT_EQ(smsmux_recipients_line(r), 4, "csv ';': row 2's line");
  CHECK_STR_EQ(smsmux_recipients_field(r, 2), "Lyon", "csv ';': row 2 field");
  CHECK_INT_EQ(smsmux_recipients_next(r, &err), 0, "csv ';': end");
  smsmux_recipients_close(r);
}

static void test_quoted(void) {
  smsmux_error err;
  smsmux_recipients *r = open_text("to,msg\n"
                                   "0611111111,\"a, b \"\"c\"\"\"\n"
                                   "0622222222, \"two\nlines\" \n"
                                   "0633333333,\"\"\n",
                                   &err);

  if (!CHECK(r != NULL, "quoted: opens"))
    return;
  CHECK_INT_EQ(smsmux_recipients_next(r, &err), 1, "quoted: row 1");
  CHECK_STR_EQ(smsmux_recipients_field(r, 1), "a, b \"c\"",
               "quoted: separator and doubled quotes inside quotes");
  CHECK_INT_EQ(smsmux_recipients_next(r, &err), 1, "quoted: row 2");
  CHECK_STR_EQ(smsmux_recipients_field(r, 1), "two\nlines",
               "quoted: a field across two lines");
  CHECK_INT_EQ(smsmux_recipients_line(r), 3, "quoted: row 2 starts on line 3");
  CHECK_INT_EQ(smsmux_recipients_next(r, &err), 1, "quoted: row 3");
  CHECK_INT_EQ(smsmux_recipients_line(r), 5, "quoted: line count follows");
  CHECK_STR_EQ(smsmux_recipients_field(r, 1), "", "quoted: empty quotes");
  smsmux_recipients_close(r);

  r = open_text("to;msg\n0611111111;\"never closed\n", &err);
  if (!CHECK(r != NULL, "unclosed quote: opens"))
    return;
  CHECK_INT_EQ(smsmux_recipients_next(r, &err), -1, "unclosed quote: error");
  CHECK(contains(err.message, "line 2: a quoted field is not closed"),
        "unclosed quote: the message names the line");
  smsmux_recipients_close(r);
}

static void test_header_detection(void) {
  smsmux_error err;
  smsmux_recipients *r;

  r = open_text("  Mobile \n0611111111\n", &err);
  if (CHECK(r != NULL, "one-word header: opens")) {
    CHECK_INT_EQ(smsmux_recipients_n_columns(r), 1,
                 "one word naming a number column is a header");
    CHECK_INT_EQ(smsmux_recipients_next(r, &err), 1, "one-word header: row");
    CHECK_STR_EQ(smsmux_recipients_number(r), "0611111111",
                 "one-word header: the number");
    smsmux_recipients_close(r);
  }

  r = open_text("num\xc3\xa9ro\n0611111111\n", &err);
  if (CHECK(r != NULL, "numéro header: opens")) {
    CHECK_INT_EQ(smsmux_recipients_n_columns(r), 1, "numéro is a header");
    smsmux_recipients_close(r);
  }

  r = open_text("a,b;c;d\n1,2;0611;4\n", &err);
  if (CHECK(r == NULL, "more ';' than ',': ';' separates")) {
    CHECK(contains(err.message, "names no number column"),
          "no number column: said so");
    CHECK(contains(err.message, "--to-file "),
          "the message names the file as asked");
  }
  smsmux_recipients_close(r);

  r = open_text("x,y;numero\nA,B;0611\n", &err);
  if (CHECK(r != NULL, "as many ',' as ';': ';' separates")) {
    CHECK_INT_EQ(smsmux_recipients_n_columns(r), 2, "tie: two columns");
    CHECK_STR_EQ(smsmux_recipients_column(r, 0), "x,y", "tie: ',' is text");
    smsmux_recipients_close(r);
  }

  r = open_text("a;to,x,y\n", &err);
  CHECK(r == NULL, "more ',' than ';': ',' separates ('a;to' is no column)");
  smsmux_recipients_close(r);

  r = open_text("# only a comment\n\n", &err);
  CHECK(r == NULL, "no number at all: refused");
  CHECK(contains(err.message, "holds no number"), "no number: said so");
  CHECK_INT_EQ(err.cls, SMSMUX_ERR_INPUT, "no number: class input");

  memset(&err, 0, sizeof err);
  r = smsmux_recipients_open(dir, NULL, &err);
  CHECK(r == NULL, "a directory: refused");
  CHECK(contains(err.message, "recipient file ") &&
            contains(err.message, "is a directory"),
        "a directory: said so, default name");

  r = open_text("numero;nom\n0611;a;b\n0622;c\n", &err);
  if (CHECK(r != NULL, "field count: opens")) {
    CHECK_INT_EQ(smsmux_recipients_next(r, &err), -1,
                 "field count: a row with one field too many");
    CHECK(contains(err.message,
                   "line 2: 3 fields where the header has 2 (separator ';')"),
          "field count: the message");
    CHECK_INT_EQ(smsmux_recipients_next(r, &err), 1,
                 "field count: the next row after the bad one");
    CHECK_STR_EQ(smsmux_recipients_number(r), "0622", "field count: its number");
    smsmux_recipients_close(r);
  }

  r = open_text("numero;nom\n ;a\n", &err);
  if (CHECK(r != NULL, "no number: opens")) {
    CHECK_INT_EQ(smsmux_recipients_next(r, &err), -1, "row without a number");
    CHECK(contains(err.message, "line 2: no number in column numero"),
          "row without a number: the message");
    smsmux_recipients_close(r);
  }
}

static void test_templates(void) {
  smsmux_error err;
  smsmux_recipients *r;
  char *s;

  CHECK_INT_EQ(smsmux_template_has_placeholders("Hi ${nom}"), 1,
               "placeholder found");
  CHECK_INT_EQ(smsmux_template_has_placeholders("Hi ${nom"), 0,
               "an unclosed ${ is plain text");
  CHECK_INT_EQ(smsmux_template_has_placeholders("100 $ {x}"), 0,
               "no placeholder");

  r = open_text("nom;numero;Ville\nAnne;0611111111;Paris\n", &err);
  if (!CHECK(r != NULL, "templates: opens"))
    return;
  CHECK_INT_EQ(smsmux_template_check("Bonjour ${ NOM }, ${ville}", r, &err), 0,
               "check: known columns, any case, spaces ignored");
  CHECK_INT_EQ(smsmux_template_check("no placeholder", r, &err), 0,
               "check: no placeholder");
  memset(&err, 0, sizeof err);
  CHECK_INT_EQ(smsmux_template_check("${nom}: ${Prenom} ${x}", r, &err), -1,
               "check: unknown column");
  CHECK(contains(err.message, "the text uses ${Prenom} but --to-file ") &&
            contains(err.message,
                     "has no such column (its columns: nom, numero, Ville)"),
        "check: the message names the first unknown column and the columns");
  CHECK_INT_EQ(err.cls, SMSMUX_ERR_INPUT, "check: class input");

  CHECK_INT_EQ(smsmux_recipients_next(r, &err), 1, "templates: row");
  s = smsmux_template_render("Bonjour ${ nom }, ${VILLE}! ${zz} ${x", r);
  CHECK_STR_EQ(s, "Bonjour Anne, Paris! ${zz} ${x",
               "render: values in, unknown and unclosed left as written");
  free(s);
  s = smsmux_template_render("", r);
  CHECK_STR_EQ(s, "", "render: empty text");
  free(s);
  smsmux_recipients_close(r);

  r = open_text("0611111111\n", &err);
  if (!CHECK(r != NULL, "plain list: opens"))
    return;
  CHECK_INT_EQ(smsmux_template_check("Hi ${nom}", r, &err), -1,
               "check: a plain list has no columns");
  CHECK(contains(err.message, "uses ${nom} but --to-file ") &&
            contains(err.message, "is a plain list of numbers") &&
            contains(err.message, "(e.g. numero;nom)"),
        "check: plain list, the message");
  smsmux_recipients_close(r);
}

static void test_text_file(void) {
  smsmux_error err;
  char *s;

  memset(&err, 0, sizeof err);
  s = smsmux_read_text_file(file("\xEF\xBB\xBF" "caf\xC3\xA9\nbye\r\n\n"),
                            "--text-file", &err);
  CHECK_STR_EQ(s, "caf\xC3\xA9\nbye", "text: BOM and trailing newlines dropped");
  free(s);

  s = smsmux_read_text_file(file(""), NULL, &err);
  CHECK_STR_EQ(s, "", "text: an empty file is the empty text");
  free(s);

  s = smsmux_read_text_file(file("ok\xC3(bad"), "--text-file", &err);
  CHECK(s == NULL, "text: invalid UTF-8 refused");
  CHECK(contains(err.message, "is not valid UTF-8 (byte 2)"),
        "text: the offset of the bad byte");
  free(s);

  s = smsmux_read_text_file(file("\xEF\xBB\xBF" "a\xED\xA0\x80"), NULL, &err);
  CHECK(s == NULL, "text: a surrogate refused");
  CHECK(contains(err.message, "text file ") &&
            contains(err.message, "(byte 4)"),
        "text: offset counts the BOM, default name");
  free(s);

  s = smsmux_read_text_file(file_n("a\0b", 3), "--text-file", &err);
  CHECK(s == NULL && contains(err.message, "holds NUL bytes"),
        "text: NUL bytes refused");
  free(s);

  snprintf(path, sizeof path, "%s/missing", dir);
  s = smsmux_read_text_file(path, "--text-file", &err);
  CHECK(s == NULL && contains(err.message, "cannot read --text-file ") &&
            err.cls == SMSMUX_ERR_INPUT,
        "text: a missing file");
  free(s);
}

int main(void) {
  char cmd[300];
  int rc;

  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 99;
  }
  test_plain();
  test_csv_semicolon();
  test_quoted();
  test_header_detection();
  test_templates();
  test_text_file();
  rc = CHECK_DONE();
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", dir);
  return rc;
}
