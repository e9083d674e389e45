# Deliberately broken plugins for the loader tests (tests/loader.sh).
# Built shared (-rpath) though never installed.
test_plugin_ldflags = -module -avoid-version -no-undefined -rpath /nowhere

check_LTLIBRARIES += tests/plugins/good.la
tests_plugins_good_la_SOURCES = tests/plugins/testplugin.c
tests_plugins_good_la_CPPFLAGS = $(AM_CPPFLAGS) -DTP_NAME=\"good\"
tests_plugins_good_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_plugins_good_la_LDFLAGS = $(AM_LDFLAGS) $(test_plugin_ldflags) -export-symbols-regex '^smsmux_provider_entry$$'

check_LTLIBRARIES += tests/plugins/older.la
tests_plugins_older_la_SOURCES = tests/plugins/testplugin.c
tests_plugins_older_la_CPPFLAGS = $(AM_CPPFLAGS) -DTP_NAME=\"older\" -DTP_OLDER_MINOR
tests_plugins_older_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_plugins_older_la_LDFLAGS = $(AM_LDFLAGS) $(test_plugin_ldflags) -export-symbols-regex '^smsmux_provider_entry$$'

check_LTLIBRARIES += tests/plugins/noentry.la
tests_plugins_noentry_la_SOURCES = tests/plugins/testplugin.c
tests_plugins_noentry_la_CPPFLAGS = $(AM_CPPFLAGS) -DTP_NAME=\"noentry\" -DTP_NO_ENTRY
tests_plugins_noentry_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_plugins_noentry_la_LDFLAGS = $(AM_LDFLAGS) $(test_plugin_ldflags)

check_LTLIBRARIES += tests/plugins/nullentry.la
tests_plugins_nullentry_la_SOURCES = tests/plugins/testplugin.c
tests_plugins_nullentry_la_CPPFLAGS = $(AM_CPPFLAGS) -DTP_NAME=\"nullentry\" -DTP_NULL_ENTRY
tests_plugins_nullentry_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_plugins_nullentry_la_LDFLAGS = $(AM_LDFLAGS) $(test_plugin_ldflags) -export-symbols-regex '^smsmux_provider_entry$$'

check_LTLIBRARIES += tests/plugins/abi2.la
tests_plugins_abi2_la_SOURCES = tests/plugins/testplugin.c
tests_plugins_abi2_la_CPPFLAGS = $(AM_CPPFLAGS) -DTP_NAME=\"abi2\" -DTP_ABI_MAJOR=2
tests_plugins_abi2_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_plugins_abi2_la_LDFLAGS = $(AM_LDFLAGS) $(test_plugin_ldflags) -export-symbols-regex '^smsmux_provider_entry$$'

check_LTLIBRARIES += tests/plugins/nofuncs.la
tests_plugins_nofuncs_la_SOURCES = tests/plugins/testplugin.c
tests_plugins_nofuncs_la_CPPFLAGS = $(AM_CPPFLAGS) -DTP_NAME=\"nofuncs\" -DTP_MISSING_FUNCS
tests_plugins_nofuncs_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_plugins_nofuncs_la_LDFLAGS = $(AM_LDFLAGS) $(test_plugin_ldflags) -export-symbols-regex '^smsmux_provider_entry$$'

check_LTLIBRARIES += tests/plugins/wrongname.la
tests_plugins_wrongname_la_SOURCES = tests/plugins/testplugin.c
tests_plugins_wrongname_la_CPPFLAGS = $(AM_CPPFLAGS) -DTP_NAME=\"wrongname\" -DTP_DECLARED_NAME=\"good\"
tests_plugins_wrongname_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_plugins_wrongname_la_LDFLAGS = $(AM_LDFLAGS) $(test_plugin_ldflags) -export-symbols-regex '^smsmux_provider_entry$$'

check_LTLIBRARIES += tests/plugins/dup/good.la
tests_plugins_dup_good_la_SOURCES = tests/plugins/testplugin.c
tests_plugins_dup_good_la_CPPFLAGS = $(AM_CPPFLAGS) -DTP_NAME=\"good\"
tests_plugins_dup_good_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_plugins_dup_good_la_LDFLAGS = $(AM_LDFLAGS) $(test_plugin_ldflags) -export-symbols-regex '^smsmux_provider_entry$$'

TESTS += tests/loader.sh
EXTRA_DIST += tests/loader.sh

