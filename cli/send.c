/* send and route: the message flags, one send (--to), and the route
 * explanation.  send --to-file goes on in batch.c. */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "cli.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char send_usage_text[] =
    "Usage: smsmux send (--to N[,N...] | --to-file FILE)\n"
    "                   (--text T | --text-file F) [options]\n"
    "       smsmux route  (the same flags): which provider, and why\n"
    "\n"
    "Recipients:\n"
    "  --to N[,N...]       numbers (+33612345678, 0612345678, ...); "
    "repeatable\n"
    "  --to-file FILE      one number per line, or a CSV (',' or ';') whose\n"
    "                      header names the number column (to, number, "
    "numero,\n"
    "                      mobile, gsm, sms, portable); other columns fill\n"
    "                      ${COLUMN} placeholders in the text, one message "
    "per\n"
    "                      row; blank lines and lines starting with # "
    "skipped;\n"
    "                      - reads stdin\n"
    "Content:\n"
    "  --text T            UTF-8 text\n"
    "  --text-file F       text read from a UTF-8 file (- reads stdin);\n"
    "                      trailing newlines are dropped\n"
    "  --kind sms|mms|voice  default sms (mms when a media URL is given)\n"
    "  --image URL, --video URL, --audio URL   MMS media\n"
    "  --duration S        video/audio duration in seconds\n"
    "  --subject S         MMS subject / campaign name\n"
    "Sending:\n"
    "  --from S            sender ID (3 to 11 letters/digits) or number\n"
    "  --at 'YYYY-MM-DD HH:MM[:SS]'  send later (local time)\n"
    "  --route R           use route R of the configuration\n"
    "  --provider P        use provider instance P only (not with --route)\n"
    "  --tenant NAME       route only: also the units the message would cost\n"
    "                      tenant NAME on its plan\n"
    "  --ref REF           your reference: sending again with the same REF\n"
    "                      never sends a number the same message twice\n"
    "  --option KEY=VALUE  provider option, e.g. stop=1; repeatable;\n"
    "                      KEY=@- reads the value from stdin, KEY=env:NAME\n"
    "                      from the environment variable NAME\n"
    "With --to-file:\n"
    "  --workers N         send with N threads (default 4); rows with the\n"
    "                      same text share requests, up to the providers'\n"
    "                      recipient limits; max_rps is honoured\n"
    "  --results FILE      one CSV line per recipient: line, to, status,\n"
    "                      provider, id, code, text\n";

static const cli_flag message_flags[] = {{"to", 1, F_TO},
                                         {"to-file", 1, F_TO_FILE},
                                         {"text", 1, F_TEXT},
                                         {"text-file", 1, F_TEXT_FILE},
                                         {"from", 1, F_FROM},
                                         {"at", 1, F_AT},
                                         {"kind", 1, F_KIND},
                                         {"image", 1, F_IMAGE},
                                         {"video", 1, F_VIDEO},
                                         {"audio", 1, F_AUDIO},
                                         {"duration", 1, F_DURATION},
                                         {"subject", 1, F_SUBJECT},
                                         {"route", 1, F_ROUTE},
                                         {"provider", 1, F_PROVIDER},
                                         {"ref", 1, F_REF},
                                         {"option", 1, F_OPTION},
                                         {"workers", 1, F_WORKERS},
                                         {"results", 1, F_RESULTS},
                                         {"tenant", 1, F_TENANT},
                                         {NULL, 0, 0}};

/* ------------------------------------------------- message arguments -- */

static void msgargs_free(msgargs *m) {
  strv_free(&m->to);
  free(m->text_owned);
  strv_free(&m->option_keys);
  /* values may be secrets read from stdin or the environment */
  for (size_t i = 0; i < m->option_values.n; i++)
    explicit_bzero(m->option_values.v[i], strlen(m->option_values.v[i]));
  strv_free(&m->option_values);
  free(m->options);
}

/** --to N[,N...]: each number of the comma list, trimmed; an empty one
    (",," or a ',' at an end) is a mistake, not a number to skip. */
