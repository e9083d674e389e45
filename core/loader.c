/* loader: plugins are opened with dlopen(RTLD_NOW | RTLD_LOCAL), so two
 * plugins never see each other's symbols, every symbol a plugin uses is
 * bound before any of its code runs, and only smsmux_provider_entry is
 * looked up.  The descriptor is copied into a zeroed host struct, at most
 * the size the plugin declared (libfuse habit), so a plugin built for an
 * older minor simply has NULL in the members it did not know.
 *
 * Before dlopen sees a file (its constructors run as the user running
 * smsmux, maybe root), the loader checks, in this order: the directory and
 * the file are owned by root or that user and writable by nobody else
 * (cfg_unsafe_path); a libtool .la is resolved to the library it names;
 * the library is a complete ELF shared object of this machine's class
 * (a truncated one would be mapped past its end: SIGBUS inside dlopen);
 * and which symbols it exports (docs/ABI.md: exactly one).
 *
 * Binding now, with libltdl: libltdl binds lazily and has no advise to
 * bind now, so a plugin with an unresolved symbol used to load, pass
 * `plugins --check`, then kill the process at its first call ("symbol
 * lookup error", exit 127).  So the library is first opened with
 * dlopen(RTLD_NOW | RTLD_LOCAL), which relocates every symbol or fails
 * naming the missing one; libltdl then opens the same, already bound,
 * object (the dynamic loader keeps one copy: lt_dlopenadvise with local
 * symbols returns it) and the first handle is closed.  The .la file is
 * read by la_library for the one field that matters (dlname), so that the
 * file checked is exactly the file opened.
 *
 * Out of memory: the loader's own "why not" texts (NULL: no problem) are
 * OOM_WHY when they could not be allocated, so that a failed allocation is
 * never taken for "no problem"; loader_load and loader_check_file then
 * return NULL, and a list of notes that lost one says so in its `oom`. */
#include "loader.h"
#include "cfg.h"
#include "util.h"

#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <ltdl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_mutex_t loader_lock = PTHREAD_MUTEX_INITIALIZER;
static int loader_refs;

/* lt_dlinit/lt_dlexit, paired: libltdl counts its own users too, so an
   application's own use of it is not disturbed. */
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

/* libltdl's handle of `lib`, opened after dlopen bound it (see the top). */
static lt_dlhandle ltdl_open_bound(const char *lib, void *bound) {
  lt_dladvise advise;
  lt_dlhandle h = NULL;
  if (lt_dladvise_init(&advise) == 0 && lt_dladvise_local(&advise) == 0)
    h = lt_dlopenadvise(lib, advise);
  lt_dladvise_destroy(&advise);
  dlclose(bound); /* libltdl's handle keeps the object */
  return h;
}

/* The "why not" of a problem whose text could not be allocated. */
static char oom_why[] = "out of memory";
#define OOM_WHY oom_why
/* `why` as a "why not": OOM_WHY when it could not be allocated. */
static char *why_or_oom(char *why) { return why ? why : OOM_WHY; }

static int file_exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static char *stem_of(const char *path) {
  const char *base = strrchr(path, '/');
  const char *dot;
  base = base ? base + 1 : path;
  dot = strrchr(base, '.');
  return dot ? str_ndup(base, (size_t)(dot - base)) : str_dup(base);
}

/* A plugin that did not load because of `error` (taken; NULL: out of
   memory); NULL when out of memory. */
static plugin *refused_plugin(const char *name, char *path, char *error) {
  plugin *p = calloc(1, sizeof *p);
  if (!p || !error || !(p->name = str_dup(name))) {
    free(p);
    free(path);
    free(error);
    return NULL;
  }
  p->path = path;
  p->error = error;
  return p;
}

