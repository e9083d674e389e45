/* test_router: the router as the pure function it is.  Hand-made
 * configurations and snapshots, no store, no plugin, no HTTP: every policy,
 * the capability and limit filters, breaker states, prefix costs, ties,
 * forced routes and providers, and the errors. */
#include <config.h>

#include "check.h"
#include "router.h"

#include <stdlib.h>
#include <string.h>

#define ALL_SMS (SMSMUX_CAP_SMS | SMSMUX_CAP_UNICODE | SMSMUX_CAP_ALPHA_SENDER)

static cfg_provider prov[4];
static cfg_prefix_cost be_cost[] = {{"+32", 0.070}};
static char *names_ab[] = {"a", "b"};
static char *names_abc[] = {"a", "b", "c"};
static char *names_d[] = {"d"};
static cfg_route routes[4];
static cfg conf;
static router_snapshot snaps[4];

static void setup(void) {
  static const char *const n[] = {"a", "b", "c", "d"};
  size_t i;
  memset(prov, 0, sizeof prov);
  memset(snaps, 0, sizeof snaps);
  for (i = 0; i < 4; i++) {
    prov[i].name = (char *)n[i];
    prov[i].plugin = "p";
    prov[i].enabled = 1;
    prov[i].credit_per_segment = 1;
    prov[i].cost = 0.05;
    snaps[i].name = n[i];
    snaps[i].cfg = &prov[i];
    snaps[i].handle = &prov[i];
    snaps[i].usable = 1;
    snaps[i].caps = ALL_SMS;
  }
  memset(routes, 0, sizeof routes);
  routes[0] = (cfg_route){.name = "mms", .match_kind = "mms",
                          .policy = "failover", .providers = names_d,
                          .n_providers = 1};
  routes[1] = (cfg_route){.name = "be", .match_to = "+32",
                          .policy = "cheapest", .providers = names_abc,
                          .n_providers = 3};
  routes[2] = (cfg_route){.name = "rr", .match_from = "RR",
                          .policy = "roundrobin", .providers = names_ab,
                          .n_providers = 2};
  routes[3] = (cfg_route){.name = "default", .policy = "failover",
                          .providers = names_abc, .n_providers = 3};
  memset(&conf, 0, sizeof conf);
  conf.path = "test.ini";
  conf.providers = prov;
  conf.n_providers = 4;
  conf.routes = routes;
  conf.n_routes = 4;
}

static router_msg sms(const char *const *to, size_t n, unsigned segments) {
  router_msg m;
  memset(&m, 0, sizeof m);
  m.kind = SMSMUX_KIND_SMS;
  m.encoding = SMSMUX_ENC_GSM7;
  m.segments = segments;
  m.chars = 10;
  m.to = to;
  m.n_to = n;
  return m;
}

/* Select the route, map its names onto snaps[] (by name), plan. */
static int plan(const router_msg *m, const char *route, const char *provider,
                const router_env *env, router_selection *sel,
                router_snapshot *picked, router_plan *p, smsmux_error *err) {
  size_t i, j;
  if (router_select(&conf, m, route, provider, sel, err))
    return -1;
  for (i = 0; i < sel->n; i++)
    for (j = 0; j < 4; j++)
      if (strcmp(sel->names[i], snaps[j].name) == 0)
        picked[i] = snaps[j];
  return router_plan_build(sel, m, picked, env, p, err);
}

static void done(router_selection *sel, router_plan *p) {
  router_plan_free(p);
  router_selection_free(sel);
}

static const char *order(const router_plan *p, char *buf) {
  size_t i;
  buf[0] = '\0';
  for (i = 0; i < p->n; i++) {
    strcat(buf, p->cand[i].snap->name);
    strcat(buf, p->cand[i].eligible ? "+" : "-");
  }
  return buf;
}

