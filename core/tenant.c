/* tenant: tenants over the store (see tenant.h and smsmux.h "tenants"). */
#include <config.h>

#include "tenant.h"
#include "credit.h"
#include "httpc.h"
#include "webhook.h"

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* ------------------------------------------------------------ helpers -- */

static json_object *jstr(const char *s) {
  return s ? json_object_new_string(s) : NULL;
}

static json_object *jtime(int64_t t) {
  char buf[32];
  return *webhook_time(t, buf, sizeof buf) ? json_object_new_string(buf)
                                           : NULL;
}

static char *jtext(json_object *o, smsmux_error *err) {
  char *s = o ? strdup(json_object_to_json_string_ext(o, JSON_FLAGS)) : NULL;
  if (o)
    json_object_put(o);
  if (!s)
    err_set(err, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  return s;
}

static int64_t now_s(void) { return (int64_t)time(NULL); }

static double mono_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int check_name(const char *name, smsmux_error *err) {
  if (credit_name_ok(name))
    return 0;
  err_set(err, SMSMUX_ERR_INPUT, "bad-name",
          "tenant name \"%.64s\": use 1 to 63 of a-z, 0-9, '_', '.', '-', "
          "starting with a letter or a digit",
          name ? name : "");
  return -1;
}

static void not_found(smsmux_error *err, const char *name) {
  err_set(err, SMSMUX_ERR_INPUT, "not-found",
          "no tenant %s (`smsmux tenant list` shows them; `smsmux tenant "
          "add %s` creates it)",
          name, name);
}

static void store_failed(smsmux_error *err, const char *what,
                         const char *msg) {
  err_set(err, SMSMUX_ERR_SYSTEM, NULL, "%s: %s", what,
          msg && *msg ? msg : "the store failed");
}

/* The tenant `name`, or -1 with err (not-found, or the store). */
static int get_tenant(store_db *db, const char *name, store_tenant *t,
                      smsmux_error *err) {
  int rc;
  memset(t, 0, sizeof *t);
  if (check_name(name, err))
    return -1;
  rc = store_tenant_get(db, name, t);
  if (rc == 0)
    return 0;
  if (rc == 1)
    not_found(err, name);
  else
    store_failed(err, "cannot read the tenants", NULL);
  return -1;
}

/* ----------------------------------------------------- token buckets -- */

typedef struct tenant_bucket {
  char *name;
  credit_bucket b;
} tenant_bucket;

typedef struct tenant_buckets {
  tenant_bucket *v;
  size_t n, cap;
} tenant_buckets;

/* take_token's answer when out of memory */
#define TOKEN_OOM ((unsigned)-1)

/* One token for `name`: 0, or the seconds to wait; TOKEN_OOM.  A shared
   store (PostgreSQL) keeps the bucket, so that N nodes allow the tenant
   its rate, not N times it; on SQLite (one machine), or when the shared
   store cannot answer (the submit that follows will say why), this
   process keeps its own. */
static unsigned take_token(struct smsmux *sm, const char *name, double rate,
                           unsigned burst) {
  tenant_buckets *bs;
  tenant_bucket *b = NULL;
  store_db *db;
  unsigned wait;
  size_t i;
  if (rate <= 0)
    return 0;
  if ((db = engine_store(sm, NULL))) {
    int rc = store_bucket_take(db, name, rate, credit_bucket_size(rate, burst),
                               &wait, NULL, 0);
    if (rc == 0 || rc == 1)
      return rc ? wait : 0;
    /* 2: not shared; -1: the store cannot answer */
  }
  pthread_mutex_lock(&sm->tenant_lock);
  if (!sm->tenant_buckets &&
      !(sm->tenant_buckets = calloc(1, sizeof(tenant_buckets)))) {
    pthread_mutex_unlock(&sm->tenant_lock);
    return TOKEN_OOM;
  }
  bs = sm->tenant_buckets;
  for (i = 0; i < bs->n && !b; i++)
    if (strcmp(bs->v[i].name, name) == 0)
      b = &bs->v[i];
  if (!b) {
    if ((b = VEC_PUSH(bs->v, bs->n, bs->cap)) && !(b->name = str_dup(name)))
      bs->n--; /* the slot given back */
    if (!b || !b->name) {
      pthread_mutex_unlock(&sm->tenant_lock);
      return TOKEN_OOM;
    }
  }
  wait = credit_bucket_take(&b->b, rate, burst, 1, mono_s());
  pthread_mutex_unlock(&sm->tenant_lock);
  return wait;
}

void tenant_state_free(struct smsmux *sm) {
  tenant_buckets *bs = sm->tenant_buckets;
  size_t i;
  if (!bs)
    return;
  for (i = 0; i < bs->n; i++)
    free(bs->v[i].name);
  free(bs->v);
  free(bs);
  sm->tenant_buckets = NULL;
}

/* ------------------------------------------------------------ submit --- */

void tenant_charge_clear(tenant_charge *c) {
  free(c->tenant);
  free(c->refund_on);
  free(c->callback_url);
  memset(c, 0, sizeof *c);
}

static const cfg_plan *plan_of(struct smsmux *sm, const store_tenant *t) {
  return t->plan && *t->plan ? cfg_plan_find(sm->cfg, t->plan) : NULL;
}

int64_t tenant_unit_price(struct smsmux *sm, const char *tenant,
                          smsmux_kind kind, unsigned segments,
                          const char *number) {
  store_tenant t;
  store_db *db;
  int64_t u;
  smsmux_error e;
  if (!tenant || !*tenant || !(db = engine_store(sm, &e)) ||
      store_tenant_get(db, tenant, &t) != 0)
    return cfg_plan_units(NULL, kind, segments, number);
  u = cfg_plan_units(plan_of(sm, &t), kind, segments, number);
  store_tenant_clear(&t);
  return u;
}

/* The route a message would take, or NULL (err) when none would. */
static char *route_of(struct smsmux *sm, const smsmux_send_request *req,
                      smsmux_error *err) {
  smsmux_route_explain *x = engine_explain(sm, req);
  char *r = NULL;
  if (!x) { /* NULL only when out of memory */
    err_oom(err);
    return NULL;
  }
  if (x->route) {
    if (!(r = str_dup(x->route)))
      err_oom(err);
  } else {
    *err = x->error;
  }
  smsmux_route_explain_free(x);
  return r;
}

int tenant_submit_check(struct smsmux *sm, const char *tenant,
                        const smsmux_send_request *req,
                        const engine_checked *ck, tenant_charge *c,
                        smsmux_error *err) {
  store_tenant t;
  store_db *db;
  const cfg_plan *plan;
  unsigned wait;
  size_t i;
  int rc = -1;

  memset(c, 0, sizeof *c);
  if (!tenant || !*tenant)
    return 0;
  if (!(db = engine_store(sm, err)))
    return -1;
  if (get_tenant(db, tenant, &t, err))
    return -1;
  if (!t.enabled) {
    err_set(err, SMSMUX_ERR_AUTH, "tenant-disabled",
            "tenant %s is disabled: nothing was queued; the operator "
            "enables it again (smsmux tenant enable %s)",
            tenant, tenant);
    goto out;
  }
  if (!credit_list_allows(t.senders, req->from)) {
    err_set(err, SMSMUX_ERR_AUTH, "sender-not-allowed",
            "sender \"%.40s\" is not one tenant %s may use (allowed: %s): "
            "nothing was queued",
            req->from ? req->from : "(none)", tenant, t.senders);
    goto out;
  }
  if (t.routes && *t.routes) {
    char *route;
    if (req->provider && *req->provider) {
      err_set(err, SMSMUX_ERR_AUTH, "provider-not-allowed",
              "tenant %s may only use routes %s: it cannot force a "
              "provider; leave \"provider\" out",
              tenant, t.routes);
      goto out;
    }
    if (!(route = route_of(sm, req, err)))
      goto out;
    if (!credit_list_allows(t.routes, route)) {
      err_set(err, SMSMUX_ERR_AUTH, "route-not-allowed",
              "this message takes route %s, which tenant %s may not use "
              "(allowed: %s): nothing was queued",
              route, tenant, t.routes);
      free(route);
      goto out;
    }
    free(route);
  }
  if (t.plan && *t.plan && !(plan = plan_of(sm, &t))) {
    err_set(err, SMSMUX_ERR_CONFIG, "unknown-plan",
            "tenant %s is on plan %s, which the configuration does not "
            "define: add [plan.%s] to %s or change the tenant's plan",
            tenant, t.plan, t.plan, sm->cfg->path);
    goto out;
  }
  plan = plan_of(sm, &t);
  for (i = 0; i < ck->n_to; i++) {
    int64_t u = cfg_plan_units(plan, req->kind, ck->segments, ck->to[i]);
    if (i == 0) {
      c->unit_price = u;
    } else if (u != c->unit_price) {
      err_set(err, SMSMUX_ERR_INPUT, "mixed-prices",
              "%s and %s cost %lld and %lld units on plan %s: send them "
              "as separate messages (nothing was queued)",
              ck->to[0], ck->to[i], (long long)c->unit_price, (long long)u,
              t.plan);
      goto out;
    }
  }
  if ((wait = take_token(sm, tenant, t.rate, t.burst)) == TOKEN_OOM) {
    err_oom(err);
    goto out;
  }
  if (wait) {
    err_set(err, SMSMUX_ERR_TEMPORARY, "rate-limited",
            "tenant %s sends at most %g messages a second (burst %u): "
            "nothing was queued; retry in %u s",
            tenant, t.rate, (unsigned)credit_bucket_size(t.rate, t.burst),
            wait);
    goto out;
  }
  c->tenant = str_dup(tenant);
  c->refund_on = plan && plan->refund ? str_dup(plan->refund) : NULL;
  c->callback_url =
      t.callback_url && *t.callback_url ? str_dup(t.callback_url) : NULL;
  if (!c->tenant || (plan && plan->refund && !c->refund_on) ||
      (t.callback_url && *t.callback_url && !c->callback_url)) {
    tenant_charge_clear(c);
    err_oom(err);
    goto out;
  }
  c->low_balance = t.low_balance;
  rc = 0;
out:
  store_tenant_clear(&t);
  return rc;
}

void tenant_short_error(struct smsmux *sm, const tenant_charge *c,
                        size_t n_rcpts, smsmux_error *err) {
  store_tenant t;
  store_db *db = engine_store(sm, NULL);
  long long bal = -1;
  if (db && store_tenant_get(db, c->tenant, &t) == 0) {
    bal = (long long)t.balance;
    store_tenant_clear(&t);
  }
  err_set(err, SMSMUX_ERR_CREDIT, "insufficient-units",
          "tenant %s has %lld units; this message needs %lld (%lld per "
          "recipient x %zu): nothing was queued; buy more units (smsmux "
          "tenant credit %s UNITS)",
          c->tenant, bal, (long long)(c->unit_price * (int64_t)n_rcpts),
          (long long)c->unit_price, n_rcpts, c->tenant);
}

unsigned smsmux_error_retry_after(const smsmux_error *err) {
  const char *p;
  unsigned long v;
  if (!err || strcmp(err->code, "rate-limited") != 0 ||
      !(p = strstr(err->message, "retry in ")))
    return 0;
  v = strtoul(p + 9, NULL, 10);
  return v ? (unsigned)v : 1;
}

/* ------------------------------------------------------ webhooks ------ */

#define SECRET_MAX 256

const char *smsmux_tenant_webhook_secret(void *ud, const char *tenant) {
  static __thread char buf[SECRET_MAX + 1];
  struct smsmux *sm = ud;
  store_tenant t;
  store_db *db;
  const char *out = NULL;
  if (!sm || !tenant || !*tenant || !(db = engine_store(sm, NULL)) ||
      store_tenant_get(db, tenant, &t) != 0)
    return NULL;
  if (t.webhook_secret && *t.webhook_secret &&
      strlen(t.webhook_secret) <= SECRET_MAX) {
    memcpy(buf, t.webhook_secret, strlen(t.webhook_secret) + 1);
    out = buf;
  }
  if (t.webhook_secret)
    memset(t.webhook_secret, 0, strlen(t.webhook_secret));
  store_tenant_clear(&t);
  return out;
}

/* ------------------------------------------------- low-balance event --- */

/* The event, POSTed once to the tenant's callback_url (signed like the
   other webhooks with its webhook_secret).  Not retried: the balance is
   in every answer and in GET /v1/account. */
static void post_low_balance(struct smsmux *sm, const store_tenant *t) {
  json_object *o = json_object_new_object();
  char id[96], *body, sig[80 + 64] = "", *hdrs[2];
  httpc_pool *pool;
  httpc_request rq;
  httpc_failure f;
  strbuf answer = {NULL, 0, 0, 0};
  long status = 0;
  size_t n_h = 1;
  snprintf(id, sizeof id, "low-balance-%s-%lld", t->name,
           (long long)now_s());
  json_object_object_add(o, "event", json_object_new_string(id));
  json_object_object_add(o, "type", json_object_new_string("low_balance"));
  json_object_object_add(o, "tenant", json_object_new_string(t->name));
  json_object_object_add(o, "balance", json_object_new_int64(t->balance));
  json_object_object_add(o, "threshold",
                         json_object_new_int64(t->low_balance));
  json_object_object_add(o, "at", jtime(now_s()));
  body = jtext(o, NULL);
  if (!body)
    return;
  if (t->webhook_secret && *t->webhook_secret) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0, i;
    size_t k = strlen("X-Smsmux-Signature: sha256=");
    if (HMAC(EVP_sha256(), t->webhook_secret,
             (int)strlen(t->webhook_secret), (const unsigned char *)body,
             strlen(body), md, &len)) {
      memcpy(sig, "X-Smsmux-Signature: sha256=", k);
      for (i = 0; i < len && k + 2 < sizeof sig; i++) {
        sig[k++] = "0123456789abcdef"[md[i] >> 4];
        sig[k++] = "0123456789abcdef"[md[i] & 15];
      }
      sig[k] = '\0';
    }
  }
  {
    char evh[128];
    snprintf(evh, sizeof evh, "X-Smsmux-Event: %s", id);
    hdrs[0] = evh;
    if (*sig)
      hdrs[n_h++] = sig;
    pool = httpc_pool_new();
    memset(&rq, 0, sizeof rq);
    rq.method = SMSMUX_HTTP_POST;
    rq.url = t->callback_url;
    rq.body_kind = SMSMUX_BODY_RAW;
    rq.body = body;
    rq.body_len = strlen(body);
    rq.content_type = "application/json";
    rq.headers = (const char *const *)hdrs;
    rq.n_headers = n_h;
    rq.timeout = 5;
    if (pool && httpc_perform(pool, &rq, &status, &answer, &f) == 0 &&
        status >= 200 && status < 300)
      log_write(&sm->log, SMSMUX_LOG_INFO,
                "tenant %s: low-balance event delivered (%lld units left)",
                t->name, (long long)t->balance);
    else
      log_write(&sm->log, SMSMUX_LOG_WARNING,
                "tenant %s: the low-balance event could not be delivered "
                "(HTTP %ld)",
                t->name, status);
    httpc_pool_free(pool);
    sb_free(&answer);
  }
  free(body);
}

