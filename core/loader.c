/* loader: plugins are opened with libltdl with local symbol binding, so two
 * plugins never see each other's symbols; only smsmux_provider_entry is
 * looked up.  The descriptor is copied into a zeroed host struct, at most
 * the size the plugin declared (libfuse habit), so a plugin built for an
 * older minor simply has NULL in the members it did not know. */
#include "loader.h"
#include "cfg.h"
#include "util.h"

#include <dirent.h>
#include <ltdl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static pthread_mutex_t loader_lock = PTHREAD_MUTEX_INITIALIZER;
static int loader_refs;

int loader_init(smsmux_error *err) {
  int rc = 0;
  pthread_mutex_lock(&loader_lock);
  if (loader_refs == 0 && lt_dlinit() != 0) {
    err_set(err, SMSMUX_ERR_SYSTEM, NULL, "cannot initialise libltdl: %s",
            lt_dlerror());
    rc = -1;
  } else {
    loader_refs++;
  }
  pthread_mutex_unlock(&loader_lock);
  return rc;
}

void loader_exit(void) {
  pthread_mutex_lock(&loader_lock);
  if (loader_refs > 0 && --loader_refs == 0)
    lt_dlexit();
  pthread_mutex_unlock(&loader_lock);
}

static int file_exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static char *stem_of(const char *path) {
  const char *base = strrchr(path, '/');
  const char *dot;
  base = base ? base + 1 : path;
  dot = strrchr(base, '.');
  return dot ? xstrndup(base, (size_t)(dot - base)) : xstrdup(base);
}

plugin *loader_load(const char *dirs, const char *name) {
  char *copy = xstrdup(dirs), *save = NULL, *dir;
  char *found = NULL, *twin = NULL;
  plugin *p;

  if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 ||
      strcmp(name, "..") == 0) {
    p = xcalloc(1, sizeof *p);
    p->name = xstrdup(name);
    p->error = xasprintf("\"%s\" is not a plugin name", name);
    free(copy);
    return p;
  }
  /* every directory is searched: the same name twice is an error, not a
     silent "first wins" that would make a deployment depend on order */
  for (dir = strtok_r(copy, ":", &save); dir;
       dir = strtok_r(NULL, ":", &save)) {
    char *la = xasprintf("%s/%s.la", dir, name);
    char *so = xasprintf("%s/%s.so", dir, name);
    const char *here = file_exists(la) ? la : file_exists(so) ? so : NULL;
    if (here && found && !twin)
      twin = xstrdup(here);
    else if (here && !found)
      found = xstrdup(here);
    free(la);
    free(so);
  }
  free(copy);
  if (!found) {
    p = xcalloc(1, sizeof *p);
    p->name = xstrdup(name);
    p->error = xasprintf("plugin \"%s\" not found in %s (no %s.so or %s.la); "
                         "check plugin_dir and the plugin name",
                         name, dirs, name, name);
    return p;
  }
  if (twin) {
    p = xcalloc(1, sizeof *p);
    p->name = xstrdup(name);
    p->path = found;
    p->error = xasprintf("two plugins named \"%s\": %s and %s; remove one "
                         "of them from plugin_dir",
                         name, found, twin);
    free(twin);
    return p;
  }
  p = loader_load_file(found);
  free(found);
  return p;
}

void loader_notes_free(loader_notes *l) {
  size_t i;
  if (!l)
    return;
  for (i = 0; i < l->n; i++)
    free(l->v[i]);
  free(l->v);
  memset(l, 0, sizeof *l);
}

static void note(loader_notes *l, char *msg) {
  if (l)
    *VEC_PUSH(l->v, l->n, l->cap) = msg;
  else
    free(msg);
}

/* Why dlopen refused a file, in words: libltdl's own message for a file
   that is not a shared object at all is often a bare "file not found". */
static char *not_loadable(const char *path, const char *ltdl_msg) {
  unsigned char magic[4] = {0};
  FILE *f = fopen(path, "rb");
  size_t got = f ? fread(magic, 1, sizeof magic, f) : 0;
  size_t l = strlen(path);
  if (f)
    fclose(f);
  if (l > 3 && strcmp(path + l - 3, ".la") == 0)
    return xasprintf("%s: cannot load: %s", path,
                     ltdl_msg ? ltdl_msg : "unknown libltdl error");
  if (got < 4 || memcmp(magic, "\177ELF", 4) != 0)
    return xasprintf("%s: not a smsmux plugin: not a shared library (no ELF "
                     "header)",
                     path);
  return xasprintf("%s: cannot load: %s", path,
                   ltdl_msg ? ltdl_msg : "unknown libltdl error");
}

