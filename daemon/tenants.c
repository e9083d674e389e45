/* tenants: the administration of tenants over HTTP, the same as `smsmux
 * tenant` (the library's tenant functions answer the documents):
 *
 *   admin key:   GET|POST /v1/admin/tenants, GET|PATCH /v1/admin/tenants/N,
 *                POST /v1/admin/tenants/N/credit|debit,
 *                POST /v1/admin/tenants/N/keys, DELETE .../keys/ID,
 *                GET /v1/admin/tenants/N/usage|ledger, GET /v1/admin/usage,
 *                GET /v1/admin/ledger/check
 *   tenant key:  GET /v1/account, GET /v1/account/usage (with its
 *                customers), POST /v1/account/transfer (a reseller sells
 *                units to one of its customers)
 *
 * A key is in one answer only: the one that creates it. */
#include "daemon.h"

#include <microhttpd.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define ADMIN "/v1/admin/"

static void not_allowed(http_answer *a, const char *allow) {
  api_error(a, 405, SMSMUX_ERR_INPUT, "method-not-allowed",
            "this path answers %s", allow);
  a->allow = allow;
}

/* The answer: `doc` with `status`, or the library's error. */
static void reply(http_answer *a, unsigned status, char *doc,
                  const smsmux_error *err) {
  if (!doc) {
    api_lib_error(a, err);
    return;
  }
  a->status = status;
  a->type = NULL;
  free(a->body);
  a->body = doc;
}

/* The body as a JSON object, or NULL after a 400/415 answer. */
static json_object *body_object(const http_req *r, http_answer *a) {
  const char *ct = api_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
  json_object *o;
  if (!ct || strncasecmp(ct, "application/json", 16) != 0) {
    api_error(a, 415, SMSMUX_ERR_INPUT, "unsupported-media-type",
              "send a JSON object (Content-Type: application/json)");
    return NULL;
  }
  o = r->body ? json_tokener_parse(r->body) : NULL;
  if (!o || !json_object_is_type(o, json_type_object)) {
    if (o)
      json_object_put(o);
    api_error(a, 400, SMSMUX_ERR_INPUT, "bad-json",
              "the body is not a JSON object");
    return NULL;
  }
  return o;
}

/* Fields of a tenant's settings; -1 after a 400 answer naming the field. */
static int settings_of(json_object *o, smsmux_tenant_settings *s, int add,
                       http_answer *a) {
  static const char *const str_fields[] = {
      "parent", "plan", "senders", "routes", "callback_url",
      "webhook_secret", NULL};
  const char **slots[6];
  size_t i;
  smsmux_tenant_settings_init(s);
  slots[0] = &s->parent;
  slots[1] = &s->plan;
  slots[2] = &s->senders;
  slots[3] = &s->routes;
  slots[4] = &s->callback_url;
  slots[5] = &s->webhook_secret;
  json_object_object_foreach(o, key, val) {
    int known = 0;
    for (i = 0; str_fields[i]; i++)
      if (strcmp(key, str_fields[i]) == 0) {
        if (!add && i == 0) {
          api_error(a, 400, SMSMUX_ERR_INPUT, "bad-value",
                    "\"parent\" is set when the tenant is added");
          return -1;
        }
        if (val && !json_object_is_type(val, json_type_string)) {
          api_error(a, 400, SMSMUX_ERR_INPUT, "wrong-type",
                    "\"%s\" is a string", key);
          return -1;
        }
        *slots[i] = val ? json_object_get_string(val) : "";
        known = 1;
      }
    if (known || (add && strcmp(key, "name") == 0))
      continue;
    if (strcmp(key, "rate") == 0 || strcmp(key, "burst") == 0 ||
        strcmp(key, "low_balance") == 0) {
      if (!val || (!json_object_is_type(val, json_type_int) &&
                   !json_object_is_type(val, json_type_double)) ||
          json_object_get_double(val) < 0) {
        api_error(a, 400, SMSMUX_ERR_INPUT, "wrong-type",
                  "\"%s\" is a number, 0 or more", key);
        return -1;
      }
      if (*key == 'r')
        s->rate = json_object_get_double(val);
      else if (*key == 'b')
        s->burst = (long)json_object_get_int64(val);
      else
        s->low_balance = json_object_get_int64(val);
    } else if (strcmp(key, "enabled") == 0) {
      if (!val || !json_object_is_type(val, json_type_boolean)) {
        api_error(a, 400, SMSMUX_ERR_INPUT, "wrong-type",
                  "\"enabled\" is true or false");
        return -1;
      }
      s->enabled = json_object_get_boolean(val);
    } else {
      api_error(a, 400, SMSMUX_ERR_INPUT, "unknown-field",
                "unknown field \"%.64s\" (known: %sparent, plan, senders, "
                "routes, callback_url, webhook_secret, rate, burst, "
                "low_balance, enabled)",
                key, add ? "name, " : "");
      return -1;
    }
  }
  return 0;
}

