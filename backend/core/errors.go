package core

import (
	"errors"
	"fmt"
)

// Error codes shared by every transport.
const (
	CodeInvalid           = "invalid"
	CodeUnknownPermission = "unknown_permission"
	CodeNotFound          = "not_found"
	CodeConflict          = "conflict"
	CodeRateLimited       = "rate_limited"
)

// Error is a failure the user can act on: bad input, a missing record, a
// duplicate. Anything else is an internal error.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// RetryAfter is, for rate_limited, how many seconds to wait.
	RetryAfter int `json:"retry_after,omitempty"`
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
