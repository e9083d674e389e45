#!/bin/sh
# smsmux-sim's AllMySMS module, driven with curl: the document's example
# answer byte for byte, every Status of section 2.2 that a flow can
# provoke, the account tool's table (section 3.3) and the simulator's own
# behaviour (docs/providers/allmysms.md, "Simulator").
. "$top_srcdir/tests/allmysms/common.sh"

# status XML [LOGIN PASS]: the Status line of the answer to XML
status() { sim_flow "${2:-$LOGIN}" "${3:-$PASS}" "$1" | sed -n 's/^Status=//p'; }
# flow BODY: a flow of VOTRECODECLIENT to 0611111111 with BODY after the
# numbers
flow() {
  printf '<DATA><CLIENT>VOTRECODECLIENT</CLIENT><MOBILEPHONE>0611111111</MOBILEPHONE>%s</DATA>' "$1"
}

# --- section 2: the example answer, byte for byte but for CampaignID --------
sim_reset
sim_flow "$LOGIN" "$PASS" '<DATA>
  <CLIENT>VOTRECODECLIENT</CLIENT>
  <MOBILEPHONE>+33600000000</MOBILEPHONE>
  <MOBILEPHONE>+33611111111</MOBILEPHONE>
  <MOBILEPHONE>0400000000</MOBILEPHONE>
  <MOBILEPHONE>06XXzsqsd</MOBILEPHONE>
  <MSGCLASS>0</MSGCLASS>
  <MESSAGE>message</MESSAGE>
</DATA>' | sed 's/^CampaignID=[a-z]\{9\}$/CampaignID=hbhvirbvc/' >"$TMP/got"
printf 'Status=100\nStatusText=Le message a \351t\351 envoy\351\nCredits=416\nInvalidNums=0400000000|06XXzsqsd\nCampaignID=hbhvirbvc\nIDs=<RECOVERIDS>\n  <CUSTOMER>\n    <MOBILEPHONE>0600000000</MOBILEPHONE>\n  </CUSTOMER>\n  <CUSTOMER>\n    <MOBILEPHONE>0611111111</MOBILEPHONE>\n  </CUSTOMER>\n</RECOVERIDS>\n' >"$TMP/want"
if cmp -s "$TMP/want" "$TMP/got"; then pass "example_answer_is_the_document_s"; else
  fail "example_answer_is_the_document_s" "$(od -c "$TMP/got" | head -20)"; fi
assert_eq 'accepted,accepted,invalid,invalid' \
  "$(sim_ctl GET 'messages?provider=allmysms' | jq -r '[.[-1].recipients[].status] | sort | join(",")')" \
  "example_invalid_numbers_are_kept_as_invalid"

# --- GET works too (the document only advises POST) --------------------------
sim_reset
X=$(flow '<MSGCLASS>0</MSGCLASS><MESSAGE>x</MESSAGE>')
assert_eq 100 "$(curl -s -G --data-urlencode "clientcode=$LOGIN" --data-urlencode "passcode=$PASS" \
  --data-urlencode "XMLFlow=$X" "$SIM_URL$SEND_PATH" | sed -n 's/^Status=//p')" "get_is_served"
LONGX=$(flow "<MSGCLASS>0</MSGCLASS><MESSAGE>$(printf '%0900d' 0)</MESSAGE>")
assert_eq 106 "$(curl -s -G --data-urlencode "clientcode=$LOGIN" --data-urlencode "passcode=$PASS" \
  --data-urlencode "XMLFlow=$LONGX" "$SIM_URL$SEND_PATH" | sed -n 's/^Status=//p')" \
  "get_over_1024_characters_arrives_cut"
assert_eq 100 "$(status "$LONGX")" "the_same_flow_by_post_is_accepted"