# Declared operations that are not well formed (plugins --check lists each).
check_LTLIBRARIES += tests/plugins/badops.la
tests_plugins_badops_la_SOURCES = tests/plugins/testplugin.c
tests_plugins_badops_la_CPPFLAGS = $(AM_CPPFLAGS) -DTP_NAME=\"badops\" -DTP_BAD_OPS
tests_plugins_badops_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_plugins_badops_la_LDFLAGS = $(AM_LDFLAGS) $(test_plugin_ldflags) -export-symbols-regex '^smsmux_provider_entry$$'

# Bad config keys, max_recipients 0 and a default_base_url that is no URL.
check_LTLIBRARIES += tests/plugins/badkeys.la
tests_plugins_badkeys_la_SOURCES = tests/plugins/testplugin.c
tests_plugins_badkeys_la_CPPFLAGS = $(AM_CPPFLAGS) -DTP_NAME=\"badkeys\" -DTP_BAD_KEYS
tests_plugins_badkeys_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_plugins_badkeys_la_LDFLAGS = $(AM_LDFLAGS) $(test_plugin_ldflags) -export-symbols-regex '^smsmux_provider_entry$$'

# Built against ONLY the frozen ABI 1.0 header (tests/abi/provider-1.0.h,
# its own include path, not include/): it must keep loading and sending
# whatever later minors append to provider.h (tests/sdk.sh).
check_LTLIBRARIES += tests/plugins/frozen10.la
tests_plugins_frozen10_la_SOURCES = tests/plugins/frozen10.c
tests_plugins_frozen10_la_CPPFLAGS = -I$(top_srcdir)/tests/abi
tests_plugins_frozen10_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_plugins_frozen10_la_LDFLAGS = $(AM_LDFLAGS) $(test_plugin_ldflags) -export-symbols-regex '^smsmux_provider_entry$$'
EXTRA_DIST += tests/abi/provider-1.0.h

# Calls a function defined nowhere (from send only): refused at load, naming
# the symbol, instead of killing the first send (tests/loader.sh).
check_LTLIBRARIES += tests/plugins/unresolved.la
tests_plugins_unresolved_la_SOURCES = tests/plugins/testplugin.c
tests_plugins_unresolved_la_CPPFLAGS = $(AM_CPPFLAGS) -DTP_NAME=\"unresolved\" -DTP_UNRESOLVED
tests_plugins_unresolved_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_plugins_unresolved_la_LDFLAGS = $(AM_LDFLAGS) $(test_plugin_ldflags) -export-symbols-regex '^smsmux_provider_entry$$'

# Exports a function and an array besides the entry point (docs/ABI.md:
# exactly one symbol).
check_LTLIBRARIES += tests/plugins/exports.la
tests_plugins_exports_la_SOURCES = tests/plugins/testplugin.c
tests_plugins_exports_la_CPPFLAGS = $(AM_CPPFLAGS) -DTP_NAME=\"exports\" -DTP_EXTRA_EXPORTS
tests_plugins_exports_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_plugins_exports_la_LDFLAGS = $(AM_LDFLAGS) $(test_plugin_ldflags)

# Plugins for the send path (tests/partial.sh), in a directory of their own
# so that the loader tests' listings do not change: one whose send fails
# after accepting its first recipient, one reporting its limits (ABI 1.2).
check_LTLIBRARIES += tests/plugins/engine/partial.la
tests_plugins_engine_partial_la_SOURCES = tests/plugins/testplugin.c
tests_plugins_engine_partial_la_CPPFLAGS = $(AM_CPPFLAGS) -DTP_NAME=\"partial\" -DTP_PARTIAL
tests_plugins_engine_partial_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_plugins_engine_partial_la_LDFLAGS = $(AM_LDFLAGS) $(test_plugin_ldflags) -export-symbols-regex '^smsmux_provider_entry$$'

check_LTLIBRARIES += tests/plugins/engine/limits.la
tests_plugins_engine_limits_la_SOURCES = tests/plugins/testplugin.c
tests_plugins_engine_limits_la_CPPFLAGS = $(AM_CPPFLAGS) -DTP_NAME=\"limits\" -DTP_LIMITS
tests_plugins_engine_limits_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_plugins_engine_limits_la_LDFLAGS = $(AM_LDFLAGS) $(test_plugin_ldflags) -export-symbols-regex '^smsmux_provider_entry$$'

check_LTLIBRARIES += tests/plugins/engine/good.la
tests_plugins_engine_good_la_SOURCES = tests/plugins/testplugin.c
tests_plugins_engine_good_la_CPPFLAGS = $(AM_CPPFLAGS) -DTP_NAME=\"good\"
tests_plugins_engine_good_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_plugins_engine_good_la_LDFLAGS = $(AM_LDFLAGS) $(test_plugin_ldflags) -export-symbols-regex '^smsmux_provider_entry$$'
