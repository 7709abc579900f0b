package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"grantbook/backend/core"
)

// hubWrites are the owner's changes a paired hub still takes itself: its
// own mail and sign-in state, pairing, ending sessions, and the records
// both sides write (support, declining a request). Everything else the
// owner changes on the desktop, whose signed events the hub applies; made
// here, the desktop would refuse it and the hub would show what never was.
var hubWrites = map[string]bool{
	"PUT /api/settings/mail":                    true,
	"POST /api/settings/mail/test":              true,
	"POST /api/settings/template/preview":       true,
	"POST /api/settings/token":                  true,
	"PUT /api/lock":                             true,
	"POST /api/contacts/{id}/sessions/revoke":   true,
	"POST /api/contacts/{id}/factors/reset":     true,
	"POST /api/access-requests/{id}/decline":    true,
	"POST /api/support/{id}/replies":            true,
	"POST /api/support/{id}/status":             true,
	"POST /api/sync/hub/code":                   true,
	"DELETE /api/sync/hub/peers/{origin}":       true,
	"POST /api/oidc/keys/rotate":                true,
	"POST /api/oidc/clients/{client_id}/secret": true,
	"PUT /api/oidc/clients/{client_id}":         true,
	"DELETE /api/oidc/clients/{client_id}":      true,
}

// hubRefuses answers 409 to an owner change a paired hub leaves to the
// desktop. A contact may still be suspended here, an emergency stop the
// hub may make (it only reduces access).
func (s *Server) hubRefuses(w http.ResponseWriter, r *http.Request, pattern string) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead || hubWrites[pattern] {
		return false
	}
	return s.pairedRefuses(w, r, pattern == "PATCH /api/contacts/{id}",
		"this hub takes the owner's changes from your desktop app: make this change there (here you can suspend a contact, end sessions, answer support and set up mail)")
}

// pairedRefuses answers 409 with msg when a desktop is paired with this
// hub, unless suspending is allowed and r's body only suspends.
func (s *Server) pairedRefuses(w http.ResponseWriter, r *http.Request, suspendOK bool, msg string) bool {
	h, err := s.api.sync.hubSide()
	if err != nil || !h.Paired() || suspendOK && suspendsOnly(r) {
		return false
	}
	writeError(w, http.StatusConflict, &core.Error{Code: core.CodeConflict, Message: msg})
	return true
}

// suspendsOnly tells whether r's body is {"status":"suspended"} and no
// more; the body stays readable for the handler.
func suspendsOnly(r *http.Request) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, 4096))
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b), r.Body))
	if err != nil {
		return false
	}
	var in map[string]json.RawMessage
	if json.Unmarshal(b, &in) != nil || len(in) != 1 {
		return false
	}
	var status string
	return json.Unmarshal(in["status"], &status) == nil && strings.TrimSpace(status) == "suspended"
}

// hubPortalWrites are what a contact with contacts.manage may not do on a
// paired hub: add, invite, change or remove the people of the account,
// which makes or widens grants only the owner's desktop may. Suspending
// one stays (it only reduces access).
var hubPortalWrites = map[string]bool{
	"POST /api/portal/contacts":        true,
	"POST /api/portal/invitations":     true,
	"PATCH /api/portal/contacts/{id}":  true,
	"DELETE /api/portal/contacts/{id}": true,
}

// hubRefusesPortal answers 409 to those on a paired hub.
func (s *Server) hubRefusesPortal(w http.ResponseWriter, r *http.Request, pattern string) bool {
	return hubPortalWrites[pattern] && s.pairedRefuses(w, r, pattern == "PATCH /api/portal/contacts/{id}",
		"the people of this account are managed by its owner from their computer: ask them to add or change access (you can still suspend someone here)")
}
