package classify

// The words of plain-text failure notices, lower case, as the mail systems
// write them (from their documentation and source: qmail-send, Exim's
// deliver.c, Sendmail, Postfix, Courier, OpenSMTPD, Exchange, Domino,
// GroupWise, Gmail, Yahoo, Mail.ru, GMX, Zoho, IMail and others).

// mailSystemLocals are sender local parts of the mail system.
var mailSystemLocals = map[string]bool{
	"mailer-daemon": true, "postmaster": true, "mail-daemon": true, "mailerdaemon": true, "maildaemon": true,
	"mailer_daemon": true, "mdaemon": true, "mail.delivery": true, "maildelivery": true, "mailadmin": true,
	"bounce": true, "bounces": true, "nobody": true,
}

// mailSystemNames appear in the display name of the mail system's From.
var mailSystemNames = []string{
	"mail delivery", "mailer-daemon", "mailer daemon", "postmaster", "mail administrator", "mail system",
	"delivery status", "mail router", "system administrator", "microsoft outlook", "microsoft exchange",
}

// noticeSubjects are subjects of failure and delay notices.
var noticeSubjects = []string{
	"failure notice", "undelivered mail", "undeliverable", "undelivered message", "delivery status notification",
	"delivery failure", "delivery failed", "delivery final failure", "mail delivery failed", "returned mail",
	"returned to sender", "returning message to sender", "non-delivery", "nondeliverable", "not delivered",
	"delivery notification", "could not be delivered", "delivery problem", "mail system error", "mail failure",
	"delayed mail", "delivery delayed", "message delayed", "delivery incomplete", "address not found",
	"warning: could not send", "warning: message", "message frozen", "mail could not be delivered",
	"permanent delivery failure", "delivery status", "unzustellbar", "nicht zustellbar", "nicht zugestellt",
	"non remis", "non distribuable", "no se puede entregar", "no entregado", "non recapitabile", "non consegnato",
	"onbestelbaar", "niet afgeleverd", "não é possível entregar", "não entregue", "olevererbart", "kan ikke leveres",
	"ei voitu toimittaa", "nie można dostarczyć", "nelze doručit", "не доставлено", "недоставленное",
	"未送达", "退信", "配信不能", "配送エラー", "전달 실패",
}

// delaySubjects and finalSubjects judge a notice whose text says nothing
// recognisable.
var delaySubjects = []string{
	"delay", "warning", "still being retried", "delivery incomplete", "verzögert", "retardé", "retrasad", "ritardat",
	"vertraagd", "atrasad",
}

var finalSubjects = []string{
	"undeliverable", "undelivered", "failure", "failed", "returned mail", "returned to sender", "not delivered",
	"non-delivery", "nondeliverable", "could not be delivered", "address not found", "unzustellbar",
	"nicht zustellbar", "non remis", "no se puede entregar", "non recapitabile", "onbestelbaar",
	"não é possível entregar", "olevererbart", "kan ikke leveres", "nie można dostarczyć", "не доставлено",
	"未送达", "退信", "配信不能", "전달 실패",
}

// noticeIntros open a notice.
var noticeIntros = []string{
	"this is the qmail-send program", "this message was created automatically by mail delivery software",
	"this is the mail system at host", "the original message was received at", "----- transcript of session follows",
	"this is a delivery status notification", "this is an automatically generated delivery status notification",
	"delivery to the following recipient", "your message did not reach some or all of the intended recipients",
	"did not reach the following recipient", "your message couldn't be delivered", "your message wasn't delivered",
	"i'm afraid i wasn't able to deliver", "sorry, we were unable to deliver your message",
	"this is the mailer-daemon", "an error has occurred while attempting to deliver",
	"this report relates to a message you sent", "message from ", "unable to deliver message to the following",
	"your mail message to the following address", "the following addresses had permanent fatal errors",
	"the following address(es) failed", "message could not be delivered", "your message was not delivered",
	"your message to the following recipients cannot be delivered", "delivery has failed to these recipients",
	"delivery is delayed to these recipients", "delivery has been delayed", "------- failure reasons",
	"this is an automatically generated message", "there was an error delivering your mail", "diese nachricht wurde automatisch", "ce message a été créé automatiquement",
	"это письмо создано автоматически", "este mensaje fue creado automáticamente",
}

