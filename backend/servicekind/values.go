package servicekind

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Value checks raw (JSON, not null) for f and returns its canonical form:
// string, bool, []string or int64.
func (f Field) Value(raw json.RawMessage) (any, error) {
	switch f.Type {
	case Text, LongText:
		var s string
		if err := strict(raw, &s); err != nil {
			return nil, errors.New("must be text")
		}
		return CheckText(s, f.Max, f.Type == LongText)
	case Bool:
		var b bool
		if err := strict(raw, &b); err != nil {
			return nil, errors.New("must be true or false")
		}
		return b, nil
	case Email:
		var s string
		if err := strict(raw, &s); err != nil {
			return nil, errors.New("must be an email address")
		}
		return CheckEmail(s)
	case Count:
		var v any // not into a json.Number: that would take "5" too
		err := strict(raw, &v)
		n, ok := v.(json.Number)
		if err != nil || !ok {
			return nil, errors.New("must be a whole number")
		}
		return CheckCount(n.String(), f.Max)
	case Nameservers:
		var list []string
		if err := strict(raw, &list); err != nil {
			return nil, errors.New("must be a list of host names")
		}
		return CheckNameservers(list)
	}
	return nil, fmt.Errorf("unknown field type %q", f.Type)
}

func strict(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}

// CheckText trims s and refuses control characters (newlines and tabs are
// allowed when multiline) and more than max characters.
func CheckText(s string, max int, multiline bool) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", errors.New("is not valid text")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", fmt.Errorf("is too long (%d characters at most)", max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			return "", errors.New("contains control characters")
		}
	}
	return s, nil
}

// CheckEmail accepts one bare address such as tech@example.com.
func CheckEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("%q is not an email address like name@example.com", s)
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s || len(s) > 254 {
		return "", bad
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || !strings.Contains(s[at+1:], ".") || strings.HasSuffix(s, ".") {
		return "", bad
	}
	return s, nil
}

// CheckCount accepts a whole number from 0 to max written in decimal.
func CheckCount(s string, max int) (int64, error) {
	var n int64
	if s == "" || len(s) > 10 {
		return 0, fmt.Errorf("must be a whole number from 0 to %d", max)
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("must be a whole number from 0 to %d", max)
		}
		n = n*10 + int64(r-'0')
	}
	if n > int64(max) {
		return 0, fmt.Errorf("must be a whole number from 0 to %d", max)
	}
	return n, nil
}

// CheckNameservers accepts 2 to 13 distinct host names, lower-cased and
// without a trailing dot: what registries take.
func CheckNameservers(list []string) ([]string, error) {
	if len(list) < 2 || len(list) > 13 {
		return nil, errors.New("give 2 to 13 nameservers")
	}
	out := make([]string, 0, len(list))
	for _, s := range list {
		h, err := CheckHostname(s)
		if err != nil {
			return nil, err
		}
		for _, seen := range out {
			if seen == h {
				return nil, fmt.Errorf("%s is listed twice", h)
			}
		}
		out = append(out, h)
	}
	return out, nil
}

// CheckHostname accepts a fully qualified host name in ASCII (an
// internationalised one in its xn-- form): labels of letters, digits and
// inner hyphens, at least two, a top-level label that is not all digits
// (so an IP address is refused).
func CheckHostname(s string) (string, error) {
	h := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	bad := fmt.Errorf("%q is not a host name like ns1.example.net", s)
	if h == "" || len(h) > 253 {
		return "", bad
	}
	labels := strings.Split(h, ".")
	if len(labels) < 2 {
		return "", bad
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", bad
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", bad
			}
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", bad
	}
	return h, nil
}
