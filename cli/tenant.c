/* `smsmux tenant ...`: the service's tenants on the store, through the
 * library's tenant functions (JSON documents, printed as they are with
 * --json, read back with json-c for the human output). */
#include <config.h>

#include "cli.h"

#include <json-c/json.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char tenant_usage_text[] =
    "Usage: smsmux tenant SUBCOMMAND ...\n"
    "\n"
    "  add NAME [settings]          a new tenant (balance 0)\n"
    "  update NAME [settings]       change its settings\n"
    "  list [--parent NAME]         every tenant, or a reseller's customers\n"
    "  show NAME                    settings, balance, keys, customers\n"
    "  credit NAME UNITS [--from RESELLER]\n"
    "                               give units: from the operator, or sold\n"
    "                               by its reseller out of the reseller's own\n"
    "  transfer FROM TO UNITS       the same as credit TO UNITS --from FROM\n"
    "  debit NAME UNITS             take units back\n"
    "  key add NAME [--label L]     a new API key, shown once\n"
    "  key revoke NAME ID|LABEL     the key stops working at once\n"
    "  key list NAME                its keys (ids, labels; never the keys)\n"
    "  enable NAME | disable NAME   a disabled tenant's keys are refused\n"
    "  usage [NAME] [--tree] [--since D] [--until D] [--csv]\n"
    "                               messages, recipients and units by\n"
    "                               tenant, provider and status\n"
    "  ledger NAME                  every move of its balance\n"
    "  check                        every balance equals its ledger's sum\n"
    "\n"
    "Settings:\n"
    "  --parent NAME          its reseller (add only)\n"
    "  --plan NAME            a [plan.NAME] of the configuration\n"
    "  --senders LIST         sender IDs it may use (comma list; \"\": any)\n"
    "  --routes LIST          routes it may use (comma list; \"\": any)\n"
    "  --callback-url URL     default callback of its messages\n"
    "  --webhook-secret S     signs its webhooks (env:NAME, @- for stdin)\n"
    "  --rate N               messages per second (0: no limit)\n"
    "  --burst N              messages at once above the rate\n"
    "  --low-balance N        a low-balance event below N units (0: none)\n"
    "\n"
    "Exit status: 0 done; 1 refused (not enough units); 2 usage or input\n"
    "error (no such tenant, unknown plan).\n";

static const cli_flag tenant_flags[] = {
    {"parent", 1, F_PARENT},
    {"plan", 1, F_PLAN},
    {"senders", 1, F_SENDERS},
    {"routes", 1, F_ROUTES},
    {"callback-url", 1, F_CALLBACK_URL},
    {"webhook-secret", 1, F_WEBHOOK_SECRET},
    {"rate", 1, F_RATE},
    {"burst", 1, F_BURST},
    {"low-balance", 1, F_LOW_BALANCE},
    {"from", 1, F_FROM_TENANT},
    {"label", 1, F_LABEL},
    {"tree", 0, F_TREE},
    {"csv", 0, F_CSV},
    {"since", 1, F_SINCE},
    {"until", 1, F_UNTIL},
    {NULL, 0, 0}};

typedef struct targs {
  strv pos;
  smsmux_tenant_settings set;
  int n_settings;
  char *secret_owned;
  const char *from, *label, *since_arg, *until_arg;
  int tree, csv;
} targs;

static int parse_double_arg(const char *v, double *out) {
  char *end;
  *out = strtod(v, &end);
  return end == v || *end || *out < 0 ? -1 : 0;
}

static int parse_int64_arg(const char *v, int64_t *out) {
  char *end;
  long long x;
  if (!*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 15)
    return -1;
  x = strtoll(v, &end, 10);
  *out = (int64_t)x;
  return 0;
}

