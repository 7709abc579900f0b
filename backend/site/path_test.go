package site_test

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"grantbook/backend/model"
	"grantbook/backend/site"
)

func TestCleanPath(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/admin/orders", "/admin/orders"},
		{"/admin/orders/?page=2", "/admin/orders"},
		{"/admin/orders#top", "/admin/orders"},
		{"/admin//orders///7", "/admin/orders/7"},
		{"/admin/./orders", "/admin/orders"},
		{"/admin/settings/../orders", "/admin/orders"},
		{"/../../admin/orders", "/admin/orders"},
		{"/admin/%6Frders", "/admin/orders"}, // an encoded letter is that letter
		{"/admin/caf%C3%A9", "/admin/café"},
		{"/admin/orders/..;/settings", "/admin/settings"}, // Tomcat reads "..;" as ".."
		{"/admin/orders;jsessionid=1", "/admin/orders;jsessionid=1"},
		{"http://shop.example/admin/orders?x", "/admin/orders"},
		{"/", "/"},
		{"/ADMIN/Orders", "/ADMIN/Orders"},
	} {
		got, err := site.CleanPath(c.in)
		if err != nil || got != c.want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{
		"", "admin/orders", "*",
		"/admin/orders%2F..%2F..%2Fsettings", "/admin/orders%2fx", // encoded slash
		"/admin/settings/%2e%2e/orders", "/admin/settings/.%2E/orders", "/admin/%2e/x", // encoded dot segments
		"/admin\\settings", "/admin/%5Csettings", // backslash
		"/admin/%00", "/admin/%0a", "/admin/\x01", // control characters
		"/admin/%zz", "/admin/%4", "/admin/%", // broken escapes
		"/admin/%252F", // double encoding
	} {
		if got, err := site.CleanPath(bad); !errors.Is(err, site.ErrAmbiguousPath) {
			t.Errorf("CleanPath(%q) = %q, %v; want ErrAmbiguousPath", bad, got, err)
		}
	}
}

func shop() *model.Site {
	s := &model.Site{Name: "Shop", BaseURL: "https://shop.example", Areas: []model.SiteArea{
		{Name: "orders", Label: "Orders", Prefixes: []string{"/admin/orders"}},
		{Name: "refunds", Label: "Refunds", Prefixes: []string{"/admin/orders/refunds"}},
		{Name: "settings", Label: "Settings", Prefixes: []string{"/admin/settings/", "/wp-admin/options.php"}},
		{Name: "everything", Label: "Rest", Prefixes: []string{"/admin"}},
	}}
	if err := site.Normalise(s); err != nil {
		panic(err)
	}
	return s
}

func TestMatchLongestPrefixBySegment(t *testing.T) {
	s := shop()
	for _, c := range []struct {
		path string
		want string
	}{
		{"/admin/orders", "orders"},
		{"/admin/orders/7", "orders"},
		{"/admin/ordersX", "everything"}, // not a segment of /admin/orders
		{"/admin/orders/refunds/3", "refunds"},
		{"/admin/orders/refundsX", "orders"},
		{"/admin/settings", "settings"}, // the prefix's trailing slash is dropped
		{"/ADMIN/Settings/mail", "settings"},
		{"/admin/settings;x=1", "settings"},
		{"/wp-admin/options.php", "settings"},
		{"/wp-admin/options.phpx", ""},
		{"/admin", "everything"},
		{"/administrator", ""},
		{"/", ""},
	} {
		i := site.Match(s, c.path)
		got := ""
		if i >= 0 {
			got = s.Areas[i].Name
		}
		if got != c.want {
			t.Errorf("Match(%q) = %q, want %q", c.path, got, c.want)
		}
	}
}

func TestNormaliseRefusesBadSites(t *testing.T) {
	for _, c := range []struct {
		field string
		s     model.Site
	}{
		{"name", model.Site{}},
		{"base_url", model.Site{Name: "S", BaseURL: "ftp://x"}},
		{"base_url", model.Site{Name: "S", BaseURL: "http://shop.example.com"}}, // plain http beyond loopback
		{"base_url", model.Site{Name: "S", BaseURL: "https://shop.example/admin"}},
		{"base_url", model.Site{Name: "S", BaseURL: "https://u:p@shop.example"}},
		{"unlisted", model.Site{Name: "S", Unlisted: "everyone"}},
		{"areas[0].name", model.Site{Name: "S", Areas: []model.SiteArea{{Name: "Orders", Label: "O"}}}},
		{"areas[0].name", model.Site{Name: "S", Areas: []model.SiteArea{{Name: "a.b", Label: "O"}}}},
		{"areas[1].name", model.Site{Name: "S", Areas: []model.SiteArea{{Name: "a", Label: "A"}, {Name: "a", Label: "B"}}}},
		{"areas[0].label", model.Site{Name: "S", Areas: []model.SiteArea{{Name: "a"}}}},
		{"areas[0].prefixes", model.Site{Name: "S", Areas: []model.SiteArea{{Name: "a", Label: "A", Prefixes: []string{"admin"}}}}},
		{"areas[0].prefixes", model.Site{Name: "S", Areas: []model.SiteArea{{Name: "a", Label: "A", Prefixes: []string{"/admin?x=1"}}}}},
		{"areas[1].prefixes", model.Site{Name: "S", Areas: []model.SiteArea{{Name: "a", Label: "A", Prefixes: []string{"/x"}},
			{Name: "b", Label: "B", Prefixes: []string{"/X/"}}}}},
	} {
		err := site.Normalise(&c.s)
		var fe *site.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("Normalise(%+v) = %v, want an error on %s", c.s, err, c.field)
		}
	}
	ok := model.Site{Name: " Shop ", BaseURL: "HTTPS://Shop.Example:8443/", Areas: site.Template()}
	if err := site.Normalise(&ok); err != nil || ok.BaseURL != "https://shop.example:8443" || ok.Name != "Shop" ||
		ok.Unlisted != model.UnlistedAnyAdmin || len(ok.Areas) != 8 {
		t.Errorf("Normalise(template) = %v, %+v", err, ok)
	}
	if site.Host(&ok) != "shop.example" {
		t.Errorf("Host = %q", site.Host(&ok))
	}
}

