#!/bin/sh
# smsmux-sim, the sMsmode HTTP API 1.6 part and the control API, checked
# with curl directly (no smsmux involved): docs/simulator.md is the contract.
. "$top_srcdir/tests/lib.sh"

command -v iconv >/dev/null 2>&1 || { echo "iconv is required" >&2; exit 77; }

# one polling thread: delayed answers must still not block other requests
sim_start --quiet --threads 1
API=$SIM_URL/smsmode/http/1.6
T=demo-token

# call [curl args...] URL: answer in $BODY (as UTF-8), HTTP status in $CODE,
# raw bytes in $TMP/body
call() {
  CODE=$(curl -sS -o "$TMP/body" -w '%{http_code}' "$@" 2>"$TMP/curl.err") || CODE=curl$?
  BODY=$(iconv -f ISO-8859-15 -t UTF-8 <"$TMP/body" 2>/dev/null || cat "$TMP/body")
}
get() { call "$API/$1"; }
credit() { curl -sS "$API/credit.do?accessToken=${1:-$T}"; }
messages() { sim_ctl GET "messages?provider=smsmode${1:+&$1}"; }
hex() { od -An -tx1 | tr -d ' \n'; }
id_of() { printf '%s' "$1" | sed -n 's/^0 | Accepté | \([A-Za-z0-9]*\)$/\1/p'; }

# ---------------------------------------------------------------- sending
get "sendSMS.do?accessToken=$T&message=Bonjour+Maman&numero=0612345678,33698765434"
ID=$(id_of "$BODY")
assert_eq 200 "$CODE" "send: HTTP 200"
assert_eq 12 "${#ID}" "send: '0 | Accepté | <12-char smsID>' ($BODY)"
assert_eq 998 "$(credit)" "send: 1 segment x 2 recipients debited"
assert_eq "33612345678 33698765434" \
  "$(messages "id=$ID" | jq -r '[.[0].recipients[].number] | join(" ")')" \
  "send: national 06 number stored as 336..."
assert_eq "text/plain; charset=ISO-8859-15" \
  "$(curl -sS -o /dev/null -w '%{content_type}' "$API/credit.do?accessToken=$T")" \
  "answers are text/plain; charset=ISO-8859-15"

# the answer's bytes are ISO-8859-15: "Accepté" ends in byte 0xE9
get "sendSMS.do?accessToken=$T&message=x&numero=0611111111"
assert_contains "$(hex <"$TMP/body")" "$(printf '0 | Accept' | hex)e9207c20" \
  "answer bytes: 'Accept' 0xE9 ' | ' (ISO-8859-15, not UTF-8)"

# ISO-8859-15 message bytes, decoded to UTF-8 in the store; { counts double
sim_reset
get "sendSMS.do?accessToken=$T&message=%E9t%E9+%A4+%7B&numero=33600000001"
ID=$(id_of "$BODY")
assert_eq "été € {" "$(messages "id=$ID" | jq -r '.[0].text')" \
  "message: ISO-8859-15 bytes stored as UTF-8"
LONG=$(awk 'BEGIN { for (i = 0; i < 159; i++) printf "a" }')
get "sendSMS.do?accessToken=$T&message=$LONG&numero=33600000001"
assert_eq 1 "$(messages "id=$(id_of "$BODY")" | jq -r '.[0].segments')" "GSM: 159 chars, 1 segment"
get "sendSMS.do?accessToken=$T&message=$LONG%5B&numero=33600000001"
assert_eq 2 "$(messages "id=$(id_of "$BODY")" | jq -r '.[0].segments')" \
  "GSM: 159 chars + '[' (counts double) = 161, 2 segments"
U70=$(awk 'BEGIN { for (i = 0; i < 70; i++) printf "%%E2%%98%%BA" }')
get "sendSMS.do?accessToken=$T&classe_msg=9&message=$U70&numero=33600000001"
assert_eq "1 ucs2" "$(messages "id=$(id_of "$BODY")" | jq -r '.[0] | "\(.segments) \(.encoding)"')" \
  "unicode: 70 chars, 1 segment"