static int parse_targs(cli *c, int argc, char **argv, targs *a) {
  argscan s = {argc, argv, 0, 0};
  const char *v;
  int id, r;
  int64_t n;

  memset(a, 0, sizeof *a);
  smsmux_tenant_settings_init(&a->set);
  while ((r = next_arg(c, &s, tenant_flags, &id, &v)) != ARG_END) {
    if (r == ARG_ERROR)
      return EXIT_USAGE;
    if (r == ARG_POSITIONAL) {
      strv_push(&a->pos, v);
      continue;
    }
    if (id != F_HELP && id != F_FROM_TENANT && id != F_LABEL &&
        id != F_PARENT &&
        id != F_TREE && id != F_CSV && id != F_SINCE && id != F_UNTIL)
      a->n_settings++;
    switch (id) {
    case F_HELP:
      fputs(tenant_usage_text, stdout);
      return -1;
    case F_PARENT:
      a->set.parent = v;
      break;
    case F_PLAN:
      a->set.plan = v;
      break;
    case F_SENDERS:
      a->set.senders = v;
      break;
    case F_ROUTES:
      a->set.routes = v;
      break;
    case F_CALLBACK_URL:
      a->set.callback_url = v;
      break;
    case F_WEBHOOK_SECRET:
      r = resolve_value(c, "--webhook-secret", v, &a->secret_owned);
      if (r != EXIT_DONE)
        return r;
      a->set.webhook_secret = a->secret_owned ? a->secret_owned : v;
      break;
    case F_RATE:
      if (parse_double_arg(v, &a->set.rate) || a->set.rate > 1e6)
        return usage_error(c, "--rate '%s' is not a number of messages per "
                              "second from 0 to 1000000",
                           v);
      break;
    case F_BURST:
      if (parse_int64_arg(v, &n) || n > 1000000)
        return usage_error(c, "--burst '%s' is not a number of messages "
                              "from 0 to 1000000",
                           v);
      a->set.burst = (long)n;
      break;
    case F_LOW_BALANCE:
      if (parse_int64_arg(v, &a->set.low_balance))
        return usage_error(c, "--low-balance '%s' is not a number of units",
                           v);
      break;
    case F_FROM_TENANT:
      a->from = v;
      break;
    case F_LABEL:
      a->label = v;
      break;
    case F_TREE:
      a->tree = 1;
      break;
    case F_CSV:
      a->csv = 1;
      break;
    case F_SINCE:
      a->since_arg = v;
      break;
    case F_UNTIL:
      a->until_arg = v;
      break;
    default:
      break;
    }
  }
  return EXIT_DONE;
}

static void targs_free(targs *a) {
  strv_free(&a->pos);
  if (a->secret_owned) {
    explicit_bzero(a->secret_owned, strlen(a->secret_owned));
    free(a->secret_owned);
  }
}

/* Who moves units, for the ledger: "cli:USER". */
static const char *actor(char *buf, size_t len) {
  struct passwd *pw = getpwuid(getuid());
  snprintf(buf, len, "cli:%s", pw && pw->pw_name ? pw->pw_name : "?");
  return buf;
}

/* ------------------------------------------------------- human output -- */

static const char *jget(json_object *o, const char *k) {
  json_object *v;
  if (!json_object_object_get_ex(o, k, &v) || !v)
    return NULL;
  return json_object_get_string(v);
}

static long long jint(json_object *o, const char *k) {
  json_object *v;
  return json_object_object_get_ex(o, k, &v) && v ? json_object_get_int64(v)
                                                  : 0;
}

static void print_tenant(json_object *t) {
  json_object *keys, *cust;
  double rate = 0;
  json_object *v;
  size_t i;
  printf("tenant %s", jget(t, "name"));
  if (jget(t, "parent"))
    printf(" (customer of %s)", jget(t, "parent"));
  printf("\n  balance:      %lld units", jint(t, "balance"));
  if (jint(t, "low_balance") > 0)
    printf(" (low-balance event below %lld)", jint(t, "low_balance"));
  printf("\n  plan:         %s\n",
         jget(t, "plan") ? jget(t, "plan") : "none (1 unit a segment)");
  if (json_object_object_get_ex(t, "rate", &v) && v)
    rate = json_object_get_double(v);
  if (rate > 0)
    printf("  rate:         %g messages/s, burst %lld\n", rate,
           jint(t, "burst"));
  else
    printf("  rate:         no limit\n");
  printf("  senders:      %s\n", or_dash(jget(t, "senders")));
  printf("  routes:       %s\n", or_dash(jget(t, "routes")));
  printf("  callback:     %s\n", or_dash(jget(t, "callback_url")));
  printf("  webhooks:     %s\n",
         json_object_object_get_ex(t, "webhook_secret", &v) &&
                 json_object_get_boolean(v)
             ? "signed (secret set)"
             : "not signed (no secret)");
  printf("  enabled:      %s\n",
         json_object_object_get_ex(t, "enabled", &v) &&
                 json_object_get_boolean(v)
             ? "yes"
             : "no");
  if (json_object_object_get_ex(t, "keys", &keys) && keys) {
    printf("  keys:        %s\n",
           json_object_array_length(keys) ? "" : " none");
    for (i = 0; i < json_object_array_length(keys); i++) {
      json_object *k = json_object_array_get_idx(keys, i);
      printf("    %s %-16s created %s%s%s\n", jget(k, "id"),
             or_dash(jget(k, "label")), or_dash(jget(k, "created")),
             jget(k, "revoked") ? ", revoked " : "",
             jget(k, "revoked") ? jget(k, "revoked") : "");
    }
  }
  if (json_object_object_get_ex(t, "customers", &cust) && cust &&
      json_object_array_length(cust)) {
    printf("  customers:   ");
    for (i = 0; i < json_object_array_length(cust); i++)
      printf(" %s", json_object_get_string(json_object_array_get_idx(cust, i)));
    printf("\n");
  }
}

