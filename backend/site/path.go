// Package site knows the owner's own websites: their admin areas, how a
// request's path finds its area, and which addresses belong to a site.
package site

import (
	"errors"
	"net/url"
	"strings"

	"grantbook/backend/model"
)

// ErrAmbiguousPath refuses a path that servers may read in different ways:
// an encoded slash, backslash or dot segment, a control character or a
// broken escape. Browsers never send these; a crafted request might, hoping
// the site reads another area than Grantbook does.
var ErrAmbiguousPath = errors.New("the address is ambiguous (an encoded slash, backslash or dot segment, a control character or a broken escape)")

// CleanPath turns a request target (path and query, or an absolute URL, as
// X-Forwarded-Uri or X-Original-URI carry it) into the path areas match:
// the query dropped, escapes decoded, empty and dot segments resolved.
// The result starts with "/" and keeps the case it had.
func CleanPath(target string) (string, error) {
	if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") {
		u, err := url.Parse(target)
		if err != nil {
			return "", ErrAmbiguousPath
		}
		target = u.EscapedPath()
	}
	if i := strings.IndexAny(target, "?#"); i >= 0 {
		target = target[:i]
	}
	if !strings.HasPrefix(target, "/") {
		return "", ErrAmbiguousPath
	}
	var out []string
	for _, raw := range strings.Split(target, "/") {
		seg, err := decodeSegment(raw)
		if err != nil {
			return "", err
		}
		// Path parameters (";jsessionid=…") are not part of the name some
		// servers route by: "..;" is ".." to Tomcat.
		name, _, _ := strings.Cut(seg, ";")
		switch {
		case name == "." || name == "..":
			if seg != raw {
				return "", ErrAmbiguousPath
			}
			if name == ".." && len(out) > 0 {
				out = out[:len(out)-1]
			}
		case seg != "":
			out = append(out, seg)
		}
	}
	return "/" + strings.Join(out, "/"), nil
}

// decodeSegment decodes one segment's escapes, refusing what could change
// where the segment ends.
func decodeSegment(raw string) (string, error) {
	if strings.ContainsRune(raw, '\\') {
		return "", ErrAmbiguousPath
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '%' {
			if i+2 >= len(raw) || !isHex(raw[i+1]) || !isHex(raw[i+2]) {
				return "", ErrAmbiguousPath
			}
			c = unhex(raw[i+1])<<4 | unhex(raw[i+2])
			i += 2
			if c == '/' || c == '\\' || c == '%' {
				return "", ErrAmbiguousPath
			}
		}
		if c < 0x20 || c == 0x7f {
			return "", ErrAmbiguousPath
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// CleanPrefix normalises an area's path prefix as the owner typed it: the
// same cleaning as requests get, no trailing slash (it matches whole
// segments anyway), lower case (areas match without regard to case).
func CleanPrefix(p string) (string, error) {
	p = strings.TrimSpace(p)
	if !strings.HasPrefix(p, "/") {
		return "", errors.New("a path prefix starts with /")
	}
	if strings.ContainsAny(p, "?#") {
		return "", errors.New("a path prefix has no query (?) or fragment (#): areas match by path only")
	}
	c, err := CleanPath(p)
	if err != nil {
		return "", err
	}
	return lowerASCII(c), nil
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// under reports whether path lies in prefix, segment by segment, ignoring
// ASCII case: /admin/orders holds /admin/orders/7 but not /admin/ordersX,
// and a site that reads /ADMIN/Settings as its settings page is guarded.
func under(path, prefix string) bool {
	if prefix == "/" {
		return true
	}
	if len(path) < len(prefix) || lowerASCII(path[:len(prefix)]) != prefix {
		return false
	}
	return len(path) == len(prefix) || path[len(prefix)] == '/' || path[len(prefix)] == ';'
}

// Match finds the area whose prefix is the longest that holds path (a
// CleanPath result), or -1 when none does.
func Match(s *model.Site, path string) int {
	best, bestLen := -1, -1
	for i, a := range s.Areas {
		for _, p := range a.Prefixes {
			if len(p) > bestLen && under(path, p) {
				best, bestLen = i, len(p)
			}
		}
	}
	return best
}