get "sendSMS.do?accessToken=$T&classe_msg=9&message=${U70}x&numero=33600000001,33600000002"
assert_eq "2 4" "$(messages "id=$(id_of "$BODY")" | jq -r '.[0] | "\(.segments) \(.cost)"')" \
  "unicode: 71 chars, 2 segments, 2 x 2 recipients = 4 credits"
get "sendSMS.do?accessToken=$T&classe_msg=9&message=%F0%9F%98%80&numero=33600000001"
assert_eq "😀" "$(messages "id=$(id_of "$BODY")" | jq -r '.[0].text')" "unicode: classe_msg=9 text is UTF-8"
get "sendSMS.do?accessToken=$T&message=Promo&numero=33600000001&stop=1"
assert_eq "Promo STOP 36034" "$(messages "id=$(id_of "$BODY")" | jq -r '.[0].text')" \
  "stop=1 appends ' STOP 36034'"
L150=$(awk 'BEGIN { for (i = 0; i < 150; i++) printf "b" }')
get "sendSMS.do?accessToken=$T&message=$L150&numero=33600000001&stop=1"
assert_eq 150 "$(messages "id=$(id_of "$BODY")" | jq -r '.[0].text | length')" \
  "stop=1 adds nothing to a 150-character text"
get "sendSMS.do?accessToken=$T&message=$L150&numero=33600000001&stop=2"
assert_eq "161 2" "$(messages "id=$(id_of "$BODY")" | jq -r '.[0] | "\(.text | length) \(.segments)"')" \
  "stop=2 always appends (2 segments)"
get "sendSMS.do?accessToken=$T&message=Hi&numero=33600000001&emetteur=PERSO&refClient=r1"
assert_eq "PERSO r1" "$(messages "id=$(id_of "$BODY")" | jq -r '.[0] | "\(.sender) \(.ref_client)"')" \
  "emetteur and refClient kept"

# POST, form-encoded, ISO-8859-15 body
sim_reset
call --data-binary "accessToken=$T&message=R%E9union&numero=0612345678" "$API/sendSMS.do"
ID=$(id_of "$BODY")
assert_eq 12 "${#ID}" "POST form: accepted ($BODY)"
assert_eq "Réunion" "$(messages "id=$ID" | jq -r '.[0].text')" "POST form: body decoded"

# GET is limited to 300 recipients, POST is not
N301=$(awk 'BEGIN { for (i = 0; i < 301; i++) printf "%s336%08d", (i ? "," : ""), i }')
get "sendSMS.do?accessToken=$T&message=x&numero=$N301"
assert_eq "35 | Paramètre obligatoire manquant" "$BODY" "GET with 301 recipients refused (35)"
call --data-binary "accessToken=$T&message=x&numero=$N301" "$API/sendSMS.do"
ID=$(id_of "$BODY")
assert_eq 12 "${#ID}" "POST with 301 recipients accepted"
assert_eq 301 "$(messages | jq -r '.[-1].recipients | length')" "POST: 301 recipients stored"

# scheduled: status 10, deleting gives the credit back
sim_reset
get "sendSMS.do?accessToken=$T&message=Bon+anniversaire&numero=3363123456&date_envoi=21122035-14:35"
SID=$(id_of "$BODY")
assert_eq 999 "$(credit)" "scheduled: debited when accepted"
get "smsStatus.do?accessToken=$T&smsID=$SID"
assert_eq "10 | Envoi programmé" "$BODY" "scheduled: smsStatus 10"
sim_ctl POST "advance?provider=smsmode" >/dev/null
get "compteRendu.do?accessToken=$T&smsID=$SID"
assert_eq "3363123456 10" "$BODY" "scheduled: stays 10 after advance"
get "deleteSMS.do?accessToken=$T&smsID=$SID"
assert_eq "0 | SMS supprimé" "$BODY" "deleteSMS by smsID"
assert_eq 1000 "$(credit)" "deleted scheduled message: credit back"
get "deleteSMS.do?accessToken=$T&smsID=$SID"
assert_eq "61 | SMS non trouvé" "$BODY" "deleteSMS of an unknown smsID: 61"
get "sendSMS.do?accessToken=$T&message=x&numero=0611223344"
get "deleteSMS.do?accessToken=$T&numero=0611223344"
assert_eq "0 | SMS supprimé" "$BODY" "deleteSMS by numero"
assert_eq 999 "$(credit)" "deleted sent message: no refund"
get "sendSMS.do?accessToken=$T&message=x&numero=0611223344&date_envoi=31022030-10:00"
assert_eq "35 | Paramètre obligatoire manquant" "$BODY" "date_envoi 31 February refused"

