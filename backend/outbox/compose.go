// Package outbox builds outgoing mail and sends what the database holds,
// so nothing is lost when the server is down or the app stops.
package outbox

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
)

// Message is one mail to compose: text, with an HTML alternative made from it.
type Message struct {
	FromName, FromEmail string
	ToName, ToEmail     string
	ReplyTo             string
	MessageID           string // without angle brackets
	// InReplyTo threads the message under an earlier one (a reminder
	// under its invitation); without angle brackets.
	InReplyTo string
	Subject   string
	Text      string
	Date      time.Time
}

var htmlBody = template.Must(template.New("html").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif; font-size: 15px; line-height: 1.5; color: #1f2933; max-width: 36em;">
{{range .Paragraphs}}<p>{{range $i, $l := .}}{{if $i}}<br>{{end}}{{$l}}{{end}}</p>
{{end}}</body></html>
`))

// Compose renders m as multipart/alternative MIME with UTF-8 headers.
func Compose(m Message) ([]byte, error) {
	var h mail.Header
	h.SetDate(m.Date)
	h.SetAddressList("From", []*mail.Address{{Name: m.FromName, Address: m.FromEmail}})
	h.SetAddressList("To", []*mail.Address{{Name: m.ToName, Address: m.ToEmail}})
	if m.ReplyTo != "" {
		h.SetAddressList("Reply-To", []*mail.Address{{Name: m.FromName, Address: m.ReplyTo}})
	}
	h.SetSubject(m.Subject)
	h.SetMessageID(m.MessageID)
	if m.InReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{m.InReplyTo})
		h.SetMsgIDList("References", []string{m.InReplyTo})
	}
	h.Set("Auto-Submitted", "auto-generated") // RFC 3834: well-behaved responders stay quiet
	h.Set("X-Auto-Response-Suppress", "OOF, AutoReply")

	var paras [][]string
	for _, p := range strings.Split(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n\n") {
		if p = strings.Trim(p, "\n"); p != "" {
			paras = append(paras, strings.Split(p, "\n"))
		}
	}
	var html bytes.Buffer
	if err := htmlBody.Execute(&html, map[string]any{"Subject": m.Subject, "Paragraphs": paras}); err != nil {
		return nil, fmt.Errorf("compose html: %w", err)
	}

	var buf bytes.Buffer
	w, err := mail.CreateInlineWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	for _, part := range []struct{ ctype, body string }{
		{"text/plain", m.Text},
		{"text/html", html.String()},
	} {
		var ph mail.InlineHeader
		ph.Set("Content-Type", part.ctype+"; charset=utf-8")
		ph.Set("Content-Transfer-Encoding", "quoted-printable")
		pw, err := w.CreatePart(ph)
		if err != nil {
			return nil, fmt.Errorf("compose %s: %w", part.ctype, err)
		}
		if _, err := pw.Write([]byte(part.body)); err != nil {
			return nil, err
		}
		if err := pw.Close(); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	return buf.Bytes(), nil
}
