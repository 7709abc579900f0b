package site

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	"grantbook/backend/model"
	"grantbook/backend/permission"
)

// Template is where a site's areas start: the catalog's eight areas under
// /admin/, for the owner to edit.
func Template() []model.SiteArea {
	var out []model.SiteArea
	for _, a := range permission.AdminAreas() {
		out = append(out, model.SiteArea{Name: a.Name, Label: a.Label, Prefixes: []string{"/admin/" + a.Name}})
	}
	return out
}

// FieldError is a site setting that cannot be kept.
type FieldError struct{ Field, Message string }

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{field, fmt.Sprintf(format, args...)}
}

var areaKey = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// Normalise trims and checks a site as the owner sent it, and cleans its
// base URL and prefixes into the form matching uses.
func Normalise(s *model.Site) error {
	s.Name = strings.TrimSpace(s.Name)
	switch {
	case s.Name == "":
		return fieldErr("name", "give the site a name, e.g. Shop")
	case len(s.Name) > 100:
		return fieldErr("name", "the name is too long (100 characters at most)")
	}
	if s.Unlisted == "" {
		s.Unlisted = model.UnlistedAnyAdmin
	}
	if s.Unlisted != model.UnlistedAnyAdmin && s.Unlisted != model.UnlistedAllAreas {
		return fieldErr("unlisted", "use %q or %q", model.UnlistedAnyAdmin, model.UnlistedAllAreas)
	}
	base, err := CleanBaseURL(s.BaseURL)
	if err != nil {
		return fieldErr("base_url", "%s", err)
	}
	s.BaseURL = base
	if len(s.Areas) > 64 {
		return fieldErr("areas", "a site has at most 64 areas")
	}
	names, prefixes := map[string]bool{}, map[string]string{}
	for i := range s.Areas {
		a := &s.Areas[i]
		a.Name, a.Label = strings.TrimSpace(a.Name), strings.TrimSpace(a.Label)
		field := fmt.Sprintf("areas[%d]", i)
		switch {
		case !areaKey.MatchString(a.Name):
			return fieldErr(field+".name", "area key %q: use 1 to 40 lower-case letters, digits, - or _", a.Name)
		case names[a.Name]:
			return fieldErr(field+".name", "area key %q appears twice", a.Name)
		case a.Label == "" || len(a.Label) > 100:
			return fieldErr(field+".label", "area %s needs a label (100 characters at most)", a.Name)
		case len(a.Prefixes) > 32:
			return fieldErr(field+".prefixes", "area %s has more than 32 path prefixes", a.Name)
		}
		names[a.Name] = true
		var clean []string
		for _, p := range a.Prefixes {
			if strings.TrimSpace(p) == "" {
				continue
			}
			c, err := CleanPrefix(p)
			if err != nil {
				return fieldErr(field+".prefixes", "%q: %s", p, err)
			}
			if other, dup := prefixes[c]; dup {
				return fieldErr(field+".prefixes", "%s is already a prefix of area %s", c, other)
			}
			prefixes[c] = a.Name
			clean = append(clean, c)
		}
		a.Prefixes = clean
		if a.Prefixes == nil {
			a.Prefixes = []string{}
		}
	}
	return nil
}

// CleanBaseURL checks a site's public address: http or
// https, a host, no path beyond "/", no query, no user. Empty stays empty
// (not set up yet).
func CleanBaseURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return "", fmt.Errorf("%q is not an address like https://shop.example.com", raw)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/"):
		return "", fmt.Errorf("%q: give the scheme and host only, e.g. https://shop.example.com (no path, query or user)", raw)
	}
	if u.Scheme == "http" && !Loopback(u.Hostname()) {
		return "", fmt.Errorf("%q: use https (plain http only for localhost): sign-in cookies and tokens must not cross the network in clear", raw)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// Loopback reports whether host names this computer.
func Loopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Host is the site's host name as requests carry it (lower case, no port).
func Host(s *model.Site) string {
	u, err := url.Parse(s.BaseURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// ReturnURL keeps a return address on the site: a path of it, or an
// absolute address with the site's own scheme and host. Anything else
// (another site, "//evil", "/\evil", a script) goes to the site's home.
func ReturnURL(s *model.Site, raw string) string {
	home := s.BaseURL + "/"
	if raw == "" || strings.ContainsAny(raw, "\\\r\n\t") {
		return home
	}
	if strings.HasPrefix(raw, "/") && !strings.HasPrefix(raw, "//") {
		raw = s.BaseURL + raw
	}
	u, err := url.Parse(raw)
	if err != nil || strings.ToLower(u.Scheme+"://"+u.Host) != s.BaseURL || u.User != nil || u.Opaque != "" {
		return home
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	return s.BaseURL + p + query(u)
}

func query(u *url.URL) string {
	if u.RawQuery == "" {
		return ""
	}
	return "?" + u.RawQuery
}