plugin *loader_load_file(const char *path) {
  return loader_check_file(path, NULL, NULL);
}

plugin *loader_check_file(const char *path, loader_notes *problems,
                          loader_notes *warnings) {
  plugin *p = xcalloc(1, sizeof *p);
  lt_dladvise adv;
  lt_dlhandle h = NULL;
  smsmux_provider_entry_fn entry;
  const smsmux_provider *d;
  size_t declared;
  loader_notes found = {0};

  p->path = xstrdup(path);
  p->name = stem_of(path);
  if (!file_exists(path)) {
    p->error = xasprintf("%s: no such plugin file", path);
    note(problems, xstrdup(p->error));
    return p;
  }
  pthread_mutex_lock(&loader_lock);
  if (lt_dladvise_init(&adv) == 0) {
    lt_dladvise_local(&adv);
    h = lt_dlopenadvise(path, adv);
    lt_dladvise_destroy(&adv);
  }
  if (!h) {
    p->error = not_loadable(path, lt_dlerror());
    pthread_mutex_unlock(&loader_lock);
    note(problems, xstrdup(p->error));
    return p;
  }
  pthread_mutex_unlock(&loader_lock);
  p->handle = h;
  p->opened = 1;

  entry = (smsmux_provider_entry_fn)(uintptr_t)lt_dlsym(h,
                                                        SMSMUX_PROVIDER_ENTRY);
  if (!entry) {
    p->error = xasprintf("%s: not a smsmux plugin (no %s symbol)", path,
                         SMSMUX_PROVIDER_ENTRY);
    note(problems, xstrdup(p->error));
    return p;
  }
  p->has_entry = 1;
  d = entry();
  if (!d) {
    p->error = xasprintf("%s: %s() returned NULL: the plugin refused to "
                         "initialise",
                         path, SMSMUX_PROVIDER_ENTRY);
    note(problems, xstrdup(p->error));
    return p;
  }
  p->has_desc = 1;
  declared = d->size;
  p->desc_size = declared;
  if (declared >= offsetof(smsmux_provider, abi_minor) + sizeof d->abi_minor) {
    p->abi_major = d->abi_major;
    p->abi_minor = d->abi_minor;
  }
  loader_check_descriptor_all(d, declared, p->name, &found, warnings);
  if (declared >= SMSMUX_PROVIDER_MIN_SIZE && d->abi_major == SMSMUX_ABI_MAJOR) {
    memcpy(&p->desc, d,
           declared < sizeof p->desc ? declared : sizeof p->desc);
    p->desc.size = sizeof p->desc;
    p->readable = 1;
  }
  if (found.n) {
    size_t i;
    p->error = xasprintf("%s: %s", path, found.v[0]);
    for (i = 0; i < found.n; i++) {
      note(problems, found.v[i]);
      found.v[i] = NULL;
    }
    loader_notes_free(&found);
    return p;
  }
  p->loaded = 1;
  return p;
}

/* A member counts only when the plugin's struct is big enough to hold it. */
#define DECLARES(m) (declared >= offsetof(smsmux_provider, m) + sizeof d->m)
#define HAS(m) (DECLARES(m) && d->m != NULL)

char *loader_check_descriptor(const smsmux_provider *d, size_t declared,
                              const char *stem) {
  loader_notes found = {0};
  char *first;
  if (loader_check_descriptor_all(d, declared, stem, &found, NULL) == 0)
    return NULL;
  first = found.v[0];
  found.v[0] = NULL;
  loader_notes_free(&found);
  return first;
}

static int is_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

/* A parameter name without its optional marker. */
static size_t param_len(const char *p) {
  size_t l = strlen(p);
  return l && p[l - 1] == '?' ? l - 1 : l;
}

