package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"grantbook/backend/core"
	"grantbook/backend/web"
)

// FuzzVerify: whatever a proxy (or someone pretending to be one) sends,
// /auth/verify never lets a request through without a site cookie, never
// fails, and sends the browser to sign in on the site only.
func FuzzVerify(f *testing.F) {
	f.Add("shop.localhost", "GET", "/admin/orders", "", "gb_site=x")
	f.Add("SHOP.localhost:8080", "POST", "http://shop.localhost/admin/../settings?x=1", "/a", "")
	f.Add("shop.localhost, evil", "", "", "/admin/%2e%2e/x", "gb_site=")
	f.Add("evil.localhost", "GET", "//evil/x", "", "")
	f.Setenv("GRANTBOOK_KEYRING", "off")
	app, err := core.Open(context.Background(), f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { app.Close() })
	v, err := app.Sites(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	shop := "http://shop.localhost"
	in := core.SiteInput{Name: "Shop", BaseURL: shop, Areas: v.Sites[0].Areas}
	if _, err := app.UpdateSite(context.Background(), 1, in); err != nil {
		f.Fatal(err)
	}
	srv := web.NewServer(web.NewAPI(app, slog.New(slog.NewTextHandler(io.Discard, nil))), testAssets, token)
	f.Fuzz(func(t *testing.T, host, method, uri, original, cookie string) {
		req := httptest.NewRequest("GET", "/auth/verify?redirect=1", nil)
		req.RemoteAddr = "127.0.0.1:4000"
		for k, v := range map[string]string{"X-Forwarded-Host": host, "X-Forwarded-Method": method, "X-Forwarded-Uri": uri,
			"X-Original-URI": original, "Cookie": cookie} {
			if v != "" {
				req.Header.Set(k, v)
			}
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusUnauthorized, http.StatusFound:
			loc := rec.Header().Get("Location")
			u, err := url.Parse(loc)
			if err != nil || !strings.HasPrefix(loc, shop+"/_grantbook/start?rd=") {
				t.Fatalf("sign-in address %q", loc)
			}
			if rd := u.Query().Get("rd"); !strings.HasPrefix(rd, shop+"/") {
				t.Fatalf("return address %q leaves the site", rd)
			}
		case http.StatusForbidden:
			if rec.Header().Get("X-Grantbook-Reason") == "" {
				t.Fatal("403 without a reason")
			}
		default:
			t.Fatalf("answer %d to host %q uri %q / %q: %s", rec.Code, host, uri, original, rec.Body)
		}
	})
}
