#!/bin/sh
# Clever REST conformance: `smsmux cancel` is "3.17 Supprimer une campagne
# de messages différée", DELETE pushs/{ref}, answered 204 No Content; a
# campaign already sent answers 405 Method Not Allowed ("L'opération
# demandée n'est pas permise"), an unknown one 404.  The mail twin (3.18,
# DELETE pushsmails/{ref}) is `call push-mail-delete`.
. "$top_srcdir/tests/clever-rest/common.sh"

# the example requests of 3.17 and 3.18 (references the simulator does
# not know: the requests are what matters here)
sim_reset
cr cancel --provider clever Push20171013131152
assert_request "cancel_matches_the_request_of_3.17" DELETE "$API/pushs/Push20171013131152"
assert_eq "" "$(req .body)" "cancel_request_has_no_body"
assert_json_headers "cancel"
assert_error invalid 1 "cancel_unknown_reference_404_is_invalid"
op push-mail-delete referencePush=Push20171013135153
assert_request "push_mail_delete_matches_the_request_of_3.18" DELETE \
  "$API/pushsmails/Push20171013135153"
assert_error invalid 1 "push_mail_delete_unknown_reference_is_invalid"

# a scheduled campaign goes, and its credit comes back
sim_reset
cr send --provider clever --to +33600000001,+33600000002 --text 'Plus tard' --at '2035-06-01 09:00:00'
REF=$(jqr '.id')
cr credit --provider clever
assert_json '.credits[0].credit' 999719 "scheduled_campaign_is_paid_at_once"
cr cancel --provider clever "$REF"
assert_eq 0 "$RC" "cancel_exits_0"
assert_request "cancel_deletes_the_push" DELETE "$API/pushs/$REF"
assert_json '.cancelled' true "cancel_json_cancelled"
assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -u "$LOGIN:$PASSWORD" \
  -H 'Content-Type: application/json' "$SIM_URL$API/pushs/$REF")" \
  "simulator_deleted_campaign_is_gone"
cr credit --provider clever
assert_json '.credits[0].credit' 999733 "cancel_gives_the_credit_back"
cr status --provider clever "$REF"
assert_error invalid 1 "status_of_cancelled_campaign_is_invalid"

# a campaign already sent cannot be deleted: 405
sim_reset
cr send --provider clever --to +33600000001 --text 'Maintenant'
REF=$(jqr '.id')
cr cancel --provider clever "$REF"
assert_error permanent 1 "cancel_sent_campaign_405_is_permanent"
assert_json '.error.code' "HTTP 405" "cancel_sent_campaign_code_405"
assert_json '.cancelled' false "cancel_sent_campaign_not_cancelled"

# a scheduled mail campaign (3.18)
sim_reset
op push-mail text=Bonjour 'email_list=a@example.org' 'email_subject=Plus tard' \
  'hd_send=2035-06-01 09:00:00'
REF=$(rec .reference)
op push-mail-delete "referencePush=$REF"
assert_eq 0 "$RC" "push_mail_delete_exits_0"
assert_request "push_mail_delete_deletes_the_mail_push" DELETE "$API/pushsmails/$REF"
assert_json '.records | length' 0 "push_mail_delete_204_has_no_record"

finish