plugin *loader_load(const char *dirs, const char *name) {
  char *copy, *save = NULL, *dir;
  char *found = NULL, *twin = NULL;
  plugin *p;
  int oom = 0;

  if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 ||
      strcmp(name, "..") == 0)
    return refused_plugin(name, NULL,
                          str_printf("\"%s\" is not a plugin name", name));
  if (!(copy = str_dup(dirs)))
    return NULL;
  /* every directory is searched: the same name twice is an error, not a
     silent "first wins" that would make a deployment depend on order */
  for (dir = strtok_r(copy, ":", &save); dir && !oom;
       dir = strtok_r(NULL, ":", &save)) {
    char *la = str_printf("%s/%s.la", dir, name);
    char *so = str_printf("%s/%s.so", dir, name);
    const char *here = !la || !so           ? NULL
                       : file_exists(la) ? la
                       : file_exists(so) ? so
                                         : NULL;
    if (!la || !so)
      oom = 1;
    else if (here && found && !twin)
      oom = !(twin = str_dup(here));
    else if (here && !found)
      oom = !(found = str_dup(here));
    free(la);
    free(so);
  }
  free(copy);
  if (oom) {
    free(found);
    free(twin);
    return NULL;
  }
  if (!found)
    return refused_plugin(
        name, NULL,
        str_printf("plugin \"%s\" not found in %s (no %s.so or %s.la); "
                   "check plugin_dir and the plugin name",
                   name, dirs, name, name));
  if (twin) {
    char *error = str_printf("two plugins named \"%s\": %s and %s; remove "
                             "one of them from plugin_dir",
                             name, found, twin);
    free(twin);
    return refused_plugin(name, found, error);
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

/* Add `msg` (taken; NULL: it could not be allocated) to `l` (may be
   NULL); a note lost for want of memory sets l->oom. */
static void note(loader_notes *l, char *msg) {
  char **slot;
  if (!l) {
    free(msg);
    return;
  }
  if (!msg || !(slot = VEC_PUSH(l->v, l->n, l->cap))) {
    free(msg);
    l->oom = 1;
    return;
  }
  *slot = msg;
}

/* The directory part of `path` ("." when it has none). */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    return str_dup(".");
  if (slash == path)
    return str_dup("/");
  return str_ndup(path, (size_t)(slash - path));
}

/* cfg_unsafe_path's answer as a "why not": NULL when safe. */
static char *unsafe_why(const char *path, const struct stat *st,
                        const char *what) {
  char *why = NULL;
  if (cfg_unsafe_path(path, st, what, &why) == 0)
    return NULL;
  return why_or_oom(why);
}

/* NULL when `path` and the directory holding it can be trusted (see
   cfg_unsafe_path); for a symbolic link, the file it leads to and that
   file's directory as well.  `what` names the file in the message. */
static char *untrusted(const char *path, const char *what) {
  struct stat st;
  char *dirs[2] = {NULL, NULL}, *msg = NULL, *real;
  size_t i;

  errno = 0;
  real = realpath(path, NULL);
  if (!real && errno == ENOMEM)
    return OOM_WHY;
  if (!(dirs[0] = dir_of(path))) {
    free(real);
    return OOM_WHY;
  }
  if (real) {
    if (!(dirs[1] = dir_of(real)))
      msg = OOM_WHY;
    else if (strcmp(dirs[0], dirs[1]) == 0) {
      free(dirs[1]);
      dirs[1] = NULL;
    }
  }
  for (i = 0; i < 2 && !msg; i++)
    if (dirs[i]) {
      if (stat(dirs[i], &st) != 0)
        msg = why_or_oom(str_printf("%s: %s", dirs[i], strerror(errno)));
      else
        msg = unsafe_why(dirs[i], &st, "plugin directory");
    }
  if (!msg) {
    if (stat(path, &st) != 0)
      msg = why_or_oom(str_printf("%s: %s", path, strerror(errno)));
    else
      msg = unsafe_why(real ? real : path, &st, what);
  }
  free(dirs[0]);
  free(dirs[1]);
  free(real);
  return msg;
}

