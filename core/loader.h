/* loader: find, open and check provider plugins (libltdl, local symbols).
 * Each failure has its own clear message: file missing, not a smsmux
 * plugin, entry returned NULL, another ABI major, required functions
 * missing, two plugins with one name. */
#ifndef SMSMUX_LOADER_H
#define SMSMUX_LOADER_H

#include <smsmux/smsmux.h>

typedef struct plugin {
  char *name;             /* file stem == descriptor name */
  char *path;             /* file opened */
  void *handle;           /* lt_dlhandle */
  smsmux_provider desc;   /* copy, zero-filled past the plugin's size */
  size_t desc_size;       /* size the plugin declared */
  int loaded;             /* 1 when desc is usable */
  char *error;            /* why not, when loaded == 0 */
} plugin;

/** Refcounted lt_dlinit/lt_dlexit. */
int loader_init(smsmux_error *err);
void loader_exit(void);

/** Load plugin `name` from the first directory of `dirs` (':'-separated)
    holding it.  Always returns a plugin (free with loader_unload); check
    ->loaded and ->error. */
plugin *loader_load(const char *dirs, const char *name);

/** Load the file `path` itself (for `plugins` and `plugins --check`). */
plugin *loader_load_file(const char *path);

void loader_unload(plugin *p);

/** Plugin stems found in `dirs` (*.la, else *.so), each once, first
    directory first; duplicate stems are kept with their paths so the
    caller can report them. Returns count; *paths malloc'd. */
size_t loader_scan(const char *dirs, char ***paths);

/** Descriptor sanity for `desc` as declared; NULL when fine, else a
    malloc'd message. */
char *loader_check_descriptor(const smsmux_provider *d, size_t declared_size,
                              const char *stem);

#endif
