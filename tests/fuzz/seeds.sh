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

# MSInnovations AllMySMS MMS (allmysms-mms.txt): `Key=Value` lines, an
# IDs=<RECOVERIDS> XML value that may span lines.  MMS only, so every send
# is an MMS (variant bits 6-7: the media).  Operation: 0 account-info.
seeds_allmysms() {
  n=allmysms
  ids='<RECOVERIDS><CUSTOMER><MOBILEPHONE>0600000000</MOBILEPHONE></CUSTOMER> <CUSTOMER>\n<MOBILEPHONE>0611111111</MOBILEPHONE></CUSTOMER></RECOVERIDS>'
  seed $n send-image send 0 0 200 "Content-Type: text/html; charset=UTF-8" \
    "Status=100\nStatusText=Le message a été envoyé\nCredits=416\nInvalidNums=0400000000|06XXzsqsd\nCampaignID=hbhvirbvc\nIDs=$ids\n"
  seed $n send-video-scheduled send 130 0 200 "" \
    "Status=101\nStatusText=Le message a été programmé pour un envoi différé\nCredits=415\nInvalidNums=\nCampaignID=prog42\nIDs=<RECOVERIDS><CUSTOMER><MOBILEPHONE>0612345678</MOBILEPHONE></CUSTOMER><CUSTOMER><MOBILEPHONE>0698765432</MOBILEPHONE></CUSTOMER></RECOVERIDS>\n"
  seed $n send-sound-image send 192 0 200 "" \
    "Status=100\r\nStatusText=Le message a été envoyé\r\nCredits=12\r\nInvalidNums=\r\nIDs=<RECOVERIDS><CUSTOMER><MOBILEPHONE>0612345678</MOBILEPHONE></CUSTOMER></RECOVERIDS>\r\n"
  seed $n send-bad-login send 0 0 200 "" \
    "Status=102\nStatusText=Problème de connexion - Aucun compte ne correspond aux clientcode et passcode spécifiés\n"
  seed $n send-no-credit send 0 0 200 "" \
    "Status=103\nStatusText=Crédit SMS épuisé. Veuillez recrediter votre compte sur AllMySMS.com\nCredits=0\n"
  seed $n send-short-credit send 0 0 200 "" \
    "Status=104\nStatusText=Crédit insuffisant pour traiter cet envoi. A utiliser: 2 Crédits, Disponibles: 1 Crédits. Veuillez recrediter votre compte sur AllMySMS.com\nCredits=1\n"
  seed $n send-no-valid-number send 0 0 200 "" \
    "Status=123\nStatusText=Aucun numéro de téléphone valide dans le flux.\nInvalidNums=0400000000|06XXzsqsd\n"
  seed $n send-not-allowed send 0 0 200 "" \
    "Status=200\nStatusText=Vous n'avez pas l'autorisation d'utiliser ce module.\n"
  seed $n send-http500 send 0 0 500 "" "Internal Server Error"
  seed $n balance balance 0 0 200 "" "Status=100\nStatusText= Compte actif\nCredits=416\n"
  seed $n balance-inactive balance 0 0 200 "" "Status=303\nStatusText= Compte inactif\n"
  seed $n op-account-info call 0 0 200 "" "Status=300\nStatusText= Compte actif\nCredits=416\n"
  seed $n op-account-unknown call 0 0 200 "" "Status=301\nStatusText= Compte inexistant\n"
}