static void failover_keeps_route_order_and_skips_unusable(void) {
  const char *to[] = {"+33612345678"};
  router_msg m = sms(to, 1, 1);
  router_env env = {1000, 3, 0};
  router_selection sel;
  router_snapshot picked[4];
  router_plan p;
  smsmux_error err = {0};
  char buf[64];
  setup();
  snaps[1].usable = 0;
  snaps[1].unusable_why = "cannot open: bad token";
  CHECK_INT_EQ(plan(&m, NULL, NULL, &env, &sel, picked, &p, &err), 0,
               "failover: plan built");
  CHECK_STR_EQ(p.route, "default", "failover: the catch-all route matches");
  CHECK_STR_EQ(p.policy, "failover", "failover: policy");
  CHECK_STR_EQ(order(&p, buf), "a+c+b-", "failover: a, then c; b left out");
  CHECK(strstr(p.cand[2].reason, "bad token") != NULL,
        "failover: the unusable one says why");
  CHECK_INT_EQ(p.cand[2].skip, SKIP_UNUSABLE, "failover: skip unusable");
  done(&sel, &p);
}

static void mms_goes_only_to_a_capable_provider(void) {
  const char *to[] = {"+33612345678"};
  router_msg m = sms(to, 1, 1);
  router_env env = {1000, 3, 0};
  router_selection sel;
  router_snapshot picked[4];
  router_plan p;
  smsmux_error err = {0};
  char buf[64];
  setup();
  m.kind = SMSMUX_KIND_MMS;
  CHECK_INT_EQ(plan(&m, NULL, NULL, &env, &sel, picked, &p, &err), 0,
               "mms: plan built");
  CHECK_STR_EQ(p.route, "mms", "mms: the mms route matches");
  CHECK_STR_EQ(order(&p, buf), "d-", "mms: d lacks mms: nobody left");
  CHECK(strstr(p.cand[0].reason, "mms capability") != NULL,
        "mms: reason names the capability");
  CHECK_INT_EQ(p.cand[0].skip, SKIP_MESSAGE, "mms: skip message");
  done(&sel, &p);
  setup();
  snaps[3].caps |= SMSMUX_CAP_MMS;
  plan(&m, NULL, NULL, &env, &sel, picked, &p, &err);
  CHECK_STR_EQ(order(&p, buf), "d+", "mms: d with mms takes it");
  done(&sel, &p);
}

static void capability_and_limit_filters(void) {
  const char *to[] = {"+33612345678"};
  router_msg m = sms(to, 1, 3);
  router_env env = {1000, 3, 0};
  router_selection sel;
  router_snapshot picked[4];
  router_plan p;
  smsmux_error err = {0};
  char buf[64];
  setup();
  snaps[0].max_segments = 2;        /* a: too many segments */
  snaps[1].caps &= ~SMSMUX_CAP_UNICODE; /* b: no UCS-2 */
  snaps[2].max_text_length = 5;     /* c: text too long */
  m.encoding = SMSMUX_ENC_UCS2;
  plan(&m, NULL, NULL, &env, &sel, picked, &p, &err);
  CHECK_STR_EQ(order(&p, buf), "a-b-c-", "limits: nobody can take it");
  CHECK(strstr(p.cand[0].reason, "3 segments") != NULL, "limits: segments");
  CHECK(strstr(p.cand[1].reason, "unicode") != NULL, "limits: unicode");
  CHECK(strstr(p.cand[2].reason, "10 characters") != NULL, "limits: length");
  done(&sel, &p);

  setup();
  m = sms(to, 1, 1);
  m.from = "ACME";
  snaps[0].caps &= ~SMSMUX_CAP_ALPHA_SENDER;
  snaps[1].max_sender_length = 3;
  m.scheduled = 1;
  snaps[2].caps |= SMSMUX_CAP_SCHEDULE;
  snaps[0].caps |= SMSMUX_CAP_SCHEDULE;
  snaps[1].caps |= SMSMUX_CAP_SCHEDULE;
  plan(&m, NULL, NULL, &env, &sel, picked, &p, &err);
  CHECK_STR_EQ(order(&p, buf), "c+a-b-", "sender: only c takes ACME");
  CHECK(strstr(p.cand[1].reason, "alphanumeric") != NULL,
        "sender: a lacks alphanumeric senders");
  CHECK(strstr(p.cand[2].reason, "longer than its 3") != NULL,
        "sender: b takes 3 characters");
  done(&sel, &p);

  setup();
  snaps[0].caps &= ~SMSMUX_CAP_SCHEDULE;
  m = sms(to, 1, 1);
  m.scheduled = 1;
  snaps[1].caps |= SMSMUX_CAP_SCHEDULE;
  plan(&m, NULL, NULL, &env, &sel, picked, &p, &err);
  CHECK_STR_EQ(order(&p, buf), "b+a-c-", "schedule: only b schedules");
  done(&sel, &p);

  setup();
  prov[1].enabled = 0;
  m = sms(to, 1, 1);
  plan(&m, NULL, NULL, &env, &sel, picked, &p, &err);
  CHECK_STR_EQ(order(&p, buf), "a+c+b-", "disabled: b left out");
  CHECK(strstr(p.cand[2].reason, "enabled = no") != NULL,
        "disabled: says enabled = no");
  done(&sel, &p);
}

