/* test_push: the notifications a provider pushes, read by its plugin
 * through smsmux_push_parse: the two examples of the sMsmode guide (items
 * 11 and 12), byte for byte as it prints them, status codes of its table,
 * and the token check (a wrong token, an instance without one, an unknown
 * instance: all "not found").  Usage: test_push CONFIG. */
#include <config.h>

#include "check.h"

#include <smsmux/smsmux.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"

static smsmux_push_result *push(smsmux *sm, const char *provider,
                                const char *token, int reply,
                                const char *query) {
  smsmux_push p;
  smsmux_kv kv[16];
  char *q = strdup(query);
  smsmux_push_result *r;
  memset(&p, 0, sizeof p);
  p.size = sizeof p;
  p.provider = provider;
  p.token = token;
  p.reply = reply;
  p.method = "GET";
  p.query = kv;
  p.n_query = parse_query(q, kv, 16);
  r = smsmux_push_parse(sm, &p);
  free(q);
  return r;
}

int main(int argc, char **argv) {
  smsmux_options opts;
  smsmux_error err;
  smsmux *sm;
  smsmux_push_result *r;
  char q[256];
  static const struct {
    const char *code;
    smsmux_status want;
  } codes[] = {{"0", SMSMUX_STATUS_SENT},          {"2", SMSMUX_STATUS_REJECTED},
               {"11", SMSMUX_STATUS_DELIVERED},    {"13", SMSMUX_STATUS_SENT},
               {"21", SMSMUX_STATUS_UNDELIVERED},  {"22", SMSMUX_STATUS_REJECTED},
               {"34", SMSMUX_STATUS_UNDELIVERED},  {"37", SMSMUX_STATUS_EXPIRED},
               {"3501", SMSMUX_STATUS_SENT}};
  size_t i;

  if (argc != 2)
    return 2;
  memset(&opts, 0, sizeof opts);
  opts.size = sizeof opts;
  sm = smsmux_open(argv[1], &opts, &err);
  CHECK(sm != NULL, "open");
  if (!sm) {
    printf("# %s\n", err.message);
    return CHECK_DONE();
  }

  /* item 12, "Exemple de requête effectuée vers votre serveur" */
  r = push(sm, "smsmode", "hook-secret-1", 0,
           "numero=336xxyyzzaa&date_reception=2010-03-25+09%3A52%3A17&statut="
           "11&smsID=S7EpYZ5kmS87&refClient=12azer34&mcc_mnc=20801");
  CHECK_INT_EQ(r->error.cls, SMSMUX_OK, "report example: read");
  CHECK_STR_EQ(r->message_id, "S7EpYZ5kmS87", "report example: smsID");
  CHECK_INT_EQ(r->n_statuses, 1, "report example: one status");
  if (r->n_statuses == 1) {
    CHECK_STR_EQ(r->statuses[0].to, "336xxyyzzaa",
                 "report example: numero as printed (a placeholder)");
    CHECK_INT_EQ(r->statuses[0].status, SMSMUX_STATUS_DELIVERED,
                 "report example: statut 11 is delivered");
    CHECK_STR_EQ(r->statuses[0].code, "11", "report example: raw code");
    CHECK_STR_EQ(r->statuses[0].text, "Reçu", "report example: its wording");
    CHECK_STR_EQ(r->statuses[0].at, "2010-03-25 09:52:17",
                 "report example: date_reception");
  }
  smsmux_push_result_free(r);

  /* a real number is normalised; codes of the status table */
  for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    char name[64];
    snprintf(q, sizeof q,
             "numero=33612345678&date_reception=2026-12-04+10%%3A00%%3A00"
             "&statut=%s&smsID=abc&refClient=&mcc_mnc=20801",
             codes[i].code);
    r = push(sm, "smsmode", "hook-secret-1", 0, q);
    snprintf(name, sizeof name, "statut %s: status", codes[i].code);
    CHECK_INT_EQ(r->n_statuses ? (long long)r->statuses[0].status : -1,
                 codes[i].want, name);
    if (i == 0)
      CHECK_STR_EQ(r->n_statuses ? r->statuses[0].to : NULL, "+33612345678",
                   "report: numero normalised to E.164");
    smsmux_push_result_free(r);
  }

  /* item 12, the reply notification example */
  r = push(sm, "smsmode", "hook-secret-1", 1,
           "numero=36034&message=bonjour&emetteur=33601020304&date_reception="
           "01012013-122233&smsID=abcd1234&refClient=monclient123&responseID="
           "azertyu123");
  CHECK_INT_EQ(r->error.cls, SMSMUX_OK, "reply example: read");
  CHECK_INT_EQ(r->n_replies, 1, "reply example: one reply");
  if (r->n_replies == 1) {
    CHECK_STR_EQ(r->replies[0].from, "+33601020304", "reply: emetteur");
    CHECK_STR_EQ(r->replies[0].to, "36034", "reply: numero, the short code");
    CHECK_STR_EQ(r->replies[0].text, "bonjour", "reply: message");
    CHECK_STR_EQ(r->replies[0].at, "01012013-122233", "reply: date_reception");
    CHECK_STR_EQ(r->replies[0].id, "azertyu123", "reply: responseID");
    CHECK_STR_EQ(r->replies[0].message_id, "abcd1234", "reply: smsID");
  }
  smsmux_push_result_free(r);

  /* not the provider's format */
  r = push(sm, "smsmode", "hook-secret-1", 0, "hello=world");
  CHECK_INT_EQ(r->error.cls, SMSMUX_ERR_INVALID, "no smsID/numero/statut: invalid");
  smsmux_push_result_free(r);

  /* tokens: wrong, missing, another instance's, an instance without one */
  r = push(sm, "smsmode", "hook-secret-2", 0, "numero=33612345678&statut=11&smsID=x");
  CHECK_STR_EQ(r->error.code, "not-found", "a wrong token: not found");
  CHECK_INT_EQ(r->n_statuses, 0, "a wrong token: nothing read");
  smsmux_push_result_free(r);
  r = push(sm, "smsmode", "", 0, "numero=33612345678&statut=11&smsID=x");
  CHECK_STR_EQ(r->error.code, "not-found", "an empty token: not found");
  smsmux_push_result_free(r);
  r = push(sm, "notoken", "hook-secret-1", 0, "numero=33612345678&statut=11&smsID=x");
  CHECK_STR_EQ(r->error.code, "not-found",
               "an instance without hook_token: not found");
  smsmux_push_result_free(r);
  r = push(sm, "nope", "hook-secret-1", 0, "numero=33612345678&statut=11&smsID=x");
  CHECK_STR_EQ(r->error.code, "not-found", "an unknown instance: not found");
  smsmux_push_result_free(r);

  smsmux_close(sm);
  return CHECK_DONE();
}
