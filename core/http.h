/* http: the HTTP service of the host table, over libcurl: reused handles
 * (keep-alive) per instance, timeouts from the configuration, TLS
 * verification on, a User-Agent naming smsmux, form/multipart/JSON bodies,
 * and a --verbose trace with every secret redacted. */
#ifndef SMSMUX_HTTP_H
#define SMSMUX_HTTP_H

#include "host.h"

http_pool *http_pool_new(void);
void http_pool_free(http_pool *p);

/** smsmux_host.http */
int http_request(smsmux_call *call, const smsmux_http_request *req,
                 smsmux_http_response *resp);

/** Called once by the first smsmux_open / last smsmux_close. */
int http_global_init(void);
void http_global_cleanup(void);

/** Replace every secret of `inst` (and values of `secret_params` in a
    query/form/JSON text) by "***" in `text`; returns malloc'd text. */
char *http_redact(const instance *inst, const char *text,
                  const char *const *secret_params);

#endif
