package classify

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // non-UTF-8 charsets
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// Limits protecting against hostile input.
const (
	maxHeaderBytes = 1 << 20 // one header block
	maxPartBytes   = 1 << 20 // decoded bytes read from one part
	maxTotalBytes  = 4 << 20 // decoded bytes read from all parts
	maxParts       = 200
	maxDepth       = 12
)

// leaf is one non-multipart body part.
type leaf struct {
	mediaType  string
	params     map[string]string
	attachment bool
	body       []byte // transfer-encoding and (for text/*) charset decoded
}

type parsedMessage struct {
	header    message.Header
	mediaType string
	params    map[string]string
	leaves    []leaf
	messageID string
	subject   string // reply prefixes removed
	// rawSubject is the decoded Subject, whitespace collapsed.
	rawSubject string
}

// parseMessage reads the header strictly and the body leniently.
func parseMessage(raw []byte) (*parsedMessage, error) {
	// Skip an mbox "From " separator line.
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			raw = raw[i+1:]
		} else {
			raw = nil
		}
	}
	rd := bytes.NewReader(raw)
	br := bufio.NewReader(io.LimitReader(rd, maxHeaderBytes))
	th, err := textproto.ReadHeader(br)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if th.Len() == 0 {
		return nil, errors.New("no header fields")
	}
	// The body starts after what ReadHeader consumed.
	consumed := int(rd.Size()-int64(rd.Len())) - br.Buffered()
	if consumed < 0 || consumed > len(raw) {
		consumed = len(raw)
	}
	if len(raw) > maxHeaderBytes && consumed >= maxHeaderBytes-2 {
		return nil, errors.New("header too large")
	}
	body := raw[consumed:]

	h := message.Header{Header: th}
	m := &parsedMessage{header: h}
	m.mediaType, m.params = contentType(h)
	m.messageID = firstID(h.Values("Message-Id"))
	if s, err := h.Text("Subject"); err == nil || s != "" {
		m.subject = cleanSubject(s)
		m.rawSubject = strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ")
	}

	e, err := message.New(h, bytes.NewReader(body))
	if e == nil {
		_ = err
		return m, nil // header only; body unreadable
	}
	budget := maxTotalBytes
	parts := 0
	walk(e, 0, &m.leaves, &budget, &parts)
	return m, nil
}

// contentType returns the lower-cased media type and its parameters,
// defaulting to text/plain.
func contentType(h message.Header) (string, map[string]string) {
	if h.Get("Content-Type") == "" {
		return "text/plain", map[string]string{}
	}
	mt, params, err := h.ContentType()
	if err != nil {
		mt = h.Get("Content-Type")
		if i := strings.IndexByte(mt, ';'); i >= 0 {
			mt = mt[:i]
		}
		params = map[string]string{}
	}
	mt = strings.ToLower(strings.TrimSpace(mt))
	if mt == "" {
		mt = "text/plain"
	}
	if params == nil {
		params = map[string]string{}
	}
	return mt, params
}

func walk(e *message.Entity, depth int, out *[]leaf, budget, parts *int) {
	if *parts >= maxParts || *budget <= 0 {
		return
	}
	if mr := e.MultipartReader(); mr != nil {
		if depth >= maxDepth {
			return
		}
		for *parts < maxParts && *budget > 0 {
			p, err := mr.NextPart()
			if p == nil {
				_ = err
				return
			}
			walk(p, depth+1, out, budget, parts)
		}
		return
	}
	*parts++
	mt, params := contentType(e.Header)
	disp, _, _ := e.Header.ContentDisposition()
	lim := maxPartBytes
	if *budget < lim {
		lim = *budget
	}
	b, _ := io.ReadAll(io.LimitReader(e.Body, int64(lim)))
	*budget -= len(b)
	*out = append(*out, leaf{
		mediaType:  mt,
		params:     params,
		attachment: strings.EqualFold(strings.TrimSpace(disp), "attachment"),
		body:       b,
	})
}