static int add_numbers(cli *c, msgargs *m, const char *v) {
  char q[SMSMUX_QUOTE_SIZE];
  const char *p = v;
  unsigned item = 0;

  if (!v[strspn(v, " \t\r\n")])
    return usage_error(c, "--to '%s' holds no number",
                       smsmux_quote_input(v, q, sizeof q));
  for (;;) {
    size_t len = strcspn(p, ",");
    const char *b = p, *e = p + len;
    while (b < e && isspace((unsigned char)*b))
      b++;
    while (e > b && isspace((unsigned char)e[-1]))
      e--;
    item++;
    if (e == b)
      return usage_error(c,
                         "--to '%s': number %u of the list is empty (a "
                         "stray ','?)",
                         smsmux_quote_input(v, q, sizeof q), item);
    strv_push_n(&m->to, b, (size_t)(e - b));
    p += len;
    if (*p != ',')
      break;
    p++;
  }
  return EXIT_DONE;
}

/** Where a flag that is kept as given goes, or NULL for the others. */
static const char **string_flag(msgargs *m, int id) {
  switch (id) {
  case F_TO_FILE:
    return &m->to_file;
  case F_TEXT:
    return &m->text;
  case F_TEXT_FILE:
    return &m->text_file;
  case F_FROM:
    return &m->from;
  case F_IMAGE:
    return &m->image;
  case F_VIDEO:
    return &m->video;
  case F_AUDIO:
    return &m->audio;
  case F_SUBJECT:
    return &m->subject;
  case F_ROUTE:
    return &m->route;
  case F_PROVIDER:
    return &m->provider;
  case F_TENANT:
    return &m->tenant;
  default:
    return NULL;
  }
}

static int parse_kind(cli *c, msgargs *m, const char *v) {
  char q[SMSMUX_QUOTE_SIZE];
  if (strcasecmp(v, "sms") == 0)
    m->kind = SMSMUX_KIND_SMS;
  else if (strcasecmp(v, "mms") == 0)
    m->kind = SMSMUX_KIND_MMS;
  else if (strcasecmp(v, "voice") == 0)
    m->kind = SMSMUX_KIND_VOICE;
  else
    return usage_error(c, "--kind '%s' is not a kind: use sms, mms or voice",
                       smsmux_quote_input(v, q, sizeof q));
  m->kind_given = 1;
  return EXIT_DONE;
}

/** One message flag `id` with value `v`: EXIT_DONE, EXIT_USAGE after a
    usage error, or -1 after --help. */
static int message_flag(cli *c, msgargs *m, int id, const char *v) {
  const char **slot = string_flag(m, id);
  char q[SMSMUX_QUOTE_SIZE];
  int64_t when;

  if (slot) {
    *slot = v;
    return EXIT_DONE;
  }
  switch (id) {
  case F_HELP:
    fputs(send_usage_text, stdout);
    return -1;
  case F_TO:
    return add_numbers(c, m, v);
  case F_KIND:
    return parse_kind(c, m, v);
  case F_AT:
    if (parse_local_time(v, &when, m->at) < 0)
      return usage_error(c,
                         "--at '%s' is not a date: write it as "
                         "'YYYY-MM-DD HH:MM:SS' (local time)",
                         smsmux_quote_input(v, q, sizeof q));
    return EXIT_DONE;
  case F_DURATION:
    if (parse_unsigned(v, &m->duration) < 0 || m->duration == 0)
      return usage_error(c, "--duration '%s' is not a number of seconds", smsmux_quote_input(v, q, sizeof q));
    return EXIT_DONE;
  case F_REF:
    if (!*v)
      return usage_error(c, "--ref needs a non-empty reference");
    m->ref = v;
    return EXIT_DONE;
  case F_WORKERS:
    if (parse_unsigned(v, &m->workers) < 0 || m->workers == 0 ||
        m->workers > 256)
      return usage_error(c, "--workers '%s': give a number of threads "
                            "from 1 to 256", smsmux_quote_input(v, q, sizeof q));
    return EXIT_DONE;
  case F_RESULTS:
    if (!*v)
      return usage_error(c, "--results needs a file name");
    m->results = v;
    return EXIT_DONE;
  case F_OPTION: {
    const char *eq = strchr(v, '=');
    if (!eq || eq == v)
      return usage_error(c, "--option '%s' is not KEY=VALUE (e.g. stop=1)",
                         smsmux_quote_input(v, q, sizeof q));
    strv_push_n(&m->option_keys, v, (size_t)(eq - v));
    strv_push(&m->option_values, eq + 1);
    return EXIT_DONE;
  }
  default:
    return EXIT_DONE;
  }
}

