package core_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/model"
)

func TestCheckPaymentLink(t *testing.T) {
	for tpl, ok := range map[string]bool{
		"https://pay.example.com/{number}":                             true,
		"https://pay.example.com/i?n={number}&a={amount}&c={currency}": true,
		"https://pay.example.com:8443/x#{number}":                      true,
		"https://pay.example.com":                                      true,
		"":                                                             false,
		"http://pay.example.com/{number}":                              false,
		"HTTPS://pay.example.com/{number}":                             false,
		"https://{number}.example.com/":                                false,
		"https://pay.example.com{number}":                              false,
		"https://pay.example.com?{number}":                             true,
		"https://user@pay.example.com/{number}":                        false,
		"https:///{number}":                                            false,
		"https://pay.example.com/{id}":                                 false,
		"https://pay.example.com/{number":                              false,
		"https://pay.example.com/}":                                    false,
		"https://pay.example.com/a b":                                  false,
		"https://pay.example.com/\n":                                   false,
		"javascript:alert(1)//https://x":                               false,
		"https://pay.example.com/" + strings.Repeat("a", 2000):         false,
		"https://pay.example.com/{number}/{number}?again={number}":     true,
	} {
		if err := core.CheckPaymentLink(tpl); (err == nil) != ok {
			t.Errorf("CheckPaymentLink(%q) = %v, want ok=%v", tpl, err, ok)
		}
	}
}

func TestPaymentLinkEscapes(t *testing.T) {
	inv := &model.Invoice{Number: "A/1?x=2#3 &é", AmountCents: 123456, Currency: "EUR"}
	got, err := core.PaymentLink("https://pay.example.com/p/{number}?n={number}&amt={amount}&cur={currency}", inv)
	if err != nil {
		t.Fatal(err)
	}
	want := "https://pay.example.com/p/A%2F1%3Fx=2%233%20&%C3%A9?n=A%2F1%3Fx%3D2%233+%26%C3%A9&amt=1234.56&cur=EUR"
	if got != want {
		t.Errorf("link\n%s\nwant\n%s", got, want)
	}
	u, _ := url.Parse(got)
	if u.Query().Get("n") != inv.Number || u.Query().Get("amt") != "1234.56" {
		t.Errorf("query reads back %v", u.Query())
	}
}

func FuzzPaymentLink(f *testing.F) {
	f.Add("https://pay.example.com/{number}?a={amount}", "INV-1", int64(100), "EUR")
	f.Add("https://pay.example.com/x#{currency}", "../../evil.com/", int64(0), "@x")
	f.Add("https://h.example/{number}", "@evil.com", int64(99), "EUR")
	f.Fuzz(func(t *testing.T, tpl, number string, cents int64, currency string) {
		if core.CheckPaymentLink(tpl) != nil || cents < 0 {
			return
		}
		link, err := core.PaymentLink(tpl, &model.Invoice{Number: number, AmountCents: cents, Currency: currency})
		if err != nil {
			t.Fatalf("checked template %q failed for %q: %v", tpl, number, err)
		}
		u, err := url.Parse(link)
		want, _ := url.Parse(strings.NewReplacer("{number}", "x", "{amount}", "x", "{currency}", "x").Replace(tpl))
		if err != nil || u.Scheme != "https" || u.Host != want.Host || u.User != nil {
			t.Fatalf("%q with %q gave %q (host %q, want %q)", tpl, number, link, u.Host, want.Host)
		}
		if strings.ContainsAny(link, " \n\r\t\x00") {
			t.Fatalf("unescaped blank in %q", link)
		}
	})
}

func TestCheckPaidOn(t *testing.T) {
	now := time.Date(2026, 6, 1, 23, 0, 0, 0, time.UTC)
	for in, want := range map[string]string{
		"2026-06-01":           "2026-06-01",
		" 2026-05-31 ":         "2026-05-31",
		"2026-06-02":           "2026-06-02", // tomorrow in UTC is today east of it
		"2026-06-03":           "",
		"2000-01-01":           "2000-01-01",
		"1999-12-31":           "",
		"2026-02-30":           "",
		"2026-6-1":             "",
		"01/06/2026":           "",
		"":                     "",
		"2026-06-01T00:00:00Z": "",
	} {
		got, err := core.CheckPaidOn(in, now)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("CheckPaidOn(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestAmountsOfProductsAndInvoices(t *testing.T) {
	f := newFixture(t)
	p := func(v int64) *int64 { return &v }
	s := func(v string) *string { return &v }
	for _, tc := range []struct {
		cents    int64
		currency string
		field    string // "" = accepted
	}{
		{0, "EUR", ""},
		{1e13, "EUR", ""},
		{1e13 + 1, "EUR", "price_cents"},
		{-1, "EUR", "price_cents"},
		{100, "eur", "currency"},
		{100, "EURO", "currency"},
		{100, "", "currency"},
	} {
		_, err := f.app.CreateProduct(bg, core.ProductInput{Name: s("X"), Kind: s("other"), PriceCents: p(tc.cents), Currency: s(tc.currency)})
		if e, ok := core.AsError(err); (tc.field == "" && err != nil) || (tc.field != "" && (!ok || e.Field != tc.field)) {
			t.Errorf("product %d %q: %v, want field %q", tc.cents, tc.currency, err, tc.field)
		}
		_, err = f.app.CreateInvoice(bg, f.acc.ID, core.InvoiceInput{Number: "I", AmountCents: tc.cents, Currency: tc.currency})
		wantField := strings.Replace(tc.field, "price_cents", "amount_cents", 1)
		if tc.currency == "" {
			wantField = "" // an invoice's currency defaults to EUR
		}
		if e, ok := core.AsError(err); (wantField == "" && err != nil) || (wantField != "" && (!ok || e.Field != wantField)) {
			t.Errorf("invoice %d %q: %v, want field %q", tc.cents, tc.currency, err, wantField)
		}
	}
}