func (l leaf) text() string {
	return strings.ToValidUTF8(string(l.body), "\uFFFD")
}

// replyText is the text of the reply itself: the first inline text/plain
// part, else the first inline text/html part without blockquotes.
func (m *parsedMessage) replyText() string {
	for _, l := range m.leaves {
		if l.mediaType == "text/plain" && !l.attachment {
			return l.text()
		}
	}
	for _, l := range m.leaves {
		if l.mediaType == "text/html" && !l.attachment {
			return htmlToText(l.text(), true)
		}
	}
	return ""
}

// allText is the text of every part that may carry an invitation token,
// quoted text included.
func (m *parsedMessage) allText() string {
	var b strings.Builder
	for _, l := range m.leaves {
		switch {
		case l.mediaType == "text/html":
			b.WriteString(htmlToText(l.text(), false))
		case strings.HasPrefix(l.mediaType, "text/"),
			l.mediaType == "message/rfc822", l.mediaType == "message/global",
			l.mediaType == "message/global-headers",
			l.mediaType == "message/delivery-status",
			l.mediaType == "message/global-delivery-status":
			b.WriteString(l.text())
		default:
			continue
		}
		b.WriteString("\n")
	}
	return b.String()
}

// fromDisplay is the From addr-spec for Result.From.
func (m *parsedMessage) fromDisplay() string {
	v := m.header.Get("From")
	if v == "" {
		return ""
	}
	addrs, err := mail.ParseAddressList(v)
	if err != nil || len(addrs) == 0 {
		return strings.ToValidUTF8(strings.TrimSpace(v), "\uFFFD")
	}
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.Address
	}
	return strings.Join(out, ", ")
}

// senderProblem checks the From field against the invitee address.
func (m *parsedMessage) senderProblem(invitee string) string {
	want := normalizeAddr(invitee)
	if want == "" {
		return "invitation has no invitee address"
	}
	vals := m.header.Values("From")
	switch len(vals) {
	case 0:
		return "no From field"
	case 1:
	default:
		return "multiple From fields"
	}
	addrs, err := mail.ParseAddressList(vals[0])
	if err != nil {
		return "unparseable From: " + err.Error()
	}
	switch len(addrs) {
	case 0:
		return "no From address"
	case 1:
	default:
		return "multiple From addresses"
	}
	got := addrs[0].Address
	if asciiLower(got) != want {
		return "From " + got + " is not the invitee " + invitee
	}
	return ""
}

// normalizeAddr returns the ASCII-lower-cased addr-spec of s, which may be a
// bare address or a name-addr.
func normalizeAddr(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if strings.ContainsAny(s, "<\"(") {
		if a, err := mail.ParseAddress(s); err == nil {
			s = a.Address
		}
	}
	return asciiLower(s)
}

// asciiLower lower-cases ASCII letters only, so that Unicode case folding
// (e.g. the Kelvin sign folding to "k") cannot make two addresses equal.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func asciiEqualFold(a, b string) bool { return asciiLower(a) == asciiLower(b) }

// clip shortens a header value for a reason string.
func clip(s string) string {
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ")
	if len(s) > 80 {
		i := 80
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s = s[:i] + "…"
	}
	return s
}

// stripComments removes RFC 5322 comments (nested parentheses) outside
// quoted strings.
func stripComments(s string) string {
	if !strings.ContainsRune(s, '(') {
		return s
	}
	var b strings.Builder
	depth := 0
	inQuote := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && (inQuote || depth > 0) && i+1 < len(s):
			if depth == 0 {
				b.WriteByte(c)
				b.WriteByte(s[i+1])
			}
			i++
		case inQuote:
			if c == '"' {
				inQuote = false
			}
			b.WriteByte(c)
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
			if depth == 0 {
				b.WriteByte(' ')
			}
		case depth > 0:
		case c == '"':
			inQuote = true
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
