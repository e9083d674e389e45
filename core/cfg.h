/* cfg: the INI file (iniparser), checked and turned into plain structs.
 * Every error names the file, the section and the key. */
#ifndef SMSMUX_CFG_H
#define SMSMUX_CFG_H

#include <smsmux/smsmux.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

typedef struct cfg_prefix_cost {
  char *prefix; /* "+32" */
  double cost;
} cfg_prefix_cost;

/** One [provider.NAME] section. */
typedef struct cfg_provider {
  char *name;      /* NAME, lowercase */
  char *plugin;    /* plugin = */
  char *base_url;  /* or NULL: the plugin's default */
  double cost;     /* price of one segment (0 when unset) */
  cfg_prefix_cost *prefix_costs;
  size_t n_prefix_costs;
  double credit_per_segment; /* default 1 */
  int enabled;               /* default 1 */
  long timeout;              /* seconds; the [smsmux] one when unset */
  double max_rps;            /* send requests per second, 0: no limit */
  unsigned max_recipients;   /* recipients per send, 0: the plugin's */
  char *ca_file, *ca_path;   /* trusted CAs (absolute), or NULL: [smsmux]'s */
  long dlr_poll;             /* seconds before the first status poll; -1
                                when absent (a service's default), 0 none */
  long dlr_poll_deadline;    /* hours after the send polling stops (48) */
  smsmux_kv *keys;           /* every key of the section, values resolved */
  size_t n_keys;
  int *key_literal;          /* per key: 1 when written in the file itself */
} cfg_provider;

/** One [route.NAME] section. */
typedef struct cfg_route {
  char *name;
  char *match_kind, *match_to, *match_from; /* NULL: any */
  char *policy;                             /* failover | cheapest | roundrobin */
  char **providers;
  size_t n_providers;
  int failover_on_unknown;
} cfg_route;

/** One [plan.NAME] section: what a tenant on that plan pays, in whole
    units of its balance (issue 14).  Every price defaults to 1. */
typedef struct cfg_plan {
  char *name;
  int64_t sms;               /* units per SMS segment (sms =) */
  cfg_prefix_cost *sms_prefix; /* sms.+PREFIX: longest prefix wins */
  size_t n_sms_prefix;
  int64_t mms, voice;        /* units per MMS, per voice message */
  char *refund;              /* "undelivered,rejected,expired" subset
                                (normalised, comma-separated), or NULL */
} cfg_plan;

/** Where a section header or a key is written in the file. */
typedef struct cfg_line {
  char *section; /* lowercase, as iniparser stores it */
  char *key;     /* lowercase; NULL for the [section] line itself */
  int line;      /* 1-based */
} cfg_line;

/** The [server] section (smsmuxd).  Every key is also kept, resolved
    (env:NAME expanded) and with its default filled in, in `keys`, which
    smsmux_config_value reads. */
typedef struct cfg_server {
  char *listen;             /* "host:port[,host:port...]" */
  char *tls_cert, *tls_key; /* absolute paths, or NULL: plain HTTP */
  long workers;             /* concurrent provider sends (16) */
  char *admin_key;          /* NULL when unset: the API refuses every key */
  long max_body;            /* bytes of one request body (1 MiB) */
  long max_connections;     /* open connections in all (1024) */
  long per_ip_connections;  /* open connections per client address (64) */
  long request_timeout;     /* seconds a connection may stay idle (30) */
  smsmux_kv *keys;          /* every key, resolved, defaults included */
  size_t n_keys;
} cfg_server;

typedef struct cfg {
  char *path;        /* file read */
  cfg_line *lines;   /* every section and key, in file order */
  size_t n_lines;
  mode_t mode;       /* its permission bits */
  char *plugin_dir;  /* ':'-separated list, absolute */
  char *state_dir;   /* absolute */
  char *store;       /* [smsmux] store: a PostgreSQL URL (may hold a
                        password: never shown), NULL: SQLite in state_dir */
  long timeout;      /* seconds per HTTP request, default 15 */
  char *default_cc;  /* country code for national numbers, default "33" */
  long breaker_failures; /* consecutive failures that open a breaker (3) */
  long breaker_cooldown; /* seconds a breaker stays open (60) */
  long balance_ttl;      /* seconds a cached balance is trusted (300) */
  long retention_days;   /* days settled messages are kept (90) */
  char *ca_file, *ca_path; /* trusted CAs (absolute), or NULL: the system's */
  char **stop_words, **start_words; /* replies that opt out / back in,
                                       upper case, blanks squeezed */
  size_t n_stop_words, n_start_words;
  long webhook_retry_hours; /* hours an event's webhook is retried (24) */
  cfg_provider *providers;
  size_t n_providers;
  cfg_plan *plans;   /* [plan.NAME] sections, in file order */
  size_t n_plans;
  cfg_route *routes; /* in `routes =` order */
  size_t n_routes;
  cfg_server server;
} cfg;

/** Find the configuration file: `explicit_path`, else $SMSMUX_CONFIG,
    ./smsmux.ini, $XDG_CONFIG_HOME/smsmux/smsmux.ini (~/.config when
    unset), SYSCONFDIR/smsmux/smsmux.ini. Returns malloc'd path or NULL
    with err listing the places tried. */
char *cfg_find(const char *explicit_path, smsmux_error *err);

/** 0 when the file or directory `path` (stat'd into `st`) can be
    trusted, else -1 with *why a malloc'd message saying why not and how to
    fix it (NULL when out of memory: still -1, never "trusted").
    Like ssh's StrictModes: it must be owned by root or by the user running
    smsmux, and not writable by group or others, or someone else could
    change what smsmux reads or runs.  `what` names it ("configuration",
    "plugin directory", ...). */
int cfg_unsafe_path(const char *path, const struct stat *st, const char *what,
                    char **why);

/** Load and check the file.  NULL with err on any error (class CONFIG;
    SMSMUX_ERR_SYSTEM when out of memory). */
cfg *cfg_load(const char *path, smsmux_error *err);
void cfg_free(cfg *c);

/** The line of `key` in section `sec` ("route.x", lowercase; key NULL:
    the section header), or 0 when unknown. */
int cfg_line_of(const cfg *c, const char *sec, const char *key);

/** The provider named `name`, or NULL. */
cfg_provider *cfg_provider_find(cfg *c, const char *name);
/** Value of `key` in provider p (resolved), or NULL. */
const char *cfg_provider_get(const cfg_provider *p, const char *key);
/** Keys the host itself reads in [provider.NAME]. */
int cfg_is_host_key(const char *key);
/** Value of `key` in [server] (resolved, default filled in), or NULL. */
const char *cfg_server_get(const cfg *c, const char *key);
/** The plan named `name`, or NULL. */
const cfg_plan *cfg_plan_find(const cfg *c, const char *name);
/** Units one recipient `e164` of a message of `kind` and `segments`
    costs on plan `p` (NULL: the operator's prices, 1 unit a segment):
    sms: segments x (longest sms.+PREFIX, else sms); mms: mms; voice:
    voice.  Pure. */
int64_t cfg_plan_units(const cfg_plan *p, smsmux_kind kind,
                       unsigned segments, const char *e164);

/** A reply's text as stop_words/start_words are compared: ASCII upper
    case, blanks squeezed to one space, none (nor . or !) at either end.
    malloc'd; NULL on out of memory. */
char *cfg_reply_key(const char *text);
/** Price of one segment to `e164` on p: longest cost.+PREFIX, else cost. */
double cfg_price(const cfg_provider *p, const char *e164);

#endif