func TestReturnURLStaysOnTheSite(t *testing.T) {
	s := shop()
	for _, c := range []struct{ in, want string }{
		{"/admin/orders?x=1", "https://shop.example/admin/orders?x=1"},
		{"https://shop.example/admin", "https://shop.example/admin"},
		{"HTTPS://SHOP.example/a", "https://shop.example/a"},
		{"https://shop.example", "https://shop.example/"},
		{"", "https://shop.example/"},
		{"//evil.example/x", "https://shop.example/"},
		{"/\\evil.example", "https://shop.example/"},
		{"https://evil.example/admin", "https://shop.example/"},
		{"http://shop.example/admin", "https://shop.example/"}, // the other scheme
		{"https://shop.example:444/admin", "https://shop.example/"},
		{"https://shop.example@evil.example/", "https://shop.example/"},
		{"javascript:alert(1)", "https://shop.example/"},
		{"/a\r\nSet-Cookie: x", "https://shop.example/"},
	} {
		if got := site.ReturnURL(s, c.in); got != c.want {
			t.Errorf("ReturnURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzCleanPath: whatever arrives, the result is a clean absolute path
// (no empty, dot or encoded-slash segments), and cleaning it again
// changes nothing.
func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"/admin/orders", "/a/../b", "/%2e%2e/", "/a;b/..;/c", "http://h/a?b", "/%C3%A9", "//x//y/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := site.CleanPath(in)
		if err != nil {
			return
		}
		if !strings.HasPrefix(p, "/") || (p != "/" && strings.HasSuffix(p, "/")) || strings.Contains(p, "//") {
			t.Fatalf("CleanPath(%q) = %q: not clean", in, p)
		}
		for _, seg := range strings.Split(p[1:], "/") {
			name, _, _ := strings.Cut(seg, ";")
			if name == "." || name == ".." {
				t.Fatalf("CleanPath(%q) = %q keeps a dot segment", in, p)
			}
		}
		// A cleaned path with a "%" came from "%25", which is refused.
		if strings.ContainsAny(p, "%\\") {
			t.Fatalf("CleanPath(%q) = %q keeps %% or \\", in, p)
		}
		// Decoded "?" and "#" are path bytes now; a second pass would cut there.
		if again, err := site.CleanPath(p); !strings.ContainsAny(p, "?#") && (err != nil || again != p) {
			t.Fatalf("CleanPath(CleanPath(%q)) = %q, %v; want %q", in, again, err, p)
		}
	})
}

// FuzzMatch: the area found holds the path by one of its prefixes, and no
// other area has a longer prefix that holds it.
func FuzzMatch(f *testing.F) {
	f.Add("/admin/orders/7")
	f.Add("/admin/ordersX")
	f.Add("/ADMIN/settings;x")
	s := shop()
	f.Fuzz(func(t *testing.T, in string) {
		p, err := site.CleanPath(in)
		if err != nil {
			return
		}
		i := site.Match(s, p)
		lp := strings.ToLower(p)
		holds := func(pre string) bool {
			return pre == "/" || lp == pre || strings.HasPrefix(lp, pre+"/") || strings.HasPrefix(lp, pre+";")
		}
		longest := -1
		for _, a := range s.Areas {
			for _, pre := range a.Prefixes {
				if holds(pre) {
					longest = max(longest, len(pre))
				}
			}
		}
		if longest < 0 {
			if i >= 0 {
				t.Fatalf("Match(%q) = %s, but no prefix holds it", p, s.Areas[i].Name)
			}
			return
		}
		if i < 0 || !slices.ContainsFunc(s.Areas[i].Prefixes, func(pre string) bool { return len(pre) == longest && holds(pre) }) {
			t.Fatalf("Match(%q) = %d, want the area of the %d-byte prefix that holds it", p, i, longest)
		}
	})
}

// FuzzReturnURL: whatever return address arrives, the browser goes back
// to the site, never elsewhere.
func FuzzReturnURL(f *testing.F) {
	for _, s := range []string{"/admin", "//evil.example", "/\\evil", "https://shop.example/x", "https://evil.example", "javascript:x"} {
		f.Add(s)
	}
	s := shop()
	f.Fuzz(func(t *testing.T, in string) {
		got := site.ReturnURL(s, in)
		u, err := url.Parse(got)
		if err != nil || u.Scheme+"://"+u.Host != s.BaseURL || !strings.HasPrefix(got, s.BaseURL+"/") || u.User != nil {
			t.Fatalf("ReturnURL(%q) = %q leaves the site", in, got)
		}
	})
}
