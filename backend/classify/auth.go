package classify

import (
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-msgauth/authres"
)

// authFailure reads the Authentication-Results fields added by our own
// receiving server (authserv-id == authServID, ASCII case-insensitive) and
// reports a failure that forbids granting, or "".
//
// Results are combined over all trusted fields. The receiving server must
// remove incoming fields that carry its authserv-id (RFC 8601 section 5);
// otherwise a forged "dkim=pass" could offset a genuine "dkim=fail".
func authFailure(h message.Header, authServID string) string {
	authServID = strings.TrimSpace(authServID)
	if authServID == "" {
		return ""
	}
	var dmarcPass, dmarcFail, dkimPass, dkimFail, spfFail bool
	for _, v := range h.Values("Authentication-Results") {
		id, results, _ := authres.Parse(stripComments(v)) // partial results are used
		if !asciiEqualFold(strings.TrimSpace(id), authServID) {
			continue
		}
		for _, r := range results {
			switch r := r.(type) {
			case *authres.DMARCResult:
				switch r.Value {
				case authres.ResultPass:
					dmarcPass = true
				case authres.ResultFail:
					dmarcFail = true
				}
			case *authres.DKIMResult:
				switch r.Value {
				case authres.ResultPass:
					dkimPass = true
				case authres.ResultFail:
					dkimFail = true
				}
			case *authres.SPFResult:
				switch r.Value {
				case authres.ResultFail, authres.ResultHardFail:
					spfFail = true
				}
			}
		}
	}
	switch {
	case dmarcFail:
		return "DMARC fail (Authentication-Results from " + authServID + ")"
	case dkimFail && !dkimPass:
		return "DKIM fail (Authentication-Results from " + authServID + ")"
	case spfFail && !dmarcPass:
		return "SPF fail without DMARC pass (Authentication-Results from " + authServID + ")"
	}
	return ""
}
