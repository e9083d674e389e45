/* loader: find, check and open provider plugins (dlopen, every symbol
 * bound at load, local symbols).  Each failure has its own clear message:
 * file missing, file or directory others could write, not a complete
 * shared library, a symbol defined nowhere, not a smsmux plugin, entry
 * returned NULL, another ABI major, required functions missing, symbols
 * exported besides the entry, two plugins with one name. */
#ifndef SMSMUX_LOADER_H
#define SMSMUX_LOADER_H

#include <smsmux/smsmux.h>

typedef struct plugin {
  char *name;             /* file stem == descriptor name */
  char *path;             /* file opened */
  void *handle;           /* dlopen handle */
  smsmux_provider desc;   /* copy, zero-filled past the plugin's size */
  size_t desc_size;       /* size the plugin declared */
  int loaded;             /* 1 when desc is usable */
  char *error;            /* why not, when loaded == 0 */
  int opened;             /* the dynamic loader opened the file */
  int has_entry;          /* the entry symbol was found */
  int has_desc;           /* ... and returned a descriptor */
  int readable;           /* desc holds the plugin's descriptor (size and
                             major are sound), loaded or not */
  unsigned abi_major, abi_minor; /* as declared, when has_entry */
} plugin;

/** Findings of a check: a growable list of malloc'd lines; `oom` when a
    line was lost for want of memory. */
typedef struct loader_notes {
  char **v;
  size_t n, cap;
  int oom;
} loader_notes;
void loader_notes_free(loader_notes *l);

/** Paired around the use of plugins (a reference count; dlopen itself
    needs no initialisation). */
int loader_init(smsmux_error *err);
void loader_exit(void);

/** Load plugin `name` from the first directory of `dirs` (':'-separated)
    holding it.  Returns a plugin (free with loader_unload; check ->loaded
    and ->error), or NULL when out of memory. */
plugin *loader_load(const char *dirs, const char *name);

/** Load the file `path` itself (for `plugins` and `plugins --check`);
    NULL when out of memory. */
plugin *loader_load_file(const char *path);

/** loader_load_file, collecting every problem (not only the first, which
    is also p->error) and the warnings (findings that do not stop a load)
    for `plugins --check`.  problems/warnings may be NULL (their `oom` set
    when a note was lost).  NULL when out of memory. */
plugin *loader_check_file(const char *path, loader_notes *problems,
                          loader_notes *warnings);

void loader_unload(plugin *p);

/** Plugin stems found in `dirs` (*.la, else *.so), each once, first
    directory first; duplicate stems are kept with their paths so the
    caller can report them. *paths malloc'd, *count entries; 0, or -1 when
    out of memory. */
int loader_scan(const char *dirs, char ***paths, size_t *count);

/** Every problem of `desc` into `problems`, and what is worth knowing but
    not wrong into `warnings` (may be NULL).  A descriptor too small or of
    another major stops the check there (nothing else can be read).
    Returns the number of problems added. */
size_t loader_check_descriptor_all(const smsmux_provider *d,
                                   size_t declared_size, const char *stem,
                                   loader_notes *problems,
                                   loader_notes *warnings);

#endif
