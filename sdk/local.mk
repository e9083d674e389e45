# The plugin helper library (include/smsmux/plugin-helpers.h): stateless
# helpers plugins share, linked into each plugin (docs/PLUGINS.md, "The
# helper library").  One file per dependency: a plugin that calls no JSON
# helper does not pull json-c in.  Hidden symbols: a plugin exports
# smsmux_provider_entry alone.
sdk_sources = sdk/host.c sdk/json.c
sdk_cflags = $(AM_CFLAGS) -fvisibility=hidden $(JSONC_CFLAGS)
pkginclude_HEADERS += include/smsmux/plugin-helpers.h

# Installed with the SDK, for plugins built out of tree
# (`pkg-config --libs smsmux-provider`): a static archive, PIC since it
# goes into shared objects.
lib_LIBRARIES += sdk/libsmsmux-plugin.a
sdk_libsmsmux_plugin_a_SOURCES = $(sdk_sources)
sdk_libsmsmux_plugin_a_CFLAGS = $(sdk_cflags) -fPIC
sdk_libsmsmux_plugin_a_AR = $(AR) cr

# The same sources as a libtool convenience library for the in-tree
# plugins and the fuzz harness (libtool links a convenience library into a
# module cleanly, where it warns about a plain archive).
noinst_LTLIBRARIES += sdk/libplugin-helpers.la
sdk_libplugin_helpers_la_SOURCES = $(sdk_sources)
sdk_libplugin_helpers_la_CFLAGS = $(sdk_cflags)
plugin_helpers = sdk/libplugin-helpers.la

# The helpers against a host table of the test's own.
check_PROGRAMS += tests/test_plugin_helpers
tests_test_plugin_helpers_SOURCES = tests/test_plugin_helpers.c tests/check.h
tests_test_plugin_helpers_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_test_plugin_helpers_LDADD = $(plugin_helpers) $(JSONC_LIBS)
TESTS += tests/test_plugin_helpers
