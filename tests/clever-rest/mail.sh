#!/bin/sh
# Clever REST conformance: mail campaigns, `call push-mail` (3.12, POST
# pushsmails), `push-mail-criteria` (3.14, POST pushsmailcriterias),
# `push-mail-broadcast` (3.16, POST pushsmailbroadcasts), `push-mail-info`
# (3.20, GET pushsmails/{ref}), `push-mail-deliveries` (3.22, GET
# pushmails/{ref}/deliveries), `push-mail-delete` (3.18: cancel.sh).
#
# Paths: the headings write pushsmails..., the screenshots of 3.12, 3.14
# and 3.16 pushmails, pushmailcriteria, pushmailbroadcasts.  The plugin
# follows the headings - including 3.22's, which itself writes pushmails -
# and the simulator serves every spelling (checked below with curl).
. "$top_srcdir/tests/clever-rest/common.sh"

# --- 3.12 ---------------------------------------------------------------------
sim_reset
op push-mail 'text=Send Push Mail test' \
  'email_list=cleverimap@gmail.com;cleverimap@gmail.com' 'email_subject=push mail' \
  open_tag=0 type_mail=html duplicates=1
assert_eq 0 "$RC" "push_mail_exits_0"
assert_request "push_mail_posts_to_pushsmails_of_the_heading" POST "$API/pushsmails"
assert_body "push_mail_matches_the_example_request_of_3.12" '{
    "datas":
    {
      "text": "Send Push Mail test",
      "email_list": "cleverimap@gmail.com;cleverimap@gmail.com",
      "email_subject": "push mail",
      "open_tag": 0,
      "type_mail": "html",
      "duplicates": 1
    }
  }'
assert_json_headers "push_mail"
REF=$(rec .reference)
assert_contains "$REF" Push "push_mail_record_has_the_reference"
assert_eq "cleverimap@gmail.com;cleverimap@gmail.com|Send Push Mail test|push mail|noFile|4|2|0|html|1" \
  "$(rec '"\(.email_list)|\(.text)|\(.email_subject)|\(.filename)|\(.unit)|\(.nb_mail)|\(.open_tag)|\(.type_mail)|\(.duplicates)"')" \
  "push_mail_example_answer_3.12_read"
# "," separates too; addresses are checked
op push-mail text=x 'email_list=a@example.org, b@example.org' email_subject=s
assert_eq "a@example.org;b@example.org" "$(req '.body | fromjson | .datas.email_list')" \
  "push_mail_list_joined_with_semicolons"
N=$(req_count)
op push-mail text=x 'email_list=a@example.org;nobody' email_subject=s
assert_error input 2 "push_mail_bad_address_refused"
op push-mail text=x email_list=a@example.org email_subject=s hd_send=demain
assert_error input 2 "push_mail_bad_hd_send_refused"
op push-mail text=x email_list=a@example.org email_subject=s open_tag=oui
assert_error input 2 "push_mail_open_tag_must_be_a_number"
assert_eq "$N" "$(req_count)" "push_mail_refused_sends_nothing"
# the simulator also takes the screenshot's path
assert_eq 201 "$(sim_curl POST pushmails -o /dev/null -w '%{http_code}' \
  -d '{"datas":{"text":"Send Push Mail","email_list":"cleverimap@gmail.com;cleverimap@gmail.com","email_subject":"push mail","open_tag":0,"duplicates":1,"type_mail":"html"}}')" \
  "simulator_takes_pushmails_of_the_screenshot_3.12"

# --- 3.20 ---------------------------------------------------------------------
op push-mail-info "referencePush=$REF"
assert_eq 0 "$RC" "push_mail_info_exits_0"
assert_request "push_mail_info_matches_3.20" GET "$API/pushsmails/$REF"
assert_eq "reference,email_list,status,text,email_subject,hd_send,type_push,unit,nb_mail,open_tag,type_mail" \
  "$(jqr '.records[0] | keys_unsorted | join(",")')" "push_mail_info_members_of_3.20"
assert_eq "1|mail|2" "$(rec '"\(.status)|\(.type_push)|\(.nb_mail)"')" "push_mail_info_values"

