package classify

import (
	"fmt"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-msgauth/authres"
	"golang.org/x/net/publicsuffix"
)

// senderAuth says whether the owner's own receiving server vouches for the
// sender's domain, and why (or why not), for display.
//
// Only the topmost Authentication-Results fields carrying exactly
// authServID are read: the first such field and those directly below it,
// with nothing else in between. A border MTA prepends its fields, so
// everything the sender wrote is further down; a forged field lower in the
// header, even with our id, is never combined with the genuine ones. The
// id is compared byte for byte: RFC 8601 leaves its comparison to the
// consumer, and a border MTA that strips forged fields may strip only the
// exact spelling it writes itself, so a case variant is not ours.
//
// A pass is dmarc=pass (for the From domain when header.from is given),
// dkim=pass with header.d or header.i aligned with the From domain, or
// spf=pass with the smtp.mailfrom domain aligned with it (relaxed
// alignment: the same organizational domain). Nothing else passes.
func senderAuth(h message.Header, authServID, fromDomain string) (bool, string) {
	if authServID == "" {
		return false, "no trusted authserv-id is set in the mail settings, so no Authentication-Results header is believed"
	}
	fields := trustedFields(h, authServID)
	if len(fields) == 0 {
		return false, "no Authentication-Results header from " + authServID
	}
	var seen []string
	for _, v := range fields {
		_, results, err := authres.Parse(stripComments(v))
		if err != nil {
			seen = append(seen, "unreadable header")
			continue // fail closed: a field we cannot read proves nothing
		}
		for _, r := range results {
			if ok, what := passes(r, fromDomain); ok {
				return true, what + " (reported by " + authServID + ")"
			} else if what != "" {
				seen = append(seen, what)
			}
		}
	}
	if len(seen) == 0 {
		seen = append(seen, "no DMARC, DKIM or SPF result")
	}
	return false, authServID + " reported " + clip(strings.Join(dedupe(seen), ", "))
}

// trustedFields returns the values of the topmost block of adjacent
// Authentication-Results fields whose authserv-id is exactly id.
func trustedFields(h message.Header, id string) []string {
	var out []string
	fields := h.Fields()
	for fields.Next() {
		isAR := strings.EqualFold(fields.Key(), "Authentication-Results")
		ours := false
		if isAR {
			got, _, _ := authres.Parse(stripComments(fields.Value()))
			ours = got == id
		}
		switch {
		case ours:
			out = append(out, fields.Value())
		case len(out) > 0:
			return out // the block ended
		}
	}
	return out
}

// passes reports whether one result vouches for fromDomain, else a short
// description of it ("" for methods that play no part).
func passes(r authres.Result, fromDomain string) (bool, string) {
	switch r := r.(type) {
	case *authres.DMARCResult:
		if r.Value == authres.ResultPass && (r.From == "" || aligned(r.From, fromDomain)) {
			return true, "DMARC pass"
		}
		return false, "dmarc=" + string(r.Value)
	case *authres.DKIMResult:
		d := r.Domain
		if d == "" {
			d = domainOf(r.Identifier)
		}
		if r.Value == authres.ResultPass && aligned(d, fromDomain) {
			return true, "DKIM pass for " + asciiLower(d)
		}
		return false, describe("dkim", string(r.Value), d, fromDomain)
	case *authres.SPFResult:
		d := domainOf(r.From)
		if r.Value == authres.ResultPass && aligned(d, fromDomain) {
			return true, "SPF pass for " + asciiLower(d)
		}
		return false, describe("spf", string(r.Value), d, fromDomain)
	}
	return false, ""
}

func describe(method, value, domain, fromDomain string) string {
	if value == authres.ResultPass {
		return fmt.Sprintf("%s=pass for %s, not the sender's domain %s", method, clip(domain), fromDomain)
	}
	return method + "=" + value
}

// aligned reports whether two domains are the same or share their
// organizational domain (DMARC relaxed alignment).
func aligned(a, b string) bool {
	a, b = normDomain(a), normDomain(b)
	if a == "" || b == "" {
		return false
	}
	if a == b {
		return true
	}
	oa, errA := publicsuffix.EffectiveTLDPlusOne(a)
	ob, errB := publicsuffix.EffectiveTLDPlusOne(b)
	return errA == nil && errB == nil && oa == ob
}

func normDomain(d string) string {
	return strings.TrimSuffix(asciiLower(strings.Trim(strings.TrimSpace(d), "<>")), ".")
}

// domainOf is the part after the last "@", or s itself without one.
func domainOf(s string) string {
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		return s[i+1:]
	}
	return s
}
