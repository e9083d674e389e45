#!/bin/sh
# The demo: smsmux-sim on the port conf/demo.ini names, one SMS through the
# sMsmode plugin over HTTP, then its delivery status, the credit and the
# replies, all read back from the simulator.  Run by `make demo`.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
SMSMUX="$top_builddir/smsmux"
SIM="$top_builddir/smsmux-sim"
CONF="$top_srcdir/conf/demo.ini"
PORT=8742

chmod 600 "$CONF" # it holds the simulator's demo token
rm -rf "$top_srcdir/.demo-state"
"$SIM" --port $PORT --quiet &
sim=$!
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null || :' EXIT INT TERM
i=0
until curl -s -o /dev/null "http://127.0.0.1:$PORT/_sim/requests?provider=smsmode"; do
  i=$((i + 1))
  [ $i -lt 100 ] || { echo "demo: smsmux-sim did not start on port $PORT" >&2; exit 1; }
  sleep 0.05
done

run() { printf '\n$ smsmux %s\n' "$*"; "$SMSMUX" --config "$CONF" "$@"; }
ctl() { curl -s -X POST "http://127.0.0.1:$PORT/_sim/$1" >/dev/null; }

run providers
run send --to 0612345678 --text "Bonjour Maman"
id=$("$SMSMUX" --config "$CONF" --json send --to 0612345678,0698765434 \
     --text "Rendez-vous à 15h, répondez OUI ou NON" | jq -r .id)
printf '\n(the simulator moves delivery reports on and receives a reply)\n'
ctl "advance?provider=smsmode"
ctl "advance?provider=smsmode"
ctl "reply?provider=smsmode&token=demo-token&from=33612345678&text=OUI&message_id=$id"
run status --provider smsmode "$id"
run replies --provider smsmode

printf '\n(sMsmode goes down for one request: the message fails over)\n'
ctl "fault?provider=smsmode&mode=down&count=1"
run send --to 0612345678 --text "Votre code est 4242"

run send --kind mms --to 0612345678 --text "Voici la photo" \
    --image http://www.example.com/photo.jpg
run route --kind mms --to 0612345678 --text "Voici la photo" \
    --image http://www.example.com/photo.jpg
run route --to +32470123456 --text "Hallo"
run credit