/** The flags that go together, or not. */
static int check_message_args(cli *c, msgargs *m) {
  if (m->tenant && strcmp(c->command, "route") != 0)
    return usage_error(c, "--tenant is for `smsmux route` (the units a "
                          "message would cost a tenant); tenants send "
                          "through smsmuxd");
  if (m->route && m->provider)
    return usage_error(c, "--route and --provider cannot be used together: "
                          "--route picks a route of the configuration, "
                          "--provider forces one provider; keep one");
  if (m->to.n && m->to_file)
    return usage_error(c, "--to and --to-file cannot be used together: put "
                          "every number in the file, or use --to only");
  if (!m->to.n && !m->to_file)
    return usage_error(c,
                       "%s needs recipients: --to NUMBER[,NUMBER...] or "
                       "--to-file FILE",
                       c->command);
  if (m->text && m->text_file)
    return usage_error(c, "--text and --text-file cannot be used together; "
                          "keep one");
  if ((m->workers || m->results) &&
      (strcmp(c->command, "send") != 0 || !m->to_file))
    return usage_error(c, "--workers and --results are for send --to-file");
  if (m->text_file && m->to_file && strcmp(m->text_file, "-") == 0 &&
      strcmp(m->to_file, "-") == 0)
    return usage_error(c, "--text-file and --to-file cannot both read "
                          "stdin ('-')");
  for (size_t i = 0; i < m->option_values.n; i++)
    if (strcmp(m->option_values.v[i], "@-") == 0 &&
        ((m->text_file && strcmp(m->text_file, "-") == 0) ||
         (m->to_file && strcmp(m->to_file, "-") == 0)))
      return usage_error(c, "--option %s=@- and %s - cannot both read stdin",
                         m->option_keys.v[i],
                         m->to_file && strcmp(m->to_file, "-") == 0
                             ? "--to-file"
                             : "--text-file");
  if (m->image || m->video || m->audio) {
    if (!m->kind_given)
      m->kind = SMSMUX_KIND_MMS;
    else if (m->kind != SMSMUX_KIND_MMS)
      return usage_error(c, "--image, --video and --audio are for MMS: drop "
                            "--kind or use --kind mms");
  }
  if (!m->text && !m->text_file && m->kind != SMSMUX_KIND_MMS)
    return usage_error(c, "%s needs a text: --text TEXT or --text-file FILE",
                       c->command);
  return EXIT_DONE;
}

/** Read the --text-file and gather the --option pairs. */
static int finish_message_args(cli *c, msgargs *m) {
  smsmux_error err;

  if (m->text_file) {
    m->text_owned = smsmux_read_text_file(m->text_file, "--text-file", &err);
    if (!m->text_owned)
      return fail(c, &err);
    m->text = m->text_owned;
  }
  if (!m->text)
    m->text = "";
  for (size_t i = 0; i < m->option_values.n; i++) {
    char what[80], *value;
    int rc;
    snprintf(what, sizeof what, "--option %s", m->option_keys.v[i]);
    rc = resolve_value(c, what, m->option_values.v[i], &value);
    if (rc != EXIT_DONE)
      return rc;
    if (value) { /* from stdin or the environment */
      free(m->option_values.v[i]);
      m->option_values.v[i] = value;
    }
  }
  if (m->option_keys.n) {
    m->options = calloc(m->option_keys.n, sizeof *m->options);
    if (!m->options)
      out_of_memory();
    for (size_t i = 0; i < m->option_keys.n; i++) {
      m->options[i].key = m->option_keys.v[i];
      m->options[i].value = m->option_values.v[i];
    }
  }
  return EXIT_DONE;
}

/** Parse and check the message flags; the --text-file is read here.
    EXIT_DONE, an exit status after an error, or -1 after --help. */