# ------------------------------------------------------------ error codes
get "sendSMS.do?accessToken=nope&message=x&numero=0612345678"
assert_eq "32 | Erreur d'authentification" "$BODY" "unknown token: 32"
get "sendSMS.do?accessToken=poor-token&message=x&numero=0612345678"
assert_eq "33 | Crédits insuffisants" "$BODY" "no credit: 33"
get "sendSMS.do?accessToken=$T&numero=0612345678"
assert_eq "35 | Paramètre obligatoire manquant" "$BODY" "no message: 35"
get "sendSMS.do?message=x&numero=0612345678"
assert_eq "35 | Paramètre obligatoire manquant" "$BODY" "no accessToken: 35"
get "sendSMS.do?accessToken=$T&message=x&numero=+33612345678"
assert_eq "35 | Paramètre obligatoire manquant" "$BODY" "'+33...' (a space once decoded) is no number: 35"
get "sendSMS.do?accessToken=$T&message=x&numero=0612345678&classe_msg=4&emetteur=PERSO"
assert_eq "35 | Paramètre obligatoire manquant" "$BODY" "emetteur with classe_msg=4: 35"
get "sendSMS.do?accessToken=$T&message=x&numero=0612345678&emetteur=ABCDEFGHIJKL"
assert_eq "35 | Paramètre obligatoire manquant" "$BODY" "emetteur over 11 characters: 35"
get "compteRendu.do?accessToken=$T&smsID=nosuchid"
assert_eq "61 | SMS n'existant pas ou plus" "$BODY" "compteRendu of an unknown smsID: 61"
get "smsStatus.do?accessToken=$T&smsID=nosuchid"
assert_eq "61 | smsID invalide" "$BODY" "smsStatus of an unknown smsID: 61"
call -X DELETE "$API/credit.do?accessToken=$T"
assert_eq 405 "$CODE" "DELETE: 405"
get "nothing.do?accessToken=$T"
assert_eq 404 "$CODE" "unknown page: 404"

# ------------------------------------------------------- delivery reports
sim_reset
get "sendSMS.do?accessToken=$T&message=Bonjour&numero=33600000000,33611111111,33600000034,33600000035"
ID=$(id_of "$BODY")
get "smsStatus.do?accessToken=$T&smsID=$ID"
assert_eq "0 | Envoyé" "$BODY" "new message: smsStatus 0"
get "compteRendu.do?accessToken=$T&smsID=$ID"
assert_eq "33600000000 0 | 33611111111 0 | 33600000034 0 | 33600000035 0" "$BODY" "new message: reports 0"
assert_eq '{"advanced":4}' "$(sim_ctl POST "advance?provider=smsmode")" "advance answers how many moved"
get "compteRendu.do?accessToken=$T&smsID=$ID"
assert_eq "33600000000 13 | 33611111111 13 | 33600000034 13 | 33600000035 13" "$BODY" "first advance: 13"
get "smsStatus.do?accessToken=$T&smsID=$ID"
assert_eq "13 | Délivré" "$BODY" "first advance: smsStatus 13"
sim_ctl POST advance >/dev/null
get "compteRendu.do?accessToken=$T&smsID=$ID"
assert_eq "33600000000 11 | 33611111111 11 | 33600000034 34 | 33600000035 35" "$BODY" \
  "second advance: 11, numbers ending 34/35 fail"
get "smsStatus.do?accessToken=$T&smsID=$ID"
assert_eq "11 | Reçu" "$BODY" "second advance: smsStatus 11"

