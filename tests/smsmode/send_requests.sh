#!/bin/sh
# sMsmode conformance: every sendSMS.do / sendVoiceMessage.do request the
# guide prints (../shared/providers/smsmode-http.txt), built by `smsmux send`
# and compared byte for byte with what the simulator received.
#
# Where the bytes cannot be the guide's, and why:
#  - numbers: the guide writes `numero=3363123456,0623123457`; 3363123456 has
#    one digit too few to be a French number and 0623123457 is national.
#    smsmux normalises every number to E.164 and the plugin sends them as
#    international digits (336...), so we send +33631234560 and 0623123457
#    and expect 33631234560,33623123457.
#  - the host URL-encodes every value with curl_easy_escape (spaces as "+",
#    as the guide prints them): the "," between numbers goes out as %2C,
#    ":" in date_envoi as %3A, and the notification URL fully encoded
#    (http%3A%2F%2F...).  sMsmode decodes both forms alike.
#  - the notification example's numero `336xxyyzzaa` is a placeholder: we
#    use 33611223344.
. "$top_srcdir/tests/smsmode/common.sh"

NUMS=33631234560%2C33623123457

# --- item 3: the first sendSMS.do example ----------------------------------
sim_reset
sms send --provider sms --to +33631234560,0623123457 --text 'Bonjour Maman'
assert_eq 0 "$RC" "send_sms_exits_0"
assert_request "send_sms_matches_guide_example_request" GET "$API/sendSMS.do" \
  "accessToken=$TOKEN&message=Bonjour+Maman&numero=$NUMS"
# the JSON a user sees
assert_json '.provider' sms "send_json_names_provider"
ID=$(jqr '.id')
assert_eq 1 "$([ -n "$ID" ] && [ "$ID" != null ] && echo 1)" \
  "send_json_has_the_smsID_sMsmode_returned"
assert_json '.encoding' gsm7 "send_json_encoding_gsm7"
assert_json '.segments' 1 "send_json_segments"
assert_json '.recipients | length' 2 "send_json_lists_both_recipients"
assert_json '[.recipients[].to] | join(",")' '+33631234560,+33623123457' \
  "send_json_recipients_in_e164"
assert_json '[.recipients[].status] | unique | join(",")' accepted \
  "send_json_recipients_accepted"
assert_json '.recipients[0].code' 0 "send_json_recipient_raw_code_0"
assert_json '.attempts[0].provider + " " + .attempts[0].result' 'sms ok' \
  "send_json_attempt_ok"
assert_json 'has("error")' false "send_json_no_error_on_success"

# --- item 3: scheduled send (date_envoi ddmmYYYY-hh:mm) ---------------------
# The guide's date, 21/12/2005 14:35, is in the past and smsmux refuses a
# past --at (exit 2, nothing sent): the same day and time in 2035 instead.
sim_reset
sms send --provider sms --to +33631234560 --text 'Bon anniversaire' \
  --at '2035-12-21 14:35:00'
assert_eq 0 "$RC" "scheduled_send_exits_0"
assert_request "date_envoi_matches_guide_example_request" GET "$API/sendSMS.do" \
  "accessToken=$TOKEN&message=Bon+anniversaire&numero=33631234560&date_envoi=21122035-14%3A35"
assert_json '.recipients[0].status' scheduled "scheduled_send_recipient_scheduled"
sim_reset
sms send --provider sms --to +33631234560 --text 'Bon anniversaire' \
  --at '2005-12-21 14:35:00'
assert_error input 2 "past_send_date_refused"
assert_eq 0 "$(req_count)" "past_send_date_sends_nothing"

# --- item 3: the STOP mention ----------------------------------------------
sim_reset
sms send --provider sms --to +33631234560,0623123457 --text 'Bonjour Maman' \
  --option stop=1
assert_eq 0 "$RC" "stop_send_exits_0"
assert_request "stop_matches_guide_example_request" GET "$API/sendSMS.do" \
  "accessToken=$TOKEN&message=Bonjour+Maman&numero=$NUMS&stop=1"
sim_reset
sms send --provider sms --to +33631234560 --text 'Promo' --option stop=2
assert_request "stop_2_always_added" GET "$API/sendSMS.do" \
  "accessToken=$TOKEN&message=Promo&numero=33631234560&stop=2"
sim_reset
sms send --provider sms --to +33631234560 --text 'Promo' --option stop=3
assert_error input 2 "stop_3_refused"
assert_contains "$(jqr '.error.message')" "stop=3" "stop_3_error_names_the_option"
assert_eq 0 "$(req_count)" "stop_3_sends_nothing"

# --- item 3: characters in ISO-8859-15 --------------------------------------
sim_reset
sms send --provider sms --to +33631234560 --text 'é€'
assert_eq 0 "$RC" "gsm_text_send_exits_0"
assert_request "gsm_text_goes_as_iso_8859_15_bytes" GET "$API/sendSMS.do" \
  "accessToken=$TOKEN&message=%E9%A4&numero=33631234560"
sim_reset
sms send --provider sms --to +33631234560 --text 'Ça coûte 5€ !'
assert_eq 0 "$RC" "ucs2_latin_text_send_exits_0"
assert_json '.encoding' ucs2 "text_outside_gsm7_is_ucs2"

