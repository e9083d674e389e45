/* cli: the `smsmux` command.  Parses the arguments, runs one command
 * against libsmsmux (include/smsmux/smsmux.h) and prints the outcome:
 * short human lines, or with --json one JSON document built by the
 * library (smsmux_*_json).  This file: main, the commands other than send
 * and route (send.c, batch.c), errors and exit statuses; the argument
 * scanning is args.c's.
 *
 * Exit status: 0 done; 1 the provider(s) refused or failed; 2 usage,
 * configuration or input error; 3 outcome unknown (possibly sent).
 * Usage errors are found before the configuration is opened, and input
 * files (--text-file, --to-file) are checked before anything is sent. */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

int json_mode;

/* -------------------------------------------------------------- usage -- */

static const char usage_text[] =
    "Usage: smsmux [--config FILE] [--json] [--verbose] COMMAND [ARGS...]\n"
    "\n"
    "Send SMS, MMS and voice messages through several providers.\n"
    "\n"
    "Commands:\n"
    "  send       send a message: --to N[,N...] | --to-file FILE,\n"
    "             --text T | --text-file F, and more (smsmux send --help)\n"
    "  route      the same flags as send: which provider would take the\n"
    "             message and why; sends nothing\n"
    "  status     [--provider P] ID   delivery status per recipient\n"
    "  replies    --provider P [ID]   replies (MO) received\n"
    "  credit     [--provider P]      remaining credit, per provider\n"
    "  cancel     --provider P ID     cancel a scheduled message\n"
    "  call       --provider P OP [key=value ...]\n"
    "                                 a provider-specific operation\n"
    "  providers                      configured instances: plugin, ABI,\n"
    "                                 capabilities, operations\n"
    "  plugins                        plugins in plugin_dir, whether each\n"
    "                                 loads, and why not\n"
    "  plugins --check FILE           check one plugin file (no config)\n"
    "  store prune [--days N]         forget settled messages older than N\n"
    "                                 days (default: retention_days, 90)\n"
    "  tenant     add|list|show|update|credit|debit|transfer|key|enable|\n"
    "             disable|usage|ledger|check   the service's tenants, their\n"
    "             units and API keys (smsmux tenant --help)\n"
    "\n"
    "Options (before the command; also accepted after it):\n"
    "  -c, --config FILE  configuration file; without it: $SMSMUX_CONFIG,\n"
    "                     ./smsmux.ini, $XDG_CONFIG_HOME/smsmux/smsmux.ini,\n"
    "                     " SYSCONFDIR "/smsmux/smsmux.ini, /etc/smsmux/smsmux.ini\n"
    "      --json         one JSON document on stdout, on failure too\n"
    "      --verbose      log provider requests and answers on stderr\n"
    "                     (secrets redacted)\n"
    "  -h, --help         this help; smsmux COMMAND --help for a command\n"
    "      --version      print the version\n"
    "\n"
    "Exit status: 0 done; 1 the provider(s) refused or failed; 2 usage,\n"
    "configuration or input error; 3 outcome unknown (the message may have\n"
    "been sent: check before sending it again).\n";

static const char status_usage_text[] =
    "Usage: smsmux status [--provider P] ID\n"
    "Delivery status of message ID, per recipient.  Without --provider,\n"
    "the provider that sent ID is taken from the journal.\n";

static const char replies_usage_text[] =
    "Usage: smsmux replies --provider P [ID] [--start N] [--count N]\n"
    "                      [--since 'YYYY-MM-DD HH:MM'] [--until ...]\n"
    "Replies (MO) received, newest first; with ID, only the replies to it.\n"
    "Dates are local time ('YYYY-MM-DD', 'YYYY-MM-DD HH:MM[:SS]').\n";

static const char credit_usage_text[] =
    "Usage: smsmux credit [--provider P]\n"
    "Remaining credit of provider P, or of every enabled provider.\n";

static const char cancel_usage_text[] = "Usage: smsmux cancel --provider P ID\n"
                                        "Cancel the scheduled message ID.\n";

static const char call_usage_text[] =
    "Usage: smsmux call --provider P OP [key=value ...]\n"
    "Run the provider-specific operation OP; 'smsmux providers' lists the\n"
    "operations of each provider and their parameters.  key=@- reads the\n"
    "value from stdin (one per command), key=env:NAME from the environment\n"
    "variable NAME: a password need not be on the command line.\n";