# ------------------------------------------------------------------ replies
sim_reset
get "sendSMS.do?accessToken=$T&message=Venez-vous&numero=33601020304&classe_msg=4"
ID=$(id_of "$BODY")
R1=$(sim_ctl POST "reply?provider=smsmode&from=33601020304&text=Oui%2C+re%C3%A7u+%E2%82%AC&date=01012014-10:00")
sim_ctl POST "reply?provider=smsmode&token=$T&from=0601020305&text=deux&date=15012014-10:00" >/dev/null
sim_ctl POST "reply?provider=smsmode&token=$T&from=33601020306&text=trois&to=36111" >/dev/null
assert_eq "$ID" "$(printf '%s' "$R1" | jq -r .message_id)" "reply attached to the message sent to its number"
get "responseList.do?accessToken=$T"
assert_eq 3 "$(printf '%s\n' "$BODY" | wc -l | tr -d ' ')" "responseList: three lines"
assert_eq "trois deux Oui, reçu €" \
  "$(printf '%s\n' "$BODY" | awk -F' [|] ' '{ printf "%s%s", (NR > 1 ? " " : ""), $4 }')" \
  "responseList: newest first, text in ISO-8859-15"
assert_eq "$(printf '%s' "$R1" | jq -r '"\(.response_id) | 01012014-10:00 | 33601020304 | Oui, reçu € | 36034 | \(.message_id)"')" \
  "$(printf '%s\n' "$BODY" | tail -n 1)" "responseList: line response_ID | date | from | text | to | message_ID"
get "responseList.do?accessToken=$T&start=1&offset=1"
assert_eq deux "$(printf '%s' "$BODY" | awk -F' [|] ' '{ print $4 }')" "responseList: start=1&offset=1"
get "responseList.do?accessToken=$T&startDate=01012014-00:00&endDate=01022014-00:00"
assert_eq "deux Oui, reçu €" "$(printf '%s\n' "$BODY" | awk -F' [|] ' '{ printf "%s%s", (NR > 1 ? " " : ""), $4 }')" \
  "responseList: date range"
get "responseList.do?accessToken=$T&start=0&startDate=01012014-00:00&endDate=01022014-00:00"
assert_eq "35 | Paramètre obligatoire manquant" "$BODY" "responseList: pages and dates together: 35"
get "responseList.do?accessToken=$T&startDate=01012014-00:00"
assert_eq "35 | Paramètre obligatoire manquant" "$BODY" "responseList: startDate without endDate: 35"
get "responseList.do?accessToken=Ab1CD2efg3Hi"
assert_eq "" "$BODY" "responseList: replies are per account"

# ----------------------------------------------------- lists, voice, batch
sim_reset
get "sendSMS.do?accessToken=$T&message=premier&numero=0631234560"
get "sendSMS.do?accessToken=$T&message=second&numero=0631234561,0631234562"
ID2=$(id_of "$BODY")
get "smsList.do?accessToken=$T&offset=1"
assert_contains "$BODY" "$ID2 | " "smsList offset=1: the newest"
assert_contains "$BODY" " | second | 33631234561 | 2 | 2 |" "smsList line: text | first number | cost | count |"
get "smsList.do?accessToken=$T"
assert_eq 2 "$(printf '%s\n' "$BODY" | wc -l | tr -d ' ')" "smsList: default lists them all"
get "sendVoiceMessage.do?accessToken=$T&message=Bonjour+Maman&numero=3363123456&title=voici+le+titre&language=en-GB"
assert_eq "voice voici le titre en-GB" \
  "$(messages "id=$(id_of "$BODY")" | jq -r '.[0] | "\(.kind) \(.title) \(.language)"')" "sendVoiceMessage"
get "sendVoiceMessage.do?accessToken=$T&message=x&numero=3363123456&language=it-IT"
assert_eq "35 | Paramètre obligatoire manquant" "$BODY" "sendVoiceMessage: unknown language: 35"

printf '"numero","message","emetteur","refClient"\n"99999911","Ceci est le corps du message 1, test fichier CSV","RDV","ref123"\n88888888,"R\351union \340 10h, 5\244","","ref456"\n77777777,"Ceci est le corps du message 3, test fichier CSV","TOTO","ref789"\n' >"$TMP/fichier.csv"
sim_reset
call -F "fichier=@$TMP/fichier.csv;type=text/csv" "$API/sendSMSBatch.do?accessToken=$T"
CID=$(id_of "$BODY")
assert_eq 12 "${#CID}" "sendSMSBatch: '0 | Accepté | <campagneID>' ($BODY)"
assert_eq "99999911 RDV ref123|88888888 null ref456|77777777 TOTO ref789" \
  "$(messages "id=$CID" | jq -r '[.[0].recipients[] | "\(.number) \(.sender) \(.ref_client)"] | join("|")')" \
  "sendSMSBatch: one recipient per row, quoted or bare"
