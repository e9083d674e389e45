/* tests/abi/abi.c - a tiny library whose only purpose is to put every
 * public type of include/smsmux/provider.h and smsmux.h into a function
 * signature, so that abidw(1) records all of them (with -g) and abidiff(1)
 * can compare them with the committed baseline tests/abi/smsmux-abi.xml.
 * Built by tests/abi/check.sh; never installed.
 *
 * A type added to a public header must be added here too (a parameter of
 * one of the functions below), or the guard cannot see it. */
#include <smsmux/provider.h>
#include <smsmux/smsmux.h>

#define ABI_EXPORT __attribute__((visibility("default")))

/* ---- provider.h: enums, by value so their enumerators are recorded ---- */
ABI_EXPORT void abi_provider_enums(smsmux_error_class a, smsmux_status b,
                                   smsmux_kind c, smsmux_encoding d,
                                   enum smsmux_capability e,
                                   smsmux_number_style f, smsmux_log_level g,
                                   smsmux_http_method h, smsmux_http_body i,
                                   smsmux_http_auth j,
                                   enum smsmux_key_flags k);
void abi_provider_enums(smsmux_error_class a, smsmux_status b, smsmux_kind c,
                        smsmux_encoding d, enum smsmux_capability e,
                        smsmux_number_style f, smsmux_log_level g,
                        smsmux_http_method h, smsmux_http_body i,
                        smsmux_http_auth j, enum smsmux_key_flags k) {
  (void)a, (void)b, (void)c, (void)d, (void)e, (void)f, (void)g, (void)h,
      (void)i, (void)j, (void)k;
}

/* ---- provider.h: structs and function types ---- */
ABI_EXPORT void abi_provider_types(
    const smsmux_kv *a, smsmux_call *b, const smsmux_message *c,
    const smsmux_reply_query *d, const smsmux_status_record *e,
    const smsmux_reply *f, const smsmux_http_part *g,
    const smsmux_http_request *h, const smsmux_http_response *i,
    const smsmux_status_map *j, const smsmux_host *k,
    const smsmux_config_key *l, const smsmux_operation *m,
    const smsmux_provider *n, smsmux_provider_entry_fn o);
void abi_provider_types(const smsmux_kv *a, smsmux_call *b,
                        const smsmux_message *c, const smsmux_reply_query *d,
                        const smsmux_status_record *e, const smsmux_reply *f,
                        const smsmux_http_part *g,
                        const smsmux_http_request *h,
                        const smsmux_http_response *i,
                        const smsmux_status_map *j, const smsmux_host *k,
                        const smsmux_config_key *l, const smsmux_operation *m,
                        const smsmux_provider *n, smsmux_provider_entry_fn o) {
  (void)a, (void)b, (void)c, (void)d, (void)e, (void)f, (void)g, (void)h,
      (void)i, (void)j, (void)k, (void)l, (void)m, (void)n, (void)o;
}

/* ---- provider.h: types added by ABI 1.2 (a new function: changing the
   parameters of one above would itself be a change the guard refuses) ---- */
ABI_EXPORT void abi_provider_types_12(const smsmux_limits *a,
                                      enum smsmux_sender_rule b,
                                      const smsmux_error_map *c,
                                      const smsmux_inbound *d,
                                      smsmux_inbound_kind e);
void abi_provider_types_12(const smsmux_limits *a, enum smsmux_sender_rule b,
                           const smsmux_error_map *c, const smsmux_inbound *d,
                           smsmux_inbound_kind e) {
  (void)a, (void)b, (void)c, (void)d, (void)e;
}

/* ---- smsmux.h: the application API's types ---- */
ABI_EXPORT void abi_library_types(
    const smsmux_error *a, smsmux_log_fn b, const smsmux_options *c,
    smsmux *d, const smsmux_send_request *e,
    const smsmux_recipient_result *f, const smsmux_attempt *g,
    const smsmux_send_result *h, const smsmux_route_candidate *i,
    const smsmux_route_explain *j, const smsmux_status_entry *k,
    const smsmux_status_result *l, const smsmux_reply_entry *m,
    const smsmux_replies_result *n, const smsmux_credit_entry *o,
    const smsmux_credit_result *p, const smsmux_record *q,
    const smsmux_call_result *r, const smsmux_provider_info *s,
    const smsmux_provider_list *t, const smsmux_plugin_report *u);
void abi_library_types(
    const smsmux_error *a, smsmux_log_fn b, const smsmux_options *c,
    smsmux *d, const smsmux_send_request *e,
    const smsmux_recipient_result *f, const smsmux_attempt *g,
    const smsmux_send_result *h, const smsmux_route_candidate *i,
    const smsmux_route_explain *j, const smsmux_status_entry *k,
    const smsmux_status_result *l, const smsmux_reply_entry *m,
    const smsmux_replies_result *n, const smsmux_credit_entry *o,
    const smsmux_credit_result *p, const smsmux_record *q,
    const smsmux_call_result *r, const smsmux_provider_info *s,
    const smsmux_provider_list *t, const smsmux_plugin_report *u) {
  (void)a, (void)b, (void)c, (void)d, (void)e, (void)f, (void)g, (void)h,
      (void)i, (void)j, (void)k, (void)l, (void)m, (void)n, (void)o, (void)p,
      (void)q, (void)r, (void)s, (void)t, (void)u;
}