void tenant_after_charge(struct smsmux *sm, const tenant_charge *c,
                         int64_t spent) {
  store_tenant t;
  store_db *db;
  if (!c->tenant || c->low_balance <= 0 || spent <= 0 ||
      !(db = engine_store(sm, NULL)) ||
      store_tenant_get(db, c->tenant, &t) != 0)
    return;
  /* crossed with this charge: at or above before, below after */
  if (t.balance < t.low_balance && t.balance + spent >= t.low_balance) {
    log_write(&sm->log, SMSMUX_LOG_WARNING,
              "tenant %s: balance %lld units, below its threshold %lld",
              t.name, (long long)t.balance, (long long)t.low_balance);
    if (t.callback_url && *t.callback_url &&
        strncmp(t.callback_url, "http", 4) == 0)
      post_low_balance(sm, &t);
  }
  store_tenant_clear(&t);
}

/* ------------------------------------------------------ the documents -- */

static json_object *tenant_object(store_db *db, const store_tenant *t,
                                  int with_keys) {
  json_object *o = json_object_new_object(), *arr;
  store_tenant *rows = NULL;
  size_t n = 0, i;
  json_object_object_add(o, "name", jstr(t->name));
  json_object_object_add(o, "parent", jstr(t->parent));
  json_object_object_add(o, "plan", t->plan && *t->plan ? jstr(t->plan)
                                                        : NULL);
  json_object_object_add(o, "balance", json_object_new_int64(t->balance));
  json_object_object_add(o, "low_balance",
                         json_object_new_int64(t->low_balance));
  json_object_object_add(o, "rate", json_object_new_double(t->rate));
  json_object_object_add(o, "burst", json_object_new_int64(
                                         (int64_t)credit_bucket_size(
                                             t->rate, t->burst)));
  json_object_object_add(o, "senders",
                         t->senders && *t->senders ? jstr(t->senders)
                                                   : NULL);
  json_object_object_add(o, "routes",
                         t->routes && *t->routes ? jstr(t->routes) : NULL);
  json_object_object_add(o, "callback_url",
                         t->callback_url && *t->callback_url
                             ? jstr(t->callback_url)
                             : NULL);
  json_object_object_add(
      o, "webhook_secret",
      json_object_new_boolean(t->webhook_secret && *t->webhook_secret));
  json_object_object_add(o, "enabled", json_object_new_boolean(t->enabled));
  json_object_object_add(o, "created", jtime(t->created));
  if (with_keys) {
    store_key_row *keys = NULL;
    arr = json_object_new_array();
    if (store_key_list(db, t->name, &keys, &n) == 0) {
      for (i = 0; i < n; i++) {
        json_object *k = json_object_new_object();
        json_object_object_add(k, "id", jstr(keys[i].id));
        json_object_object_add(k, "label", jstr(keys[i].label));
        json_object_object_add(k, "created", jtime(keys[i].created));
        json_object_object_add(k, "revoked", jtime(keys[i].revoked));
        json_object_array_add(arr, k);
      }
      store_key_rows_free(keys, n);
    }
    json_object_object_add(o, "keys", arr);
  }
  arr = json_object_new_array();
  n = 0;
  if (store_tenant_list(db, t->name, &rows, &n) == 0) {
    for (i = 0; i < n; i++)
      json_object_array_add(arr, json_object_new_string(rows[i].name));
    store_tenant_rows_free(rows, n);
  }
  json_object_object_add(o, "customers", arr);
  return o;
}

