# Tests of the smsmux command (shell, against the build tree).
TESTS += tests/cli-args.sh tests/cli-tofile.sh tests/cli-config.sh \
	tests/cli-commands.sh
EXTRA_DIST += tests/cli-args.sh tests/cli-tofile.sh tests/cli-config.sh \
	tests/cli-commands.sh