static int is_la(const char *path) {
  size_t l = strlen(path);
  return l > 3 && strcmp(path + l - 3, ".la") == 0;
}

/* The shared library a libtool .la file names (its dlname): next to it
   once installed, in .libs/ in a build tree (installed=no).  NULL with
   *why when there is none. */
static char *la_library(const char *la, char **why) {
  FILE *f = fopen(la, "r");
  char line[1024], *dlname = NULL, *dir, *cand[2], *found = NULL;
  int installed = 1;
  size_t i;

  int oom = 0;

  if (!f) {
    *why = why_or_oom(str_printf("%s: cannot read: %s", la, strerror(errno)));
    return NULL;
  }
  while (fgets(line, sizeof line, f)) {
    if (str_starts(line, "dlname='")) {
      char *q = strchr(line + 8, '\'');
      free(dlname);
      dlname = q ? str_ndup(line + 8, (size_t)(q - line - 8)) : NULL;
      oom |= q && !dlname;
    } else if (str_starts(line, "installed=no")) {
      installed = 0;
    }
  }
  fclose(f);
  if (oom) {
    *why = OOM_WHY;
    return NULL;
  }
  if (!dlname || !*dlname || strchr(dlname, '/') ||
      strcmp(dlname, "..") == 0) {
    *why = why_or_oom(str_printf("%s: not a smsmux plugin: a libtool file that "
                          "names no shared library (no dlname)",
                          la));
    free(dlname);
    return NULL;
  }
  dir = dir_of(la);
  cand[installed ? 1 : 0] = dir ? str_printf("%s/.libs/%s", dir, dlname) : NULL;
  cand[installed ? 0 : 1] = dir ? str_printf("%s/%s", dir, dlname) : NULL;
  if (!cand[0] || !cand[1])
    oom = 1;
  for (i = 0; i < 2 && !found && !oom; i++)
    if (file_exists(cand[i]))
      oom = !(found = str_dup(cand[i]));
  if (oom)
    *why = OOM_WHY;
  else if (!found)
    *why = why_or_oom(str_printf("%s: cannot load: the library it names, %s, is in "
                          "neither %s nor %s/.libs",
                          la, dlname, dir, dir));
  free(cand[0]);
  free(cand[1]);
  free(dir);
  free(dlname);
  return found;
}

#if __SIZEOF_POINTER__ == 8
#define HOST_ELFCLASS ELFCLASS64
#else
#define HOST_ELFCLASS ELFCLASS32
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_ELFDATA ELFDATA2LSB
#else
#define HOST_ELFDATA ELFDATA2MSB
#endif
#define MAX_PLUGIN_BYTES ((off_t)256 << 20)

/* [off, off + len) lies inside a file of `size` bytes. */
static int in_file(uint64_t off, uint64_t len, uint64_t size) {
  return off <= size && len <= size - off;
}

/* The names of the symbols `img` (a whole ELF file) defines and exports
   other than the entry point, from its dynamic symbol table.  A library
   without section headers (stripped with sstrip) is not examined. */
