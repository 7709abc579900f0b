package core

import (
	"errors"
	"fmt"
)

// Error codes: the one set used by core and every transport, and the
// values of "code" in the API's error bodies (docs/api.md lists them with
// their HTTP statuses; the frontend's types are generated from this list).
const (
	CodeInvalid           = "invalid"             // a field is missing or malformed
	CodeUnknownPermission = "unknown_permission"  // a permission or admin area not in the catalog
	CodeNotFound          = "not_found"           // no such record, route or import
	CodeConflict          = "conflict"            // a duplicate, or a state that forbids the change
	CodeBadJSON           = "bad_json"            // the body is not the JSON the route takes
	CodeBadRequest        = "bad_request"         // the body could not be read
	CodeTooLarge          = "too_large"           // the body is over the route's limit
	CodeUnauthorized      = "unauthorized"        // no or a wrong token, or signed out
	CodeForbidden         = "forbidden"           // the grant does not allow it
	CodeCSRF              = "csrf"                // a state change that did not come from the page
	CodeRateLimited       = "rate_limited"        // too many attempts
	CodeInvalidCode       = "invalid_code"        // a wrong or expired sign-in code
	CodeInvalidTicket     = "invalid_ticket"      // a site sign-in ticket that is used, expired or from elsewhere
	CodeLocked            = "locked"              // the window waits for the owner passphrase
	CodeMethodNotAllowed  = "method_not_allowed"  // the path exists under another method
	CodeMisdirected       = "misdirected"         // a Host serve does not answer for
	CodeChooseAccount     = "choose_account"      // a portal session that has not chosen its client area
	CodeSecondFactor      = "second_factor"       // the session must prove the person's passkey or authenticator app
	CodeSecondFactorSetup = "second_factor_setup" // the grant needs a second factor, and none is set up
	CodeInvalidPasskey    = "invalid_passkey"     // a passkey answer that did not verify
	CodeInternal          = "internal"            // anything unexpected; details in the log
)

// Error is a failure the user can act on: bad input, a missing record, a
// duplicate. Anything else is an internal error.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// RetryAfter is, for rate_limited, how many seconds to wait.
	RetryAfter int `json:"retry_after,omitempty"`
	// Request is, for a refusal of the client area, what an access
	// request would ask for (POST /api/portal/access-requests).
	Request *RequestOffer `json:"request,omitempty"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

func invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

func notFound(what string, id int64) *Error {
	return &Error{Code: CodeNotFound, Message: fmt.Sprintf("%s %d not found", what, id)}
}

// AsError returns err as an *Error when it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