/* "units" of a body: > 0, or 0 after a 400 answer. */
static int64_t units_of(json_object *o, http_answer *a) {
  json_object *v;
  if (!json_object_object_get_ex(o, "units", &v) || !v ||
      !json_object_is_type(v, json_type_int) ||
      json_object_get_int64(v) <= 0) {
    api_error(a, 400, SMSMUX_ERR_INPUT, "bad-value",
              "\"units\": a whole number of units, 1 or more");
    return 0;
  }
  return json_object_get_int64(v);
}

static const char *str_field(json_object *o, const char *k) {
  json_object *v;
  return json_object_object_get_ex(o, k, &v) && v &&
                 json_object_is_type(v, json_type_string)
             ? json_object_get_string(v)
             : NULL;
}

/* since= / until=: Unix seconds (0: none). */
static int64_t time_arg(const http_req *r, const char *k) {
  const char *v = api_arg(r, k);
  return v ? strtoll(v, NULL, 10) : 0;
}

static void usage(smsmux *sm, const char *name, int tree, http_req *r,
                  http_answer *a) {
  smsmux_error err;
  const char *fmt = api_arg(r, "format");
  int csv = fmt && strcmp(fmt, "csv") == 0;
  char *doc;
  if (fmt && !csv && strcmp(fmt, "json") != 0) {
    api_error(a, 400, SMSMUX_ERR_INPUT, "bad-value",
              "format: json or csv");
    return;
  }
  doc = smsmux_tenant_usage(sm, name, tree, time_arg(r, "since"),
                            time_arg(r, "until"), csv, &err);
  reply(a, 200, doc, &err);
  if (doc && csv)
    a->type = "text/csv; charset=utf-8";
}

/* /v1/admin/tenants/NAME[/REST] */
static void admin_tenant(smsmux *sm, const char *name, const char *rest,
                         http_req *r, http_answer *a) {
  smsmux_error err;
  json_object *o = NULL;
  smsmux_tenant_settings s;
  memset(&err, 0, sizeof err);
  if (!*rest) {
    if (strcmp(r->method, "GET") == 0) {
      reply(a, 200, smsmux_tenant_json(sm, name, &err), &err);
    } else if (strcmp(r->method, "PATCH") == 0) {
      if (!(o = body_object(r, a)) || settings_of(o, &s, 0, a))
        goto out;
      reply(a, 200, smsmux_tenant_update(sm, name, &s, &err), &err);
    } else {
      not_allowed(a, "GET, PATCH");
    }
  } else if (strcmp(rest, "/credit") == 0 || strcmp(rest, "/debit") == 0) {
    int64_t u;
    if (strcmp(r->method, "POST") != 0) {
      not_allowed(a, "POST");
      goto out;
    }
    if (!(o = body_object(r, a)) || !(u = units_of(o, a)))
      goto out;
    if (rest[1] == 'c')
      reply(a, 200,
            smsmux_tenant_credit(sm, name, u, str_field(o, "from"), "admin",
                                 &err),
            &err);
    else
      reply(a, 200, smsmux_tenant_debit(sm, name, u, "admin", &err), &err);
  } else if (strcmp(rest, "/keys") == 0) {
    if (strcmp(r->method, "POST") == 0) {
      const char *label = NULL;
      if (r->body && r->len) {
        if (!(o = body_object(r, a)))
          goto out;
        label = str_field(o, "label");
      }
      reply(a, 201, smsmux_tenant_key_add(sm, name, label, &err), &err);
    } else if (strcmp(r->method, "GET") == 0) {
      reply(a, 200, smsmux_tenant_json(sm, name, &err), &err);
    } else {
      not_allowed(a, "GET, POST");
    }
  } else if (strncmp(rest, "/keys/", 6) == 0 && rest[6] &&
             !strchr(rest + 6, '/')) {
    if (strcmp(r->method, "DELETE") != 0) {
      not_allowed(a, "DELETE");
    } else if (smsmux_tenant_key_revoke(sm, name, rest + 6, &err)) {
      api_lib_error(a, &err);
    } else {
      a->status = 200;
      a->body = strdup("{\"revoked\":true}");
    }
  } else if (strcmp(rest, "/usage") == 0) {
    if (strcmp(r->method, "GET") != 0)
      not_allowed(a, "GET");
    else
      usage(sm, name, api_arg(r, "tree") != NULL, r, a);
  } else if (strcmp(rest, "/ledger") == 0) {
    if (strcmp(r->method, "GET") != 0)
      not_allowed(a, "GET");
    else
      reply(a, 200, smsmux_tenant_ledger_json(sm, name, 0, 0, &err), &err);
  } else {
    api_error(a, 404, SMSMUX_ERR_INPUT, "not-found",
              "no such path: see docs/API.md");
  }
out:
  if (o)
    json_object_put(o);
}

