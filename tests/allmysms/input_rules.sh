#!/bin/sh
# AllMySMS conformance: the document's rules that smsmux checks before
# sending (sections 1.2 to 1.4).  Each broken rule is an input error
# (class input, exit 2) whose message names the rule, and nothing reaches
# the provider; each rule's limit itself is accepted.
. "$top_srcdir/tests/allmysms/common.sh"

# refused WHAT NEEDLE ARGS...: send ARGS, expect an input error naming
# NEEDLE and no request
refused() {
  _w=$1 _n=$2
  shift 2
  sim_reset
  mms send --provider mms "$@"
  assert_error input 2 "$_w"
  assert_contains "$(jqr '.error.message')" "$_n" "${_w}_names_the_rule"
  assert_eq 0 "$(req_count)" "${_w}_sends_nothing"
}
# accepted WHAT ARGS...: send ARGS, expect it sent
accepted() {
  _w=$1
  shift
  sim_reset
  mms send --provider mms "$@"
  assert_eq 0 "$RC" "$_w"
  assert_eq 1 "$(req_count)" "${_w}_is_sent"
}

LONG=$(printf '%01000d' 0)   # 1000 characters
L100=$(printf '%0100d' 0)    # 100 characters
IMG=http://www.example.com/a.jpg

# --- 1.4: French mobile numbers only ----------------------------------------
refused landline_refused "French mobile numbers only" --kind mms --to 0140000000 --text x
refused foreign_mobile_refused "French mobile numbers only" --kind mms --to +32470123456 --text x
refused one_landline_among_mobiles_refused "+33140000000" --kind mms \
  --to 0611111111,0140000000 --text x
accepted mobile_06_07_336_accepted --kind mms --to 0611111111,0712345678,33698765432 --text x

# --- 1.2: MESSAGE - 1000 characters (text), 100 (media), line breaks double --
accepted text_of_1000_characters_accepted --kind mms --to 0611111111 --text "$LONG"
refused text_of_1001_characters_refused "at most 1000" --kind mms --to 0611111111 \
  --text "${LONG}1"
refused line_break_counts_double "line break counts double" --kind mms \
  --to 0611111111 --text "$(printf '%s\n%s' "$(printf '%0499d' 0)" "$(printf '%0500d' 0)")"
accepted caption_of_100_characters_accepted --to 0611111111 --text "$L100" --image "$IMG"
refused caption_of_101_characters_refused "at most 100" --to 0611111111 \
  --text "${L100}1" --image "$IMG"
refused caption_required_with_a_media "needs a text" --to 0611111111 --image "$IMG"
refused control_character_refused "control character" --kind mms --to 0611111111 \
  --text "$(printf 'a\033b')"

# --- media URLs: http:// only, no '&' ---------------------------------------
refused https_url_refused "http:// URLs only" --to 0611111111 --text x \
  --image https://www.example.com/a.jpg
refused ampersand_in_url_refused "must not contain '&'" --to 0611111111 --text x \
  --image 'http://www.example.com/a.jpg?a=1&b=2'
accepted query_without_ampersand_accepted --to 0611111111 --text x \
  --image 'http://www.example.com/a.JPEG?v=2'

# --- types by extension: image GIF/JPG, video 3GP, sound MIDI/AMR ------------
refused png_image_refused "GIF or JPG images" --to 0611111111 --text x \
  --image http://www.example.com/a.png
assert_contains "$(jqr '.error.message')" "file name extension" \
  "image_type_error_says_it_checks_the_extension"
refused mp4_video_refused "3GP videos" --to 0611111111 --text x \
  --video http://www.example.com/a.mp4 --duration 5
refused mp3_sound_refused "MIDI or AMR sounds" --to 0611111111 --text x \
  --audio http://www.example.com/a.mp3 --duration 5
refused extensionless_image_refused ".gif, .jpg or .jpeg" --to 0611111111 --text x \
  --image http://www.example.com/image
accepted gif_image_accepted --to 0611111111 --text x --image http://www.example.com/a.gif
accepted midi_sound_accepted --to 0611111111 --text x \
  --audio http://www.example.com/a.midi --duration 3

# --- durations: required for video and sound, 0 to 1000 ---------------------
refused video_without_duration_refused "--duration" --to 0611111111 --text x \
  --video http://www.example.com/a.3gp
refused sound_without_duration_refused "--duration" --to 0611111111 --text x \
  --audio http://www.example.com/a.amr
refused duration_over_1000_refused "from 0 to 1000" --to 0611111111 --text x \
  --video http://www.example.com/a.3gp --duration 1001
accepted duration_of_1000_accepted --to 0611111111 --text x \
  --video http://www.example.com/a.3gp --duration 1000

# --- MSGCLASS: a video goes alone ---------------------------------------------
refused video_with_image_refused "video alone" --to 0611111111 --text x \
  --video http://www.example.com/a.3gp --duration 5 --image "$IMG"
refused video_with_sound_refused "video alone" --to 0611111111 --text x \
  --video http://www.example.com/a.3gp --duration 5 --audio http://www.example.com/a.amr

# --- no sender tag in the flow -------------------------------------------------
refused numeric_sender_refused "takes no sender" --kind mms --to 0611111111 --text x \
  --from 0612345678
refused alphanumeric_sender_refused "alphanumeric sender" --kind mms --to 0611111111 \
  --text x --from SHOP

# --- no plain SMS ----------------------------------------------------------------
refused sms_refused "lacks the sms capability" --to 0611111111 --text x

finish
