#!/bin/sh
# Mediasflow conformance: delivery reports.  `smsmux status` reads the JSON
# report of a campaign (2.3) and maps the status codes of section 3 with
# one table; `smsmux replies` reads the REPLY column of the reports
# (section 4); the CSV and JSON reports per campaign (2.2, 2.3) and per
# period (2.4, 2.5) are provider operations, the period at most 7 days
# ("Si plus de 7 jours, alors un message d'erreur est généré"), checked
# before sending.
. "$top_srcdir/tests/mediasflow/common.sh"

op() { mf call --provider mf "$@"; }
advance() { sim_ctl POST "advance?provider=mediasflow" >/dev/null; }
status_of() { mf status --provider mf "$1"; }

# --- status: the report moves on -------------------------------------------------
sim_reset
mf send --provider mf --to +33632545311,+33632545320,+33632545331 --text 'Bonjour'
ID=$(jqr '.id')
status_of "$ID"
assert_eq 0 "$RC" "status_exits_0"
assert_request "status_gets_the_json_report" GET "$API/campaigns/reportjson/$ID" ""
assert_json '.id' "$ID" "status_names_the_campaign"
assert_json '[.recipients[] | "\(.to) \(.status) \(.code) \(.text)"] | join(",")' \
  "+33632545311 accepted 1 En cours de traitement,+33632545320 accepted 1 En cours de traitement,+33632545331 accepted 1 En cours de traitement" \
  "status_new_campaign_is_accepted_code_1"
advance
status_of "$ID"
assert_json '[.recipients[] | "\(.status) \(.code) \(.text)"] | unique | join(",")' "sent 10 Posté" \
  "status_after_one_step_is_sent_code_10"
advance
status_of "$ID"
assert_json '[.recipients[] | "\(.to) \(.status) \(.code)"] | join(",")' \
  "+33632545311 delivered 16,+33632545320 undelivered 20,+33632545331 sent 31" \
  "status_after_two_steps_delivered_undelivered_unavailable"
assert_json '.recipients[0].at | test("^[0-9]{2}/[0-9]{2}/[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}$")' true \
  "status_delivered_at_is_the_DELIVERYDATE"
assert_json '.recipients[1].at' null "status_undelivered_has_no_delivery_date"
advance
status_of "$ID"
assert_json '.recipients[2].status + " " + .recipients[2].code' "delivered 16" \
  "status_unavailable_mobile_delivered_later"