static void admin(smsmux *sm, http_req *r, http_answer *a) {
  const char *p = r->url + strlen(ADMIN);
  smsmux_error err;
  json_object *o = NULL;
  memset(&err, 0, sizeof err);
  if (strcmp(p, "tenants") == 0) {
    if (strcmp(r->method, "GET") == 0) {
      reply(a, 200, smsmux_tenants_json(sm, api_arg(r, "parent"), &err), &err);
    } else if (strcmp(r->method, "POST") == 0) {
      smsmux_tenant_settings s;
      const char *name;
      if (!(o = body_object(r, a)) || settings_of(o, &s, 1, a))
        goto out;
      if (!(name = str_field(o, "name"))) {
        api_error(a, 400, SMSMUX_ERR_INPUT, "missing-field",
                  "\"name\": the new tenant's name");
        goto out;
      }
      reply(a, 201, smsmux_tenant_add(sm, name, &s, &err), &err);
    } else {
      not_allowed(a, "GET, POST");
    }
  } else if (strncmp(p, "tenants/", 8) == 0 && p[8]) {
    char name[72];
    size_t n = strcspn(p + 8, "/");
    if (n >= sizeof name) {
      api_error(a, 404, SMSMUX_ERR_INPUT, "not-found", "no such tenant");
      goto out;
    }
    memcpy(name, p + 8, n);
    name[n] = '\0';
    admin_tenant(sm, name, p + 8 + n, r, a);
  } else if (strcmp(p, "usage") == 0) {
    if (strcmp(r->method, "GET") != 0)
      not_allowed(a, "GET");
    else
      usage(sm, NULL, 0, r, a);
  } else if (strcmp(p, "ledger/check") == 0) {
    if (strcmp(r->method, "GET") != 0)
      not_allowed(a, "GET");
    else
      reply(a, 200, smsmux_ledger_check_json(sm, &err), &err);
  } else {
    api_error(a, 404, SMSMUX_ERR_INPUT, "not-found",
              "no such path: see docs/API.md");
  }
out:
  if (o)
    json_object_put(o);
}

/* A tenant's own account. */
static void account(smsmux *sm, const char *tenant, http_req *r,
                    http_answer *a) {
  const char *p = r->url + strlen("/v1/account");
  smsmux_error err;
  memset(&err, 0, sizeof err);
  if (!*tenant) {
    api_error(a, 404, SMSMUX_ERR_INPUT, "not-found",
              "the admin key has no account: use a tenant's key (or "
              "/v1/admin/tenants)");
    return;
  }
  if (!*p) {
    if (strcmp(r->method, "GET") != 0)
      not_allowed(a, "GET");
    else
      reply(a, 200, smsmux_tenant_json(sm, tenant, &err), &err);
  } else if (strcmp(p, "/usage") == 0) {
    if (strcmp(r->method, "GET") != 0)
      not_allowed(a, "GET");
    else
      usage(sm, tenant, 1, r, a);
  } else if (strcmp(p, "/transfer") == 0) {
    json_object *o;
    const char *to;
    int64_t u;
    if (strcmp(r->method, "POST") != 0) {
      not_allowed(a, "POST");
      return;
    }
    if (!(o = body_object(r, a)))
      return;
    if (!(to = str_field(o, "to"))) {
      api_error(a, 400, SMSMUX_ERR_INPUT, "missing-field",
                "\"to\": the customer who gets the units");
    } else if ((u = units_of(o, a))) {
      char actor[96];
      snprintf(actor, sizeof actor, "tenant:%s", tenant);
      reply(a, 200, smsmux_tenant_credit(sm, to, u, tenant, actor, &err),
            &err);
      /* a tenant that is not the parent learns nothing of `to` */
      if (a->status == 404 || (a->status == 400 &&
                               strstr(a->body ? a->body : "", "not-parent")))
        api_error(a, 404, SMSMUX_ERR_INPUT, "not-found",
                  "you have no customer %.64s", to);
    }
    json_object_put(o);
  } else {
    api_error(a, 404, SMSMUX_ERR_INPUT, "not-found",
              "no such path: see docs/API.md");
  }
}

int tenants_handle(smsmux *sm, const char *tenant, http_req *r,
                   http_answer *a) {
  if (strncmp(r->url, ADMIN, strlen(ADMIN)) == 0) {
    if (*tenant) /* a tenant's key: the admin paths do not exist for it */
      api_error(a, 403, SMSMUX_ERR_AUTH, "forbidden",
                "the /v1/admin paths take the admin key");
    else
      admin(sm, r, a);
    return 1;
  }
  if (strcmp(r->url, "/v1/account") == 0 ||
      strncmp(r->url, "/v1/account/", 12) == 0) {
    account(sm, tenant, r, a);
    return 1;
  }
  return 0;
}
