/*
 * clever-common.h - what the two Clever plugins (clever-http, clever-rest)
 * share because the two documents of one company share it: the delivery
 * status codes and the date format.  Data only: one source of truth,
 * included by both plugins (each keeps its own copy in its own .so).
 */
#ifndef SMSMUX_CLEVER_COMMON_H
#define SMSMUX_CLEVER_COMMON_H

#include <smsmux/provider.h>

/* Both documents write dates as PHP's "Y-m-d H:i:s" (hdsend, hd_send,
   date_send, date_receive), in local time. */
#define CLEVER_DATE_FORMAT "%Y-%m-%d %H:%M:%S"

/* The delivery statuses of one recipient, as the FrontalHttpMultimedias
   guide (clever-http-frontal.txt) lists them for DeliveriesPush: "2 SMS
   livré à l'opérateur, 3 SMS reçu par le GSM, 4 Erreur dans l'envoi, 5
   Réponses GSM, 6 Message non délivré".  InfosPush's push `status` uses
   the same codes (its example says 2 for a push handed to the operator).
   The REST document (clever-rest.txt) prints 2, 3, 5 and 6 in the very
   same fields of its deliveries (3.21, 3.22: mails too, 2 without and 3
   with a date_receive, as for SMS) but never says what they mean: this
   table is its meaning there as well. */
static const smsmux_status_map clever_delivery_statuses[] = {
    {"2", SMSMUX_STATUS_SENT, "SMS livré à l'opérateur"},
    {"3", SMSMUX_STATUS_DELIVERED, "SMS reçu par le GSM"},
    /* "error in the sending": the platform could not send it at all, as
       opposed to 6, which the operator could not deliver */
    {"4", SMSMUX_STATUS_REJECTED, "Erreur dans l'envoi"},
    /* "GSM replies": the handset answered, so it had the message */
    {"5", SMSMUX_STATUS_DELIVERED, "Réponses GSM"},
    {"6", SMSMUX_STATUS_UNDELIVERED, "Message non délivré"},
    {NULL, SMSMUX_STATUS_UNKNOWN, NULL}};

#endif /* SMSMUX_CLEVER_COMMON_H */