# Clever REST (clever-rest.txt): JSON answers; every answer body the
# document prints, the screenshots' too (their JSON is often broken: a
# comma missing or one too many, an object closed twice).  Operations: 0
# account, 1 user-create, 2 user-update, 3 user-get, 4 contact-create,
# 5 contact-update, 6 contact-get, 7 contact-delete, 8 contact-list,
# 9 contact-list-user, 10 push-mail, 11 push-criteria, 12
# push-mail-criteria, 13 push-broadcast, 14 push-mail-broadcast, 15
# push-mail-delete, 16 push-info, 17 push-mail-info, 18
# push-mail-deliveries, 19 field-list, 20 predefined-messages.
seeds_clever_rest() {
  n=clever-rest
  json="Content-Type: application/json"
  nocontent="Cache-Control: no-cache\nConnection: close\nContent-Type: text/html; charset=UTF-8\nServer: Apache/2.4.23 (Win64) OpenSSL/1.0.2j PHP/5.6.25\nX-Powered-By: PHP/5.6.25"
  seed $n balance balance 0 0 200 "$json" "$(cat <<'EOF'
{"account":{"name":"Clever","lastname":"Tec","email":"support@clever.fr","telephone":"+33160536053","credit":999733,"date_expiration":"2033-02-10 09:49:21","company":{"company_name":"Clever Technologies - IS","address":"52 rue d'emeraïnvill","country":"France","city":"Croissy","zip_code":77183}}}
EOF
)"
  seed $n balance-screenshot balance 0 0 200 "$json" "$(cat <<'EOF'
{
  "account":
  {
    "name": "Clever",
    "lastname": "Tec",
    "email": "support@clever.fr",
    "tocontrol": 0,
    "telephone": "+33160536053",
    "credit": 999733,
   "date_expiration": "2033-02-10 09:49:21",
 }
 "company":
 {
   "company_name": "Clever Technologies - IS",
   "address": "52 rue d'emeraïnvill",
   "country": "France",
   "city": "Croissy",
   "zip_code": 77183
 }
}
}
EOF
)"
  seed $n op-account call 0 0 200 "$json" "$(cat <<'EOF'
{"account":{"name":"Clever","lastname":"Tec","email":"support@clever.fr","telephone":"+33160536053","credit":999733,"date_expiration":"2033-02-10 09:49:21","company":{"company_name":"Clever Technologies - IS","address":"52 rue d'emeraïnvill","country":"France","city":"Croissy","zip_code":77183}}}
EOF
)"
  seed $n op-user-create call 1 255 201 "$json" "$(cat <<'EOF'
{"user":{"username":"useryb","password":"A12345678e","account":{"name":"clever","lastname":"tec","email":"support@clever.fr","telephone":"+33160536053","company":{"address":"Croissy","company_name":"IS"}}}}
EOF
)"
  seed $n op-contact-create call 4 255 201 "$json" "$(cat <<'EOF'
{"contact":{"id":"155576","name":"contact","lastName":"contact lastname","gsmPrimary":"+3361000000","email":"contact@email.com"}}
EOF
)"
  seed $n op-contact-get call 6 0 200 "$json" "$(cat <<'EOF'
{"contact":{"id":"214917","name":"contact","lastName":"contact lastname","gsmPrimary":"+3361000002","email":"contact@email.com"}}
EOF
)"
  seed $n op-contact-get-screenshot call 6 0 200 "$json" "$(cat <<'EOF'
{"contact":{"id":214917,"name":"contact","last_name":"contact lastname","gsm_primary":"600000002","email":"contact@email.com"}}
EOF
)"
  seed $n op-contact-list call 8 0 200 "$json" "$(cat <<'EOF'
{"contact":[{"id":214905,"name":"Clever","last_name":"ALGnew3","gsm_primary":"771100899","gsm_secondary":"","landline_primary":"","landline_secondary":"","email":"cleverimap@gmail.com","fax_primary":"","fax_secondary":"","zip_code":"","city":"Torcy","street":"rue de paris","street_number":"4","longitude":"2.6566156","latitude":"48.8511663"},{"id":214906,"name":"contact","last_name":"contact lastname","gsm_primary":"600000001","email":"contact@email.com"}]}
EOF
)"
  seed $n op-contact-list-screenshot call 8 0 200 "$json" "$(cat <<'EOF'
{
  "contact":
  [
    {
      "id": 214905,
      "name": "Clever",
      "last_name": "ALGnew3",
      "gsm_primary": "771100899",
      "gsm_secondary": "",
     "landline_primary": "",
     "landline_secondary": "",
     "email": "cleverimap@gmail.com",
     "fax_primary": "",
     "fax_secondary": "",
     "zip_code": "",
     "city": "Torcy",
     "street": "rue de paris",
     "street_number": "4",
     "longitude": "2.6566156",
     "latitude": "48.8511663"
   },
   {
     "id": 214906
EOF
)"
  seed $n op-contact-list-user call 9 0 200 "$json" "$(cat <<'EOF'
{"contact":[{"id":214905,"name":"Clever","last_name":"ALGnew3","gsm_primary":"771100899","gsm_secondary":"","landline_primary":"","landline_secondary":"","email":"cleverimap@gmail.com","fax_primary":"","fax_secondary":"","zip_code":"","city":"Torcy","street":"rue de paris","street_number":"4","longitude":"2.6566156","latitude":"48.8511663"},{"id":214906,"name":"contact","last_name":"contact lastname","gsm_primary":"600000001","email":"contact@email.com"}]}
EOF
)"
  seed $n send-created send 0 0 201 "$json" "$(cat <<'EOF'
{"push":{"reference":"Push20171012124247","nb_destination":2,"number_list":"+33600000001;+33600000002","encodage":3,"text":"test envoi du message","hd_send":"2017-10-12 12:42:47","filename":"noFile","type_push":"sms","unit":14,"nb_sms":1,"duplicates":0}}
EOF
)"
  seed $n send-created-screenshot send 3 0 201 "$json" "$(cat <<'EOF'
{
  "push":
    {
      "reference": "Push20171012124247",
      "nb_destination": 2,
      "number_list": "+33600000001;+33600000002",
      "encodage": 3,
      "text": "test envoi du message",
      "hd_send": "2017-10-12 12:42:47 ",
     "filename": "noFile",
     "type_push": "sms",
     "unit": 14,
     "nb_sms": 1,
     "duplicates": 0
   }
 }
}
EOF
)"
  seed $n op-push-mail call 10 0 201 "$json" "$(cat <<'EOF'
{"push":{"reference":"Push20171012153053","email_list":"cleverimap@gmail.com;cleverimap@gmail.com","text":"Send Push Mail","email_subject":"push mail","hd_send":"2017-10-12 15:30:53","filename":"noFile","unit":4,"nb_mail":2,"open_tag":0,"type_mail":"html","duplicates":1}}
EOF
)"
  seed $n op-push-mail-screenshot call 10 255 201 "$json" "$(cat <<'EOF'
{
  "push":
    {
      "reference": "Push20171012153053",
      "email_list": "cleverimap@gmail.com;cleverimap@gmail.com",
      "text": "Send Push Mail",
      "email_subject": "push mail",
      "hd_send": "2017-10-12 15:30:53",
      "filename": "noFile",
     "unit": 4,
     "nb_mail": 2,
     "open_tag": 0,
     "type_mail": "html",
     "duplicates": 1
   }
 }
}
EOF
)"
  seed $n op-push-criteria call 11 0 201 "$json" "$(cat <<'EOF'
{"push":{"reference":" Push201710121707081059df851c0e82a0484665235b4cd228f","nb_destination":1,"number_list":"+33600000001","encodage":3,"text":" send push criteria test","hd_send":"2017-10-12 17:07:08","filename":"noFile","type_push":"sms","unit":7,"nb_sms":1,"duplicates":0}}
EOF
)"
  seed $n op-push-mail-criteria call 12 0 201 "$json" "$(cat <<'EOF'
{"push":{"reference":"Push20171012173014","email_list":"test@dns.fr","status":2,"text":"send push mail criteria test","email_subject":"push mail","hd_send":"2017-10-12 17:30:14","type_push":"mail","unit":2,"nb_mail":1,"open_tag":0,"type_mail":"html","duplicates":1}}
EOF
)"
  seed $n op-push-mail-criteria-screenshot call 12 0 201 "$json" "$(cat <<'EOF'
{"push":{"reference":"Push20171012173014","email_list":"cleverimap@gmail.com ","statut":0,"text":"send push criteria test","email_subject":"push mail","hd_send":"2017-10-12 17:30:14 ","type_push":"mail","unit":2,"nb_mail":1,"open_tag":0,"type_mail":"html","duplicates":1}}
EOF
)"
  seed $n op-push-broadcast call 13 0 201 "$json" "$(cat <<'EOF'
{"push":{"reference":"Push201710121805301059df92caac8d629486258997453f8d0","nb_destination":0,"number_list":"+33651028452;+33771100899;+33699593839;+33600000001;+33770304614;+33151028452","encodage":3,"text":"send push all contacts test","date_entry":"2017-10-12T18:05:30+0200","hd_send":"2017-10-12T18:05:30+0200","type_push":"sms","unit":44,"nb_sms":1,"options":"F1","way":1,"duplicates":"0","mail_routage_mo":"ybelasli@cleverinterne.fr","gsm_routage_mo":"+33651028452"}}
EOF
)"
  seed $n op-push-broadcast-screenshot call 13 0 201 "$json" "$(cat <<'EOF'
{
  "push":
    {
      "id": 676,
      "reference": "Push201710121805301059df92caac8d629486258997453f8d0",
      "nb_destination": 0,
      "number_list": "+33651028452;+33771100899;+33699593839;+33600000001;+33770304614;+3
      3151028452",
      "encodage": 3,
     "text": "send push all contacts test",
     "date_entry": "2017-10-12T18:05:30+0200",
     "hd_send": "2017-10-12T18:05:30+0200",
     "type_push": "sms",
     "unit": 44,
     "nb_sms": 1,
     "options": "F1",
     "way": 1,
     "duplicates": "0",
     "mail_routage_mo": "ybelasli@cleverinterne.fr",
     "gsm_routage_mo": "+33651028452"
   }
 }
