#!/bin/sh
# AllMySMS conformance: the MMS request of the document (section 1.1, the
# PHP example: POST /amsmodule.sendmms.v2.php, a form body clientcode,
# passcode, XMLFlow in that order) with each XML flow of section 1.2, built
# by `smsmux send` and compared byte for byte with what the simulator got.
#
# Where the bytes cannot be the document's, and why:
#  - the document's flow is annotated ("(option facultative)", "0 -> pas
#    de notifications ... 1 -> notification", "[Si MSGCLASS vaut 0]"): we
#    send the values those notes describe.
#  - <CLIENT>login</CLIENT>: "Il doit OBLIGATOIREMENT être en majuscules";
#    our login is the PHP example's votrecodeclient, sent VOTRECODECLIENT.
#  - the flow starts with an XML declaration naming ISO-8859-1 (the
#    document names no charset; its answers are ISO-8859-1) and is written
#    by libxml2 on one line, without the example's indentation.
#  - DATE 2007-11-05 15:10:00 is in the past, which smsmux refuses: the
#    same day and time in 2035.
#  - the host form-encodes every value with curl_easy_escape (PHP's
#    urlencode() that the document asks for, except that it leaves "~"
#    alone): "<" is %3C, spaces "+".
. "$top_srcdir/tests/allmysms/common.sh"

# --- section 1.2.1: the example flow (MSGCLASS 0, every optional tag) ------
sim_reset
mms send --provider mms --kind mms --to +33600000000,+33611111111 \
  --text message --subject 'nom de campagne ' --at '2035-11-05 15:10:00' \
  --option mail_notif=1
assert_eq 0 "$RC" "example_flow_send_exits_0"
assert_post "example_flow_matches_the_document" "$SEND_PATH" "$(flow_body \
'<DATA><CLIENT>VOTRECODECLIENT</CLIENT><CAMPAIGN_NAME>nom de campagne </CAMPAIGN_NAME><DATE>2035-11-05 15:10:00</DATE><MAIL_NOTIF>1</MAIL_NOTIF><MOBILEPHONE>+33600000000</MOBILEPHONE><MOBILEPHONE>+33611111111</MOBILEPHONE><MSGCLASS>0</MSGCLASS><MESSAGE>message</MESSAGE></DATA>')"
assert_eq 1 "$(req_count)" "example_flow_is_one_request"

# --- the smallest text MMS: no optional tag --------------------------------
sim_reset
mms send --provider mms --kind mms --to 0600000000 --text 'Bonjour Maman'
assert_eq 0 "$RC" "text_mms_exits_0"
assert_post "text_mms_has_no_optional_tags" "$SEND_PATH" "$(flow_body \
'<DATA><CLIENT>VOTRECODECLIENT</CLIENT><MOBILEPHONE>+33600000000</MOBILEPHONE><MSGCLASS>0</MSGCLASS><MESSAGE>Bonjour Maman</MESSAGE></DATA>')"

# --- MSGCLASS 1: image --------------------------------------------------------
sim_reset
mms send --provider mms --to 0611111111 --text 'Regarde' \
  --image http://www.example.com/photo.jpg
assert_eq 0 "$RC" "image_mms_exits_0"
assert_post "image_mms_is_msgclass_1_with_IMAGE" "$SEND_PATH" "$(flow_body \
'<DATA><CLIENT>VOTRECODECLIENT</CLIENT><MOBILEPHONE>+33611111111</MOBILEPHONE><MSGCLASS>1</MSGCLASS><MESSAGE>Regarde</MESSAGE><IMAGE>http://www.example.com/photo.jpg</IMAGE></DATA>')"

# --- MSGCLASS 2: video ---------------------------------------------------------
sim_reset
mms send --provider mms --to 0611111111 --text 'Le film' \
  --video http://www.example.com/film.3gp --duration 30
assert_eq 0 "$RC" "video_mms_exits_0"
assert_post "video_mms_is_msgclass_2_with_VIDEO_URL_DUREE" "$SEND_PATH" "$(flow_body \
'<DATA><CLIENT>VOTRECODECLIENT</CLIENT><MOBILEPHONE>+33611111111</MOBILEPHONE><MSGCLASS>2</MSGCLASS><MESSAGE>Le film</MESSAGE><VIDEO><URL>http://www.example.com/film.3gp</URL><DUREE>30</DUREE></VIDEO></DATA>')"