static void check_operations(const smsmux_operation *ops, loader_notes *out) {
  const smsmux_operation *o, *q;
  size_t i, j;
  for (o = ops; o->name; o++) {
    if (!*o->name) {
      note(out, xasprintf("operation %zu has an empty name", (size_t)(o - ops) + 1));
      continue;
    }
    for (q = ops; q < o; q++)
      if (strcmp(q->name, o->name) == 0) {
        note(out, xasprintf("operation \"%s\" is declared twice", o->name));
        break;
      }
    for (i = 0; o->params && o->params[i]; i++) {
      const char *pn = o->params[i];
      const char *mark = strchr(pn, '?');
      size_t l = param_len(pn);
      if (l == 0) {
        note(out, xasprintf("operation \"%s\": parameter %zu has an empty "
                            "name",
                            o->name, i + 1));
        continue;
      }
      if ((mark && mark != pn + l) || strchr(pn, '=') ||
          strcspn(pn, " \t\r\n") != strlen(pn)) {
        note(out, xasprintf("operation \"%s\": parameter \"%s\" is not a "
                            "name (no spaces or '=', and '?' only at the "
                            "end to mark it optional)",
                            o->name, pn));
        continue;
      }
      for (j = 0; j < i; j++)
        if (param_len(o->params[j]) == l &&
            strncmp(o->params[j], pn, l) == 0) {
          note(out, xasprintf("operation \"%s\": parameter \"%.*s\" is "
                              "declared twice",
                              o->name, (int)l, pn));
          break;
        }
    }
  }
}

static void check_config_keys(const smsmux_config_key *keys, loader_notes *out,
                              loader_notes *warnings) {
  const smsmux_config_key *k, *q;
  for (k = keys; k->name; k++) {
    const char *c;
    int bad = !*k->name;
    for (c = k->name; *c; c++)
      if (!is_key_char(*c))
        bad = 1;
    if (bad) {
      note(out, xasprintf("config key \"%s\" is not a lowercase key name "
                          "(a-z, 0-9, '_', '-', '.')",
                          k->name));
      continue;
    }
    for (q = keys; q < k; q++)
      if (strcmp(q->name, k->name) == 0) {
        note(out, xasprintf("config key \"%s\" is declared twice", k->name));
        break;
      }
    if (cfg_is_host_key(k->name))
      note(warnings, xasprintf("config key \"%s\" is one of the host's own "
                               "keys: the host reads it, the plugin gets "
                               "it through config_get as well",
                               k->name));
  }
}