static void breaker_open_half_open_and_forced(void) {
  const char *to[] = {"+33612345678"};
  router_msg m = sms(to, 1, 1);
  router_env env = {1000, 3, 0};
  router_selection sel;
  router_snapshot picked[4];
  router_plan p;
  smsmux_error err = {0};
  char buf[64];
  setup();
  snaps[0].breaker_known = 1;
  snaps[0].breaker_failures = 3;
  snaps[0].breaker_open_until = 1042;
  snaps[1].breaker_known = 1;
  snaps[1].breaker_failures = 5;
  snaps[1].breaker_open_until = 999; /* cool-down over */
  snaps[2].breaker_known = 1;
  snaps[2].breaker_failures = 2; /* below the limit */
  plan(&m, NULL, NULL, &env, &sel, picked, &p, &err);
  CHECK_STR_EQ(order(&p, buf), "b+c+a-", "breaker: a open, b probes");
  CHECK(strstr(p.cand[2].reason, "open for 42 s more") != NULL,
        "breaker: says how long");
  CHECK_INT_EQ(p.cand[2].skip, SKIP_BREAKER, "breaker: skip breaker");
  CHECK(strstr(p.cand[0].reason, "half-open") != NULL,
        "breaker: the probe is said");
  done(&sel, &p);

  /* no breaker configured: failures do not matter */
  env.breaker_limit = 0;
  plan(&m, NULL, NULL, &env, &sel, picked, &p, &err);
  CHECK_STR_EQ(order(&p, buf), "a+b+c+", "breaker off: all eligible");
  done(&sel, &p);

  /* --provider: the breaker is not consulted */
  env.breaker_limit = 3;
  CHECK_INT_EQ(plan(&m, NULL, "A", &env, &sel, picked, &p, &err), 0,
               "forced: case-insensitive name");
  CHECK_STR_EQ(p.route, "(--provider)", "forced: route name");
  CHECK_STR_EQ(order(&p, buf), "a+", "forced: a even with its breaker open");
  done(&sel, &p);
}

static void cheapest_by_prefix_credit_and_ties(void) {
  const char *to[] = {"+32470123456", "+32470123457"};
  router_msg m = sms(to, 2, 2);
  router_env env = {1000, 3, 0};
  router_selection sel;
  router_snapshot picked[4];
  router_plan p;
  smsmux_error err = {0};
  char buf[64];
  setup();
  prov[0].cost = 0.04;
  prov[0].prefix_costs = be_cost; /* +32 at 0.070: dearest for Belgium */
  prov[0].n_prefix_costs = 1;
  prov[1].cost = 0.05;
  prov[2].cost = 0.05;
  snaps[0].has_credit = snaps[1].has_credit = snaps[2].has_credit = 1;
  snaps[0].credit = snaps[1].credit = 100;
  snaps[2].credit = 3; /* needs 2 segments x 2 recipients = 4 */
  plan(&m, NULL, NULL, &env, &sel, picked, &p, &err);
  CHECK_STR_EQ(p.route, "be", "cheapest: the +32 route");
  CHECK_STR_EQ(order(&p, buf), "b+a+c-", "cheapest: b, then a (prefix), c");
  CHECK(p.cand[0].cost > 0.199 && p.cand[0].cost < 0.201,
        "cheapest: cost = segments x recipients x price");
  CHECK(p.cand[1].cost > 0.279 && p.cand[1].cost < 0.281,
        "cheapest: a's +32 price applies");
  CHECK(strstr(p.cand[2].reason, "credit 3 < 4 needed") != NULL,
        "cheapest: credit too low says so");
  CHECK_INT_EQ(p.cand[2].skip, SKIP_CREDIT, "cheapest: skip credit");
  done(&sel, &p);

  /* a tie keeps the route's order; unknown credit is tried at its price */
  setup();
  snaps[0].credit_why = "balance unknown: timeout";
  snaps[1].has_credit = 1;
  snaps[1].credit = 50;
  snaps[2].has_credit = 1;
  snaps[2].credit = 50;
  plan(&m, NULL, NULL, &env, &sel, picked, &p, &err);
  CHECK_STR_EQ(order(&p, buf), "a+b+c+", "cheapest: ties keep route order");
  CHECK(strstr(p.cand[0].reason, "balance unknown: timeout") != NULL,
        "cheapest: unknown credit says why");
  done(&sel, &p);
}

