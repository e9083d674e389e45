/* cli: what the `smsmux` command's two halves share.  cli.c parses the
 * arguments, runs the commands and prints human output; cli_json.c prints
 * the one JSON document of `--json`.  Every cli_json_* function writes a
 * complete document (or, for a batch, one piece of it) to stdout. */
#ifndef SMSMUX_CLI_H
#define SMSMUX_CLI_H

#include <smsmux/smsmux.h>

/** {"error":{"class","code","message"}} alone (nothing else to say). */
void cli_json_error(const smsmux_error *err);

/** The send object; "error" is merged in when r->error.cls != SMSMUX_OK. */
void cli_json_send(const smsmux_send_result *r);

/** A personalised send is one document streamed in pieces, so that memory
    does not grow with the file: begin prints `{"messages":[`, each item
    one send object (with "line": the row's line in the file), end the
    closing `]`, the "summary" and, when the run stopped early, "error". */
void cli_json_batch_begin(void);
void cli_json_batch_item(const smsmux_send_result *r, unsigned long line);
void cli_json_batch_end(const smsmux_batch_summary *s,
                        const smsmux_error *err);

void cli_json_route(const smsmux_route_explain *r);
void cli_json_status(const smsmux_status_result *r);
void cli_json_replies(const smsmux_replies_result *r);
void cli_json_credit(const smsmux_credit_result *r);
/** {"provider","id","cancelled"} plus "error" when err->cls != OK. */
void cli_json_cancel(const char *provider, const char *id,
                     const smsmux_error *err);
void cli_json_call(const smsmux_call_result *r);
/** {"<key>":[items]} for `providers` (key "providers") and `plugins`. */
void cli_json_provider_list(const char *key, const smsmux_provider_list *l);

#endif /* SMSMUX_CLI_H */
