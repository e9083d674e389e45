#!/bin/sh
# Installs what smsmux needs to build, test and run its demo on Debian 12
# (run as root).  Used by the README commands and by .ci/run.  postgresql-15
# is for the tests: `make check` starts a private server (tests/pg.sh) to
# run the store's suite on PostgreSQL too.
set -e
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
  build-essential autoconf automake libtool pkg-config ca-certificates \
  libcurl4-openssl-dev libxml2-dev libjson-c-dev libltdl-dev \
  libiniparser-dev libsqlite3-dev libpq-dev libmicrohttpd-dev libssl-dev \
  postgresql-15 \
  jq curl openssl abigail-tools mandoc \
  clang libclang-rt-14-dev llvm
