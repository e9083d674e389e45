#!/bin/sh
# bench/fake.sh - a static-reply HTTP fake that cannot be the bottleneck of
# the benchmark: Debian's nginx (nginx-light is enough), started in the
# foreground (no daemon) on a free loopback port, with its configuration,
# pid file, error log and temp paths all in DIR.
#
#   sh bench/fake.sh start DIR    prints the port; nginx runs until stop
#   sh bench/fake.sh stop DIR
#
# What it answers (every request, whatever the query string):
#   GET /http/1.6/sendSMS.do  200 text/plain; charset=ISO-8859-15
#                             "0 | Accepté | <32 hex digits>" (é as the
#                             byte 0xE9): sMsmode's success answer, which
#                             the smsmode plugin takes as accepted; the id
#                             is nginx's $request_id, new for each request
#   GET /kannel               200 text/plain "0: Accepted" and one line in
#                             DIR/kannel.log per request (Kannel's generic
#                             HTTP SMSC counts a 200 as success; the log
#                             is how bench/kannel.sh knows when N arrived)
#   anything else             404
# One worker process, access log off (except /kannel), keep-alive without a
# request limit (curl's connections are never closed under the run).
# Knobs: FAKE_WORKERS (1); FAKE_SENDS_LOG (set: one line in DIR/sends.log
# per sendSMS.do request too, for bench/nodes.sh to count without asking
# the store).  NGINX: the binary (nginx on PATH, else
# /usr/sbin/nginx).
set -u

NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

fake_start() { # fake_start DIR: prints the port
  dir=$1
  mkdir -p "$dir/tmp" || return 1
  if [ ! -x "$NGINX" ]; then
    echo "fake.sh: nginx is not installed (apt-get install nginx-light)" >&2
    return 1
  fi
  user=
  [ "$(id -u)" = 0 ] && user="user root root;"
  tries=0
  while [ $tries -lt 20 ]; do
    tries=$((tries + 1))
    # a port in 20000..32767 (below Linux's ephemeral range) that nothing
    # listens on (ss when present)
    port=$(( 20000 + ( $(od -An -N2 -tu2 /dev/urandom) % 12768 ) ))
    if command -v ss >/dev/null 2>&1 &&
       ss -Htln "sport = :$port" 2>/dev/null | grep -q .; then
      continue
    fi
    cat >"$dir/nginx.conf" <<EOF
$user
worker_processes ${FAKE_WORKERS:-1};
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  server_tokens off;
  log_format counted '\$request_id';
  server {
    listen 127.0.0.1:$port;
    location = /http/1.6/sendSMS.do {
      ${FAKE_SENDS_LOG:+access_log $dir/sends.log counted;}
      default_type "text/plain; charset=ISO-8859-15";
      return 200 "0 | Accept$(printf '\351') | \$request_id";
    }
    location = /kannel {
      access_log $dir/kannel.log counted;
      default_type "text/plain";
      return 200 "0: Accepted";
    }
    location / { return 404; }
  }
}
EOF
    rm -f "$dir/nginx.pid"
    : >"$dir/error.log"
    # -e: not even the start-up error log in /var/log (nginx >= 1.19.5)
    "$NGINX" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" >"$dir/nginx.out" 2>&1 &
    echo $! >"$dir/nginx.launcher"
    i=0
    while [ $i -lt 100 ]; do
      i=$((i + 1))
      if [ -s "$dir/nginx.pid" ] &&
         curl -s -o /dev/null "http://127.0.0.1:$port/http/1.6/sendSMS.do"; then
        echo "$port" >"$dir/port"
        echo "$port"
        return 0
      fi
      kill -0 "$(cat "$dir/nginx.launcher")" 2>/dev/null || break
      sleep 0.05
    done
    # the port was taken after all, or nginx failed: try another
    fake_stop "$dir"
    if ! grep -q "in use" "$dir/error.log" "$dir/nginx.out" 2>/dev/null; then
      echo "fake.sh: nginx did not start:" >&2
      cat "$dir/error.log" "$dir/nginx.out" >&2
      return 1
    fi
  done
  echo "fake.sh: no free port found" >&2
  return 1
}

fake_stop() { # fake_stop DIR
  dir=$1
  pid=
  [ -s "$dir/nginx.launcher" ] && pid=$(cat "$dir/nginx.launcher")
  [ -z "$pid" ] && [ -s "$dir/nginx.pid" ] && pid=$(cat "$dir/nginx.pid")
  [ -n "$pid" ] || return 0
  kill -QUIT "$pid" 2>/dev/null
  i=0
  while kill -0 "$pid" 2>/dev/null && [ $i -lt 40 ]; do
    i=$((i + 1))
    sleep 0.05
  done
  kill "$pid" 2>/dev/null
  rm -f "$dir/nginx.launcher"
  return 0
}

case "${1:-}" in
  start) fake_start "${2:?fake.sh start DIR}" ;;
  stop) fake_stop "${2:?fake.sh stop DIR}" ;;
  *) echo "usage: sh bench/fake.sh start DIR | stop DIR" >&2; exit 2 ;;
esac