static const char providers_usage_text[] =
    "Usage: smsmux providers\n"
    "Configured provider instances: plugin, version, ABI, capabilities,\n"
    "operations, and why one is not usable.\n";

static const char plugins_usage_text[] =
    "Usage: smsmux plugins\n"
    "       smsmux plugins --check FILE\n"
    "Plugin files in plugin_dir, whether each loads, and why not.\n"
    "With --check, load FILE alone (no configuration is read) and report\n"
    "its entry symbol, ABI, descriptor size, name, the functions its\n"
    "capabilities require, operations and configuration keys; exit 2 with\n"
    "every problem found when it would not load.\n";

static const char store_usage_text[] =
    "Usage: smsmux store prune [--days N]\n"
    "Remove from the store (state_dir/state.db) the messages older than N\n"
    "days (1 to 36500; default: [smsmux] retention_days, 90) whose every\n"
    "recipient is settled, with their recipients and attempts.  A --ref\n"
    "whose rows are removed is forgotten: sending with it again sends\n"
    "again.  Messages still queued or sending are kept.\n";

/* ---------------------------------------------------------------- flags -- */

static const cli_flag provider_flags[] = {{"provider", 1, F_PROVIDER},
                                          {NULL, 0, 0}};

static const cli_flag replies_flags[] = {
    {"provider", 1, F_PROVIDER}, {"start", 1, F_START}, {"count", 1, F_COUNT},
    {"since", 1, F_SINCE},       {"until", 1, F_UNTIL}, {NULL, 0, 0}};

static const cli_flag no_flags[] = {{NULL, 0, 0}};

static const cli_flag plugins_flags[] = {{"check", 1, F_CHECK}, {NULL, 0, 0}};

static const cli_flag store_flags[] = {{"days", 1, F_DAYS}, {NULL, 0, 0}};

/* ------------------------------------------------------ the commands -- */

static int cmd_status(cli *c, int argc, char **argv);
static int cmd_replies(cli *c, int argc, char **argv);
static int cmd_credit(cli *c, int argc, char **argv);
static int cmd_cancel(cli *c, int argc, char **argv);
static int cmd_call(cli *c, int argc, char **argv);
static int cmd_providers(cli *c, int argc, char **argv);
static int cmd_plugins(cli *c, int argc, char **argv);
static int cmd_store(cli *c, int argc, char **argv);

typedef struct cli_command {
  const char *name;
  int (*run)(cli *c, int argc, char **argv);
  const char *usage;
} cli_command;

static const cli_command commands[] = {
    {"send", cmd_send, send_usage_text},
    {"route", cmd_route, send_usage_text},
    {"status", cmd_status, status_usage_text},
    {"replies", cmd_replies, replies_usage_text},
    {"credit", cmd_credit, credit_usage_text},
    {"cancel", cmd_cancel, cancel_usage_text},
    {"call", cmd_call, call_usage_text},
    {"providers", cmd_providers, providers_usage_text},
    {"plugins", cmd_plugins, plugins_usage_text},
    {"store", cmd_store, store_usage_text},
    {"tenant", cmd_tenant, tenant_usage_text},
    {NULL, NULL, NULL}};

static const cli_command *find_command(const char *name) {
  for (const cli_command *k = commands; k->name; k++)
    if (strcmp(k->name, name) == 0)
      return k;
  return NULL;
}

/* The command line, for the file policy (file_named_on_command_line). */
static int cmdline_argc;
static char **cmdline_argv;

/* Plugins may read the files named on the command line, and no other: an
   argument that is the path, or KEY=PATH, or KEY=@PATH. */