static char *tenant_doc(store_db *db, const char *name, smsmux_error *err) {
  store_tenant t;
  json_object *o;
  if (get_tenant(db, name, &t, err))
    return NULL;
  o = tenant_object(db, &t, 1);
  store_tenant_clear(&t);
  return jtext(o, err);
}

char *smsmux_tenant_json(smsmux *sm, const char *name, smsmux_error *err) {
  store_db *db;
  err_clear(err);
  if (!(db = engine_store(sm, err)))
    return NULL;
  return tenant_doc(db, name, err);
}

char *smsmux_tenants_json(smsmux *sm, const char *parent, smsmux_error *err) {
  store_db *db;
  store_tenant *rows = NULL;
  size_t n = 0, i;
  json_object *o, *arr;
  err_clear(err);
  if (!(db = engine_store(sm, err)))
    return NULL;
  if (parent && check_name(parent, err))
    return NULL;
  if (store_tenant_list(db, parent, &rows, &n)) {
    store_failed(err, "cannot list the tenants", NULL);
    return NULL;
  }
  o = json_object_new_object();
  arr = json_object_new_array();
  for (i = 0; i < n; i++)
    json_object_array_add(arr, tenant_object(db, &rows[i], 0));
  store_tenant_rows_free(rows, n);
  json_object_object_add(o, "tenants", arr);
  return jtext(o, err);
}