static void extra_exports(const unsigned char *img, uint64_t size,
                          const ElfW(Ehdr) *eh, loader_notes *out) {
  size_t i;
  for (i = 0; i < eh->e_shnum; i++) {
    ElfW(Shdr) sh, strsh;
    size_t j, n;
    memcpy(&sh, img + eh->e_shoff + i * sizeof sh, sizeof sh);
    if (sh.sh_type != SHT_DYNSYM || sh.sh_entsize != sizeof(ElfW(Sym)) ||
        !in_file(sh.sh_offset, sh.sh_size, size) || sh.sh_link >= eh->e_shnum)
      continue;
    memcpy(&strsh, img + eh->e_shoff + sh.sh_link * sizeof strsh,
           sizeof strsh);
    if (strsh.sh_type != SHT_STRTAB ||
        !in_file(strsh.sh_offset, strsh.sh_size, size))
      continue;
    n = sh.sh_size / sizeof(ElfW(Sym));
    for (j = 1; j < n; j++) {
      ElfW(Sym) sym;
      const char *name;
      unsigned bind, type, vis;
      memcpy(&sym, img + sh.sh_offset + j * sizeof sym, sizeof sym);
      bind = ELF64_ST_BIND(sym.st_info);
      type = ELF64_ST_TYPE(sym.st_info);
      vis = ELF64_ST_VISIBILITY(sym.st_other);
      if (sym.st_shndx == SHN_UNDEF ||
          (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE) ||
          (type != STT_FUNC && type != STT_OBJECT && type != STT_TLS &&
           type != STT_GNU_IFUNC) ||
          (vis != STV_DEFAULT && vis != STV_PROTECTED) ||
          sym.st_name >= strsh.sh_size)
        continue;
      name = (const char *)img + strsh.sh_offset + sym.st_name;
      if (memchr(name, '\0', strsh.sh_size - sym.st_name) == NULL || !*name)
        continue;
      /* AddressSanitizer adds __odr_asan.X next to each exported global X:
         counted once, as X */
      if (strcmp(name, SMSMUX_PROVIDER_ENTRY) != 0 &&
          !str_starts(name, "__odr_asan"))
        note(out, str_dup(name));
    }
  }
}

/* Read regular file `lib` whole (at most MAX_PLUGIN_BYTES) into *img
   (malloc'd, *size bytes).  NULL, or why not (malloc'd; *img NULL). */