static void roundrobin_rotates_by_position(void) {
  const char *to[] = {"+33612345678"};
  router_msg m = sms(to, 1, 1);
  router_env env = {1000, 3, 0};
  router_selection sel;
  router_snapshot picked[4];
  router_plan p;
  smsmux_error err = {0};
  char buf[64];
  setup();
  m.from = "RR";
  env.position = 0;
  plan(&m, NULL, NULL, &env, &sel, picked, &p, &err);
  CHECK_STR_EQ(p.route, "rr", "roundrobin: route by sender");
  CHECK_STR_EQ(order(&p, buf), "a+b+", "roundrobin: position 0: a first");
  done(&sel, &p);
  env.position = 1;
  plan(&m, NULL, NULL, &env, &sel, picked, &p, &err);
  CHECK_STR_EQ(order(&p, buf), "b+a+", "roundrobin: position 1: b first");
  CHECK(strstr(p.cand[0].reason, "its turn (position 1)") != NULL,
        "roundrobin: reason names the position");
  done(&sel, &p);
  env.position = 7;
  snaps[0].usable = 0;
  plan(&m, NULL, NULL, &env, &sel, picked, &p, &err);
  CHECK_STR_EQ(order(&p, buf), "b+a-", "roundrobin: over eligible ones only");
  done(&sel, &p);
}

static void errors_and_policy_table(void) {
  const char *to[] = {"+33612345678"};
  router_msg m = sms(to, 1, 1);
  router_env env = {1000, 3, 0};
  router_selection sel;
  router_snapshot picked[4];
  router_plan p;
  smsmux_error err = {0};
  setup();
  CHECK_INT_EQ(plan(&m, "nope", NULL, &env, &sel, picked, &p, &err), -1,
               "unknown route: refused");
  CHECK_INT_EQ(err.cls, SMSMUX_ERR_INPUT, "unknown route: input error");
  CHECK(strstr(err.message, "\"nope\"") != NULL, "unknown route: named");
  CHECK_INT_EQ(plan(&m, NULL, "zz", &env, &sel, picked, &p, &err), -1,
               "unknown provider: refused");
  CHECK(strstr(err.message, "\"zz\"") != NULL, "unknown provider: named");

  CHECK(router_policy_find("cheapest") != NULL, "policy table: cheapest");
  CHECK(router_policy_find("random") == NULL, "policy table: no random");
  routes[1].policy = "random";
  CHECK_INT_EQ(router_check_config(&conf, &err), -1, "bad policy: refused");
  CHECK(strstr(err.message, "[route.be] policy: \"random\"") != NULL,
        "bad policy: names the section and the value");

  /* no route and no provider: an empty plan, no crash */
  setup();
  conf.n_routes = 0;
  conf.n_providers = 0;
  CHECK_INT_EQ(plan(&m, NULL, NULL, &env, &sel, picked, &p, &err), 0,
               "nothing configured: plan built");
  CHECK_INT_EQ(p.n, 0, "nothing configured: no candidate");
  done(&sel, &p);

  CHECK(router_moves_on(SMSMUX_ERR_TEMPORARY, 0), "moves on: temporary");
  CHECK(router_moves_on(SMSMUX_ERR_CREDIT, 0), "moves on: credit");
  CHECK(!router_moves_on(SMSMUX_ERR_INVALID, 0), "stops: invalid");
  CHECK(!router_moves_on(SMSMUX_ERR_UNKNOWN_OUTCOME, 0), "stops: unknown");
  CHECK(router_moves_on(SMSMUX_ERR_UNKNOWN_OUTCOME, 1),
        "moves on: unknown with failover_on_unknown");
  CHECK(router_moves_on(SMSMUX_ERR_UNSUITABLE, 0),
        "moves on: unsuitable (not this provider)");
  CHECK(!router_counts_against_provider(SMSMUX_ERR_UNSUITABLE),
        "unsuitable does not count towards the breaker");
}