/* ------------------------------------------------------ add, update ---- */

void smsmux_tenant_settings_init(smsmux_tenant_settings *s) {
  memset(s, 0, sizeof *s);
  s->size = sizeof *s;
  s->rate = -1;
  s->burst = -1;
  s->low_balance = -1;
  s->enabled = -1;
}

static int check_settings(struct smsmux *sm, const smsmux_tenant_settings *s,
                          smsmux_error *err) {
  if (!s)
    return 0;
  if (s->plan && *s->plan && !cfg_plan_find(sm->cfg, s->plan)) {
    char known[512] = "";
    size_t i;
    for (i = 0; i < sm->cfg->n_plans; i++) {
      size_t l = strlen(known);
      snprintf(known + l, sizeof known - l, "%s%s", i ? ", " : "",
               sm->cfg->plans[i].name);
    }
    err_set(err, SMSMUX_ERR_INPUT, "unknown-plan",
            "plan \"%.64s\" is not in the configuration (%s); add a "
            "[plan.%.64s] section or pick one of: %s",
            s->plan, sm->cfg->path, s->plan, *known ? known : "(none)");
    return -1;
  }
  if (s->callback_url && *s->callback_url &&
      strncmp(s->callback_url, "http://", 7) != 0 &&
      strncmp(s->callback_url, "https://", 8) != 0 &&
      strncmp(s->callback_url, "kannel:", 7) != 0) {
    err_set(err, SMSMUX_ERR_INPUT, "bad-value",
            "callback URL: not an http:// or https:// URL");
    return -1;
  }
  if (s->webhook_secret && strlen(s->webhook_secret) > SECRET_MAX) {
    err_set(err, SMSMUX_ERR_INPUT, "bad-value",
            "webhook secret: at most %d characters", SECRET_MAX);
    return -1;
  }
  if (s->senders && strlen(s->senders) > 4096) {
    err_set(err, SMSMUX_ERR_INPUT, "bad-value",
            "senders: at most 4096 characters");
    return -1;
  }
  if (s->routes && strlen(s->routes) > 4096) {
    err_set(err, SMSMUX_ERR_INPUT, "bad-value",
            "routes: at most 4096 characters");
    return -1;
  }
  if (s->rate > 1e6 || s->burst > 1000000 ||
      s->low_balance > (int64_t)1e15) {
    err_set(err, SMSMUX_ERR_INPUT, "bad-value",
            "rate, burst or low-balance threshold out of range (rate at "
            "most 1000000/s, burst 1000000)");
    return -1;
  }
  return 0;
}