static int parse_message_args(cli *c, int argc, char **argv, msgargs *m) {
  argscan s = {argc, argv, 0, 0};
  const char *v;
  int id, r;

  memset(m, 0, sizeof *m);
  while ((r = next_arg(c, &s, message_flags, &id, &v)) != ARG_END) {
    if (r == ARG_ERROR)
      return EXIT_USAGE;
    if (r == ARG_POSITIONAL)
      return usage_error(c,
                         "unexpected argument '%s': give the text with "
                         "--text, the numbers with --to",
                         v);
    r = message_flag(c, m, id, v);
    if (r != EXIT_DONE)
      return r;
  }
  r = check_message_args(c, m);
  return r == EXIT_DONE ? finish_message_args(c, m) : r;
}

void fill_request(smsmux_send_request *req, const msgargs *m,
                  const char *const *to, size_t n_to, const char *text,
                  const char *ref) {
  memset(req, 0, sizeof *req);
  req->size = sizeof *req;
  req->kind = m->kind;
  req->text = text;
  req->to = to;
  req->n_to = n_to;
  req->from = m->from;
  req->at = m->at[0] ? m->at : NULL;
  req->ref = ref;
  req->image_url = m->image;
  req->video_url = m->video;
  req->audio_url = m->audio;
  req->duration = m->duration;
  req->subject = m->subject;
  req->route = m->route;
  req->provider = m->provider;
  req->options = m->options;
  req->n_options = m->option_keys.n;
}

/* --------------------------------------------------------------- send -- */

static int send_single(cli *c, const msgargs *m, const char *const *to,
                       size_t n_to);
static void print_send_human(const smsmux_send_result *r);

int cmd_send(cli *c, int argc, char **argv) {
  msgargs m;
  int rc = parse_message_args(c, argc, argv, &m);

  if (rc == EXIT_DONE && m.to_file) {
    /* A file, plain list or CSV, with or without ${COLUMN}: row by row */
    rc = send_file(c, &m);
  } else if (rc == EXIT_DONE) {
    rc = open_library(c);
    if (rc == EXIT_DONE)
      rc = send_single(c, &m, (const char *const *)m.to.v, m.to.n);
  }
  msgargs_free(&m);
  return help_done(rc);
}

static int send_single(cli *c, const msgargs *m, const char *const *to,
                       size_t n_to) {
  smsmux_send_request req;
  smsmux_send_result *r;
  int rc;

  fill_request(&req, m, to, n_to, m->text, m->ref);
  r = smsmux_send(c->sm, &req);
  if (!r)
    out_of_memory();
  if (c->json) {
    print_json(smsmux_send_result_json(r));
    if (r->possibly_sent)
      fprintf(stderr, "smsmux: WARNING: POSSIBLY SENT: %s\n", r->error.message);
    else
      print_error(&r->error);
  } else {
    print_send_human(r);
  }
  rc = send_exit_code(r);
  smsmux_send_result_free(r);
  return rc;
}

int send_exit_code(const smsmux_send_result *r) {
  if (r->possibly_sent)
    return EXIT_UNKNOWN;
  if (r->error.cls != SMSMUX_OK)
    return smsmux_exit_code(r->error.cls);
  for (size_t i = 0; i < r->n_recipients; i++)
    if (r->recipients[i].status == SMSMUX_STATUS_REJECTED ||
        r->recipients[i].status == SMSMUX_STATUS_FAILED)
      return EXIT_FAILED;
  return EXIT_DONE;
}

static void print_attempts(FILE *out, const smsmux_send_result *r) {
  fprintf(out, "attempts:\n");
  for (size_t i = 0; i < r->n_attempts; i++) {
    const smsmux_attempt *a = &r->attempts[i];
    if (a->skipped)
      fprintf(out, "  %s: skipped (%s)\n", or_dash(a->provider),
              or_dash(a->message));
    else if (a->ok)
      fprintf(out, "  %s: ok\n", or_dash(a->provider));
    else
      fprintf(out, "  %s: failed (%s%s%s)%s%s\n", or_dash(a->provider),
              smsmux_error_class_name(a->cls), a->code ? ", code " : "",
              a->code ? a->code : "", a->message ? ": " : "",
              a->message ? a->message : "");
  }
}

/* "(default)" and "(--provider)" are the library's names for "no route
   of the configuration": say nothing of them. */