# --- the whole table of section 3 ---------------------------------------------------
for c in 1:accepted 2:rejected 3:rejected 4:rejected 5:rejected 6:rejected 7:rejected \
         8:rejected 9:accepted 10:sent 11:unknown 12:rejected 13:rejected 14:rejected \
         15:rejected 16:delivered 17:delivered 18:rejected 19:rejected 20:undelivered \
         21:delivered 22:expired 23:cancelled 24:sent 25:undelivered 26:undelivered \
         27:rejected 28:sent 29:undelivered 30:undelivered 31:sent 32:rejected 99:unknown; do
  code=${c%%:*} st=${c#*:}
  sim_mf_ctl POST status "campaign=$ID&code=$code" >/dev/null
  status_of "$ID"
  assert_json '.recipients[0].status + " " + .recipients[0].code' "$st $code" \
    "status_code_${code}_is_${st}"
done
sim_mf_ctl POST status "campaign=$ID&code=11" >/dev/null
status_of "$ID"
# the simulator says "Inconnu" for a code the guide lacks; without a text
# the plugin would say so itself
assert_json '.recipients[0].text' "Inconnu" "status_unknown_code_keeps_the_provider_text"

N=$(req_count)
status_of 94x
assert_error invalid 1 "status_of_a_non_numeric_id_is_invalid"
assert_eq "$N" "$(req_count)" "status_of_a_non_numeric_id_sends_nothing"
status_of 999999
assert_error invalid 1 "status_of_an_unknown_campaign_is_invalid"
assert_eq "HTTP 404" "$(jqr '.error.code')" "status_of_an_unknown_campaign_is_404"

# --- 2.2 / 2.3: the reports of one campaign --------------------------------------
sim_reset
mf call --provider mf campaign-send file=/dev/stdin msg='Bonjour ${PRENOM}' <<'EOF2' >/dev/null
mobile;PRENOM;VILLE
0632545311;Jean;Paris
0632545320;Marie;Lyon
EOF2
# (read from stdin: the --json output of call is not needed)
mf call --provider mf campaign-send mobile=0632545311,0632545320 keys='PRENOM=Jean&VILLE=Paris' msg='Bonjour ${PRENOM}'
ID=$(jqr '.records[0].id')
advance
advance
op report-json campaignId="$ID" status=16,14
assert_eq 0 "$RC" "report_json_exits_0"
# the host encodes "," as %2C, which the provider decodes as ","
assert_request "report_json_matches_guide_request" GET "$API/campaigns/reportjson/$ID" "status=16%2C14"
assert_json '[.records[] | "\(.INT_MOBILE) \(.STATUS_CODE) \(.STATUS_TEXT)"] | join(",")' \
  "+33632545311 16 Délivré" "report_json_filters_by_status"
assert_json '.records[0].PRENOM' Jean "report_json_has_the_list_columns"
op report-csv campaignId="$ID" status=16,20 details=PRENOM
assert_eq 0 "$RC" "report_csv_exits_0"
assert_request "report_csv_matches_guide_request" GET "$API/campaigns/report/$ID" "status=16%2C20&details=PRENOM"
assert_contains "$(req '.path')" "/campaigns/report/" "report_csv_path"
assert_json '[.records[] | "\(.INT_MOBILE) \(.STATUS_CODE) \(.PRENOM)"] | join(",")' \
  "+33632545311 16 Jean,+33632545320 20 Jean" "report_csv_rows_as_records"
assert_json '.records[0] | keys_unsorted | join(",")' \
  "PRENOM,REF_LIST,ID_LINE,INT_MOBILE,STATUS_CODE,STATUS_TEXT,DELIVERYDATE,REPLY,PREVIEW,PREVIEW_COUNTER,TRACK_1,TRACK_1_COUNTER,TRACK_2,TRACK_2_COUNTER,TRACK_3,TRACK_3_COUNTER" \
  "report_csv_columns_of_section_4_after_details"
op report-csv campaignId="$ID" status=abc
assert_error invalid 1 "report_bad_status_list_is_invalid"

# --- 2.4 / 2.5: the reports of a period --------------------------------------------
# The guide's examples: 2022-03-25 to 2022-03-28, search item==0685812475,
# status 110;111;112;113 (codes its own table lacks), types "SMS;EMAIL ;VOCAL",
# keyField "NOM ;PRENOM ;REFCLIENT" with its spaces.  Byte for byte but for
# the encoding: ';' as %3B, '=' as %3D, ' ' as '+'.
op report-period-json from=2022-03-25 to=2022-03-28 search='item==0685812475'
assert_eq 0 "$RC" "report_period_json_exits_0"
assert_request "report_period_json_matches_guide_request" GET "$API/campaigns/reportjson/" \
  "from=2022-03-25&to=2022-03-28&search=item%3D%3D0685812475"
assert_json '.records | length' 0 "report_period_json_of_2022_is_empty"
op report-period-csv from=2022-03-25 to=2022-03-28 keyField='NOM ;PRENOM ;REFCLIENT' \
  status='110;111;112;113' types='SMS;EMAIL ;VOCAL' userID=5e1f4f4e7e9b504fcfd49eb2 \
  search='fields.prenom==Philippe'
assert_eq 0 "$RC" "report_period_csv_exits_0"
assert_request "report_period_csv_matches_guide_request" GET "$API/campaigns/report/" \
  "userID=5e1f4f4e7e9b504fcfd49eb2&keyField=NOM+%3BPRENOM+%3BREFCLIENT&status=110%3B111%3B112%3B113&types=SMS%3BEMAIL+%3BVOCAL&from=2022-03-25&to=2022-03-28&search=fields.prenom%3D%3DPhilippe"
TODAY=$(date '+%Y-%m-%d')
op report-period-json from="$TODAY" search='item==0632545311'
assert_request "report_period_json_from_only" GET "$API/campaigns/reportjson/" \
  "from=$TODAY&search=item%3D%3D0632545311"
assert_json '[.records[] | "\(.CAMPAIGN_ID) \(.INT_MOBILE)"] | join(",")' \
  "$((ID - 1)) +33632545311,$ID +33632545311" "report_period_json_searches_the_number"
op report-period-json from="$TODAY 00:00" search='fields.VILLE==Paris;item==0632545311,fields.PRENOM==Marie'
assert_json '[.records[] | "\(.CAMPAIGN_ID) \(.INT_MOBILE)"] | join(",")' \
  "$((ID - 1)) +33632545311,$((ID - 1)) +33632545320,$ID +33632545311" \
  "report_period_json_fiql_and_or"
op report-period-csv from="$TODAY" keyField=PRENOM status=16
assert_json '[.records[] | "\(.CAMPAIGN_ID) \(.PRENOM) \(.STATUS_CODE)"] | join(",")' \
  "$((ID - 1)) Jean 16,$ID Jean 16" "report_period_csv_rows"

N=$(req_count)
op report-period-json from=2022-03-25 to=2022-04-02
assert_error input 2 "report_period_over_7_days_is_an_input_error"
assert_contains "$(jqr '.error.message')" "7 days" "report_period_over_7_days_names_the_rule"
op report-period-csv from="$(date -d '-10 days' '+%Y-%m-%d')"
assert_error input 2 "report_period_from_10_days_ago_until_now_is_too_long"
op report-period-json from=2022-03-28 to=2022-03-25
assert_error input 2 "report_period_reversed_is_an_input_error"
op report-period-json from=25/03/2022
assert_error input 2 "report_period_bad_date_is_an_input_error"
op report-period-json from='2022-03-25 9h'
assert_error input 2 "report_period_bad_time_is_an_input_error"
op report-period-json from='2022-03-25 10:00' to='2022-04-01 10:00'
assert_eq 0 "$RC" "report_period_of_exactly_7_days_is_taken"
# the one taken: a login and the report
assert_eq $((N + 2)) "$(req_count)" "report_period_refusals_send_nothing"

# --- replies: the REPLY column --------------------------------------------------------
sim_reset
mf send --provider mf --to +33632545311,+33632545312 --text 'Vous venez ?'
ID=$(jqr '.id')
advance
advance
sim_mf_ctl POST reply "from=0632545312&text=Oui+avec+plaisir" >/dev/null
mf replies --provider mf "$ID"
assert_eq 0 "$RC" "replies_of_a_campaign_exit_0"
assert_request "replies_read_the_campaign_report" GET "$API/campaigns/reportjson/$ID" ""
assert_json '[.replies[] | "\(.from) \(.text) \(.message_id)"] | join(",")' \
  "+33632545312 Oui avec plaisir $ID" "replies_of_a_campaign"
mf send --provider mf --to +33632545314 --text 'Et vous ?'
ID2=$(jqr '.id')
advance
advance
sim_mf_ctl POST reply "from=0632545314&text=STOP" >/dev/null
mf replies --provider mf
assert_eq 0 "$RC" "replies_of_the_last_7_days_exit_0"
assert_eq "GET $API/campaigns/reportjson/" "$(req '"\(.method) \(.path)"')" "replies_read_the_period_report"
assert_contains "$(req '.query')" "from=" "replies_period_has_from"
assert_contains "$(req '.query')" "&to=" "replies_period_has_to"
assert_json '[.replies[] | "\(.from) \(.text) \(.message_id)"] | join(",")' \
  "+33632545312 Oui avec plaisir $ID,+33632545314 STOP $ID2" "replies_of_the_period"
mf replies --provider mf --start 1 --count 1
assert_json '[.replies[].text] | join(",")' "STOP" "replies_start_and_count"
status_of "$ID2"
assert_json '.recipients[0].status + " " + .recipients[0].code' "delivered 17" \
  "stop_reply_is_delivered_code_17"
op blacklist-list
assert_json '[.records[].item] | join(",")' "+33632545314" "stop_reply_blacklists_the_number"
N=$(req_count)
mf replies --provider mf --since "$(date -d '-10 days' '+%Y-%m-%d')"
assert_error input 2 "replies_over_7_days_is_an_input_error"
assert_eq "$N" "$(req_count)" "replies_over_7_days_sends_nothing"

finish