# --- section 2.2: each Status a flow provokes ---------------------------------
sim_reset
assert_eq 102 "$(status "$X" "$LOGIN" wrong)" "status_102_wrong_passcode"
assert_eq 102 "$(status "$X" nobody x)" "status_102_unknown_clientcode"
assert_eq 103 "$(status "$X" poor poor-pass)" "status_103_no_credit"
sim_ctl POST "account?provider=allmysms&login=$LOGIN&credit=1" >/dev/null
assert_eq 104 "$(status "$(printf '<DATA><CLIENT>VOTRECODECLIENT</CLIENT><MOBILEPHONE>0611111111</MOBILEPHONE><MOBILEPHONE>0622222222</MOBILEPHONE><MSGCLASS>0</MSGCLASS><MESSAGE>x</MESSAGE></DATA>')")" \
  "status_104_short_credit"
assert_eq 'A utiliser: 2 Crédits, Disponibles: 1 Crédits' \
  "$(iconv -f ISO-8859-1 -t UTF-8 "$TMP/answer" | sed -n 's/.*\(A utiliser[^.]*\)\..*/\1/p')" \
  "status_104_fills_in_the_amounts"
sim_reset
assert_eq 105 "$(status '')" "status_105_empty_flow"
assert_eq 105 "$(curl -s -d "clientcode=$LOGIN&passcode=$PASS" "$SIM_URL$SEND_PATH" | sed -n 's/^Status=//p')" \
  "status_105_no_flow"
assert_eq 106 "$(status '<DATA><CLIENT>')" "status_106_not_xml"
assert_eq 106 "$(status '<data><CLIENT>VOTRECODECLIENT</CLIENT></data>')" "status_106_root_not_DATA"
assert_eq 107 "$(status '<DATA><CLIENT>votrecodeclient</CLIENT><MOBILEPHONE>0611111111</MOBILEPHONE><MSGCLASS>0</MSGCLASS><MESSAGE>x</MESSAGE></DATA>')" \
  "status_107_client_not_upper_case"
assert_eq 107 "$(status '<DATA><CLIENT>DEMO</CLIENT><MOBILEPHONE>0611111111</MOBILEPHONE><MSGCLASS>0</MSGCLASS><MESSAGE>x</MESSAGE></DATA>')" \
  "status_107_client_of_another_account"
assert_eq 108 "$(status "$(flow '<MESSAGE>x</MESSAGE>')")" "status_108_no_msgclass"
assert_eq 109 "$(status "$(flow '<MSGCLASS>5</MSGCLASS><MESSAGE>x</MESSAGE>')")" "status_109_msgclass_5"
assert_eq 110 "$(status "$(flow '<MSGCLASS>0</MSGCLASS><MESSAGE></MESSAGE>')")" "status_110_empty_message"
assert_eq 110 "$(status "$(flow '<MSGCLASS>1</MSGCLASS><MESSAGE>x</MESSAGE>')")" "status_110_image_mms_without_image"
assert_eq 110 "$(status "$(flow '<MSGCLASS>2</MSGCLASS><MESSAGE>x</MESSAGE>')")" "status_110_video_mms_without_video"
assert_eq 110 "$(status "$(flow '<MSGCLASS>4</MSGCLASS><MESSAGE>x</MESSAGE><IMAGE>http://a/b.gif</IMAGE>')")" \
  "status_110_sound_image_mms_without_sound"
assert_eq 100 "$(status "$(flow "<MSGCLASS>0</MSGCLASS><MESSAGE>$(printf '%01000d' 0)</MESSAGE>")")" \
  "text_of_1000_characters_accepted"
assert_eq 111 "$(status "$(flow "<MSGCLASS>0</MSGCLASS><MESSAGE>$(printf '%01001d' 0)</MESSAGE>")")" \
  "status_111_text_of_1001_characters"
assert_eq 111 "$(status "$(flow "<MSGCLASS>0</MSGCLASS><MESSAGE>$(printf '%0499d\n%0500d' 0 0)</MESSAGE>")")" \
  "status_111_line_break_counts_double"
assert_eq 111 "$(status "$(flow "<MSGCLASS>1</MSGCLASS><MESSAGE>$(printf '%0101d' 0)</MESSAGE><IMAGE>http://a/b.gif</IMAGE>")")" \
  "status_111_caption_of_101_characters"
