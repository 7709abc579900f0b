package main

import (
	"fmt"
	"strings"
)

// reason is why a delivery failed or is delayed, as the remote server said.
type reason struct {
	name   string
	code   string // SMTP reply code; "" when none was exchanged (DNS, local)
	status string // RFC 3463 enhanced status
	text   string // %s is the recipient
	expect string // what the diagnostic shown to the owner must contain
}

// reply is the SMTP reply line, or the bare text without a code.
func (r reason) reply() string {
	t := r.line()
	if r.code == "" {
		return t
	}
	return r.code + " " + r.status + " " + t
}

func (r reason) line() string {
	if strings.Contains(r.text, "%s") {
		return fmt.Sprintf(r.text, invitee)
	}
	return r.text
}

// dsnType is the Diagnostic-Code type: smtp, or the MTA's own.
func (r reason) dsnType(own string) string {
	if r.code == "" {
		return own
	}
	return "smtp"
}

var finals = []reason{
	{"user-unknown", "550", "5.1.1", "<%s>: Recipient address rejected: User unknown in virtual mailbox table", "User unknown"},
	{"mailbox-full", "552", "5.2.2", "<%s>: Mailbox full, quota exceeded", "Mailbox full"},
	{"disabled", "550", "5.2.1", "The email account that you tried to reach is disabled", "disabled"},
	{"host-unknown", "", "5.4.4", "Host or domain name not found. Name service error for name=example.com type=MX: Host not found", "Host or domain name not found"},
	{"relay-denied", "554", "5.7.1", "<%s>: Relay access denied", "Relay access denied"},
	{"spam", "550", "5.7.1", "Message rejected as spam by Content Filtering", "rejected as spam"},
	{"dmarc", "550", "5.7.26", "Unauthenticated email from grantbook.example is not accepted due to domain's DMARC policy", "DMARC policy"},
	{"too-big", "552", "5.3.4", "Message size exceeds fixed maximum message size", "size exceeds"},
	{"expired", "", "4.4.7", "delivery time expired (connect to mx.example.com[192.0.2.25]:25: Connection timed out)", "delivery time expired"},
	{"blocklisted", "554", "5.7.1", "Service unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org", "blocked using"},
}

var delays = []reason{
	{"timeout", "", "4.4.1", "connect to mx.example.com[192.0.2.25]:25: Connection timed out", "Connection timed out"},
	{"greylisted", "450", "4.7.1", "<%s>: Recipient address rejected: Greylisted, please try again later", "Greylisted"},
	{"over-quota", "452", "4.2.2", "<%s>: Mailbox temporarily over quota", "over quota"},
	{"dns-tempfail", "", "4.4.3", "Host or domain name not found. Name service error for name=example.com type=MX: Host not found, try again", "try again"},
	{"busy", "421", "4.3.2", "Service not available, closing transmission channel", "Service not available"},
}
