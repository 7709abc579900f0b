package core

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	"grantbook/backend/model"
)

const keyPayments = "billing.payment_methods"

// PaymentMethods are how contacts may pay: by bank transfer (the invoice
// number is the reference) and/or through a link to the owner's payment
// provider.
type PaymentMethods struct {
	BankTransfer struct {
		Enabled bool   `json:"enabled"`
		Details string `json:"details"` // account holder, IBAN, BIC…
	} `json:"bank_transfer"`
	PaymentLink struct {
		Enabled bool `json:"enabled"`
		// URLTemplate is an https URL with {number}, {amount} and
		// {currency}, filled in and escaped per invoice.
		URLTemplate string `json:"url_template"`
	} `json:"payment_link"`
}

// PaymentMethods returns the owner's payment methods (none by default).
func (a *App) PaymentMethods(ctx context.Context) (PaymentMethods, error) {
	return jsonSetting[PaymentMethods](a, ctx, keyPayments, "payment methods")
}

// PutPaymentMethods checks and saves the payment methods.
func (a *App) PutPaymentMethods(ctx context.Context, pm PaymentMethods) (PaymentMethods, error) {
	pm.BankTransfer.Details = strings.TrimSpace(pm.BankTransfer.Details)
	pm.PaymentLink.URLTemplate = strings.TrimSpace(pm.PaymentLink.URLTemplate)
	switch {
	case len(pm.BankTransfer.Details) > 1000:
		return pm, invalid("bank_transfer.details", "the bank details are too long (1000 characters at most)")
	case pm.BankTransfer.Enabled && pm.BankTransfer.Details == "":
		return pm, invalid("bank_transfer.details", "give the bank details contacts transfer to")
	case strings.ContainsFunc(pm.BankTransfer.Details, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' }):
		return pm, invalid("bank_transfer.details", "the bank details contain control characters")
	case pm.PaymentLink.Enabled || pm.PaymentLink.URLTemplate != "":
		if err := CheckPaymentLink(pm.PaymentLink.URLTemplate); err != nil {
			return pm, err
		}
	}
	return putJSONSetting(a, ctx, keyPayments, "payment methods", "settings.payments", pm)
}

var placeholderRE = regexp.MustCompile(`\{[^{}]*\}`)

// CheckPaymentLink accepts an https URL template whose only placeholders
// are {number}, {amount} and {currency}, in the path, query or fragment
// (never in the host: an invoice must not choose where the link goes).
func CheckPaymentLink(tpl string) error {
	bad := func(format string, args ...any) error { return invalid("payment_link.url_template", format, args...) }
	switch {
	case tpl == "":
		return bad("give the link of your payment provider, with {number}, {amount} and {currency} where they go")
	case len(tpl) > 2000:
		return bad("the link is too long (2000 characters at most)")
	case strings.ContainsFunc(tpl, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return bad("the link contains spaces or control characters")
	}
	for _, ph := range placeholderRE.FindAllString(tpl, -1) {
		if ph != "{number}" && ph != "{amount}" && ph != "{currency}" {
			return bad("%s is not a placeholder: use {number}, {amount} and {currency}", ph)
		}
	}
	if strings.ContainsAny(placeholderRE.ReplaceAllString(tpl, ""), "{}") {
		return bad("the link has an unmatched { or }")
	}
	rest, ok := strings.CutPrefix(tpl, "https://")
	if !ok {
		return bad("the link must start with https://")
	}
	if authority, _, _ := strings.Cut(rest, "/"); strings.ContainsAny(strings.SplitN(strings.SplitN(authority, "?", 2)[0], "#", 2)[0], "{}") {
		return bad("placeholders may not be in the host name")
	}
	u, err := url.Parse(fillLink(tpl, "INV-1", "1.00", "EUR"))
	if err != nil || u.Scheme != "https" || u.Hostname() == "" || u.User != nil || u.Opaque != "" {
		return bad("the link is not an https address like https://pay.example.com/{number}")
	}
	return nil
}

// PaymentLink fills in a checked template for one invoice. Values are
// escaped for where they stand: path escaping before the query, query
// escaping after it, so an invoice number never changes the link's shape.
func PaymentLink(tpl string, inv *model.Invoice) (string, error) {
	if err := CheckPaymentLink(tpl); err != nil {
		return "", err
	}
	link := fillLink(tpl, inv.Number, fmt.Sprintf("%d.%02d", inv.AmountCents/100, inv.AmountCents%100), inv.Currency)
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "https" || u.Host != hostOf(tpl) {
		return "", fmt.Errorf("payment link for invoice %s does not hold together", inv.Number)
	}
	return link, nil
}

func fillLink(tpl, number, amount, currency string) string {
	cut := len(tpl)
	if i := strings.IndexAny(tpl[len("https://"):], "?#"); i >= 0 {
		cut = len("https://") + i
	}
	r := func(esc func(string) string) *strings.Replacer {
		return strings.NewReplacer("{number}", esc(number), "{amount}", esc(amount), "{currency}", esc(currency))
	}
	return r(url.PathEscape).Replace(tpl[:cut]) + r(url.QueryEscape).Replace(tpl[cut:])
}

func hostOf(tpl string) string {
	u, err := url.Parse(fillLink(tpl, "x", "x", "x"))
	if err != nil {
		return ""
	}
	return u.Host
}

// CheckPaidOn parses the day a contact says they paid: YYYY-MM-DD, not
// before 2000 and not after tomorrow (a time zone ahead of UTC).
func CheckPaidOn(s string, now time.Time) (string, error) {
	s = strings.TrimSpace(s)
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return "", invalid("paid_on", "give the day you paid as a date like 2026-01-31")
	}
	if t.Year() < 2000 || t.After(now.UTC().AddDate(0, 0, 1)) {
		return "", invalid("paid_on", "%s is not a day you can have paid on", s)
	}
	return t.Format("2006-01-02"), nil
}