# --- item 16: unicode ------------------------------------------------------
# The guide's example puts classe_msg=9 right after accessToken and
# emetteur before numero: reproduced in that order.
sim_reset
sms send --provider sms --to +33631234560,0623123457 --text '☺' --from PERSO
assert_eq 0 "$RC" "unicode_send_exits_0"
assert_request "unicode_matches_guide_example_request" GET "$API/sendSMS.do" \
  "accessToken=$TOKEN&classe_msg=9&message=%E2%98%BA&emetteur=PERSO&numero=$NUMS"
assert_json '.encoding' ucs2 "unicode_send_json_encoding_ucs2"

# --- item 12: delivery report notification URL (with refClient) -------------
sim_reset
sms send --provider sms --to +33611223344 --text 'Bonjour test' \
  --option notification_url=http://www.votreURLdeNotificationdeCR.com/compteRenduNotification.php \
  --ref 12azer34
assert_eq 0 "$RC" "notification_send_exits_0"
assert_request "notification_url_matches_guide_example_request" GET \
  "$API/sendSMS.do" \
  "accessToken=$TOKEN&message=Bonjour+test&numero=33611223344&notification_url=http%3A%2F%2Fwww.votreURLdeNotificationdeCR.com%2FcompteRenduNotification.php&refClient=12azer34"
sim_reset
sms send --provider sms --to +33611223344 --text 'x' --option notification_url=ftp://x
assert_error input 2 "notification_url_must_be_http"
assert_eq 0 "$(req_count)" "bad_notification_url_sends_nothing"
sim_reset
sms send --provider sms --to +33611223344 --text 'x' \
  --option notification_url_reponse=https://example.org/mo
assert_request "notification_url_reponse_is_sent" GET "$API/sendSMS.do" \
  "accessToken=$TOKEN&message=x&numero=33611223344&notification_url_reponse=https%3A%2F%2Fexample.org%2Fmo"

# --- item 13: SMS that can be answered (classe_msg=4) -----------------------
sim_reset
sms send --provider sms --to +33631234560 --text 'Repondez OUI' --option reply=yes
assert_eq 0 "$RC" "reply_send_exits_0"
assert_request "reply_sends_classe_msg_4" GET "$API/sendSMS.do" \
  "accessToken=$TOKEN&message=Repondez+OUI&numero=33631234560&classe_msg=4"
sim_reset
sms send --provider sms --to +33631234560 --text 'Repondez OUI' --option reply=yes \
  --from PERSO
assert_error invalid 1 "reply_with_sender_refused"
assert_contains "$(jqr '.error.message')" "emetteur" \
  "reply_with_sender_error_names_the_rule"
assert_eq 0 "$(req_count)" "reply_with_sender_sends_nothing"
sim_reset
sms send --provider sms --to +33631234560 --text 'x' --option reply=maybe
assert_error input 2 "reply_bad_value_refused"

# --- optional parameters and unknown options --------------------------------
sim_reset
sms send --provider sms --to +33631234560 --text 'Bonjour' --from PERSO \
  --option nbr_msg=3
assert_request "sender_and_nbr_msg_are_sent" GET "$API/sendSMS.do" \
  "accessToken=$TOKEN&message=Bonjour&numero=33631234560&emetteur=PERSO&nbr_msg=3"
sim_reset
sms send --provider sms --to +33631234560 --text 'Bonjour' --option nbr_msg=9
assert_error input 2 "nbr_msg_beyond_5_refused"
sim_reset
sms send --provider sms --to +33631234560 --text 'Bonjour' --option colour=blue
assert_eq 0 "$RC" "unknown_option_is_ignored"
assert_request "unknown_option_is_not_sent" GET "$API/sendSMS.do" \
  "accessToken=$TOKEN&message=Bonjour&numero=33631234560"

# --- item 15: voice ---------------------------------------------------------
sim_reset
sms send --provider sms --kind voice --to +33631234560 --text 'Bonjour Maman' \
  --option 'title=voici le titre'
assert_eq 0 "$RC" "voice_send_exits_0"
assert_request "voice_matches_guide_example_request" GET \
  "$API/sendVoiceMessage.do" \
  "accessToken=$TOKEN&message=Bonjour+Maman&numero=33631234560&title=voici+le+titre"
assert_json '.recipients[0].status' accepted "voice_recipient_accepted"
sim_reset
sms send --provider sms --kind voice --to +33631234560 --text 'Hello mum' \
  --option 'title=A message' --option language=en-GB --at '2035-01-02 03:04:00'
assert_request "voice_sends_date_and_language" GET "$API/sendVoiceMessage.do" \
  "accessToken=$TOKEN&message=Hello+mum&numero=33631234560&title=A+message&date_envoi=02012035-03%3A04&language=en-GB"
sim_reset
sms send --provider sms --kind voice --to +33631234560 --text 'x' --option language=it-IT
assert_error input 2 "voice_language_outside_the_guide_refused"

# --- the access token never shows in traces ---------------------------------
sim_reset
run_smsmux --config "$CONFIG" --verbose send --provider sms --to +33631234560 \
  --text 'trace me'
assert_eq 0 "$RC" "verbose_send_exits_0"
assert_contains "$ERR" "sendSMS.do" "verbose_trace_shows_the_request"
assert_not_contains "$ERR$OUT" "$TOKEN" "verbose_trace_hides_access_token"

finish