/* Print `doc` (owned) as it is with --json, else through `human`. */
static int answer(cli *c, char *doc, const smsmux_error *err,
                  void (*human)(json_object *)) {
  json_object *o;
  if (!doc)
    return fail(c, err);
  if (c->json) {
    print_json(doc);
    return EXIT_DONE;
  }
  o = json_tokener_parse(doc);
  free(doc);
  if (!o)
    out_of_memory();
  human(o);
  json_object_put(o);
  return EXIT_DONE;
}

static void human_list(json_object *o) {
  json_object *arr;
  size_t i;
  if (!json_object_object_get_ex(o, "tenants", &arr))
    return;
  if (!json_object_array_length(arr))
    printf("no tenants (smsmux tenant add NAME)\n");
  for (i = 0; i < json_object_array_length(arr); i++) {
    json_object *t = json_object_array_get_idx(arr, i), *v;
    printf("%-20s %10lld units  parent %-12s plan %-10s%s\n",
           jget(t, "name"), jint(t, "balance"), or_dash(jget(t, "parent")),
           or_dash(jget(t, "plan")),
           json_object_object_get_ex(t, "enabled", &v) &&
                   !json_object_get_boolean(v)
               ? "  disabled"
               : "");
  }
}

static void human_credit(json_object *o) {
  if (jget(o, "from"))
    printf("%lld units moved from %s (now %lld) to %s (now %lld)\n",
           jint(o, "units"), jget(o, "from"), jint(o, "from_balance"),
           jget(o, "tenant"), jint(o, "balance"));
  else
    printf("%s: %lld units, balance now %lld\n", jget(o, "tenant"),
           jint(o, "units"), jint(o, "balance"));
}

static void human_key(json_object *o) {
  printf("key %s of tenant %s%s%s (shown this once: keep it now):\n%s\n",
         jget(o, "id"), jget(o, "tenant"), jget(o, "label") ? ", label " : "",
         jget(o, "label") ? jget(o, "label") : "", jget(o, "key"));
}

static void human_keys(json_object *o) {
  json_object *keys;
  size_t i;
  if (!json_object_object_get_ex(o, "keys", &keys) ||
      !json_object_array_length(keys)) {
    printf("no keys (smsmux tenant key add %s)\n", jget(o, "name"));
    return;
  }
  for (i = 0; i < json_object_array_length(keys); i++) {
    json_object *k = json_object_array_get_idx(keys, i);
    printf("%s %-16s created %s%s%s\n", jget(k, "id"),
           or_dash(jget(k, "label")), or_dash(jget(k, "created")),
           jget(k, "revoked") ? ", revoked " : "",
           jget(k, "revoked") ? jget(k, "revoked") : "");
  }
}

static void human_usage(json_object *o) {
  json_object *rows;
  size_t i;
  printf("%-16s %-14s %-12s %8s %10s %10s\n", "tenant", "provider", "status",
         "messages", "recipients", "units");
  if (json_object_object_get_ex(o, "rows", &rows))
    for (i = 0; i < json_object_array_length(rows); i++) {
      json_object *r = json_object_array_get_idx(rows, i);
      printf("%-16s %-14s %-12s %8lld %10lld %10lld\n", jget(r, "tenant"),
             or_dash(jget(r, "provider")), jget(r, "status"),
             jint(r, "messages"), jint(r, "recipients"), jint(r, "units"));
    }
  printf("total: %lld units\n", jint(o, "units"));
}

static void human_ledger(json_object *o) {
  json_object *rows;
  size_t i;
  if (json_object_object_get_ex(o, "entries", &rows))
    for (i = 0; i < json_object_array_length(rows); i++) {
      json_object *r = json_object_array_get_idx(rows, i);
      printf("%6lld %s %+8lld %-12s %-28s %s\n", jint(r, "seq"),
             or_dash(jget(r, "at")), jint(r, "delta"), jget(r, "reason"),
             or_dash(jget(r, "message_id")), or_dash(jget(r, "actor")));
    }
}

