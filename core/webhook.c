/* webhook: see webhook.h. */
#include <config.h>

#include "webhook.h"
#include "msg.h"
#include "util.h"

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

const char *webhook_time(int64_t at, char *buf, size_t len) {
  time_t t = (time_t)at;
  struct tm tm;
  if (len)
    buf[0] = '\0';
  if (at <= 0 || !gmtime_r(&t, &tm) ||
      strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    return buf;
  return buf;
}

static int add(json_object *o, const char *k, const char *v) {
  json_object *x = NULL;
  if (v && !(x = json_object_new_string(v)))
    return -1;
  if (json_object_object_add(o, k, x) < 0) {
    json_object_put(x);
    return -1;
  }
  return 0;
}

char *webhook_body(const webhook_event *e) {
  json_object *o = json_object_new_object();
  char at[32];
  int bad = 0, reply = e->kind && strcmp(e->kind, "reply") == 0;
  char *out = NULL;
  if (!o)
    return NULL;
  webhook_time(e->at, at, sizeof at);
  bad |= add(o, "event", e->event_id);
  bad |= add(o, "type", reply ? "reply" : "status");
  bad |= add(o, "message_id", e->message_id);
  if (reply) {
    bad |= add(o, "from", e->number);
    bad |= add(o, "to", e->reply_to);
    bad |= add(o, "text", e->text);
    bad |= add(o, "reply_id", e->reply_id);
  } else {
    bad |= add(o, "to", e->number);
    bad |= add(o, "status", e->status);
    bad |= add(o, "provider", e->provider);
    bad |= add(o, "provider_id", e->provider_id);
    bad |= add(o, "code", e->code);
    bad |= add(o, "text", e->text);
  }
  bad |= add(o, "at", at[0] ? at : NULL);
  if (!bad) {
    const char *s = json_object_to_json_string_ext(o, JSON_FLAGS);
    out = s ? strdup(s) : NULL;
  }
  json_object_put(o);
  return out;
}

int webhook_sign(const char *secret, const char *body, size_t len,
                 char out[72]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0, i;
  size_t klen = secret ? strlen(secret) : 0;
  if (!HMAC(EVP_sha256(), secret ? secret : "", (int)klen,
            (const unsigned char *)(body ? body : ""), len, md, &n) ||
      n != 32)
    return -1;
  memcpy(out, "sha256=", 7);
  for (i = 0; i < n; i++)
    snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
  return 0;
}

int64_t webhook_backoff(unsigned failures) {
  int64_t d = 10;
  unsigned i;
  for (i = 1; i < failures && d < 3600; i++)
    d *= 2;
  return d < 3600 ? d : 3600;
}

int webhook_expired(int64_t first_at, int64_t next_at, unsigned retry_hours) {
  return next_at > first_at + (int64_t)retry_hours * 3600;
}

unsigned webhook_kannel_type(const char *s) {
  static const struct {
    const char *status;
    unsigned type;
  } map[] = {{"delivered", 1},  {"undelivered", 2}, {"expired", 2},
             {"failed", 2},     {"cancelled", 2},   {"queued", 4},
             {"scheduled", 4},  {"accepted", 8},    {"sent", 8},
             {"rejected", 16}};
  size_t i;
  for (i = 0; s && i < sizeof map / sizeof *map; i++)
    if (strcmp(map[i].status, s) == 0)
      return map[i].type;
  return 0;
}

int webhook_kannel_parse(const char *cb, unsigned *mask, const char **url) {
  const char *p;
  unsigned long m = 0;
  if (!cb || strncmp(cb, "kannel:", 7) != 0)
    return 0;
  p = cb + 7;
  if (*p < '0' || *p > '9')
    return 0;
  while (*p >= '0' && *p <= '9' && m < 1000)
    m = m * 10 + (unsigned long)(*p++ - '0');
  if (*p != ':')
    return 0;
  *mask = (unsigned)m;
  *url = p + 1;
  return 1;
}

/* RFC 3986 percent-encoding: unreserved characters stay. */
static void url_encode(strbuf *b, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      sb_add(b, (const char *)&c, 1);
    } else {
      char e[3] = {'%', hex[c >> 4], hex[c & 15]};
      sb_add(b, e, 3);
    }
  }
}

/* A number with a leading 00 written +... (Kannel's %q and %Q). */
static void plus_form(strbuf *b, const char *n) {
  if (n && n[0] == '0' && n[1] == '0') {
    url_encode(b, "+");
    url_encode(b, n + 2);
  } else {
    url_encode(b, n);
  }
}