static int is_default_route(const char *route) {
  return !route || !*route || route[0] == '(';
}

/** The first line: what happened to the message as a whole. */
static void print_send_headline(const smsmux_send_result *r, size_t taken) {
  if (r->possibly_sent) {
    fprintf(stderr, "smsmux: WARNING: POSSIBLY SENT%s%s%s%s: %s\n",
            r->provider ? " via " : "", r->provider ? r->provider : "",
            r->id ? ", id " : "", r->id ? r->id : "",
            r->error.message[0] ? r->error.message
                                : "the outcome is unknown: check with the "
                                  "provider before sending it again");
  } else if (r->error.cls != SMSMUX_OK) {
    print_error(&r->error);
  } else if (r->duplicate) {
    printf("already sent with this --ref (via %s, id %s): nothing sent "
           "again\n",
           or_dash(r->provider), or_dash(r->id));
  } else {
    printf("%s via ",
           taken && r->recipients[0].status == SMSMUX_STATUS_SCHEDULED
               ? "scheduled"
               : "sent");
    if (is_default_route(r->route))
      printf("%s", or_dash(r->provider));
    else
      printf("%s (%s)", r->route, or_dash(r->provider));
    printf(" id %s: %zu recipient%s, %s, %u segment%s, cost %g\n",
           or_dash(r->id), r->n_recipients, r->n_recipients == 1 ? "" : "s",
           r->encoding == SMSMUX_ENC_UCS2 ? "ucs2" : "gsm7", r->segments,
           r->segments == 1 ? "" : "s", r->cost);
  }
}

/** One line per recipient; its id and provider when they differ from the
    message's, the provider's code and text when there was trouble. */
static void print_recipients(FILE *out, const smsmux_send_result *r) {
  for (size_t i = 0; i < r->n_recipients; i++) {
    const smsmux_recipient_result *rc = &r->recipients[i];
    fprintf(out, "  %-16s %s", or_dash(rc->to),
            smsmux_status_name(rc->status));
    if (rc->id && (!r->id || strcmp(rc->id, r->id) != 0))
      fprintf(out, "  id %s", rc->id);
    if (rc->provider &&
        (!r->provider || strcmp(rc->provider, r->provider) != 0))
      fprintf(out, "  via %s", rc->provider);
    if (status_is_trouble(rc->status) && (rc->code || rc->text))
      fprintf(out, "  (%s%s%s)", rc->code ? rc->code : "",
              rc->code && rc->text ? " " : "", rc->text ? rc->text : "");
    fputc('\n', out);
  }
}

static void print_send_human(const smsmux_send_result *r) {
  size_t rejected = 0, taken = 0;
  int failed = r->error.cls != SMSMUX_OK || r->possibly_sent;

  for (size_t i = 0; i < r->n_recipients; i++) {
    if (r->recipients[i].status == SMSMUX_STATUS_REJECTED ||
        r->recipients[i].status == SMSMUX_STATUS_FAILED)
      rejected++;
    else if (r->recipients[i].status != SMSMUX_STATUS_UNKNOWN)
      taken++;
  }
  print_send_headline(r, taken);
  /* Recipients: always on success; on failure only when some were taken
     (a partial send), as the error already speaks for the rest. */
  if (!failed || taken)
    print_recipients(failed ? stderr : stdout, r);
  /* Attempts: when there was a failover, or when they add to the error
     (one attempt that only repeats it says nothing more). */
  if (r->n_attempts > 1)
    print_attempts(failed ? stderr : stdout, r);
  else if (failed && r->n_attempts == 1 && r->attempts[0].message &&
           strcmp(r->attempts[0].message, r->error.message) != 0)
    print_attempts(stderr, r);
  if (!failed && rejected)
    fprintf(stderr,
            "smsmux: the provider refused %zu of the %zu "
            "recipients (see above)\n",
            rejected, r->n_recipients);
}

/* -------------------------------------------------------------- route -- */

/**
 * The numbers of the --to-file for route, and the text to explain: a
 * personalised text as the first row will read (*text, malloc'd).
 * EXIT_DONE, or the exit status after an error.
 */