static void settings_to_store(const smsmux_tenant_settings *s,
                              store_tenant *t, int add) {
  memset(t, 0, sizeof *t);
  t->rate = add ? 0 : -1;
  t->enabled = add ? 1 : -1;
  t->low_balance = add ? 0 : -1;
  if (!s)
    return;
  t->parent = (char *)(s->parent && *s->parent ? s->parent : NULL);
  t->plan = (char *)s->plan;
  t->senders = (char *)s->senders;
  t->routes = (char *)s->routes;
  t->callback_url = (char *)s->callback_url;
  t->webhook_secret = (char *)s->webhook_secret;
  if (s->rate >= 0)
    t->rate = s->rate;
  if (s->burst >= 0)
    t->burst = (unsigned)s->burst;
  if (s->low_balance >= 0)
    t->low_balance = s->low_balance;
  if (s->enabled >= 0)
    t->enabled = s->enabled ? 1 : 0;
}

char *smsmux_tenant_add(smsmux *sm, const char *name,
                        const smsmux_tenant_settings *s, smsmux_error *err) {
  store_db *db;
  store_tenant t;
  char msg[512] = "";
  int rc;
  err_clear(err);
  if (check_name(name, err) || check_settings(sm, s, err))
    return NULL;
  if (s && s->parent && *s->parent && check_name(s->parent, err))
    return NULL;
  if (!(db = engine_store(sm, err)))
    return NULL;
  settings_to_store(s, &t, 1);
  t.name = (char *)name;
  rc = store_tenant_add(db, &t, msg, sizeof msg);
  if (rc == 1) {
    err_set(err, SMSMUX_ERR_INPUT, "exists",
            "tenant %s exists already (`smsmux tenant show %s`)", name,
            name);
    return NULL;
  }
  if (rc == 2) {
    err_set(err, SMSMUX_ERR_INPUT, "not-found",
            "no tenant %s to be the parent of %s: add the reseller first "
            "(smsmux tenant add %s)",
            s->parent, name, s->parent);
    return NULL;
  }
  if (rc) {
    store_failed(err, "cannot add the tenant", msg);
    return NULL;
  }
  return tenant_doc(db, name, err);
}