/* ABI 1.2: an instance's own limits (set_limits) in the snapshot: the
   minimum scheduling delay, sender rules, a capability removed. */
static void instance_limits(void) {
  const char *to[] = {"+33612345678"};
  router_msg m = sms(to, 1, 1);
  router_env env = {1000, 3, 0};
  router_selection sel;
  router_snapshot picked[4];
  router_plan p;
  smsmux_error err = {0};
  char buf[64];

  /* a: at least 300 s ahead; b: no scheduling at all; c: no minimum */
  setup();
  snaps[0].caps |= SMSMUX_CAP_SCHEDULE;
  snaps[0].schedule_min_delay = 300;
  snaps[2].caps |= SMSMUX_CAP_SCHEDULE;
  m.scheduled = 1;
  m.at = env.now + 120;
  CHECK_INT_EQ(plan(&m, NULL, NULL, &env, &sel, picked, &p, &err), 0,
               "min delay: plan built");
  CHECK_STR_EQ(order(&p, buf), "c+a-b-",
               "min delay: 120 s ahead skips a (300 s) and b (no schedule)");
  CHECK(strstr(p.cand[1].reason, "schedules only 300 s or more ahead; --at "
                                 "is 120 s ahead") != NULL,
        "min delay: the reason gives both");
  CHECK_INT_EQ(p.cand[1].skip, SKIP_MESSAGE, "min delay: a message skip");
  done(&sel, &p);
  m.at = env.now + 300;
  plan(&m, NULL, NULL, &env, &sel, picked, &p, &err);
  CHECK_STR_EQ(order(&p, buf), "a+c+b-", "min delay: 300 s ahead is enough");
  done(&sel, &p);
  m.scheduled = 0;
  m.at = 0;

  /* sender rules */
  setup();
  snaps[0].sender_rules = SMSMUX_SENDER_FIXED;
  snaps[1].sender_rules = SMSMUX_SENDER_NO_NUMERIC;
  m.from = "+33699999999";
  plan(&m, NULL, NULL, &env, &sel, picked, &p, &err);
  CHECK_STR_EQ(order(&p, buf), "c+a-b-",
               "senders: a takes none, b no numeric one");
  CHECK(strstr(p.cand[1].reason, "takes no sender") != NULL,
        "senders: fixed sender reason");
  CHECK(strstr(p.cand[2].reason, "refuses numeric senders") != NULL,
        "senders: numeric sender reason");
  done(&sel, &p);
  m.from = "Shop";
  plan(&m, NULL, NULL, &env, &sel, picked, &p, &err);
  CHECK_STR_EQ(order(&p, buf), "b+c+a-",
               "senders: an alphanumeric one suits b, still not a");
  done(&sel, &p);
  m.from = NULL;
  plan(&m, NULL, NULL, &env, &sel, picked, &p, &err);
  CHECK_STR_EQ(order(&p, buf), "a+b+c+", "senders: no sender suits all");
  done(&sel, &p);
}

int main(void) {
  failover_keeps_route_order_and_skips_unusable();
  mms_goes_only_to_a_capable_provider();
  capability_and_limit_filters();
  breaker_open_half_open_and_forced();
  cheapest_by_prefix_credit_and_ties();
  roundrobin_rotates_by_position();
  errors_and_policy_table();
  instance_limits();
  return CHECK_DONE();
}
