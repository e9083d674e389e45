/*
 * sdk/host.c - the plugin helper library: the host's ABI, checked at the
 * start of a plugin's `open` (include/smsmux/plugin-helpers.h).
 */
#include <smsmux/plugin-helpers.h>

int smsmux_need_host(const smsmux_host *host, smsmux_call *call,
                             const char *plugin, unsigned minor,
                             size_t need_size, const char *member)
{
  /* without `fail` there is no way to say why: refuse silently */
  if (host == NULL || !SMSMUX_HAS_MEMBER(host, smsmux_host, fail))
    return -1;
  if (host->abi_major != SMSMUX_ABI_MAJOR)
    return host->fail(call, SMSMUX_ERR_SYSTEM, NULL,
                      "the %s plugin is built for ABI %d, this host offers "
                      "%u.%u: rebuild the plugin against this smsmux's SDK",
                      plugin, SMSMUX_ABI_MAJOR, host->abi_major,
                      host->abi_minor);
  if (host->size < need_size)
    return host->fail(call, SMSMUX_ERR_SYSTEM, NULL,
                      "the %s plugin needs a host of ABI %d.%u or later (it "
                      "calls %s), this host offers %u.%u: upgrade smsmux",
                      plugin, SMSMUX_ABI_MAJOR, minor, member,
                      host->abi_major, host->abi_minor);
  return 0;
}
