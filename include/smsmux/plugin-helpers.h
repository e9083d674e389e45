/*
 * smsmux/plugin-helpers.h - the plugin helper library (libsmsmux-plugin.a).
 *
 * Small stateless helpers that provider plugins would otherwise each write
 * again: the check of the host's ABI at the start of `open`, and reading
 * JSON answers with json-c.  They are a static library installed with the
 * SDK, linked into the plugin itself:
 *
 *   cc -shared -fPIC $(pkg-config --cflags smsmux-provider) p.c \
 *      $(pkg-config --libs smsmux-provider) $(pkg-config --libs json-c) \
 *      -o p.so
 *
 * (json-c only when the plugin calls a smsmux_json_* helper.)  Not
 * part of the plugin ABI: nothing here crosses the boundary to the host,
 * so the helpers can grow without touching provider.h.  Every symbol is
 * hidden: a plugin linking them still exports smsmux_provider_entry alone.
 * See docs/PLUGINS.md, "The helper library".
 */
#ifndef SMSMUX_PLUGIN_HELPERS_H
#define SMSMUX_PLUGIN_HELPERS_H

#include <smsmux/provider.h>

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SMSMUX_HELPER __attribute__((visibility("hidden")))
#else
#define SMSMUX_HELPER
#endif

/* json-c's object type (<json-c/json.h> names it json_object): declared
   here so that this header needs no json-c include path. */
struct json_object;

/* ----------------------------------------------------------- the host -- */

/** Check, at the start of `open`, that `host` is of this header's ABI
    major and has the member that ABI minor `minor` added and the plugin
    needs (`need_size` bytes of the table: use SMSMUX_NEED_HOST).
    Returns 0 when it is; else -1, after `host->fail` (SYSTEM, naming
    `plugin`, the ABI it needs and the one the host offers) when the host
    has a `fail` to record it with.  `open` then returns -1. */
SMSMUX_HELPER int smsmux_need_host(const smsmux_host *host,
                                           smsmux_call *call,
                                           const char *plugin, unsigned minor,
                                           size_t need_size,
                                           const char *member);

/** smsmux_need_host for the host member `member`, added by ABI
    minor `minor`:
      if (SMSMUX_NEED_HOST(host, call, "myprovider", 1,
                                   error_lookup) != 0)
        return -1; */
#define SMSMUX_NEED_HOST(host, call, plugin, minor, member)            \
  smsmux_need_host(                                                    \
      (host), (call), (plugin), (minor),                                       \
      offsetof(smsmux_host, member) + sizeof(((smsmux_host *)0)->member),      \
      #member)

/* ------------------------------------------------------- JSON (json-c) -- */

/** Parse `len` bytes of `text` as one JSON value; NULL when empty, cut
    short or not JSON.  What follows a complete value is ignored.  The
    caller releases the result with json_object_put. */
SMSMUX_HELPER struct json_object *smsmux_json_parse(const char *text,
                                                           size_t len);

/** smsmux_json_parse of an HTTP answer's body. */
SMSMUX_HELPER struct json_object *
smsmux_json_parse_body(const smsmux_http_response *resp);

/** Member `name` of `o`; NULL when `o` is not an object, has no such
    member or it is null.  Borrowed from `o`. */
SMSMUX_HELPER struct json_object *
smsmux_json_member(struct json_object *o, const char *name);

/** The text of a scalar value: a string as it is, a number or a boolean
    as JSON writes it, in the call's memory; NULL for NULL, null, an
    object or an array. */
SMSMUX_HELPER const char *smsmux_json_scalar(const smsmux_host *host,
                                                    smsmux_call *call,
                                                    struct json_object *v);

/** smsmux_json_scalar of member `name` of `o`: the member as text
    whether the answer wrote it as a string or a number. */
SMSMUX_HELPER const char *
smsmux_json_text(const smsmux_host *host, smsmux_call *call,
                               struct json_object *o, const char *name);

/** The first of the members `names` (NULL-terminated) of an HTTP
    answer's JSON body that is a scalar, as text in the call's memory: the
    provider's own words in an error answer ({"message": ...} or
    {"error": ...}).  NULL when the body is not a JSON object with one. */
SMSMUX_HELPER const char *
smsmux_json_body_text(const smsmux_host *host, smsmux_call *call,
                      const smsmux_http_response *resp,
                      const char *const *names);

/** Member `name` of `o` as an integer, whether written as a number or a
    string of digits (json-c's conversion: a fraction is cut, other text
    is 0); `dflt` when absent or null. */
SMSMUX_HELPER long smsmux_json_long(struct json_object *o, const char *name,
                                     long dflt);

/** `o` as compact JSON text (no spaces, '/' not escaped), in the call's
    memory: for request bodies and results.  `o` is not released. */
SMSMUX_HELPER const char *smsmux_json_dump(const smsmux_host *host,
                                                  smsmux_call *call,
                                                  struct json_object *o);

#ifdef __cplusplus
}
#endif
#endif /* SMSMUX_PLUGIN_HELPERS_H */