// hardFinalMarkers say the mail system gave up for good.
var hardFinalMarkers = []string{
	"permanent error", "permanent failure", "permanent fatal error", "failed permanently", "permanently failed",
	"permanently rejected", "fatal error", "not going to try again", "i've given up", "i have given up", "gave up",
	"giving up on", "retry timeout exceeded", "has been in the queue too long", "message expired", "delivery expired",
	"delivery time expired", "will not be retried", "no further delivery attempts", "no more retries",
	"delivery has failed", "the following address(es) failed", "the following address failed",
	"had permanent fatal errors", "endgültig fehlgeschlagen", "erreur permanente", "error permanente",
	"errore permanente", "permanente fout", "erro permanente", "постоянная ошибка",
}

// delayMarkers say the mail system is still trying.
var delayMarkers = []string{
	"warning message only", "this is a warning", "warning only", "you do not need to resend",
	"has not yet been delivered", "hasn't been delivered yet", "not been delivered yet", "still undelivered",
	"will retry", "will keep trying", "will continue trying", "will continue to try", "delivery attempts will continue",
	"delivery will continue to be attempted", "has been delayed", "is delayed", "delivery delayed", "message delayed",
	"delivery incomplete", "temporary problem", "still being retried", "still trying", "will be retried",
	"could not be delivered yet", "no action is required on your part", "deferred:", "verzögert", "retardé",
	"retrasad", "ritardat", "vertraagd", "atrasad", "задерживается",
}

// finalMarkers say delivery failed, without saying that it is for good.
var finalMarkers = []string{
	"could not be delivered", "couldn't be delivered", "cannot be delivered", "can't be delivered",
	"was not delivered", "wasn't delivered", "were not delivered", "not delivered to", "undeliverable", "undelivered",
	"unable to deliver", "wasn't able to deliver", "could not deliver", "couldn't deliver", "failed to deliver",
	"delivery failed", "delivery failure", "does not like recipient", "no mailbox here", "user unknown", "unknown user",
	"no such user", "mailbox unavailable", "does not exist", "address not found", "address couldn't be found",
	"recipient rejected", "rejected your message", "returned to sender", "message rejected", "mailbox full",
	"mailbox is full", "quota exceeded", "over quota", "not listed in", "did not reach", "had delivery errors",
	"konnte nicht zugestellt werden", "nicht zustellbar", "unzustellbar", "n'a pas pu être remis",
	"impossible de remettre", "no se pudo entregar", "no pudo ser entregado", "no se puede entregar",
	"non è stato possibile recapitare", "non recapitabile", "kon niet worden bezorgd", "onbestelbaar",
	"não foi possível entregar", "não pôde ser entregue", "не может быть доставлено", "не удалось доставить",
	"error delivering your mail", "did not like our", "was aborted", "error has occurred while attempting to deliver",
	"host or domain name not found", "配信できませんでした", "送信できませんでした", "无法投递", "無法傳遞", "전달할 수 없습니다",
}

// returnMarkers introduce the returned message in the notice's text.
var returnMarkers = []string{
	"--- below this line is a copy of the message", "--- below this line is a copy of the mail header",
	"--- below the next line is a copy of the message", "------ this is a copy of the message",
	"----- this is a copy of the message", "------ this is a copy of the body of the message",
	"----- original message -----", "----- unsent message follows -----", "----- message header follows -----",
	"original message follows", "--- original message follows", "--- mensaje original adjunto",
	"--- the header of the original message is following", "original message headers:", "------- returned message",
	"-------original message", "below is a copy of the original message", "included is a copy of the message header",
	"----- original message follows -----", "-----original message-----", "original message:",
	"message headers follow",
}

// reasonPhrases name why delivery failed, for picking the diagnostic line.
var reasonPhrases = []string{
	"does not exist", "user unknown", "unknown user", "no such user", "not found", "mailbox full", "mailbox is full",
	"quota", "not listed", "couldn't be found", "retry timeout exceeded", "in the queue too long", "host not found",
	"couldn't find any host", "connection timed out", "relay", "blocked", "spam", "policy", "rejected", "disabled",
	"invalid", "unknown", "not recognized", "no valid recipients", "doesn't have", "unable to", "no route", "exceed",
}