assert_eq 112 "$(status "$(flow '<MSGCLASS>1</MSGCLASS><MESSAGE>x</MESSAGE><IMAGE>http://a/b.png</IMAGE>')")" \
  "status_112_png_image"
assert_eq 112 "$(status "$(flow '<MSGCLASS>3</MSGCLASS><MESSAGE>x</MESSAGE><SON><URL>http://a/b.mp3</URL><DUREE>3</DUREE></SON>')")" \
  "status_112_mp3_sound"
assert_eq 113 "$(status "$(flow '<MSGCLASS>1</MSGCLASS><MESSAGE>x</MESSAGE><IMAGE>https://a/b.gif</IMAGE>')")" \
  "status_113_https_url"
assert_eq 113 "$(status "$(flow '<MSGCLASS>1</MSGCLASS><MESSAGE>x</MESSAGE><IMAGE>http://a/b.gif?a=1&amp;b=2</IMAGE>')")" \
  "status_113_ampersand_in_url"
assert_eq 118 "$(status "$(flow '<MSGCLASS>2</MSGCLASS><MESSAGE>x</MESSAGE><VIDEO><DUREE>3</DUREE></VIDEO>')")" \
  "status_118_video_without_url"
assert_eq 119 "$(status "$(flow '<MSGCLASS>3</MSGCLASS><MESSAGE>x</MESSAGE><SON><URL>http://a/b.amr</URL></SON>')")" \
  "status_119_sound_without_duration"
assert_eq 120 "$(status "$(flow '<MSGCLASS>2</MSGCLASS><MESSAGE>x</MESSAGE><VIDEO><URL>http://a/b.3gp</URL><DUREE>1001</DUREE></VIDEO>')")" \
  "status_120_duration_1001"
assert_eq 100 "$(status "$(flow '<MSGCLASS>2</MSGCLASS><MESSAGE>x</MESSAGE><VIDEO><URL>http://a/b.3gp</URL><DUREE>0</DUREE></VIDEO>')")" \
  "duration_0_accepted"
assert_eq 121 "$(status "$(flow '<DATE>2035-02-30 10:00:00</DATE><MSGCLASS>0</MSGCLASS><MESSAGE>x</MESSAGE>')")" \
  "status_121_no_such_date"
assert_eq 121 "$(status "$(flow '<DATE>05/11/2035 15:10</DATE><MSGCLASS>0</MSGCLASS><MESSAGE>x</MESSAGE>')")" \
  "status_121_date_format"
assert_eq 122 "$(status '<DATA><CLIENT>VOTRECODECLIENT</CLIENT><MSGCLASS>0</MSGCLASS><MESSAGE>x</MESSAGE></DATA>')" \
  "status_122_no_mobilephone"
assert_eq 123 "$(status '<DATA><CLIENT>VOTRECODECLIENT</CLIENT><MOBILEPHONE>0140000000</MOBILEPHONE><MOBILEPHONE>+3247012345</MOBILEPHONE><MSGCLASS>0</MSGCLASS><MESSAGE>x</MESSAGE></DATA>')" \
  "status_123_no_valid_number"
assert_eq 200 "$(status '<DATA><CLIENT>INACTIF</CLIENT><MOBILEPHONE>0611111111</MOBILEPHONE><MSGCLASS>0</MSGCLASS><MESSAGE>x</MESSAGE></DATA>' inactif inactif-pass)" \
  "status_200_inactive_account"

