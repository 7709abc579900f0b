package web

import (
	"net/url"
	"strings"
	"testing"
)

// query.Get must read a raw query exactly as url.Values does: the check
// reads its parameters with it.
func FuzzQueryGet(f *testing.F) {
	for _, s := range []string{
		"contact_id=12&permission=invoices.view&service_id=0",
		"a=1&a=2", "a", "a=", "=1", "&&a=1&", "a=1;b=2&b=3", "a%3D=x&a=y",
		"a=%zz&a=2", "%zz=1&a=3", "a+b=c+d&a%20b=e", "permission=invoices%2Epay",
		"a=1&" + strings.Repeat("b=2&", 600) + "a=3",
	} {
		f.Add(s, "a")
		f.Add(s, "permission")
	}
	f.Fuzz(func(t *testing.T, raw, key string) {
		want, _ := url.ParseQuery(raw)
		if got := query(raw).Get(key); got != want.Get(key) {
			t.Fatalf("query(%q).Get(%q) = %q, url.Values says %q", raw, key, got, want.Get(key))
		}
	})
}
