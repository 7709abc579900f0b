package mailtest

import (
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
)

var codeRE = regexp.MustCompile(`is:\s+(\d{6})`)

// Code reads a sign-in code from a message's text part ("" when none).
func (m Message) Code() string {
	r, err := mail.CreateReader(strings.NewReader(string(m.Data)))
	if err != nil {
		return ""
	}
	for {
		part, err := r.NextPart()
		if err != nil {
			return ""
		}
		if h, ok := part.Header.(*mail.InlineHeader); ok {
			if ct, _, _ := h.ContentType(); ct == "text/plain" {
				b, _ := io.ReadAll(part.Body)
				if m := codeRE.FindSubmatch(b); m != nil {
					return string(m[1])
				}
			}
		}
	}
}

// WaitCode waits for the next sign-in code mailed to `to` after the first
// `after` messages (other mail is passed over), as its owner would read it.
func (s *SMTP) WaitCode(to string, after int, timeout time.Duration) string {
	s.t.Helper()
	for n := after + 1; ; n++ {
		m := s.WaitMessages(n, timeout)[n-1]
		if code := m.Code(); code != "" && slices.Contains(m.To, to) {
			return code
		}
	}
}