# --- section 1.4: the three number formats (and 07) ---------------------------
sim_reset
sim_flow "$LOGIN" "$PASS" '<DATA><CLIENT>VOTRECODECLIENT</CLIENT><MOBILEPHONE>0615141312</MOBILEPHONE><MOBILEPHONE>33615141313</MOBILEPHONE><MOBILEPHONE>+33615141314</MOBILEPHONE><MOBILEPHONE>0715141315</MOBILEPHONE><MOBILEPHONE>061514131</MOBILEPHONE><MSGCLASS>0</MSGCLASS><MESSAGE>x</MESSAGE></DATA>' >/dev/null
assert_eq '0615141312,0615141313,0615141314,0715141315' \
  "$(sim_ctl GET 'messages?provider=allmysms' | jq -r '[.[-1].recipients[] | select(.status == "accepted") | .national] | join(",")')" \
  "number_formats_of_section_1_4_accepted"
assert_eq 'InvalidNums=061514131' "$(grep '^InvalidNums=' "$TMP/answer")" \
  "short_number_is_in_invalid_nums"

# --- DATE: Status=101, recipients wait --------------------------------------------
sim_reset
assert_eq 101 "$(status "$(flow '<DATE>2035-11-05 15:10:00</DATE><MSGCLASS>0</MSGCLASS><MESSAGE>x</MESSAGE>')")" \
  "status_101_deferred"
assert_eq 'Le message a été programmé pour un envoi différé' \
  "$(sed -n 's/^StatusText=//p' "$TMP/answer" | iconv -f ISO-8859-1 -t UTF-8)" \
  "status_101_text"

# --- delivery moves on with /_sim/advance (visible in /_sim/messages only) ------
status "$X" >/dev/null
sim_ctl POST 'advance?provider=allmysms' >/dev/null
assert_eq 'scheduled sent' \
  "$(sim_ctl GET 'messages?provider=allmysms' | jq -r '[.[].recipients[0].status] | join(" ")')" \
  "advance_moves_accepted_to_sent_not_scheduled"
assert_eq '{"advanced":1}' "$(sim_ctl POST 'advance?provider=allmysms' | jq -c .)" \
  "second_advance_delivers"
assert_eq delivered "$(sim_ctl GET 'messages?provider=allmysms' | jq -r '.[-1].recipients[0].status')" \
  "advance_ends_at_delivered"

# --- section 3: the account tool, under its three names ---------------------------
sim_reset
for p in amsmodule.sendsms.v6.php smsmod/amsmodule.sendsms.v6.php smsmod/amsmodule.sendsms.v2.php; do
  assert_eq "$(printf 'Status=300\nStatusText=Compte actif\nCredits=1000')" \
    "$(curl -s -d 'clientcode=demo&passcode=demo-pass&info=perso' "$SIM_URL/allmysms/$p")" \
    "tool_served_as_$p"
done
tool() { curl -s -d "clientcode=demo&passcode=demo-pass&$1" "$SIM_URL$TOOL_PATH" | sed -n 's/^Status=//p'; }
assert_eq 300 "$(tool 'info=+demo')" "tool_trims_the_php_example_s_spaces"
assert_eq 300 "$(tool 'info=DEMO')" "tool_logins_ignore_case"
assert_eq 301 "$(tool 'info=nobody')" "tool_301_unknown_account"
assert_eq 301 "$(tool '')" "tool_301_without_info"
assert_eq 302 "$(tool "info=$LOGIN")" "tool_302_account_of_someone_else"
assert_eq 303 "$(tool 'info=inactif')" "tool_303_inactive_account"
assert_eq 102 "$(curl -s -d 'clientcode=demo&passcode=x&info=demo' "$SIM_URL$TOOL_PATH" | sed -n 's/^Status=//p')" \
  "tool_102_wrong_passcode"

# --- other methods and paths ---------------------------------------------------
assert_eq 405 "$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$SIM_URL$SEND_PATH")" "put_is_405"
assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' "$SIM_URL/allmysms/amsmodule.sendmms.v1.php")" \
  "unknown_script_is_404"

# --- fault code: the module's format ------------------------------------------------
sim_fault allmysms code "code=116&count=1"
assert_eq "$(printf "Status=116\nStatusText=Impossible de se connecter au serveur pour t\351l\351charger l'image")" \
  "$(sim_flow "$LOGIN" "$PASS" "$X")" "fault_code_answers_status_and_text"

finish