# --- MSGCLASS 3: sound ---------------------------------------------------------
sim_reset
mms send --provider mms --to 0611111111 --text 'Ecoute' \
  --audio http://www.example.com/son.amr --duration 12
assert_eq 0 "$RC" "sound_mms_exits_0"
assert_post "sound_mms_is_msgclass_3_with_SON_URL_DUREE" "$SEND_PATH" "$(flow_body \
'<DATA><CLIENT>VOTRECODECLIENT</CLIENT><MOBILEPHONE>+33611111111</MOBILEPHONE><MSGCLASS>3</MSGCLASS><MESSAGE>Ecoute</MESSAGE><SON><URL>http://www.example.com/son.amr</URL><DUREE>12</DUREE></SON></DATA>')"

# --- MSGCLASS 4: sound + image (no example: IMAGE then SON, as for 1 and 3) --
sim_reset
mms send --provider mms --to 0611111111 --text 'Les deux' \
  --image http://www.example.com/a.gif --audio http://www.example.com/b.mid \
  --duration 1000
assert_eq 0 "$RC" "sound_image_mms_exits_0"
assert_post "sound_image_mms_is_msgclass_4_with_IMAGE_and_SON" "$SEND_PATH" "$(flow_body \
'<DATA><CLIENT>VOTRECODECLIENT</CLIENT><MOBILEPHONE>+33611111111</MOBILEPHONE><MSGCLASS>4</MSGCLASS><MESSAGE>Les deux</MESSAGE><IMAGE>http://www.example.com/a.gif</IMAGE><SON><URL>http://www.example.com/b.mid</URL><DUREE>1000</DUREE></SON></DATA>')"
assert_json '.recipients[0].status' accepted "sound_image_mms_is_accepted_by_the_simulator"

# --- recipients: E.164 in MOBILEPHONE, one tag each, 07 numbers too ---------
sim_reset
mms send --provider mms --kind mms --to 0712345678,33698765432,+33611111111 --text x
assert_post "numbers_go_as_e164_one_tag_each" "$SEND_PATH" "$(flow_body \
'<DATA><CLIENT>VOTRECODECLIENT</CLIENT><MOBILEPHONE>+33712345678</MOBILEPHONE><MOBILEPHONE>+33698765432</MOBILEPHONE><MOBILEPHONE>+33611111111</MOBILEPHONE><MSGCLASS>0</MSGCLASS><MESSAGE>x</MESSAGE></DATA>')"

# --- MAIL_NOTIF: --option, and the instance default --------------------------
sim_reset
mms send --provider mms --kind mms --to 0611111111 --text x --option mail_notif=no
assert_post "mail_notif_no_is_0" "$SEND_PATH" "$(flow_body \
'<DATA><CLIENT>VOTRECODECLIENT</CLIENT><MAIL_NOTIF>0</MAIL_NOTIF><MOBILEPHONE>+33611111111</MOBILEPHONE><MSGCLASS>0</MSGCLASS><MESSAGE>x</MESSAGE></DATA>')"
sim_reset
mms send --provider mms --kind mms --to 0611111111 --text x --option mail_notif=maybe
assert_error input 2 "mail_notif_bad_value_refused"
assert_contains "$(jqr '.error.message')" "mail_notif=maybe" "mail_notif_bad_value_named"
assert_eq 0 "$(req_count)" "mail_notif_bad_value_sends_nothing"
sim_reset
mms send --provider mms --kind mms --to 0611111111 --text x --option colour=blue
assert_post "unknown_option_is_not_sent" "$SEND_PATH" "$(flow_body \
'<DATA><CLIENT>VOTRECODECLIENT</CLIENT><MOBILEPHONE>+33611111111</MOBILEPHONE><MSGCLASS>0</MSGCLASS><MESSAGE>x</MESSAGE></DATA>')"
write_config notif.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.mms]
plugin = allmysms
base_url = @SIM@/allmysms
login = demo
password = demo-pass
mail_notif = yes
EOF2
sim_reset
run_smsmux --config "$TMP/notif.ini" --json send --kind mms --to 0611111111 --text x
assert_post "config_mail_notif_is_the_default_and_login_upper_cased" "$SEND_PATH" "$(flow_body \
'<DATA><CLIENT>DEMO</CLIENT><MAIL_NOTIF>1</MAIL_NOTIF><MOBILEPHONE>+33611111111</MOBILEPHONE><MSGCLASS>0</MSGCLASS><MESSAGE>x</MESSAGE></DATA>' demo demo-pass)"
sim_reset
run_smsmux --config "$TMP/notif.ini" --json send --kind mms --to 0611111111 --text x \
  --option mail_notif=0