size_t loader_check_descriptor_all(const smsmux_provider *d, size_t declared,
                                   const char *stem, loader_notes *problems,
                                   loader_notes *warnings) {
  strbuf missing = {0};
  uint32_t caps;
  size_t before = problems->n;

  /* abi_major sits right after size: check it before trusting the size. */
  if (declared < offsetof(smsmux_provider, abi_minor)) {
    note(problems,
         xasprintf("descriptor too small (%zu bytes): not a smsmux plugin",
                   declared));
    return problems->n - before;
  }
  if (d->abi_major != SMSMUX_ABI_MAJOR) {
    note(problems,
         xasprintf("built for smsmux plugin ABI %u.x, this smsmux speaks "
                   "ABI %d.%d: rebuild the plugin against this smsmux's "
                   "provider.h",
                   d->abi_major, SMSMUX_ABI_MAJOR, SMSMUX_ABI_MINOR));
    return problems->n - before;
  }
  if (declared < SMSMUX_PROVIDER_MIN_SIZE) {
    note(problems,
         xasprintf("descriptor of %zu bytes is smaller than any ABI %d "
                   "descriptor (%zu): the plugin is broken",
                   declared, SMSMUX_ABI_MAJOR,
                   (size_t)SMSMUX_PROVIDER_MIN_SIZE));
    return problems->n - before;
  }
  if (declared > sizeof *d && d->abi_minor <= SMSMUX_ABI_MINOR)
    note(problems,
         xasprintf("descriptor of %zu bytes is larger than ABI %u.%u's (%zu) "
                   "though it says it was built for that minor",
                   declared, d->abi_major, d->abi_minor, sizeof *d));
  else if (declared > sizeof *d || d->abi_minor > SMSMUX_ABI_MINOR)
    note(warnings,
         xasprintf("built for ABI %u.%u, newer than this smsmux's %d.%d: "
                   "members it declares past %zu bytes are ignored",
                   d->abi_major, d->abi_minor, SMSMUX_ABI_MAJOR,
                   SMSMUX_ABI_MINOR, sizeof *d));
  if (!d->name || !*d->name)
    note(problems, xstrdup("descriptor has no name"));
  else if (stem && strcmp(d->name, stem) != 0)
    note(problems,
         xasprintf("declares the name \"%s\" but its file is named \"%s\": "
                   "a plugin's name is its file name",
                   d->name, stem));
  caps = d->capabilities;
  if (!HAS(open))
    sb_adds(&missing, " open");
  if (!HAS(close))
    sb_adds(&missing, " close");
  if ((caps & (SMSMUX_CAP_SMS | SMSMUX_CAP_UNICODE | SMSMUX_CAP_MMS |
               SMSMUX_CAP_VOICE)) &&
      !HAS(send))
    sb_adds(&missing, " send");
  if ((caps & SMSMUX_CAP_STATUS) && !HAS(status))
    sb_adds(&missing, " status");
  if ((caps & SMSMUX_CAP_BALANCE) && !HAS(balance))
    sb_adds(&missing, " balance");
  if ((caps & SMSMUX_CAP_REPLIES) && !HAS(replies))
    sb_adds(&missing, " replies");
  if ((caps & SMSMUX_CAP_CANCEL) && !HAS(cancel))
    sb_adds(&missing, " cancel");
  if (HAS(operations) && d->operations[0].name && !HAS(call))
    sb_adds(&missing, " call");
  if (missing.len)
    note(problems, xasprintf("required functions missing for its declared "
                             "capabilities:%s",
                             missing.s));
  sb_free(&missing);
  if (DECLARES(max_recipients) && d->max_recipients == 0)
    note(problems, xstrdup("max_recipients is 0: a provider takes at least "
                           "one recipient per request"));
  if (HAS(default_base_url) && !str_starts(d->default_base_url, "http://") &&
      !str_starts(d->default_base_url, "https://"))
    note(problems, xasprintf("default_base_url \"%s\" is not an http:// or "
                             "https:// URL",
                             d->default_base_url));
  if (HAS(config_keys))
    check_config_keys(d->config_keys, problems, warnings);
  if (HAS(operations))
    check_operations(d->operations, problems);
  return problems->n - before;
}

void loader_unload(plugin *p) {
  if (!p)
    return;
  if (p->handle) {
    pthread_mutex_lock(&loader_lock);
    lt_dlclose((lt_dlhandle)p->handle);
    pthread_mutex_unlock(&loader_lock);
  }
  free(p->name);
  free(p->path);
  free(p->error);
  free(p);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t loader_scan(const char *dirs, char ***paths) {
  char *copy = xstrdup(dirs), *save = NULL, *dir;
  char **out = NULL;
  size_t n = 0, cap = 0;

  for (dir = strtok_r(copy, ":", &save); dir;
       dir = strtok_r(NULL, ":", &save)) {
    DIR *dh = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t nn = 0, ncap = 0, i;
    if (!dh)
      continue;
    while ((e = readdir(dh))) {
      size_t l = strlen(e->d_name);
      if ((l > 3 && strcmp(e->d_name + l - 3, ".la") == 0) ||
          (l > 3 && strcmp(e->d_name + l - 3, ".so") == 0))
        *VEC_PUSH(names, nn, ncap) = xstrdup(e->d_name);
    }
    closedir(dh);
    qsort(names, nn, sizeof *names, cmp_str);
    for (i = 0; i < nn; i++) {
      size_t l = strlen(names[i]);
      /* foo.so next to foo.la is the same plugin: keep the .la */
      if (strcmp(names[i] + l - 3, ".so") == 0) {
        char *la = xstrdup(names[i]);
        size_t j;
        int dup = 0;
        strcpy(la + l - 3, ".la");
        for (j = 0; j < nn; j++)
          if (strcmp(names[j], la) == 0)
            dup = 1;
        free(la);
        if (dup)
          continue;
      }
      *VEC_PUSH(out, n, cap) = xasprintf("%s/%s", dir, names[i]);
    }
    for (i = 0; i < nn; i++)
      free(names[i]);
    free(names);
  }
  free(copy);
  *paths = out;
  return n;
}