char *smsmux_tenant_update(smsmux *sm, const char *name,
                           const smsmux_tenant_settings *s,
                           smsmux_error *err) {
  store_db *db;
  store_tenant t, cur;
  char msg[512] = "";
  int rc;
  err_clear(err);
  if (check_name(name, err) || check_settings(sm, s, err))
    return NULL;
  if (!(db = engine_store(sm, err)))
    return NULL;
  if (get_tenant(db, name, &cur, err))
    return NULL;
  settings_to_store(s, &t, 0);
  t.parent = NULL;
  t.name = (char *)name;
  if (!s || s->burst < 0) /* the store always sets it */
    t.burst = cur.burst;
  store_tenant_clear(&cur);
  rc = store_tenant_update(db, &t, msg, sizeof msg);
  if (rc == 1) {
    not_found(err, name);
    return NULL;
  }
  if (rc) {
    store_failed(err, "cannot change the tenant", msg);
    return NULL;
  }
  return tenant_doc(db, name, err);
}

/* ------------------------------------------------------------ ledger --- */

static int64_t balance_of(store_db *db, const char *name) {
  store_tenant t;
  int64_t b = -1;
  if (store_tenant_get(db, name, &t) == 0) {
    b = t.balance;
    store_tenant_clear(&t);
  }
  return b;
}

static int check_units(int64_t units, smsmux_error *err) {
  if (units > 0 && units <= (int64_t)1e12)
    return 0;
  err_set(err, SMSMUX_ERR_INPUT, "bad-value",
          "units: a whole number from 1 to 1000000000000");
  return -1;
}

char *smsmux_tenant_credit(smsmux *sm, const char *name, int64_t units,
                           const char *from, const char *actor,
                           smsmux_error *err) {
  store_db *db;
  store_tenant t;
  char msg[512] = "";
  json_object *o;
  int rc;
  err_clear(err);
  if (check_units(units, err) || !(db = engine_store(sm, err)))
    return NULL;
  if (get_tenant(db, name, &t, err))
    return NULL;
  if (!actor || !*actor)
    actor = "operator";
  if (from && *from) {
    if (!t.parent || strcmp(t.parent, from) != 0) {
      err_set(err, SMSMUX_ERR_INPUT, "not-parent",
              "%s is not the reseller of %s (%s%s): a reseller sells units "
              "to its own customers only",
              from, name, t.parent ? "its parent is " : "it has no parent",
              t.parent ? t.parent : "");
      store_tenant_clear(&t);
      return NULL;
    }
    rc = store_ledger_transfer(db, from, name, units, actor, msg,
                               sizeof msg);
  } else {
    rc = store_ledger_add(db, name, NULL, units, "credit", actor, NULL, msg,
                          sizeof msg);
  }
  store_tenant_clear(&t);
  if (rc == 1) {
    err_set(err, SMSMUX_ERR_CREDIT, "insufficient-units",
            "%s has %lld units, not the %lld to move to %s: nothing was "
            "moved; credit %s first",
            from, (long long)balance_of(db, from), (long long)units, name,
            from);
    return NULL;
  }
  if (rc == 2) {
    not_found(err, from ? from : name);
    return NULL;
  }
  if (rc) {
    store_failed(err, "cannot credit the tenant", msg);
    return NULL;
  }
  o = json_object_new_object();
  json_object_object_add(o, "tenant", json_object_new_string(name));
  json_object_object_add(o, "units", json_object_new_int64(units));
  json_object_object_add(o, "balance",
                         json_object_new_int64(balance_of(db, name)));
  json_object_object_add(o, "from", jstr(from && *from ? from : NULL));
  json_object_object_add(o, "from_balance",
                         from && *from
                             ? json_object_new_int64(balance_of(db, from))
                             : NULL);
  return jtext(o, err);
}

char *smsmux_tenant_debit(smsmux *sm, const char *name, int64_t units,
                          const char *actor, smsmux_error *err) {
  store_db *db;
  char msg[512] = "";
  json_object *o;
  int64_t bal = 0;
  int rc;
  err_clear(err);
  if (check_units(units, err) || check_name(name, err) ||
      !(db = engine_store(sm, err)))
    return NULL;
  rc = store_ledger_add(db, name, NULL, -units, "debit",
                        actor && *actor ? actor : "operator", &bal, msg,
                        sizeof msg);
  if (rc == 1) {
    err_set(err, SMSMUX_ERR_CREDIT, "insufficient-units",
            "%s has %lld units, fewer than the %lld to take: nothing was "
            "taken",
            name, (long long)balance_of(db, name), (long long)units);
    return NULL;
  }
  if (rc == 2) {
    not_found(err, name);
    return NULL;
  }
  if (rc) {
    store_failed(err, "cannot debit the tenant", msg);
    return NULL;
  }
  {
    /* a debit may take it below its threshold too */
    store_tenant t;
    if (store_tenant_get(db, name, &t) == 0) {
      tenant_charge c;
      memset(&c, 0, sizeof c);
      c.tenant = t.name;
      c.low_balance = t.low_balance;
      tenant_after_charge(sm, &c, units);
      store_tenant_clear(&t);
    }
  }
  o = json_object_new_object();
  json_object_object_add(o, "tenant", json_object_new_string(name));
  json_object_object_add(o, "units", json_object_new_int64(units));
  json_object_object_add(o, "balance", json_object_new_int64(bal));
  return jtext(o, err);
}

