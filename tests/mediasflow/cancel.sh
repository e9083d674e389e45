#!/bin/sh
# Mediasflow conformance: `smsmux cancel` as /campaigns/{campaignid}/cancel
# (guide 2.6): a scheduled campaign, "jusqu'à 10 secondes avant sa
# date/heure d'envoi", goes back to DRAFT; its recipients then show 23
# (Message supprimé: cancelled) and it can be injected again.
. "$top_srcdir/tests/mediasflow/common.sh"

credit() { sim_mf_ctl GET account login=demo | jq -r '.credit'; }

sim_reset
mf send --provider mf --to +33632545311,+33632545312 --text 'Rendez-vous demain' --at "$(at_in 1200)"
assert_eq 0 "$RC" "scheduled_send_exits_0"
ID=$(jqr '.id')
assert_eq 998 "$(credit)" "scheduled_send_is_paid"
mf cancel --provider mf "$ID"
assert_eq 0 "$RC" "cancel_exits_0"
assert_json '.cancelled' true "cancel_json_says_cancelled"
# the guide names no method: POST, like its other requests that change
# something; no body
assert_request "cancel_posts_campaigns_id_cancel" POST "$API/campaigns/$ID/cancel" ""
assert_eq "" "$(req '.body')" "cancel_has_no_body"
TOKEN=$(sim_tokens | tail -n 1)
assert_eq "Bearer $TOKEN" "$(req '.headers.authorization')" "cancel_carries_the_token"
assert_eq DRAFT "$(sim_mf_ctl GET messages "id=$ID" | jq -r '.[0].status')" "cancelled_campaign_is_draft_again"
assert_eq 1000 "$(credit)" "cancel_gives_the_credit_back"
mf status --provider mf "$ID"
assert_json '[.recipients[] | "\(.status) \(.code) \(.text)"] | unique | join(",")' \
  "cancelled 23 Message supprimé" "cancelled_recipients_show_23"

mf cancel --provider mf "$ID"
assert_error invalid 1 "cancel_of_a_draft_is_invalid"
assert_eq "HTTP 409" "$(jqr '.error.code')" "cancel_of_a_draft_keeps_the_http_code"
assert_contains "$(jqr '.error.message')" "only a scheduled campaign" "cancel_refusal_says_why"

# a cancelled campaign is a draft: it can be injected again
mf call --provider mf campaign-inject campaignId="$ID"
assert_json '.records[0].status' SCHEDULED "cancelled_campaign_can_be_injected_again"
mf status --provider mf "$ID"
assert_json '[.recipients[].status] | unique | join(",")' accepted "reinjected_recipients_accepted"

# what cannot be cancelled
mf send --provider mf --to +33632545311 --text 'Tout de suite'
mf cancel --provider mf "$(jqr '.id')"
assert_error invalid 1 "cancel_of_a_sent_campaign_is_invalid"
mf cancel --provider mf 999999
assert_error invalid 1 "cancel_of_an_unknown_campaign_is_invalid"
assert_contains "$(jqr '.error.message')" "not found" "cancel_of_an_unknown_campaign_says_not_found"
N=$(req_count)
mf cancel --provider mf 'abc'
assert_error invalid 1 "cancel_of_a_non_numeric_id_is_invalid"
assert_eq "$N" "$(req_count)" "cancel_of_a_non_numeric_id_sends_nothing"

finish