assert_eq "Réunion à 10h, 5€" "$(messages "id=$CID" | jq -r '.[0].recipients[1].text')" \
  "sendSMSBatch: the file is ISO-8859-15"
assert_eq 997 "$(credit)" "sendSMSBatch: 3 SMS debited"
call --data-binary "accessToken=$T" "$API/sendSMSBatch.do"
assert_eq "35 | Paramètre obligatoire manquant" "$BODY" "sendSMSBatch without fichier: 35"
call -F "fichier=@$TMP/fichier.csv" "$API/sendSMS.do?accessToken=$T"
assert_eq "35 | Paramètre obligatoire manquant" "$BODY" "sendSMS ignores multipart fields"

# contacts and groups
get "addContact.do?accessToken=$T&nom=Dupond&prenom=jacques&mobile=0612345678&groupes=Groupe1,Groupe2"
assert_eq "0 | Contact ajouté" "$BODY" "addContact"
get "addContact.do?accessToken=$T&prenom=jacques&mobile=0612345678"
assert_eq "35 | Paramètre obligatoire manquant" "$BODY" "addContact without nom: 35"
get "sendSMS.do?accessToken=$T&message=x&groupe=Groupe2"
assert_eq 33612345678 "$(messages "id=$(id_of "$BODY")" | jq -r '.[0].recipients[0].number')" \
  "sendSMS to a groupe reaches its contacts"

# ----------------------------------------------- sub-accounts and credit
sim_reset
get "createSubAccount.do?accessToken=$T&newPseudo=bbbb&newPass=yyyyyy&nom=Martin"
assert_eq "0 | Création effectuée" "$BODY" "createSubAccount"
get "createSubAccount.do?accessToken=$T&newPseudo=bbbb&newPass=other"
assert_eq "41 | Identifiant déjà existant" "$BODY" "createSubAccount again: 41"
get "createSubAccount.do?accessToken=$T&newPseudo=cccc"
assert_eq "35 | Paramètre obligatoire manquant" "$BODY" "createSubAccount without newPass: 35"
assert_eq 0 "$(credit sub-bbbb)" "sub-account: token sub-<pseudo>, credit 0"
get "creditTransfert.do?accessToken=$T&targetPseudo=bbbb&creditAmount=12&reference=blablabla"
assert_eq "0 | Transfert effectué" "$BODY" "creditTransfert"
assert_eq "988 12" "$(credit) $(credit sub-bbbb)" "creditTransfert moves 12 credits"
get "creditTransfert.do?accessToken=$T&targetPseudo=bbbb&creditAmount=12.5"
assert_eq "35 | Paramètre obligatoire manquant" "$BODY" "creditTransfert: whole numbers only (35)"
get "creditTransfert.do?accessToken=$T&targetPseudo=nobody&creditAmount=1"
assert_eq "41 | Identifiant inexistant" "$BODY" "creditTransfert to an unknown pseudo: 41"
get "creditTransfert.do?accessToken=sub-bbbb&targetPseudo=demo&creditAmount=13"
assert_eq "33 | Crédits insuffisants" "$BODY" "creditTransfert beyond the credit: 33"
assert_eq demo "$(sim_ctl GET "account?provider=smsmode&token=sub-bbbb" | jq -r .parent)" \
  "control API: sub-account's parent"
get "deleteSubAccount.do?accessToken=$T&pseudoToDelete=bbbb"
assert_eq "0 | Suppression effectuée" "$BODY" "deleteSubAccount"
get "credit.do?accessToken=sub-bbbb"
assert_eq "32 | Erreur d'authentification" "$BODY" "deleted sub-account's token is gone"