static void human_check(json_object *o) {
  json_object *bad, *ok;
  size_t i;
  if (json_object_object_get_ex(o, "ok", &ok) && json_object_get_boolean(ok)) {
    printf("ledger exact: every balance equals the sum of its rows\n");
    return;
  }
  if (json_object_object_get_ex(o, "bad", &bad))
    for (i = 0; i < json_object_array_length(bad); i++)
      printf("tenant %s: balance differs from its ledger\n",
             json_object_get_string(json_object_array_get_idx(bad, i)));
}

/* ------------------------------------------------------- subcommands -- */

static int need(cli *c, const targs *a, size_t n, const char *what) {
  if (a->pos.n < n)
    return usage_error(c, "tenant %s needs %s", a->pos.n ? a->pos.v[0] : "",
                       what);
  if (a->pos.n > n)
    return usage_error(c, "unexpected argument '%s'", a->pos.v[n]);
  return EXIT_DONE;
}

static int units_arg(cli *c, const char *v, int64_t *u) {
  if (parse_int64_arg(v, u) || *u <= 0)
    return usage_error(c, "'%s' is not a number of units (a whole number, "
                          "1 or more)",
                       v);
  return EXIT_DONE;
}

static int only_settings(cli *c, const targs *a, const char *sub) {
  if (a->from || a->label || a->tree || a->csv || a->since_arg ||
      a->until_arg)
    return usage_error(c, "tenant %s takes settings only (--plan, --rate, "
                          "...; smsmux tenant --help)",
                       sub);
  return EXIT_DONE;
}

