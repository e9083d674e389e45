/*
 * sdk/json.c - the plugin helper library: reading JSON answers with
 * json-c (include/smsmux/plugin-helpers.h).  A plugin that links the
 * library but calls none of these does not pull json-c in: this file is
 * its own member of the archive.
 */
#include <smsmux/plugin-helpers.h>

#include <json-c/json.h>
#include <limits.h>

json_object *smsmux_json_parse(const char *text, size_t len)
{
  json_tokener *tok;
  json_object *o;

  if (text == NULL || len == 0 || len > INT_MAX)
    return NULL;
  tok = json_tokener_new();
  if (tok == NULL)
    return NULL;
  o = json_tokener_parse_ex(tok, text, (int)len);
  /* json_tokener_continue (cut short) is an error too */
  if (o != NULL && json_tokener_get_error(tok) != json_tokener_success) {
    json_object_put(o);
    o = NULL;
  }
  json_tokener_free(tok);
  return o;
}

json_object *smsmux_json_parse_body(const smsmux_http_response *resp)
{
  return smsmux_json_parse(resp->body, resp->body_len);
}

json_object *smsmux_json_member(json_object *o, const char *name)
{
  json_object *v = NULL;

  if (o != NULL && json_object_is_type(o, json_type_object) &&
      json_object_object_get_ex(o, name, &v))
    return v; /* NULL for a null member: json-c's null is NULL */
  return NULL;
}

const char *smsmux_json_scalar(const smsmux_host *host,
                                      smsmux_call *call, json_object *v)
{
  if (v == NULL || json_object_is_type(v, json_type_null) ||
      json_object_is_type(v, json_type_object) ||
      json_object_is_type(v, json_type_array))
    return NULL;
  return host->strf(call, "%s", json_object_get_string(v));
}

const char *smsmux_json_text(const smsmux_host *host,
                                           smsmux_call *call, json_object *o,
                                           const char *name)
{
  return smsmux_json_scalar(host, call,
                                   smsmux_json_member(o, name));
}

const char *smsmux_json_body_text(const smsmux_host *host, smsmux_call *call,
                                  const smsmux_http_response *resp,
                                  const char *const *names)
{
  json_object *doc = smsmux_json_parse_body(resp);
  const char *v = NULL;

  if (doc == NULL)
    return NULL;
  for (; v == NULL && *names != NULL; names++)
    v = smsmux_json_text(host, call, doc, *names);
  json_object_put(doc);
  return v;
}

long smsmux_json_long(json_object *o, const char *name, long dflt)
{
  json_object *v = smsmux_json_member(o, name);

  if (v == NULL)
    return dflt;
  return (long)json_object_get_int64(v);
}

const char *smsmux_json_dump(const smsmux_host *host,
                                    smsmux_call *call, json_object *o)
{
  const char *s = json_object_to_json_string_ext(
      o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

  return host->strf(call, "%s", s != NULL ? s : "null");
}
