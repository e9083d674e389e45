#!/bin/sh
# Regenerate the seed corpus of one plugin (or all) from the answers printed
# in its provider document (../shared/providers/):
#   sh tests/fuzz/seeds.sh [NAME...]
# Each seed is one operation and the answers its requests get, in the
# layout of tests/fuzz/mkseed.sh.  The seeds are committed: `make check`
# replays them (tests/fuzz/replay.sh) and run.sh starts from them.
set -eu
cd "$(dirname "$0")/../.."

seed() { # seed NAME FILE OPERATION VARIANT EXTRA [STATUS HEADERS BODY]...
  dir=tests/fuzz/corpus/$1
  file=$2
  shift 2
  mkdir -p "$dir"
  sh tests/fuzz/mkseed.sh "$dir/$file" "$@"
}

# In the bodies below \0351 is e-acute in ISO-8859-15 (sMsmode answers in
# it); \0302\0273 is a UTF-8 right guillemet (Clever's documents quote with
# it).

# sMsmode HTTP 1.6 (smsmode-http.txt): `code | description | id` answers,
# per-recipient report lines, a bare number for the credit, list lines.
# Operation order in the descriptor: 0 sub-account-create,
# 1 sub-account-delete, 2 credit-transfer, 3 contact-add, 4 sms-list,
# 5 sms-status, 6 batch-send, 7 api-key-create.
seeds_smsmode() {
  n=smsmode
  seed $n send-accepted send 0 0 200 "" "0 | Accept\0351 | tIKKr4iMmGYo"
  seed $n send-unicode-scheduled send 3 0 200 "" "0 | Accept\0351 | Uni123"
  seed $n send-voice send 8 0 200 "" "0 | Accept\0351 | V0ice42"
  seed $n send-auth-error send 0 0 200 "" "32 | Erreur d'authentification"
  seed $n send-no-credit send 0 0 200 "" "33 | Cr\0351dits insuffisants"
  seed $n send-unavailable send 0 0 200 "" "50 | Temporairement inaccessible"
  seed $n send-http500 send 0 0 500 "" "Internal Server Error"
  seed $n send-timeout send 0 0 50 "" ""
  seed $n status-reports status 0 0 200 "" "33600000000 11 | 33611111111 13"
  seed $n status-campaign status 1 0 \
    200 "" "61 | SMS non trouv\0351" 200 "" "0 | Envoy\0351"
  seed $n status-empty-then-scheduled status 0 0 200 "" "" 200 "" "10 | Programm\0351"
  seed $n balance balance 0 0 200 "" "212.5"
  seed $n balance-negative balance 0 0 200 "" "-12"
  seed $n balance-error balance 0 0 200 "" "32 | Erreur d'authentification"
  seed $n replies replies 0 0 200 "" \
    "azertyu123 | 01012013-12:22 | 33601020304 | bonjour | 36034 | abcd1234\nqsdf456 | 02012013-08:00 | 33611111111 | oui | merci | 36034 | abcd1234\n"
  seed $n replies-dates replies 4 0 200 "" ""
  seed $n cancel cancel 0 0 200 "" "0 | SMS supprim\0351"
  seed $n cancel-not-found cancel 0 0 200 "" "61 | SMS non trouv\0351"
  seed $n op-sub-account-create call 0 255 200 "" "0 | Cr\0351ation effectu\0351e"
  seed $n op-sub-account-delete call 1 0 200 "" "41 | Identifiant d\0351j\0340 existant"
  seed $n op-credit-transfer call 2 1 200 "" "0 | Transfert effectu\0351"
  seed $n op-contact-add call 3 255 200 "" "0 | Contact ajout\0351"
  seed $n op-sms-list call 4 1 200 "" \
    "abc123 | 01012013-12:22 | Bonjour Maman | 33600000000 | 1 | 1 |\nabc124 | 02012013-12:22 | Bon anniversaire | 33611111111 | 2 | 2 |\n"
  seed $n op-sms-status call 5 0 200 "" "0 | Envoy\0351"
  seed $n op-batch-send call 22 255 200 "" "0 | Accept\0351 | camp123"
  seed $n op-api-key-create call 7 0 200 "Content-Type: application/json" \
    '{"id":"1a2b3c","accessToken":"Ab1CD2efg3HiAb1CD2efg3HiAb1CD2ef","creationDate":"2018-01-11T10:00:00+01:00","state":"VALID","expiration":null,"account":"compte"}'
}

# Clever FrontalHttpMultimedias (clever-http-frontal.txt): `key=value&...`
# answers with "-, «- or »-quoted values, records run together with a
# space.  Operations: 0 account-info, 1 push-info.
seeds_clever_http() {
  n=clever-http
  account='request_status=200&name="Clever"&lastname="Tec"&email="support@clever.fr"&telephone="+33160536053"&credit=8888&date_creation="2017-02-10 09:49:21"&date_expiration="2033-02-10 09:49:21"&company_name="Clever Technologies - IS"&address="52 rue d'"'"'emeraïville"&zip_code=77183&city="Croissy"&country="France"'
  seed $n send-created send 0 0 201 "" \
    "request_status=201&reference=»Push20171123173102»&nb_destination=2&encodage=3&hd_send=&type_push=»sms»&units=14&nb_sms=1&duplicates=0"
  seed $n send-unicode-scheduled send 3 0 201 "" \
    "request_status=201&reference=»Push20171123173103»&nb_destination=2&encodage=8&hd_send=»2030-01-03 10:00:00»&type_push=»sms»&units=28&nb_sms=1&duplicates=0"
  seed $n send-voice send 8 0 201 "" \
    "request_status=201&reference=»Push20171123173104»&nb_destination=2&encodage=3&hd_send=&type_push=»tts»&units=2&nb_sms=1&duplicates=0"
  seed $n send-bad-request send 0 0 400 "" "request_status=400"
  seed $n send-unauthorized send 0 0 401 "" "request_status=401"
  seed $n send-server-error send 0 0 500 "" "request_status=500"
  seed $n status-deliveries status 1 0 200 "" \
    "request_status=200 message=»test»&typemessage=»sms»&date_send=»2017-11-23 17:31:08»&date_receive=»2017-11-23 17:32:04»&recipient=»+33600000001»&status=»4» message=»test»&typemessage=»sms»&date_send=»2017-11-23 17:31:08»&date_receive=»2017-11-23 17:32:04»&recipient=»+33600112233»&status=»3»"
  seed $n status-not-found status 1 0 404 "" "request_status=404"
  seed $n balance balance 0 0 200 "" "$account"
  seed $n replies replies 1 0 200 "" \
    "request_status=200 message=»Yacine»&date_receive=»2017-11-27 16:28:53»&recipient=»+33651028452»&status=»5»"
  seed $n replies-none replies 1 0 204 "" ""
  seed $n op-account-info call 0 0 200 "" "$account"
  seed $n op-push-info call 1 1 200 "" \
    "request_status=200&reference=»Push20171123173102»&nb_destination=2&status=2&short_code=»clever»&encodage=3&hd_send=&type_push=»sms»&units=14&nb_sms=1"
}

names=${*:-smsmode clever-http}
for name in $names; do
  "seeds_$(echo "$name" | tr - _)"
done