static char *read_whole(const char *lib, unsigned char **img, uint64_t *size) {
  int fd = open(lib, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  struct stat st;
  size_t got = 0;

  *img = NULL;
  if (fd < 0)
    return why_or_oom(str_printf("%s: cannot read: %s", lib, strerror(errno)));
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return why_or_oom(str_printf("%s: not a smsmux plugin: not a regular file", lib));
  }
  if (st.st_size > MAX_PLUGIN_BYTES) {
    close(fd);
    return why_or_oom(str_printf("%s: not a smsmux plugin: %lld bytes, too large for "
                     "one",
                     lib, (long long)st.st_size));
  }
  *size = (uint64_t)st.st_size;
  *img = malloc(*size ? (size_t)*size : 1);
  if (!*img) {
    close(fd);
    return OOM_WHY;
  }
  while (got < *size) {
    ssize_t r = read(fd, *img + got, (size_t)*size - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    got += (size_t)r;
  }
  close(fd);
  if (got != *size) {
    free(*img);
    *img = NULL;
    return why_or_oom(str_printf("%s: cannot read it whole (%zu of %llu bytes): was it "
                     "being replaced?",
                     lib, got, (unsigned long long)*size));
  }
  return NULL;
}

/* The ELF header of `img` (`size` bytes) into *eh: NULL when it is a
   shared object of this machine's class and byte order whose header
   tables lie in the file, else why not (malloc'd). */
static char *elf_header_problem(const char *lib, const unsigned char *img,
                                uint64_t size, ElfW(Ehdr) *eh) {
  if (size < SELFMAG || memcmp(img, ELFMAG, SELFMAG) != 0)
    return why_or_oom(str_printf("%s: not a smsmux plugin: not a shared library (no ELF "
                     "header)",
                     lib));
  if (size < EI_NIDENT || img[EI_CLASS] != HOST_ELFCLASS ||
      img[EI_DATA] != HOST_ELFDATA)
    return why_or_oom(str_printf("%s: not a smsmux plugin for this machine: an ELF file "
                     "of another class or byte order (this smsmux is %d-bit "
                     "%s-endian)",
                     lib, (int)(8 * sizeof(void *)),
                     HOST_ELFDATA == ELFDATA2LSB ? "little" : "big"));
  if (size < sizeof *eh)
    return why_or_oom(str_printf("%s: not a smsmux plugin: truncated shared library "
                     "(%llu bytes, less than an ELF header): reinstall it",
                     lib, (unsigned long long)size));
  memcpy(eh, img, sizeof *eh);
  if (eh->e_type != ET_DYN)
    return why_or_oom(str_printf("%s: not a smsmux plugin: an ELF %s, not a shared "
                     "library",
                     lib,
                     eh->e_type == ET_EXEC  ? "executable"
                     : eh->e_type == ET_REL ? "object file (.o)"
                     : eh->e_type == ET_CORE ? "core dump"
                                             : "file of an unknown type"));
  if (eh->e_phentsize != sizeof(ElfW(Phdr)) || eh->e_phnum == 0 ||
      !in_file(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(ElfW(Phdr)),
               size) ||
      (eh->e_shnum &&
       (eh->e_shentsize != sizeof(ElfW(Shdr)) ||
        !in_file(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(ElfW(Shdr)),
                 size))))
    return why_or_oom(str_printf("%s: not a smsmux plugin: truncated or damaged shared "
                     "library (%llu bytes; its ELF header points past the "
                     "end): reinstall it",
                     lib, (unsigned long long)size));
  return NULL;
}

/* NULL when every segment and section `eh` lists lies in the `size`
   bytes of `img`, else why not (malloc'd). */
static char *elf_extent_problem(const char *lib, const unsigned char *img,
                                uint64_t size, const ElfW(Ehdr) *eh) {
  size_t i;

  for (i = 0; i < eh->e_phnum; i++) {
    ElfW(Phdr) ph;
    memcpy(&ph, img + eh->e_phoff + i * sizeof ph, sizeof ph);
    if (ph.p_type != PT_NULL && ph.p_filesz &&
        !in_file(ph.p_offset, ph.p_filesz, size))
      return why_or_oom(str_printf("%s: not a smsmux plugin: truncated shared library: "
                       "%llu bytes, but its segments reach byte %llu: "
                       "reinstall it",
                       lib, (unsigned long long)size,
                       (unsigned long long)ph.p_offset +
                           (unsigned long long)ph.p_filesz));
  }
  for (i = 0; i < eh->e_shnum; i++) {
    ElfW(Shdr) sh;
    memcpy(&sh, img + eh->e_shoff + i * sizeof sh, sizeof sh);
    if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL &&
        !in_file(sh.sh_offset, sh.sh_size, size))
      return why_or_oom(str_printf("%s: not a smsmux plugin: truncated or damaged shared "
                       "library (%llu bytes; a section reaches byte %llu): "
                       "reinstall it",
                       lib, (unsigned long long)size,
                       (unsigned long long)sh.sh_offset +
                           (unsigned long long)sh.sh_size));
  }
  return NULL;
}

/* NULL when `lib` is a complete ELF shared object of this machine's class
   and byte order, else why not (malloc'd).  dlopen maps each segment as the
   headers describe it: a file cut short (an interrupted copy) would be
   mapped past its end and the first access would kill the process with
   SIGBUS, so every header, segment and section must lie in the file.  The
   symbols it exports besides the entry point go to `exports`. */
static char *elf_problem(const char *lib, loader_notes *exports) {
  unsigned char *img;
  uint64_t size = 0;
  ElfW(Ehdr) eh;
  char *why = read_whole(lib, &img, &size);

  memset(&eh, 0, sizeof eh);
  if (why)
    return why;
  why = elf_header_problem(lib, img, size, &eh);
  if (!why)
    why = elf_extent_problem(lib, img, size, &eh);
  if (!why)
    extra_exports(img, size, &eh, exports);
  free(img);
  return why;
}

/* dlerror()'s text without the file name it starts with. */
static const char *dl_reason(const char *lib, const char *msg) {
  size_t l = strlen(lib);
  if (!msg)
    return "unknown dynamic loader error";
  if (strncmp(msg, lib, l) == 0 && msg[l] == ':')
    msg += l + 1;
  while (*msg == ' ')
    msg++;
  return msg;
}