static int file_named_on_command_line(void *userdata, const char *path) {
  int i;
  (void)userdata;
  for (i = 1; i < cmdline_argc; i++) {
    const char *a = cmdline_argv[i], *eq = strchr(a, '=');
    if (strcmp(a, path) == 0 ||
        (eq && (strcmp(eq + 1, path) == 0 ||
                (eq[1] == '@' && strcmp(eq + 2, path) == 0))))
      return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  cli c;
  argscan s = {argc, argv, 1, 0};
  const cli_command *cmd;
  const char *name = NULL;
  int id, r;

  static const cli_flag before_command[] = {{"version", 0, F_VERSION},
                                            {NULL, 0, 0}};

  memset(&c, 0, sizeof c);
  cmdline_argc = argc;
  cmdline_argv = argv;
  /* The global options, up to the command name. */
  while ((r = next_arg(&c, &s, before_command, &id, &name)) == ARG_FLAG) {
    if (id == F_HELP) {
      fputs(usage_text, stdout);
      return EXIT_DONE;
    }
    if (id == F_VERSION) {
      printf("smsmux %s (libsmsmux %s)\n", PACKAGE_VERSION, smsmux_version());
      return EXIT_DONE;
    }
  }
  if (r == ARG_ERROR)
    return EXIT_USAGE;
  if (r == ARG_END)
    return usage_error(&c, "no command given: say what to do, e.g. "
                           "'smsmux send --to NUMBER --text TEXT'");
  if (strcmp(name, "help") == 0) { /* smsmux help [COMMAND] */
    cmd = s.i < argc ? find_command(argv[s.i]) : NULL;
    fputs(cmd ? cmd->usage : usage_text, stdout);
    return EXIT_DONE;
  }
  cmd = find_command(name);
  if (!cmd)
    return usage_error(&c,
                       "unknown command '%s'; the commands are send, route, "
                       "status, replies, credit, cancel, call, providers, "
                       "plugins, store, tenant",
                       name);
  c.command = cmd->name;
  r = cmd->run(&c, argc - s.i, argv + s.i);
  if (c.sm)
    smsmux_close(c.sm);
  return r;
}

int open_library(cli *c) {
  smsmux_options opts;
  smsmux_error err;

  memset(&opts, 0, sizeof opts);
  memset(&err, 0, sizeof err);
  opts.size = sizeof opts;
  opts.verbose = c->verbose;
  opts.read_file = file_named_on_command_line;
  c->sm = smsmux_open(c->config, &opts, &err);
  if (!c->sm) {
    if (err.cls == SMSMUX_OK) /* the library always says; be safe */
      set_error(&err, SMSMUX_ERR_CONFIG, "cannot open the configuration");
    return fail(c, &err);
  }
  if (c->verbose) /* which file the lookup settled on */
    fprintf(stderr, "smsmux: configuration %s\n", smsmux_config_path(c->sm));
  return EXIT_DONE;
}

/* ------------------------------------------- the provider commands ---- */

/** The arguments of the commands other than send and route. */
typedef struct simple_args {
  const char *provider;
  const char *pos[2];
  int n_pos;
  unsigned start, count;
  int64_t since, until;
  strv extra; /**< positional arguments beyond pos (call's key=value) */
} simple_args;

/**
 * Parse the flags of a command (`flags`) and up to `max_pos` positional
 * arguments, `min_pos` of them required (`pos_name` says what is missing);
 * with `collect_extra`, further ones go to a->extra.  Returns EXIT_DONE,
 * EXIT_USAGE after a usage error, or -1 after --help.
 */
static int parse_simple(cli *c, int argc, char **argv, const cli_flag *flags,
                        const char *usage, int min_pos, int max_pos,
                        const char *pos_name, int collect_extra,
                        simple_args *a) {
  argscan s = {argc, argv, 0, 0};
  const char *v;
  int id, r;

  memset(a, 0, sizeof *a);
  while ((r = next_arg(c, &s, flags, &id, &v)) != ARG_END) {
    if (r == ARG_ERROR)
      return EXIT_USAGE;
    if (r == ARG_POSITIONAL) {
      if (a->n_pos < max_pos)
        a->pos[a->n_pos++] = v;
      else if (collect_extra)
        strv_push(&a->extra, v);
      else
        return usage_error(c, "unexpected argument '%s'", v);
      continue;
    }
    switch (id) {
    case F_HELP:
      fputs(usage, stdout);
      return -1;
    case F_PROVIDER:
      a->provider = v;
      break;
    case F_START:
      if (parse_unsigned(v, &a->start) < 0)
        return usage_error(c, "--start '%s' is not a number", v);
      break;
    case F_COUNT:
      if (parse_unsigned(v, &a->count) < 0)
        return usage_error(c, "--count '%s' is not a number", v);
      break;
    case F_SINCE:
    case F_UNTIL:
      if (parse_local_time(v, id == F_SINCE ? &a->since : &a->until, NULL) < 0)
        return usage_error(c,
                           "--%s '%s' is not a date: write it as "
                           "'YYYY-MM-DD HH:MM' (local time)",
                           id == F_SINCE ? "since" : "until", v);
      break;
    default:
      break;
    }
  }
  if (a->n_pos < min_pos)
    return usage_error(c, "%s needs %s", c->command, pos_name);
  return EXIT_DONE;
}

static void print_status_human(const smsmux_status_result *r) {
  printf("%s id %s: %zu recipient%s\n", or_dash(r->provider), or_dash(r->id),
         r->n_entries, r->n_entries == 1 ? "" : "s");
  for (size_t i = 0; i < r->n_entries; i++) {
    const smsmux_status_entry *e = &r->entries[i];
    printf("  %-16s %s", or_dash(e->to), smsmux_status_name(e->status));
    if (e->code || e->text)
      printf("  (%s%s%s)", e->code ? e->code : "",
             e->code && e->text ? " " : "", e->text ? e->text : "");
    if (e->at)
      printf("  at %s", e->at);
    putchar('\n');
  }
}

static int cmd_status(cli *c, int argc, char **argv) {
  simple_args a;
  smsmux_status_result *r;
  int rc = parse_simple(c, argc, argv, provider_flags, status_usage_text, 1, 1,
                        "a message ID: smsmux status [--provider P] ID", 0, &a);
  if (rc == EXIT_DONE)
    rc = open_library(c);
  if (rc != EXIT_DONE)
    goto out;
  r = smsmux_status_get(c->sm, a.provider, a.pos[0]);
  if (!r)
    out_of_memory();
  if (c->json)
    print_json(smsmux_status_result_json(r));
  else if (r->error.cls == SMSMUX_OK)
    print_status_human(r);
  print_error(&r->error);
  rc = smsmux_exit_code(r->error.cls);
  smsmux_status_result_free(r);
out:
  strv_free(&a.extra);
  return help_done(rc);
}

static void print_replies_human(const smsmux_replies_result *r) {
  if (r->n_entries == 0)
    printf("no replies\n");
  for (size_t i = 0; i < r->n_entries; i++) {
    const smsmux_reply_entry *e = &r->entries[i];
    printf("%s  %s", or_dash(e->at), or_dash(e->from));
    if (e->to)
      printf(" -> %s", e->to);
    printf(": %s", e->text ? e->text : "");
    if (e->id || e->message_id)
      printf("  (%s%s%s%s)", e->id ? "id " : "", e->id ? e->id : "",
             e->id && e->message_id ? ", reply to "
             : e->message_id        ? "reply to "
                                    : "",
             e->message_id ? e->message_id : "");
    putchar('\n');
  }
}

static int cmd_replies(cli *c, int argc, char **argv) {
  simple_args a;
  smsmux_reply_query q;
  smsmux_replies_result *r;
  int rc = parse_simple(c, argc, argv, replies_flags, replies_usage_text, 0, 1,
                        "", 0, &a);
  if (rc == EXIT_DONE && !a.provider)
    rc = usage_error(c, "replies needs --provider P (the provider instance "
                        "to ask; 'smsmux providers' lists them)");
  if (rc == EXIT_DONE && a.since && a.until && a.until < a.since)
    rc = usage_error(c, "--until is before --since");
  if (rc == EXIT_DONE)
    rc = open_library(c);
  if (rc != EXIT_DONE)
    goto out;
  memset(&q, 0, sizeof q);
  q.size = sizeof q;
  q.id = a.n_pos ? a.pos[0] : NULL;
  q.start = a.start;
  q.count = a.count;
  q.since = a.since;
  q.until = a.until;
  r = smsmux_replies(c->sm, a.provider, &q);
  if (!r)
    out_of_memory();
  if (c->json)
    print_json(smsmux_replies_result_json(r));
  else if (r->error.cls == SMSMUX_OK)
    print_replies_human(r);
  print_error(&r->error);
  rc = smsmux_exit_code(r->error.cls);
  smsmux_replies_result_free(r);
out:
  strv_free(&a.extra);
  return help_done(rc);
}

/** A provider whose credit could not be read (stderr). */
static void print_credit_error(const smsmux_credit_entry *e) {
  const char *who = or_dash(e->provider);
  /* The library's messages usually name the provider already. */
  if (strncmp(e->error.message, who, strlen(who)) == 0)
    fprintf(stderr, "smsmux: %s\n", e->error.message);
  else
    fprintf(stderr, "smsmux: %s: %s\n", who, e->error.message);
}

static int cmd_credit(cli *c, int argc, char **argv) {
  simple_args a;
  smsmux_credit_result *r;
  int rc = parse_simple(c, argc, argv, provider_flags, credit_usage_text, 0, 0,
                        "", 0, &a);
  if (rc == EXIT_DONE)
    rc = open_library(c);
  if (rc != EXIT_DONE)
    goto out;
  r = smsmux_credit(c->sm, a.provider);
  if (!r)
    out_of_memory();
  if (c->json)
    print_json(smsmux_credit_result_json(r));
  rc = smsmux_exit_code(r->error.cls);
  for (size_t i = 0; i < r->n_entries; i++) {
    const smsmux_credit_entry *e = &r->entries[i];
    if (e->ok) {
      if (!c->json)
        printf("%s: %g%s%s\n", or_dash(e->provider), e->credit,
               e->unit ? " " : "", e->unit ? e->unit : "");
    } else if (!a.provider && e->error.cls == SMSMUX_ERR_UNSUPPORTED) {
      /* listed, not a failure: that provider has no balance to read */
      if (!c->json)
        printf("%s: not supported\n", or_dash(e->provider));
    } else {
      print_credit_error(e);
      /* One provider asked: its own status; all of them: 1 if any failed. */
      rc = worse_exit(rc, a.provider ? smsmux_exit_code(e->error.cls)
                                     : EXIT_FAILED);
    }
  }
  if (!c->json) {
    print_error(&r->error);
    if (r->error.cls == SMSMUX_OK && r->n_entries == 0)
      printf("no enabled provider\n");
  }
  smsmux_credit_result_free(r);
out:
  strv_free(&a.extra);
  return help_done(rc);
}

static int cmd_cancel(cli *c, int argc, char **argv) {
  simple_args a;
  smsmux_error err;
  int rc = parse_simple(c, argc, argv, provider_flags, cancel_usage_text, 1, 1,
                        "a message ID: smsmux cancel --provider P ID", 0, &a);
  if (rc == EXIT_DONE && !a.provider)
    rc = usage_error(c, "cancel needs --provider P (the provider instance "
                        "that took the message)");
  if (rc == EXIT_DONE)
    rc = open_library(c);
  if (rc != EXIT_DONE)
    goto out;
  memset(&err, 0, sizeof err);
  if (smsmux_cancel(c->sm, a.provider, a.pos[0], &err) < 0 &&
      err.cls == SMSMUX_OK)
    set_error(&err, SMSMUX_ERR_SYSTEM, "cancel failed");
  if (c->json)
    print_json(smsmux_cancel_json(a.provider, a.pos[0], &err));
  else if (err.cls == SMSMUX_OK)
    printf("cancelled %s on %s\n", a.pos[0], a.provider);
  print_error(&err);
  rc = smsmux_exit_code(err.cls);
out:
  strv_free(&a.extra);
  return help_done(rc);
}

/** The key=value arguments of call as parameters (*keys owns the keys,
    extra the values, *params the array; key=@- and key=env:NAME are
    resolved into extra): EXIT_DONE, or EXIT_USAGE after a usage error. */
static int call_params(cli *c, strv *extra, strv *keys, smsmux_kv **params) {
  *params = calloc(extra->n ? extra->n : 1, sizeof **params);
  if (!*params)
    out_of_memory();
  for (size_t i = 0; i < extra->n; i++) {
    const char *eq = strchr(extra->v[i], '=');
    char *value;
    int rc;
    if (!eq || eq == extra->v[i])
      return usage_error(c, "'%s' is not a parameter: write key=value",
                         extra->v[i]);
    strv_push_n(keys, extra->v[i], (size_t)(eq - extra->v[i]));
    rc = resolve_value(c, keys->v[i], eq + 1, &value);
    if (rc != EXIT_DONE)
      return rc;
    if (value) { /* from stdin or the environment: extra owns it now */
      free(extra->v[i]);
      extra->v[i] = value;
      (*params)[i].value = value;
    } else {
      (*params)[i].value = eq + 1;
    }
  }
  for (size_t i = 0; i < keys->n; i++)
    (*params)[i].key = keys->v[i];
  return EXIT_DONE;
}

/** Each record as "key: value" lines, a blank line between records. */
static void print_call_human(const smsmux_call_result *r, const char *op,
                             const char *provider) {
  if (r->n_records == 0)
    printf("%s on %s: done\n", op, provider);
  for (size_t i = 0; i < r->n_records; i++) {
    const smsmux_record *rec = &r->records[i];
    if (i > 0)
      putchar('\n');
    for (size_t f = 0; f < rec->n_fields; f++)
      printf("%s: %s\n", or_dash(rec->fields[f].key),
             rec->fields[f].value ? rec->fields[f].value : "");
  }
}

static int cmd_call(cli *c, int argc, char **argv) {
  simple_args a;
  smsmux_kv *params = NULL;
  strv keys = {0};
  smsmux_call_result *r;
  int rc = parse_simple(c, argc, argv, provider_flags, call_usage_text, 1, 1,
                        "an operation: smsmux call --provider P OP "
                        "[key=value ...]",
                        1, &a);
  if (rc == EXIT_DONE && !a.provider)
    rc = usage_error(c, "call needs --provider P ('smsmux providers' lists "
                        "each provider's operations)");
  if (rc != EXIT_DONE)
    goto out;
  rc = call_params(c, &a.extra, &keys, &params);
  if (rc == EXIT_DONE)
    rc = open_library(c);
  if (rc != EXIT_DONE)
    goto out;
  r = smsmux_call_op(c->sm, a.provider, a.pos[0], params, a.extra.n);
  if (!r)
    out_of_memory();
  if (c->json)
    print_json(smsmux_call_result_json(r));
  else if (r->error.cls == SMSMUX_OK)
    print_call_human(r, a.pos[0], a.provider);
  print_error(&r->error);
  rc = smsmux_exit_code(r->error.cls);
  smsmux_call_result_free(r);
out:
  free(params);
  strv_free(&keys);
  for (size_t i = 0; i < a.extra.n; i++) /* values may be secrets */
    explicit_bzero(a.extra.v[i], strlen(a.extra.v[i]));
  strv_free(&a.extra);
  return help_done(rc);
}

static void print_provider_list(const smsmux_provider_list *l, int plugins);

static int list_command(cli *c, int argc, char **argv, int plugins) {
  simple_args a;
  smsmux_provider_list *l;
  int rc = parse_simple(c, argc, argv, no_flags,
                        plugins ? plugins_usage_text : providers_usage_text, 0,
                        0, "", 0, &a);
  if (rc == EXIT_DONE)
    rc = open_library(c);
  if (rc != EXIT_DONE)
    goto out;
  l = plugins ? smsmux_plugins(c->sm) : smsmux_providers(c->sm);
  if (!l)
    out_of_memory();
  if (c->json)
    print_json(
        smsmux_provider_list_json(plugins ? "plugins" : "providers", l));
  else
    print_provider_list(l, plugins);
  smsmux_provider_list_free(l);
out:
  strv_free(&a.extra);
  return help_done(rc);
}

static int cmd_providers(cli *c, int argc, char **argv) {
  return list_command(c, argc, argv, 0);
}

static int check_plugin(cli *c, const char *path);

static int cmd_plugins(cli *c, int argc, char **argv) {
  argscan s = {argc, argv, 0, 0};
  const char *v, *check = NULL, *stray = NULL;
  int id, r;

  /* `plugins --check FILE` reads no configuration: look for it first */
  while ((r = next_arg(c, &s, plugins_flags, &id, &v)) != ARG_END) {
    if (r == ARG_ERROR)
      return EXIT_USAGE;
    if (r == ARG_POSITIONAL && !stray)
      stray = v;
    if (r == ARG_FLAG && id == F_HELP) {
      fputs(plugins_usage_text, stdout);
      return EXIT_DONE;
    }
    if (r == ARG_FLAG && id == F_CHECK)
      check = v;
  }
  if (stray)
    return usage_error(c, "unexpected argument '%s'%s", stray,
                       check ? "" : " (to check one file: plugins --check FILE)");
  if (check)
    return check_plugin(c, check);
  return list_command(c, argc, argv, 1);
}

/** `store prune [--days N]`. */
static int cmd_store(cli *c, int argc, char **argv) {
  argscan s = {argc, argv, 0, 0};
  const char *v, *sub = NULL, *days_arg = NULL;
  unsigned days = 0;
  long removed = 0;
  smsmux_error err;
  int id, r, rc;

  while ((r = next_arg(c, &s, store_flags, &id, &v)) != ARG_END) {
    if (r == ARG_ERROR)
      return EXIT_USAGE;
    if (r == ARG_POSITIONAL) {
      if (sub)
        return usage_error(c, "unexpected argument '%s'", v);
      sub = v;
      continue;
    }
    if (id == F_HELP) {
      fputs(store_usage_text, stdout);
      return EXIT_DONE;
    }
    if (id == F_DAYS)
      days_arg = v;
  }
  if (!sub)
    return usage_error(c, "store needs a subcommand: smsmux store prune "
                          "[--days N]");
  if (strcmp(sub, "prune") != 0)
    return usage_error(c, "unknown store subcommand '%s' (known: prune)",
                       sub);
  if (days_arg &&
      (parse_unsigned(days_arg, &days) < 0 || days < 1 || days > 36500))
    return usage_error(c, "--days '%s' is not a number of days between 1 "
                          "and 36500",
                       days_arg);
  rc = open_library(c);
  if (rc != EXIT_DONE)
    return rc;
  if (!days)
    days = smsmux_retention_days(c->sm);
  memset(&err, 0, sizeof err);
  if (smsmux_store_prune(c->sm, days, &removed, &err) < 0) {
    if (err.cls == SMSMUX_OK)
      set_error(&err, SMSMUX_ERR_SYSTEM, "cannot prune the store");
    return fail(c, &err);
  }
  if (c->json)
    printf("{\"removed\":%ld,\"retention_days\":%u}\n", removed, days);
  else
    printf("removed %ld message%s older than %u day%s\n", removed,
           removed == 1 ? "" : "s", days, days == 1 ? "" : "s");
  return EXIT_DONE;
}

static void print_plugin_report(const smsmux_plugin_report *r) {
  char caps[512];
  size_t i;
  printf("%s: %s\n", r->path, r->ok ? "ok, loads" : "does not load");
  if (r->opened)
    printf("  entry symbol: %s %s\n", SMSMUX_PROVIDER_ENTRY,
           !r->entry_found        ? "missing"
           : r->descriptor_found ? "found"
                                 : "found, but it returned NULL");
  if (r->descriptor_found) {
    printf("  ABI: %u.%u (this smsmux: %u.%u)\n", r->abi_major, r->abi_minor,
           r->host_abi_major, r->host_abi_minor);
    printf("  descriptor: %zu bytes (this smsmux: %zu)\n", r->declared_size,
           r->host_size);
  }
  if (r->readable) {
    printf("  name: %s, version %s: %s\n", or_dash(r->name),
           or_dash(r->version), or_dash(r->summary));
    printf("  capabilities: %s\n",
           r->capabilities ? smsmux_capabilities_string(r->capabilities, caps,
                                                        sizeof caps)
                           : "-");
    printf("  max recipients per request: %u\n", r->max_recipients);
    printf("  default base_url: %s\n", or_dash(r->default_base_url));
    printf("  config keys:");
    for (i = 0; i < r->n_config_keys; i++)
      printf("%s %s", i ? "," : "", r->config_keys[i]);
    printf("%s\n", r->n_config_keys ? "" : " -");
    printf("  operations:");
    for (i = 0; i < r->n_operations; i++)
      printf("%s %s", i ? "," : "", r->operations[i]);
    printf("%s\n", r->n_operations ? "" : " -");
  }
  for (i = 0; i < r->n_warnings; i++)
    printf("  warning: %s\n", r->warnings[i]);
  for (i = 0; i < r->n_problems; i++)
    printf("  problem: %s\n", r->problems[i]);
}

/** `plugins --check FILE`: 0 when the plugin would load, else 2. */
static int check_plugin(cli *c, const char *path) {
  smsmux_plugin_report *r = smsmux_plugin_check(path);
  int rc;
  if (!r)
    out_of_memory();
  if (c->json)
    print_json(smsmux_plugin_report_json(r));
  else
    print_plugin_report(r);
  print_error(&r->error);
  rc = r->error.cls == SMSMUX_OK ? EXIT_DONE : EXIT_USAGE;
  smsmux_plugin_report_free(r);
  return rc;
}

static void print_provider_list(const smsmux_provider_list *l, int plugins) {
  char caps[512];
  if (l->n_items == 0)
    printf(plugins ? "no plugin found in plugin_dir\n"
                   : "no provider configured\n");
  for (size_t i = 0; i < l->n_items; i++) {
    const smsmux_provider_info *p = &l->items[i];
    printf("%s", or_dash(p->name));
    if (!plugins || (p->plugin && p->name && strcmp(p->plugin, p->name) != 0))
      printf("  plugin %s", or_dash(p->plugin));
    if (p->version)
      printf(" %s", p->version);
    if (p->abi_major || p->abi_minor)
      printf(", ABI %u.%u", p->abi_major, p->abi_minor);
    if (!plugins)
      printf(", %s", p->enabled ? "enabled" : "disabled");
    printf(", %s\n", p->loaded ? (plugins ? "loads" : "ready")
                               : (plugins ? "does not load" : "not usable"));
    if (plugins && p->path)
      printf("  file: %s\n", p->path);
    if (p->capabilities)
      printf("  capabilities: %s\n",
             smsmux_capabilities_string(p->capabilities, caps, sizeof caps));
    if (p->n_operations) {
      printf("  operations:");
      for (size_t k = 0; k < p->n_operations; k++)
        printf("%s %s", k ? "," : "", or_dash(p->operations[k]));
      putchar('\n');
    }
    if (p->error)
      printf("  error: %s\n", p->error);
  }
}

/* ------------------------------------------------- errors and exits -- */

int usage_error(const cli *c, const char *fmt, ...) {
  smsmux_error err;
  va_list ap;
  memset(&err, 0, sizeof err);
  err.cls = SMSMUX_ERR_INPUT;
  va_start(ap, fmt);
  vsnprintf(err.message, sizeof err.message, fmt, ap);
  va_end(ap);
  fprintf(stderr, "smsmux: %s\n", err.message);
  if (c->command)
    fprintf(stderr, "Run 'smsmux %s --help' or 'smsmux --help' for usage.\n",
            c->command);
  else
    fputs("Run 'smsmux --help' for usage.\n", stderr);
  if (c->json)
    print_json(smsmux_error_json(&err));
  return EXIT_USAGE;
}

int fail(const cli *c, const smsmux_error *err) {
  fprintf(stderr, "smsmux: %s\n",
          err->message[0] ? err->message : smsmux_error_class_name(err->cls));
  if (c->json)
    print_json(smsmux_error_json(err));
  return smsmux_exit_code(err->cls);
}

void print_error(const smsmux_error *err) {
  if (err->cls != SMSMUX_OK)
    fprintf(stderr, "smsmux: %s\n",
            err->message[0] ? err->message : smsmux_error_class_name(err->cls));
}

/** Which of two exit statuses a run of several operations reports:
    an unknown outcome first (someone must check), then a refusal, then
    an input error. */
int worse_exit(int a, int b) {
  static const int rank[] = {0, 2, 1, 3};
  if (a < 0 || a > 3)
    a = EXIT_FAILED;
  if (b < 0 || b > 3)
    b = EXIT_FAILED;
  return rank[a] >= rank[b] ? a : b;
}

/* ----------------------------------------------------------- helpers -- */

void print_json(char *text) {
  if (!text)
    out_of_memory();
  puts(text);
  fflush(stdout);
  free(text);
}

void out_of_memory(void) {
  if (json_mode)
    fputs("{\"error\":{\"class\":\"system\",\"code\":null,"
          "\"message\":\"out of memory\"}}\n",
          stdout);
  fputs("smsmux: out of memory\n", stderr);
  exit(EXIT_FAILED);
}

void set_error(smsmux_error *err, smsmux_error_class cls, const char *fmt,
               ...) {
  va_list ap;
  memset(err, 0, sizeof *err);
  err->cls = cls;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
}

int help_done(int rc) { return rc < 0 ? EXIT_DONE : rc; }

const char *or_dash(const char *s) { return s && *s ? s : "-"; }

int status_is_trouble(smsmux_status st) {
  return st != SMSMUX_STATUS_ACCEPTED && st != SMSMUX_STATUS_SCHEDULED &&
         st != SMSMUX_STATUS_SENT && st != SMSMUX_STATUS_DELIVERED;
}