assert_contains "$(req '.body')" "%3CMAIL_NOTIF%3E0%3C" "option_mail_notif_overrides_the_config"

# --- escaping: libxml2 writes the text, never string concatenation ----------
sim_reset
mms send --provider mms --kind mms --to 0611111111 \
  --text '</MESSAGE><MSGCLASS>9</MSGCLASS> & "q" '"'"'a'"'"'' \
  --subject 'A&B <c>'
assert_eq 0 "$RC" "markup_in_text_send_exits_0"
assert_post "markup_in_text_and_subject_is_escaped" "$SEND_PATH" "$(flow_body \
'<DATA><CLIENT>VOTRECODECLIENT</CLIENT><CAMPAIGN_NAME>A&amp;B &lt;c&gt;</CAMPAIGN_NAME><MOBILEPHONE>+33611111111</MOBILEPHONE><MSGCLASS>0</MSGCLASS><MESSAGE>&lt;/MESSAGE&gt;&lt;MSGCLASS&gt;9&lt;/MSGCLASS&gt; &amp; "q" '"'"'a'"'"'</MESSAGE></DATA>')"
assert_eq '</MESSAGE><MSGCLASS>9</MSGCLASS> & "q" '"'"'a'"'"'' \
  "$(sim_ctl GET 'messages?provider=allmysms' | jq -r '.[-1].text')" \
  "markup_in_text_reaches_the_phone_unchanged"

# --- characters: ISO-8859-1 bytes, character references beyond it ----------
# é is byte E9 (%E9); the euro sign is not in ISO-8859-1: &#8364;
# ("il sera remplacé par un E" is the platform's business).
sim_reset
mms send --provider mms --kind mms --to 0611111111 --text 'Été 5€'
assert_eq 0 "$RC" "accented_text_send_exits_0"
assert_post "accents_go_as_iso_8859_1_bytes" "$SEND_PATH" \
"clientcode=$LOGIN&passcode=$PASS&XMLFlow=%3C%3Fxml+version%3D%221.0%22+encoding%3D%22ISO-8859-1%22%3F%3E%0A%3CDATA%3E%3CCLIENT%3EVOTRECODECLIENT%3C%2FCLIENT%3E%3CMOBILEPHONE%3E%2B33611111111%3C%2FMOBILEPHONE%3E%3CMSGCLASS%3E0%3C%2FMSGCLASS%3E%3CMESSAGE%3E%C9t%E9+5%26%238364%3B%3C%2FMESSAGE%3E%3C%2FDATA%3E%0A"
assert_eq 'Été 5€' "$(sim_ctl GET 'messages?provider=allmysms' | jq -r '.[-1].text')" \
  "accented_text_reaches_the_phone_unchanged"

# --- line breaks: "\n pour chaque retour à la ligne" (CR LF becomes LF) -----
sim_reset
mms send --provider mms --kind mms --to 0611111111 --text "$(printf 'a\r\nb\rc\nd')"
assert_post "line_breaks_go_as_lf" "$SEND_PATH" "$(flow_body \
"$(printf '<DATA><CLIENT>VOTRECODECLIENT</CLIENT><MOBILEPHONE>+33611111111</MOBILEPHONE><MSGCLASS>0</MSGCLASS><MESSAGE>a\nb\nc\nd</MESSAGE></DATA>')")"

# --- the password never shows in traces --------------------------------------
sim_reset
run_smsmux --config "$CONFIG" --verbose send --provider mms --kind mms \
  --to 0611111111 --text 'trace me'
assert_eq 0 "$RC" "verbose_send_exits_0"
assert_contains "$ERR" "amsmodule.sendmms.v2.php" "verbose_trace_shows_the_request"
assert_contains "$ERR" "passcode=***" "verbose_trace_redacts_passcode"
assert_not_contains "$ERR$OUT" "$PASS" "verbose_trace_hides_the_password"

finish