/* Open `lib` (the shared object of plugin file `path`) with every symbol
   bound now, then through libltdl.  The handle, or NULL with *error set
   (malloc'd). */
static lt_dlhandle open_bound(const char *path, const char *lib,
                              char **error) {
  void *h;
  lt_dlhandle lh = NULL;

  pthread_mutex_lock(&loader_lock);
  dlerror();
  h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *msg = dl_reason(lib, dlerror());
    *error = why_or_oom(str_printf(
        "%s: cannot load: %s%s", path, msg,
        strstr(msg, "undefined symbol")
            ? " (the plugin uses a symbol that neither it nor the libraries "
              "it links define: rebuild it against this smsmux and its "
              "libraries)"
            : ""));
  }
  if (h && !(lh = ltdl_open_bound(lib, h)))
    *error = why_or_oom(str_printf("%s: cannot load: %s", path, lt_dlerror()));
  pthread_mutex_unlock(&loader_lock);
  return lh;
}

/* The problem of a plugin exporting symbols besides the entry point
   (`exports`, the first five named), noted in `found`. */
static void note_exports(loader_notes *found, const loader_notes *exports) {
  strbuf names = {0};
  size_t i;

  if (!exports->n)
    return;
  for (i = 0; i < exports->n && i < 5; i++)
    sb_addf(&names, "%s%s", i ? ", " : "", exports->v[i]);
  if (exports->n > 5)
    sb_addf(&names, " and %zu more", exports->n - 5);
  note(found,
       names.oom ? NULL
                 : str_printf("exports %zu symbol%s besides %s (%s): a plugin "
                              "exports that one alone (docs/ABI.md); build "
                              "it with -fvisibility=hidden, or make the "
                              "others static",
                              exports->n, exports->n > 1 ? "s" : "",
                              SMSMUX_PROVIDER_ENTRY, names.s));
  sb_free(&names);
}

plugin *loader_load_file(const char *path) {
  return loader_check_file(path, NULL, NULL);
}