char *webhook_kannel_url(const char *tmpl, const webhook_event *e) {
  strbuf b = {0};
  const char *p;
  char num[32];
  for (p = tmpl; p && *p; p++) {
    if (*p != '%' || !p[1]) {
      sb_add(&b, p, 1);
      continue;
    }
    p++;
    switch (*p) {
    case 'd':
      snprintf(num, sizeof num, "%u", webhook_kannel_type(e->status));
      sb_adds(&b, num);
      break;
    case 'A':
      url_encode(&b, e->text       ? e->text
                     : e->code     ? e->code
                                   : e->status);
      break;
    case 'p': url_encode(&b, e->number); break;
    case 'P': url_encode(&b, e->sender); break;
    case 'q': plus_form(&b, e->number); break;
    case 'Q': plus_form(&b, e->sender); break;
    case 't':
      if (e->at > 0) {
        time_t t = (time_t)e->at;
        struct tm tm;
        char buf[32];
        if (gmtime_r(&t, &tm) &&
            strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm))
          url_encode(&b, buf);
      }
      break;
    case 'T':
      snprintf(num, sizeof num, "%lld", (long long)(e->at > 0 ? e->at : 0));
      sb_adds(&b, num);
      break;
    case 'i': url_encode(&b, e->provider); break;
    case 'I': url_encode(&b, e->message_id); break;
    case 'F': url_encode(&b, e->provider_id); break;
    case '%': sb_add(&b, "%", 1); break;
    default: /* not one of ours: as written */
      sb_add(&b, p - 1, 2);
    }
  }
  return sb_steal(&b);
}

/* "YYYY-MM-DD HH:MM:SS" in UTC as Unix seconds (0 when it is not). */
static int64_t utc_seconds(const char *s) {
  int y, mo, d, h, mi, sec, n = 0;
  int64_t days, yy;
  unsigned mp;
  if (sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec,
             &n) != 6 ||
      s[n] || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
      sec > 60 || y < 1970)
    return 0;
  /* days from the civil date (proleptic Gregorian) */
  yy = y - (mo <= 2);
  mp = (unsigned)(mo + 9) % 12;
  days = 365 * yy + yy / 4 - yy / 100 + yy / 400 +
         (int64_t)((153 * mp + 2) / 5) + d - 1 - 719468;
  return days * 86400 + h * 3600 + mi * 60 + sec;
}

/* A provider's "when" as Unix seconds: "YYYY-MM-DD HH:MM[:SS]" (a 'T'
   may replace the space; a final Z is UTC, else local time as --at),
   "DDMMYYYY-HHMMSS" (sMsmode's replies, local time), or digits alone (Unix
   seconds); 0 (now) for anything else. */
int64_t webhook_provider_time(const char *s) {
  int64_t t = 0;
  char buf[32], msg[128];
  size_t n;
  if (!s || !*s || (n = strlen(s)) >= sizeof buf)
    return 0;
  memcpy(buf, s, n + 1);
  if (strspn(buf, "0123456789") == n && n >= 9 && n <= 11)
    return (int64_t)strtoll(buf, NULL, 10);
  if (n == 15 && buf[8] == '-' && strspn(buf, "0123456789") == 8 &&
      strspn(buf + 9, "0123456789") == 6) {
    snprintf(buf, sizeof buf, "%.4s-%.2s-%.2s %.2s:%.2s:%.2s", s + 4, s + 2,
             s, s + 9, s + 11, s + 13);
    n = strlen(buf);
  }
  if (n && buf[n - 1] == 'Z') {
    buf[--n] = '\0';
    if (n > 10 && buf[10] == 'T')
      buf[10] = ' ';
    return utc_seconds(buf);
  }
  return msg_parse_at(buf, &t, msg, sizeof msg) == 0 ? t : 0;
}

/* The store's name of a reported status, or NULL for one that says
   nothing new (unknown). */
const char *webhook_report_status(smsmux_status st) {
  switch (st) {
  case SMSMUX_STATUS_ACCEPTED:
  case SMSMUX_STATUS_SCHEDULED: return "accepted";
  case SMSMUX_STATUS_SENT: return "sent";
  case SMSMUX_STATUS_DELIVERED: return "delivered";
  case SMSMUX_STATUS_UNDELIVERED:
  case SMSMUX_STATUS_FAILED: return "undelivered";
  case SMSMUX_STATUS_EXPIRED: return "expired";
  case SMSMUX_STATUS_REJECTED: return "rejected";
  case SMSMUX_STATUS_CANCELLED: return "cancelled";
  default: return NULL;
  }
}