EOF
)"
  seed $n op-push-mail-broadcast call 14 0 201 "$json" "$(cat <<'EOF'
{"push":{"reference":"Push20171012174641","email_list":"test@clever.fr,cleverimap@gmail.com ","text":"Send Push mail for all contacts","email_subject":"push mail","hd_send":"2017-10-12 17:46:41","type_push":"mail","unit":4,"nb_mail":2,"open_tag":0,"type_mail":"html","duplicates":1}}
EOF
)"
  seed $n op-push-mail-broadcast-screenshot call 14 0 201 "$json" "$(cat <<'EOF'
{"push":{"id":675,"reference":"Push20171012174641","email_list":"cleverimap@gmail.com,support@clever.fr","text":"Send Push mail for all contacts","email_subject":"push mail","hd_send":"2017-10-12 17:46:41","type_push":"mail","unit":14,"nb_mail":7,"open_tag":0,"type_mail":"html","duplicates":1}}
EOF
)"
  seed $n op-push-info call 16 0 200 "$json" "$(cat <<'EOF'
{"push":{"reference":"Push20171012135655","nb_destination":1,"number_list":"+336000000001","status":2,"short_code":"","encodage":3,"text":"test envoi du message","hd_send":"2017-10-12 13:56:55","type_push":"tts","unit":9,"nb_sms":1,"options":"F1"}}
EOF
)"
  seed $n op-push-info-screenshot call 16 0 200 "$json" "$(cat <<'EOF'
{"push":{"reference":"Push20171012135655","nb_destination":1,"number_list":"+33600000001","status":2,"short_code":"","encodage":3,"text":"test envoi du message","hd_send":"2017-10-12T13:56:55+0200","type_push":"tts","unit":9,"nb_sms":1,"options":"F1"}}
EOF
)"
  seed $n op-push-mail-info call 17 0 200 "$json" "$(cat <<'EOF'
{"push":{"reference":"Push20171012153053","email_list":"cleverimap@gmail.com;cleverimap@gmail.com","status":2,"text":"Send Push Mail","email_subject":"push mail","hd_send":"2017-10-12 15:30:53","type_push":"mail","unit":4,"nb_mail":2,"open_tag":0,"type_mail":"html"}}
EOF
)"
  seed $n status-deliveries status 1 0 200 "$json" "$(cat <<'EOF'
{"deliveries":[{"message":"send push all contacts test","typemessage":"sms","date_send":"2017-10-13 16:24:51","date_receive":"2017-10-13 16:24:52","recipient":"+33651028452","status":"3"},{"message":"send push all contacts test","typemessage":"tts","date_send":"2017-10-13 16:24:55","date_receive":"2017-10-13 16:25:10","recipient":"+336000000001","status":"6"}]}
EOF
)"
  seed $n status-deliveries-screenshot status 1 0 200 "$json" "$(cat <<'EOF'
{
  "deliveries":
    [
      {
        "message": "send push all contacts test",
        "typemessage": "sms",
        "date_send": "2017-10-13 16:24:51",
        "date_receive": "2017-10-13 16:24:52",
        "recipient": "+33600000001",
       "status": "3"
     },
     {
       "message": "send push all contacts test",
       "typemessage": "sms",
       "date_send": "2017-10-13 16:25:02",
       "recipient": "+33600000001",
       "status": "2"
     },
     {
       "message": "send push all contacts test".
EOF
)"
  seed $n op-push-mail-deliveries call 18 0 200 "$json" "$(cat <<'EOF'
{"deliveries":[{"subject":"push mail","body":"Send Push Mail test","reply_to":"","date_send":"2017-10-13 13:35:10","date_receive":"2017-10-13 13:35:12","recipient":"cleverimap@gmail.com","status":"3"},{"subject":"push mail","body":"Send Push Mail test","reply_to":"","date_send":"2017-10-13 13:35:10","date_receive":"2017-10-13 13:35:12","recipient":"cleverimap@gmail.com","status":"3"}]}
EOF
)"
  seed $n op-push-mail-deliveries-screenshot call 18 0 200 "$json" "$(cat <<'EOF'
{"deliveries":[{"subject":"push mail","body":"Send Push Mail test","reply_to":"","date_send":"2017-10-13 13:35:10","recipient":"cleverimap@gmail.com","status":"2"},{"subject":"push mail","body":"Send Push Mail test","reply_to":"","date_send":"2017-10-13 13:35:10","recipient":"cleverimap@gmail.com","status":"2"}]}
EOF
)"
  seed $n replies-mos replies 1 0 200 "$json" "$(cat <<'EOF'
{"mos":[{"status":"5","date_receive":"2017-10-13 16:32:07","recipient":"+33651028452","message":"Ok Yacine"}]}
EOF
)"
  seed $n status-no-delivery-then-push status 1 0 200 "$json" '{"deliveries":[]}' \
    200 "$json" "$(cat <<'EOF'
{"push":{"reference":"Push20171012135655","nb_destination":1,"number_list":"+336000000001","status":2,"short_code":"","encodage":3,"text":"test envoi du message","hd_send":"2017-10-12 13:56:55","type_push":"tts","unit":9,"nb_sms":1,"options":"F1"}}
EOF
)"
  seed $n cancel-no-content cancel 1 0 204 "$nocontent" ""
  seed $n cancel-not-found cancel 1 0 404 "$json" ""
  seed $n op-contact-delete call 7 0 204 "$nocontent" ""
  seed $n op-push-mail-delete call 15 0 204 "$nocontent" ""
  seed $n send-unauthorized send 0 0 401 "" ""
  seed $n send-expired send 0 0 430 "" "Account expired 2017-10-01"
  seed $n send-server-error send 0 0 500 "" ""
  seed $n balance-bad-request balance 0 0 400 "" ""
}

names=${*:-smsmode clever-http clever-rest allmysms}
for name in $names; do
  "seeds_$(echo "$name" | tr - _)"
done