static int by_seq(const void *a, const void *b) {
  const store_ledger_row *x = a, *y = b;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

char *smsmux_tenant_ledger_json(smsmux *sm, const char *name, int64_t since,
                                unsigned limit, smsmux_error *err) {
  store_db *db;
  store_tenant t;
  store_ledger_row *rows = NULL;
  size_t n = 0, i;
  json_object *o, *arr;
  err_clear(err);
  if (!(db = engine_store(sm, err)) || get_tenant(db, name, &t, err))
    return NULL;
  store_tenant_clear(&t);
  if (store_ledger_list(db, name, since, limit ? limit : 1000, &rows, &n)) {
    store_failed(err, "cannot read the ledger", NULL);
    return NULL;
  }
  if (n > 1)
    qsort(rows, n, sizeof *rows, by_seq);
  o = json_object_new_object();
  arr = json_object_new_array();
  for (i = 0; i < n; i++) {
    json_object *x = json_object_new_object();
    json_object_object_add(x, "seq", json_object_new_int64(rows[i].seq));
    json_object_object_add(x, "message_id", jstr(rows[i].message_id));
    json_object_object_add(x, "delta", json_object_new_int64(rows[i].delta));
    json_object_object_add(x, "reason", jstr(rows[i].reason));
    json_object_object_add(x, "actor", jstr(rows[i].actor));
    json_object_object_add(x, "at", jtime(rows[i].at));
    json_object_array_add(arr, x);
  }
  store_ledger_rows_free(rows, n);
  json_object_object_add(o, "tenant", json_object_new_string(name));
  json_object_object_add(o, "entries", arr);
  return jtext(o, err);
}

char *smsmux_ledger_check_json(smsmux *sm, smsmux_error *err) {
  store_db *db;
  char **bad = NULL;
  size_t n = 0, i;
  json_object *o, *arr;
  err_clear(err);
  if (!(db = engine_store(sm, err)))
    return NULL;
  if (store_ledger_check(db, &bad, &n)) {
    store_failed(err, "cannot check the ledger", NULL);
    return NULL;
  }
  o = json_object_new_object();
  arr = json_object_new_array();
  for (i = 0; i < n; i++) {
    json_object_array_add(arr, json_object_new_string(bad[i]));
    free(bad[i]);
  }
  free(bad);
  json_object_object_add(o, "ok", json_object_new_boolean(n == 0));
  json_object_object_add(o, "bad", arr);
  return jtext(o, err);
}

/* -------------------------------------------------------------- keys --- */

char *smsmux_tenant_key_add(smsmux *sm, const char *name, const char *label,
                            smsmux_error *err) {
  store_db *db;
  char key[CREDIT_KEY_LEN + 1], hex[65], msg[512] = "";
  json_object *o;
  char *out;
  int rc;
  err_clear(err);
  if (check_name(name, err) || !(db = engine_store(sm, err)))
    return NULL;
  if (label && (strlen(label) > 64 || !*label)) {
    err_set(err, SMSMUX_ERR_INPUT, "bad-value",
            "key label: 1 to 64 characters");
    return NULL;
  }
  if (credit_key_new(key) || credit_key_hash(key, hex)) {
    err_set(err, SMSMUX_ERR_SYSTEM, NULL,
            "cannot make a key: no randomness (getrandom) or no SHA-256");
    return NULL;
  }
  rc = store_key_add(db, name, hex, label, msg, sizeof msg);
  if (rc) {
    memset(key, 0, sizeof key);
    if (rc == 1)
      not_found(err, name);
    else
      store_failed(err, "cannot add the key", msg);
    return NULL;
  }
  o = json_object_new_object();
  json_object_object_add(o, "tenant", json_object_new_string(name));
  hex[8] = '\0';
  json_object_object_add(o, "id", json_object_new_string(hex));
  json_object_object_add(o, "label", jstr(label));
  json_object_object_add(o, "key", json_object_new_string(key));
  memset(key, 0, sizeof key);
  out = jtext(o, err);
  return out;
}

int smsmux_tenant_key_revoke(smsmux *sm, const char *name, const char *which,
                             smsmux_error *err) {
  store_db *db;
  char msg[512] = "";
  int rc;
  err_clear(err);
  if (check_name(name, err) || !(db = engine_store(sm, err)))
    return -1;
  if (!which || !*which) {
    err_set(err, SMSMUX_ERR_INPUT, "bad-value",
            "say which key: its id (`smsmux tenant show %s`) or label",
            name);
    return -1;
  }
  rc = store_key_revoke(db, name, which, msg, sizeof msg);
  if (rc == 0)
    return 0;
  if (rc == 1)
    err_set(err, SMSMUX_ERR_INPUT, "not-found",
            "tenant %s has no live key with id or label \"%.64s\" (`smsmux "
            "tenant show %s` lists its keys)",
            name, which, name);
  else
    store_failed(err, "cannot revoke the key", msg);
  return -1;
}

int smsmux_tenant_authenticate(smsmux *sm, const char *key, char **tenant,
                               smsmux_error *err) {
  store_db *db;
  char hex[65];
  int rc;
  err_clear(err);
  *tenant = NULL;
  if (!credit_key_shape_ok(key))
    return 1;
  if (!(db = engine_store(sm, err)))
    return -1;
  if (credit_key_hash(key, hex)) {
    err_set(err, SMSMUX_ERR_SYSTEM, NULL, "no SHA-256 (libcrypto)");
    return -1;
  }
  rc = store_key_lookup(db, hex, tenant);
  if (rc < 0) {
    store_failed(err, "cannot look the key up", NULL);
    return -1;
  }
  return rc == 0 ? 0 : 1;
}

/* ------------------------------------------------------------- usage --- */

static void csv_field(strbuf *b, const char *s) {
  if (!s)
    return;
  if (strpbrk(s, ",\"\r\n")) {
    sb_add(b, "\"", 1);
    for (; *s; s++) {
      if (*s == '"')
        sb_add(b, "\"", 1);
      sb_add(b, s, 1);
    }
    sb_add(b, "\"", 1);
  } else {
    sb_adds(b, s);
  }
}

char *smsmux_tenant_usage(smsmux *sm, const char *name, int tree,
                          int64_t since, int64_t until, int csv,
                          smsmux_error *err) {
  store_db *db;
  store_usage_row *rows = NULL;
  size_t n = 0, i;
  int64_t total = 0;
  err_clear(err);
  if (!(db = engine_store(sm, err)))
    return NULL;
  if (name) {
    store_tenant t;
    if (get_tenant(db, name, &t, err))
      return NULL;
    store_tenant_clear(&t);
  }
  if (until <= 0)
    until = now_s() + 1;
  if (store_usage(db, name, tree, since, until, &rows, &n)) {
    store_failed(err, "cannot read the usage", NULL);
    return NULL;
  }
  for (i = 0; i < n; i++)
    total += rows[i].units;
  if (csv) {
    strbuf b = {NULL, 0, 0, 0};
    sb_adds(&b, "tenant,provider,status,messages,recipients,units\n");
    for (i = 0; i < n; i++) {
      csv_field(&b, rows[i].tenant);
      sb_add(&b, ",", 1);
      csv_field(&b, rows[i].provider);
      sb_add(&b, ",", 1);
      csv_field(&b, rows[i].status);
      sb_addf(&b, ",%lu,%lu,%lld\n", rows[i].messages,
                  rows[i].recipients, (long long)rows[i].units);
    }
    store_usage_rows_free(rows, n);
    return sb_steal(&b);
  } else {
    json_object *o = json_object_new_object(), *arr = json_object_new_array();
    for (i = 0; i < n; i++) {
      json_object *x = json_object_new_object();
      json_object_object_add(x, "tenant", jstr(rows[i].tenant));
      json_object_object_add(x, "provider", jstr(rows[i].provider));
      json_object_object_add(x, "status", jstr(rows[i].status));
      json_object_object_add(x, "messages",
                             json_object_new_int64((int64_t)rows[i].messages));
      json_object_object_add(
          x, "recipients", json_object_new_int64((int64_t)rows[i].recipients));
      json_object_object_add(x, "units",
                             json_object_new_int64(rows[i].units));
      json_object_array_add(arr, x);
    }
    store_usage_rows_free(rows, n);
    json_object_object_add(o, "since", jtime(since));
    json_object_object_add(o, "until", jtime(until));
    json_object_object_add(o, "rows", arr);
    json_object_object_add(o, "units", json_object_new_int64(total));
    return jtext(o, err);
  }
}

/* ------------------------------------------------------------- route --- */

char *smsmux_route_tenant_json(smsmux *sm, const char *tenant,
                               const smsmux_send_request *req,
                               smsmux_error *err) {
  smsmux_route_explain *x;
  engine_checked ck;
  store_db *db;
  store_tenant t;
  json_object *o;
  char *doc;
  int64_t units = 0;
  size_t i;
  err_clear(err);
  if (!(db = engine_store(sm, err)) || get_tenant(db, tenant, &t, err))
    return NULL;
  if (engine_check(sm, req, &ck, err)) {
    store_tenant_clear(&t);
    return NULL;
  }
  for (i = 0; i < ck.n_to; i++)
    units += cfg_plan_units(plan_of(sm, &t), req->kind, ck.segments,
                            ck.to[i]);
  engine_checked_clear(&ck);
  x = engine_explain(sm, req);
  doc = smsmux_route_explain_json(x);
  smsmux_route_explain_free(x);
  o = doc ? json_tokener_parse(doc) : NULL;
  free(doc);
  if (!o) {
    store_tenant_clear(&t);
    err_set(err, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
    return NULL;
  }
  json_object_object_add(o, "tenant", json_object_new_string(tenant));
  json_object_object_add(o, "plan", t.plan && *t.plan ? jstr(t.plan) : NULL);
  json_object_object_add(o, "units", json_object_new_int64(units));
  json_object_object_add(o, "balance", json_object_new_int64(t.balance));
  store_tenant_clear(&t);
  return jtext(o, err);
}