# --- 3.22 ---------------------------------------------------------------------
op push-mail-deliveries "referencePush=$REF"
assert_eq 0 "$RC" "push_mail_deliveries_exits_0"
assert_request "push_mail_deliveries_follows_the_heading_of_3.22" GET \
  "$API/pushmails/$REF/deliveries"
assert_json '.records | length' 2 "push_mail_deliveries_one_record_per_mail"
assert_eq "subject,body,reply_to,date_send,recipient,status,state" \
  "$(jqr '.records[0] | keys_unsorted | join(",")')" \
  "push_mail_deliveries_members_of_the_screenshot_of_3.22"
assert_eq "2 sent" "$(rec '"\(.status) \(.state)"')" "push_mail_deliveries_2_is_sent"
advance
op push-mail-deliveries "referencePush=$REF"
assert_eq "3 delivered push mail|Send Push Mail test|cleverimap@gmail.com" \
  "$(rec '"\(.status) \(.state) \(.subject)|\(.body)|\(.recipient)"')" \
  "push_mail_deliveries_example_3.22_read"
assert_eq true "$(rec 'has("date_receive")')" "push_mail_deliveries_3_has_date_receive"
assert_eq 2 "$(sim_curl GET "pushsmails/$REF/deliveries" | jq '.deliveries | length')" \
  "simulator_takes_pushsmails_deliveries_too"

# --- 3.14 ---------------------------------------------------------------------
sim_reset
op push-mail-criteria 'text=send push criteria test' 'criteria=diffusion=on and BRINGUP=oui' \
  'email_subject=push mail' open_tag=0 type_mail=html duplicates=1
assert_eq 0 "$RC" "push_mail_criteria_exits_0"
assert_request "push_mail_criteria_posts_to_the_heading_path" POST "$API/pushsmailcriterias"
assert_body "push_mail_criteria_matches_the_example_request_of_3.14" '{
    "datas":
    {
      "text": "send push criteria test",
      "criteria": "diffusion=on and BRINGUP=oui",
      "email_subject": "push mail",
      "open_tag": 0,
      "type_mail": "html",
      "duplicates": 1
    }
  }'
assert_eq "reference,email_list,status,text,email_subject,hd_send,type_push,unit,nb_mail,open_tag,type_mail,duplicates" \
  "$(jqr '.records[0] | keys_unsorted | join(",")')" "push_mail_criteria_members_of_3.14"
assert_eq "contact@email.com|mail|2|1" "$(rec '"\(.email_list)|\(.type_push)|\(.unit)|\(.nb_mail)"')" \
  "push_mail_criteria_reaches_the_matching_contact"
assert_eq 201 "$(sim_curl POST pushmailcriteria -o /dev/null -w '%{http_code}' \
  -d '{"datas":{"text":"send push criteria test","criteria":"diffusion=on and BRINGUP=oui","email_subject":"push mail","open_tag":0,"duplicates":1,"type_mail":"html"}}')" \
  "simulator_takes_pushmailcriteria_of_the_screenshot_3.14"

# --- 3.16 ---------------------------------------------------------------------
sim_reset
op push-mail-broadcast 'text=Send Push mail for all contacts' 'email_subject=push mail' \
  open_tag=0 duplicates=1 type_mail=html
assert_eq 0 "$RC" "push_mail_broadcast_exits_0"
assert_request "push_mail_broadcast_posts_to_the_heading_path" POST "$API/pushsmailbroadcasts"
assert_body "push_mail_broadcast_matches_the_example_request_of_3.16" '{
    "datas":
    {
      "text": "Send Push mail for all contacts",
      "email_subject": "push mail",
      "open_tag": 0,
      "duplicates": 1,
      "type_mail": "html"
    }
  }'
assert_eq "cleverimap@gmail.com,contact@email.com|mail|4|2" \
  "$(rec '"\(.email_list)|\(.type_push)|\(.unit)|\(.nb_mail)"')" \
  "push_mail_broadcast_answer_3.16_read_comma_list_as_given"
# the screenshot's body: "datas": [ {...} ] at pushmailbroadcasts
assert_eq 201 "$(sim_curl POST pushmailbroadcasts -o /dev/null -w '%{http_code}' \
  -d '{"datas":[{"text":"Send Push mail for all contacts","email_subject":"push mail","open_tag":0,"duplicates":1,"type_mail":"html"}]}')" \
  "simulator_takes_the_screenshot_request_of_3.16"

finish