static int route_file_numbers(cli *c, const msgargs *m, strv *numbers,
                              char **text) {
  smsmux_error err;
  smsmux_recipients *t;
  int personal = smsmux_template_has_placeholders(m->text), k, rc = EXIT_DONE;

  memset(&err, 0, sizeof err);
  t = smsmux_recipients_open(m->to_file, "--to-file", &err);
  if (!t || smsmux_template_check(m->text, t, &err) < 0) {
    smsmux_recipients_close(t);
    return fail(c, &err);
  }
  while ((k = smsmux_recipients_next(t, &err)) == 1) {
    if (personal && numbers->n == 0 &&
        !(*text = smsmux_template_render(m->text, t)))
      out_of_memory();
    strv_push(numbers, smsmux_recipients_number(t));
  }
  smsmux_recipients_close(t);
  if (k < 0)
    return fail(c, &err);
  if (numbers->n == 0) {
    set_error(&err, SMSMUX_ERR_INPUT, "%s holds no number", m->to_file);
    rc = fail(c, &err);
  } else if (personal && !c->json) {
    fprintf(stderr, "smsmux: the text is personalised per row; explained "
                    "with the first row's text\n");
  }
  return rc;
}

static void print_route_human(const smsmux_route_explain *r) {
  if (r->route || r->policy)
    printf("route %s (%s): %s, %u segment%s\n", or_dash(r->route),
           or_dash(r->policy), r->encoding == SMSMUX_ENC_UCS2 ? "ucs2" : "gsm7",
           r->segments, r->segments == 1 ? "" : "s");
  for (size_t i = 0; i < r->n_candidates; i++) {
    const smsmux_route_candidate *k = &r->candidates[i];
    printf("  %s %-16s cost %-8g %s\n", k->chosen ? "*" : " ",
           or_dash(k->provider), k->cost, k->reason ? k->reason : "");
  }
  print_error(&r->error);
}

/* "units: N for tenant T (plan P, balance B)" from the route document. */
static void print_route_units(const char *doc) {
  const char *t = strstr(doc, "\"tenant\":\""), *u = strstr(doc, "\"units\":");
  const char *p = strstr(doc, "\"plan\":"), *b = strstr(doc, "\"balance\":");
  int tl = 0, pl = 0;
  if (!t || !u || !p || !b)
    return;
  t += 10;
  tl = (int)strcspn(t, "\"");
  p += 7;
  if (*p == '"')
    p++, pl = (int)strcspn(p, "\"");
  printf("units: %lld for tenant %.*s (plan %.*s, balance %lld)\n",
         strtoll(u + 8, NULL, 10), tl, t, pl ? pl : 4,
         pl ? p : "none", strtoll(b + 10, NULL, 10));
}

int cmd_route(cli *c, int argc, char **argv) {
  msgargs m;
  strv numbers = {0};
  char *text = NULL;
  const strv *to = &m.to;
  smsmux_send_request req;
  smsmux_route_explain *r;
  int rc = parse_message_args(c, argc, argv, &m);

  if (rc == EXIT_DONE && m.to_file) {
    rc = route_file_numbers(c, &m, &numbers, &text);
    to = &numbers;
  }
  if (rc == EXIT_DONE)
    rc = open_library(c);
  if (rc != EXIT_DONE)
    goto out;
  fill_request(&req, &m, (const char *const *)to->v, to->n,
               text ? text : m.text, m.ref);
  r = smsmux_route(c->sm, &req);
  if (!r)
    out_of_memory();
  rc = smsmux_exit_code(r->error.cls);
  if (m.tenant && r->error.cls == SMSMUX_OK) {
    smsmux_error err;
    char *doc = smsmux_route_tenant_json(c->sm, m.tenant, &req, &err);
    if (!doc) {
      smsmux_route_explain_free(r);
      rc = fail(c, &err);
      goto out;
    }
    if (c->json) {
      print_json(doc);
    } else {
      print_route_human(r);
      print_route_units(doc);
      free(doc);
    }
  } else if (c->json) {
    print_json(smsmux_route_explain_json(r));
  } else {
    print_route_human(r);
  }
  smsmux_route_explain_free(r);
out:
  strv_free(&numbers);
  free(text);
  msgargs_free(&m);
  return help_done(rc);
}