int cmd_tenant(cli *c, int argc, char **argv) {
  targs a;
  smsmux_error err;
  const char *sub;
  char who[96], *doc = NULL;
  int rc = parse_targs(c, argc, argv, &a);
  int64_t u;

  memset(&err, 0, sizeof err);
  if (rc != EXIT_DONE)
    goto out;
  if (!a.pos.n) {
    rc = usage_error(c, "tenant needs a subcommand: add, update, list, "
                        "show, credit, debit, transfer, key, enable, "
                        "disable, usage, ledger, check");
    goto out;
  }
  sub = a.pos.v[0];
  if (a.set.parent && strcmp(sub, "add") && strcmp(sub, "list")) {
    rc = usage_error(c, "--parent goes with tenant add (and list: a "
                        "reseller's customers)");
    goto out;
  }
  if (a.n_settings && strcmp(sub, "add") && strcmp(sub, "update")) {
    rc = usage_error(c, "settings (--plan, --rate, ...) go with tenant add "
                        "or tenant update");
    goto out;
  }
  if (strcmp(sub, "add") == 0 || strcmp(sub, "update") == 0) {
    if ((rc = need(c, &a, 2, "a tenant name")) ||
        (rc = only_settings(c, &a, sub)))
      goto out;
    if ((rc = open_library(c)))
      goto out;
    doc = *sub == 'a' ? smsmux_tenant_add(c->sm, a.pos.v[1], &a.set, &err)
                      : smsmux_tenant_update(c->sm, a.pos.v[1], &a.set, &err);
    rc = answer(c, doc, &err, print_tenant);
  } else if (strcmp(sub, "enable") == 0 || strcmp(sub, "disable") == 0) {
    if ((rc = need(c, &a, 2, "a tenant name")) || (rc = open_library(c)))
      goto out;
    a.set.enabled = *sub == 'e';
    rc = answer(c, smsmux_tenant_update(c->sm, a.pos.v[1], &a.set, &err),
                &err, print_tenant);
  } else if (strcmp(sub, "list") == 0) {
    if ((rc = need(c, &a, 1, "nothing more")) || (rc = open_library(c)))
      goto out;
    rc = answer(c, smsmux_tenants_json(c->sm, a.set.parent, &err), &err,
                human_list);
  } else if (strcmp(sub, "show") == 0) {
    if ((rc = need(c, &a, 2, "a tenant name")) || (rc = open_library(c)))
      goto out;
    rc = answer(c, smsmux_tenant_json(c->sm, a.pos.v[1], &err), &err,
                print_tenant);
  } else if (strcmp(sub, "credit") == 0 || strcmp(sub, "debit") == 0 ||
             strcmp(sub, "transfer") == 0) {
    int t = *sub == 't';
    const char *name = t ? (a.pos.n > 2 ? a.pos.v[2] : NULL)
                         : (a.pos.n > 1 ? a.pos.v[1] : NULL);
    const char *from = t ? a.pos.v[1] : a.from;
    if ((rc = need(c, &a, t ? 4 : 3,
                   t ? "FROM TO UNITS" : "a tenant name and UNITS")) ||
        (rc = units_arg(c, a.pos.v[t ? 3 : 2], &u)))
      goto out;
    if (*sub == 'd' && a.from) {
      rc = usage_error(c, "--from goes with credit (debit takes units back "
                          "to the operator)");
      goto out;
    }
    if ((rc = open_library(c)))
      goto out;
    doc = *sub == 'd' ? smsmux_tenant_debit(c->sm, name, u, actor(who, sizeof who),
                                            &err)
                      : smsmux_tenant_credit(c->sm, name, u, from,
                                             actor(who, sizeof who), &err);
    rc = answer(c, doc, &err, human_credit);
  } else if (strcmp(sub, "key") == 0) {
    const char *op = a.pos.n > 1 ? a.pos.v[1] : "";
    if (strcmp(op, "add") == 0 || strcmp(op, "list") == 0) {
      if ((rc = need(c, &a, 3, "a tenant name")) || (rc = open_library(c)))
        goto out;
      if (*op == 'a')
        rc = answer(c, smsmux_tenant_key_add(c->sm, a.pos.v[2], a.label, &err),
                    &err, human_key);
      else
        rc = answer(c, smsmux_tenant_json(c->sm, a.pos.v[2], &err), &err,
                    human_keys);
    } else if (strcmp(op, "revoke") == 0) {
      if ((rc = need(c, &a, 4, "a tenant name and a key id or label")) ||
          (rc = open_library(c)))
        goto out;
      if (smsmux_tenant_key_revoke(c->sm, a.pos.v[2], a.pos.v[3], &err)) {
        rc = fail(c, &err);
        goto out;
      }
      if (c->json)
        printf("{\"tenant\":\"%s\",\"revoked\":true}\n", a.pos.v[2]);
      else
        printf("key %s of tenant %s revoked\n", a.pos.v[3], a.pos.v[2]);
    } else {
      rc = usage_error(c, "tenant key needs add, revoke or list");
    }
  } else if (strcmp(sub, "usage") == 0) {
    int64_t since = 0, until = 0;
    if (a.pos.n > 2) {
      rc = usage_error(c, "unexpected argument '%s'", a.pos.v[2]);
      goto out;
    }
    if ((a.since_arg && parse_local_time(a.since_arg, &since, NULL) < 0) ||
        (a.until_arg && parse_local_time(a.until_arg, &until, NULL) < 0)) {
      rc = usage_error(c, "--since and --until are dates: 'YYYY-MM-DD "
                          "[HH:MM]' (local time)");
      goto out;
    }
    if (a.tree && a.pos.n < 2) {
      rc = usage_error(c, "--tree needs a tenant: its customers are added");
      goto out;
    }
    if ((rc = open_library(c)))
      goto out;
    doc = smsmux_tenant_usage(c->sm, a.pos.n > 1 ? a.pos.v[1] : NULL, a.tree,
                              since, until, a.csv, &err);
    if (doc && a.csv) {
      fputs(doc, stdout);
      free(doc);
      rc = EXIT_DONE;
    } else {
      rc = answer(c, doc, &err, human_usage);
    }
  } else if (strcmp(sub, "ledger") == 0) {
    if ((rc = need(c, &a, 2, "a tenant name")) || (rc = open_library(c)))
      goto out;
    rc = answer(c, smsmux_tenant_ledger_json(c->sm, a.pos.v[1], 0, 0, &err),
                &err, human_ledger);
  } else if (strcmp(sub, "check") == 0) {
    if ((rc = need(c, &a, 1, "nothing more")) || (rc = open_library(c)))
      goto out;
    doc = smsmux_ledger_check_json(c->sm, &err);
    if (doc && strstr(doc, "\"ok\":false")) {
      rc = answer(c, doc, &err, human_check);
      rc = rc == EXIT_DONE ? EXIT_FAILED : rc;
    } else {
      rc = answer(c, doc, &err, human_check);
    }
  } else {
    rc = usage_error(c, "unknown tenant subcommand '%s' (known: add, update, "
                        "list, show, credit, debit, transfer, key, enable, "
                        "disable, usage, ledger, check)",
                     sub);
  }
out:
  targs_free(&a);
  return help_done(rc);
}