plugin *loader_check_file(const char *path, loader_notes *problems,
                          loader_notes *warnings) {
  plugin *p = calloc(1, sizeof *p);
  lt_dlhandle lh;
  smsmux_provider_entry_fn entry;
  const smsmux_provider *d;
  size_t declared;
  loader_notes found = {0}, exports = {0};
  char *lib = NULL;

  if (!p)
    return NULL;
  if (!(p->path = str_dup(path)) || !(p->name = stem_of(path))) {
    p->error = OOM_WHY;
    goto refused;
  }
  if (!file_exists(path)) {
    p->error = why_or_oom(str_printf("%s: no such plugin file", path));
    goto refused;
  }
  /* Nothing of the file reaches the dynamic loader before these pass. */
  if ((p->error = untrusted(path, "plugin")))
    goto refused;
  if (is_la(path)) {
    if (!(lib = la_library(path, &p->error)))
      goto refused;
    if ((p->error = untrusted(lib, "plugin library")))
      goto refused;
  } else if (!(lib = str_dup(path))) {
    p->error = OOM_WHY;
    goto refused;
  }
  if ((p->error = elf_problem(lib, &exports)))
    goto refused;
  if (exports.oom) {
    p->error = OOM_WHY;
    goto refused;
  }

  if (!(lh = open_bound(path, lib, &p->error)))
    goto refused;
  free(lib);
  lib = NULL;
  p->handle = lh;
  p->opened = 1;

  entry = (smsmux_provider_entry_fn)(uintptr_t)lt_dlsym(lh,
                                                        SMSMUX_PROVIDER_ENTRY);
  if (!entry) {
    p->error = why_or_oom(str_printf("%s: not a smsmux plugin (no %s symbol)", path,
                              SMSMUX_PROVIDER_ENTRY));
    goto refused;
  }
  p->has_entry = 1;
  d = entry();
  if (!d) {
    p->error = why_or_oom(str_printf("%s: %s() returned NULL: the plugin refused "
                              "to initialise",
                              path, SMSMUX_PROVIDER_ENTRY));
    goto refused;
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
  note_exports(&found, &exports);
  loader_notes_free(&exports);
  if (found.oom) {
    loader_notes_free(&found);
    p->error = OOM_WHY;
    goto refused;
  }
  if (found.n) {
    size_t i;
    if (!(p->error = str_printf("%s: %s", path, found.v[0]))) {
      loader_notes_free(&found);
      p->error = OOM_WHY;
      goto refused;
    }
    for (i = 0; i < found.n; i++) {
      note(problems, found.v[i]);
      found.v[i] = NULL;
    }
    loader_notes_free(&found);
    return p;
  }
  p->loaded = 1;
  return p;

refused:
  free(lib);
  loader_notes_free(&exports);
  if (p->error == OOM_WHY) {
    p->error = NULL;
    loader_unload(p);
    return NULL;
  }
  note(problems, str_dup(p->error));
  return p;
}

/* A member counts only when the plugin's struct is big enough to hold it. */
#define DECLARES(m) (declared >= offsetof(smsmux_provider, m) + sizeof d->m)
#define HAS(m) (DECLARES(m) && d->m != NULL)

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
      note(out, str_printf("operation %zu has an empty name", (size_t)(o - ops) + 1));
      continue;
    }
    for (q = ops; q < o; q++)
      if (strcmp(q->name, o->name) == 0) {
        note(out, str_printf("operation \"%s\" is declared twice", o->name));
        break;
      }
    for (i = 0; o->params && o->params[i]; i++) {
      const char *pn = o->params[i];
      const char *mark = strchr(pn, '?');
      size_t l = param_len(pn);
      if (l == 0) {
        note(out, str_printf("operation \"%s\": parameter %zu has an empty "
                            "name",
                            o->name, i + 1));
        continue;
      }
      if ((mark && mark != pn + l) || strchr(pn, '=') ||
          strcspn(pn, " \t\r\n") != strlen(pn)) {
        note(out, str_printf("operation \"%s\": parameter \"%s\" is not a "
                            "name (no spaces or '=', and '?' only at the "
                            "end to mark it optional)",
                            o->name, pn));
        continue;
      }
      for (j = 0; j < i; j++)
        if (param_len(o->params[j]) == l &&
            strncmp(o->params[j], pn, l) == 0) {
          note(out, str_printf("operation \"%s\": parameter \"%.*s\" is "
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
      note(out, str_printf("config key \"%s\" is not a lowercase key name "
                          "(a-z, 0-9, '_', '-', '.')",
                          k->name));
      continue;
    }
    for (q = keys; q < k; q++)
      if (strcmp(q->name, k->name) == 0) {
        note(out, str_printf("config key \"%s\" is declared twice", k->name));
        break;
      }
    if (cfg_is_host_key(k->name))
      note(warnings, str_printf("config key \"%s\" is one of the host's own "
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
         str_printf("descriptor too small (%zu bytes): not a smsmux plugin",
                   declared));
    return problems->n - before;
  }
  if (d->abi_major != SMSMUX_ABI_MAJOR) {
    note(problems,
         str_printf("built for smsmux plugin ABI %u.x, this smsmux speaks "
                   "ABI %d.%d: rebuild the plugin against this smsmux's "
                   "provider.h",
                   d->abi_major, SMSMUX_ABI_MAJOR, SMSMUX_ABI_MINOR));
    return problems->n - before;
  }
  if (declared < SMSMUX_PROVIDER_MIN_SIZE) {
    note(problems,
         str_printf("descriptor of %zu bytes is smaller than any ABI %d "
                   "descriptor (%zu): the plugin is broken",
                   declared, SMSMUX_ABI_MAJOR,
                   (size_t)SMSMUX_PROVIDER_MIN_SIZE));
    return problems->n - before;
  }
  if (declared > sizeof *d && d->abi_minor <= SMSMUX_ABI_MINOR)
    note(problems,
         str_printf("descriptor of %zu bytes is larger than ABI %u.%u's (%zu) "
                   "though it says it was built for that minor",
                   declared, d->abi_major, d->abi_minor, sizeof *d));
  else if (declared > sizeof *d || d->abi_minor > SMSMUX_ABI_MINOR)
    note(warnings,
         str_printf("built for ABI %u.%u, newer than this smsmux's %d.%d: "
                   "members it declares past %zu bytes are ignored",
                   d->abi_major, d->abi_minor, SMSMUX_ABI_MAJOR,
                   SMSMUX_ABI_MINOR, sizeof *d));
  if (!d->name || !*d->name)
    note(problems, str_dup("descriptor has no name"));
  else if (stem && strcmp(d->name, stem) != 0)
    note(problems,
         str_printf("declares the name \"%s\" but its file is named \"%s\": "
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
  if (missing.oom)
    note(problems, NULL);
  else if (missing.len)
    note(problems, str_printf("required functions missing for its declared "
                             "capabilities:%s",
                             missing.s));
  sb_free(&missing);
  if (DECLARES(max_recipients) && d->max_recipients == 0)
    note(problems, str_dup("max_recipients is 0: a provider takes at least "
                           "one recipient per request"));
  if (HAS(default_base_url) && !str_starts(d->default_base_url, "http://") &&
      !str_starts(d->default_base_url, "https://"))
    note(problems, str_printf("default_base_url \"%s\" is not an http:// or "
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
    lt_dlclose(p->handle);
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

/* Append a copy of `s` (taken; NULL: out of memory) to v: 0 or -1. */
static int push_str(char ***v, size_t *n, size_t *cap, char *s) {
  char **slot;
  if (!s || !(slot = VEC_PUSH(*v, *n, *cap))) {
    free(s);
    return -1;
  }
  *slot = s;
  return 0;
}

static void free_strs(char **v, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

int loader_scan(const char *dirs, char ***paths, size_t *count) {
  char *copy = str_dup(dirs), *save = NULL, *dir;
  char **out = NULL;
  size_t n = 0, cap = 0;
  int oom = !copy;

  for (dir = oom ? NULL : strtok_r(copy, ":", &save); dir && !oom;
       dir = strtok_r(NULL, ":", &save)) {
    DIR *dh = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t nn = 0, ncap = 0, i;
    if (!dh) {
      oom = errno == ENOMEM;
      continue;
    }
    while (!oom && (e = readdir(dh))) {
      size_t l = strlen(e->d_name);
      if ((l > 3 && strcmp(e->d_name + l - 3, ".la") == 0) ||
          (l > 3 && strcmp(e->d_name + l - 3, ".so") == 0))
        oom = push_str(&names, &nn, &ncap, str_dup(e->d_name)) < 0;
    }
    closedir(dh);
    if (!oom)
      qsort(names, nn, sizeof *names, cmp_str);
    for (i = 0; i < nn && !oom; i++) {
      size_t l = strlen(names[i]), j;
      int dup = 0;
      /* foo.so next to foo.la is the same plugin: keep the .la */
      if (strcmp(names[i] + l - 3, ".so") == 0)
        for (j = 0; j < nn; j++)
          if (strlen(names[j]) == l && strncmp(names[j], names[i], l - 3) == 0 &&
              strcmp(names[j] + l - 3, ".la") == 0)
            dup = 1;
      if (!dup)
        oom = push_str(&out, &n, &cap, str_printf("%s/%s", dir, names[i])) < 0;
    }
    free_strs(names, nn);
  }
  free(copy);
  if (oom) {
    free_strs(out, n);
    *paths = NULL;
    *count = 0;
    return -1;
  }
  *paths = out;
  *count = n;
  return 0;
}