# account control, negative credit
sim_ctl POST "account?provider=smsmode&token=$T&credit=212.5" >/dev/null
assert_eq 212.5 "$(credit)" "credit.do: 212.5"
sim_ctl POST "account?provider=smsmode&token=$T&credit=-40" >/dev/null
assert_eq -40 "$(credit)" "credit.do: negative"
get "sendSMS.do?accessToken=$T&message=x&numero=0612345678"
assert_eq "33 | Crédits insuffisants" "$BODY" "negative credit, not post-pay: 33"
sim_ctl POST "account?provider=smsmode&token=$T&credit=-40&postpay=1" >/dev/null
get "sendSMS.do?accessToken=$T&message=x&numero=0612345678"
assert_eq "-41" "$(credit)" "post-pay account goes on below zero"
assert_eq 7 "$(sim_ctl POST "account?provider=smsmode&token=new-token&credit=7" | jq -r .credit)" \
  "control API: create an account"
assert_eq 7 "$(credit new-token)" "created account answers credit.do"

# --------------------------------------------------- createAuthorisation
sim_reset
call -X POST "$SIM_URL/smsmode/http/2.0/createAuthorisation.do?accessToken=$T"
KEY=$(printf '%s' "$BODY" | jq -r .accessToken)
assert_eq 200 "$CODE" "createAuthorisation: 200"
assert_eq "32 demo ACTIVE" "$(printf '%s' "$BODY" | jq -r '"\(.accessToken | length) \(.account) \(.state)"')" \
  "createAuthorisation: 32-character key for the account"
assert_eq "true" "$(printf '%s' "$BODY" | jq -r 'has("id") and has("creationDate") and has("expiration")')" \
  "createAuthorisation: id, creationDate, expiration"
assert_eq 1000 "$(credit "$KEY")" "the new key works as accessToken"
assert_eq "application/json; charset=UTF-8" \
  "$(curl -sS -o /dev/null -w '%{content_type}' "$SIM_URL/smsmode/http/2.0/createAuthorisation.do?accessToken=$T")" \
  "createAuthorisation: JSON"
call "$SIM_URL/smsmode/http/2.0/createAuthorisation.do?accessToken=nope"
assert_eq "401 32" "$CODE $(printf '%s' "$BODY" | jq -r .code)" "createAuthorisation, unknown token: 401, code 32"

# ------------------------------------------------------------------ faults
sim_reset
sim_fault smsmode down count=1
get "credit.do?accessToken=$T"
assert_eq 503 "$CODE" "fault down: 503"
get "credit.do?accessToken=$T"
assert_eq "200 1000" "$CODE $BODY" "fault count=1: the next request is normal"
sim_fault smsmode http500 count=1
get "credit.do?accessToken=$T"
assert_eq 500 "$CODE" "fault http500: 500"
sim_fault smsmode code "count=1&code=50"
get "sendSMS.do?accessToken=$T&message=x&numero=0612345678"
assert_eq "200 50 | Temporairement inaccessible" "$CODE $BODY" "fault code=50"
assert_eq 1000 "$(credit)" "fault code: nothing debited"
sim_fault smsmode garbage count=1
get "credit.do?accessToken=$T"
assert_eq 200 "$CODE" "fault garbage: 200"
assert_contains "$BODY" "<html>oops" "fault garbage: unreadable body"
sim_fault smsmode close count=1
call "$API/credit.do?accessToken=$T"
assert_eq curl52 "$CODE" "fault close: connection cut, no answer (curl 52)"
sim_fault smsmode slow "count=1&ms=800"
T0=$(curl -sS -o /dev/null -w '%{time_total}' "$API/credit.do?accessToken=$T")
assert_eq 1 "$(echo "$T0" | awk '{ print ($1 >= 0.75) }')" "fault slow: answer after ms ($T0 s)"

# a slow answer does not hold the other connections up (one thread here)
sim_fault smsmode slow "count=1&ms=2000"
curl -sS -o /dev/null "$API/credit.do?accessToken=$T" &
SLOW=$!
sleep 0.3
T1=$(curl -sS -o /dev/null -w '%{time_total}' "$SIM_URL/_sim/providers")
assert_eq 1 "$(echo "$T1" | awk '{ print ($1 < 1) }')" "slow answer: other requests still served ($T1 s)"
wait "$SLOW"

sim_fault smsmode timeout_after_accept "count=1&ms=3000"
call --max-time 1 "$API/sendSMS.do?accessToken=$T&message=x&numero=0612345678"
assert_eq curl28 "$CODE" "fault timeout_after_accept: the client times out"
assert_eq "999 1" "$(credit) $(messages | jq -r length)" "timeout_after_accept: accepted, recorded, debited"
sim_fault smsmode down
get "credit.do?accessToken=$T"
get "credit.do?accessToken=$T"
assert_eq 503 "$CODE" "fault without count: until reset"
assert_eq '"down"' "$(sim_ctl GET providers | jq -c '.[] | select(.name == "smsmode") | .fault.mode')" \
  "control API: providers shows the fault"
sim_fault smsmode none
get "credit.do?accessToken=$T"
assert_eq 200 "$CODE" "mode=none clears the fault"
assert_eq 400 "$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$SIM_URL/_sim/fault?provider=smsmode&mode=bogus")" \
  "unknown fault mode: 400"
assert_eq 404 "$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$SIM_URL/_sim/fault?provider=nobody&mode=down")" \
  "unknown provider: 404"

# -------------------------------------------------------------- request log
sim_reset
curl -sS -o /dev/null -H 'X-Mixed-Case: Yes' --data-binary "accessToken=$T&message=%E9t%E9&numero=0612345678" \
  "$API/sendSMS.do?a=%41+b"
printf 'message=\351&accessToken=%s&numero=0612345678' "$T" >"$TMP/latin9.body"
curl -sS -o /dev/null -H 'Content-Type: application/x-www-form-urlencoded; charset=ISO-8859-15' \
  --data-binary "@$TMP/latin9.body" "$API/sendSMS.do"
LOG=$(sim_requests smsmode)
assert_eq 2 "$(printf '%s' "$LOG" | jq -r length)" "request log: every request, after reset"
R=$(printf '%s' "$LOG" | jq -c '.[0]')
assert_eq "POST /smsmode/http/1.6/sendSMS.do a=%41+b" "$(printf '%s' "$R" | jq -r '"\(.method) \(.path) \(.query)"')" \
  "request log: raw query, still percent-encoded"
assert_eq "Yes" "$(printf '%s' "$R" | jq -r '.headers["x-mixed-case"]')" "request log: lowercase header names"
assert_eq "accessToken=$T&message=%E9t%E9&numero=0612345678" "$(printf '%s' "$R" | jq -r .body)" "request log: raw body"
assert_eq "application/x-www-form-urlencoded" "$(printf '%s' "$R" | jq -r .content_type)" "request log: content_type"
assert_eq "body,body_hex,content_type,fault,headers,method,path,provider,query" \
  "$(printf '%s' "$R" | jq -r 'keys | join(",")')" "request log: fields"
assert_contains "$LOG" '"body":"message=\u00e9&' "request log: a non-UTF-8 byte is written \\u00XX"
assert_eq "$(hex <"$TMP/latin9.body")" "$(printf '%s' "$LOG" | jq -r '.[1].body_hex')" "request log: body_hex"
assert_eq "é" "$(messages | jq -r '.[1].text')" "form body with charset parameter decoded"
assert_eq 0 "$(sim_ctl GET requests | jq '[.[] | select(.path | startswith("/_sim"))] | length')" \
  "request log: control requests are not logged"

# ------------------------------------------------------------------ reset
sim_ctl POST "account?provider=smsmode&token=$T&credit=5" >/dev/null
sim_reset
assert_eq "1000 1000 0 0" "$(credit) $(credit Ab1CD2efg3Hi) $(credit poor-token) $(messages | jq -r length)" \
  "reset: built-in accounts back, messages gone"

# ------------------------------------------------- clean shutdown (SIGTERM)
# with an answer still parked by a fault: it is released, not leaked
sim_fault smsmode timeout_after_accept "ms=60000"
curl -sS -o /dev/null --max-time 20 "$API/credit.do?accessToken=$T" 2>/dev/null &
PARKED=$!
sleep 0.3
kill -TERM "$SIM_PID"
wait "$SIM_PID"
RC=$?
SIM_PID=
wait "$PARKED" || :
assert_eq 0 "$RC" "SIGTERM: exit status 0"
assert_not_contains "$(cat "$TMP/sim.log")" "Sanitizer" "no sanitizer report (leaks included)"
assert_not_contains "$(cat "$TMP/sim.log")" "runtime error" "no UBSan report"

finish
