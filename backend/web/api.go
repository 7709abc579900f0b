// Package web serves Grantbook's JSON API and its frontend over HTTP, to a
// browser (Server) and to the desktop window through Wails' asset server
// (Window): the same handlers either way.
package web

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/version"
)

//go:generate go run ./tsgen -o ../../frontend/src/lib/api-types.ts

// maxBody bounds request bodies: the API takes small JSON documents only.
const maxBody = 1 << 20

// API serves /api/ on top of the core. It does no owner authentication:
// Server adds the token for the network, Window the passphrase for the
// desktop window.
type API struct {
	app *core.App
	mux *http.ServeMux
	// served are the routes as mux serves them (contact and person routes
	// behind their session): Server routes them itself, behind the owner's
	// token where they need it, with these very handlers.
	served []Route
	log    *slog.Logger
	// owner is serve's token (nil in the desktop window, which needs none).
	owner *OwnerToken

	// sync is the pairing with a hub (syncops.go).
	sync *syncs

	signinLimit *limiter // code requests per client address
	verifyLimit *limiter // code guesses per client address
}

// NewAPI builds the API handler.
func NewAPI(app *core.App, log *slog.Logger) *API {
	if log == nil {
		log = slog.Default()
	}
	a := &API{app: app, mux: http.NewServeMux(), log: log, sync: &syncs{app: app},
		signinLimit: newLimiter(5, time.Minute), verifyLimit: newLimiter(10, time.Minute)}
	for _, r := range a.routes() {
		if r.Auth == Contact || r.Auth == Person {
			r.Handler = a.session(r.Handler, r.Auth == Contact)
		}
		a.served = append(a.served, r)
		a.mux.HandleFunc(r.Pattern, r.Handler)
	}
	a.mux.HandleFunc("/api/", a.noRoute)
	return a
}

// noRoute answers 405 when the path exists under another method, else 404.
func (a *API) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := a.mux.Handler(probe); pattern != "/api/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, http.StatusMethodNotAllowed, &core.Error{Code: core.CodeMethodNotAllowed, Message: r.Method + " is not allowed here; use " + strings.Join(allow, " or ")})
		return
	}
	writeError(w, http.StatusNotFound, &core.Error{Code: core.CodeNotFound, Message: "no such API endpoint: " + r.Method + " " + r.URL.Path})
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// Auth says who may call a route.
type Auth string

const (
	// Public routes need no credentials (health, asking for a sign-in code).
	Public Auth = "public"
	// Owner routes need the owner's bearer token (or the desktop window).
	Owner Auth = "owner"
	// Contact routes need a contact's session cookie with an account
	// chosen, and a CSRF header on anything that changes state.
	Contact Auth = "contact"
	// Person routes need the session cookie only: the signed-in person
	// lists, chooses or leaves their accounts.
	Person Auth = "person"
	// Desktop routes exist only in the desktop window (Window), where the
	// owner is whoever runs it.
	Desktop Auth = "desktop"
)

// Route is one endpoint and who may call it.
type Route struct {
	Pattern string
	Auth    Auth
	Handler http.HandlerFunc
}

func (a *API) routes() []Route {
	return slices.Concat(a.coreRoutes(), a.csvRoutes(), a.tokenRoutes(), a.portalActionRoutes(), a.ownerClientRoutes(), a.siteRoutes(),
		a.lifecycleRoutes(), a.factorRoutes(), a.syncRoutes())
}

func (a *API) coreRoutes() []Route {
	return []Route{
		{"GET /api/health", Public, a.health},
		{"GET /api/accounts", Owner, plain(a, "accounts", a.app.Accounts)},
		{"POST /api/accounts", Owner, a.createAccount},
		{"GET /api/accounts/{id}", Owner, byID(a, http.StatusOK, "", a.app.Account)},
		{"GET /api/accounts/{id}/services", Owner, byID(a, http.StatusOK, "services", a.app.Services)},
		{"POST /api/accounts/{id}/services", Owner, byIDWith(a, http.StatusCreated, a.app.CreateService)},
		{"GET /api/contacts", Owner, a.listContacts},
		{"POST /api/contacts", Owner, with(a, http.StatusCreated, a.app.CreateContact)},
		{"GET /api/contacts/lookup", Owner, a.lookupContact},
		{"GET /api/contacts/{id}", Owner, byID(a, http.StatusOK, "", a.app.Contact)},
		{"PATCH /api/contacts/{id}", Owner, byIDWith(a, http.StatusOK, a.app.UpdateContact)},
		{"DELETE /api/contacts/{id}", Owner, deleted(a, a.app.DeleteContact)},
		{"GET /api/contacts/{id}/access", Owner, a.contactAccess},
		{"GET /api/permissions", Owner, plain(a, "", a.app.Catalog)},
		{"GET /api/check", Owner, a.check},
		{"GET /api/audit", Owner, a.audit},
		{"GET /api/audit.csv", Owner, a.exportAudit},
		{"POST /api/contacts/bulk", Owner, with(a, http.StatusOK, a.app.BulkContacts)},
		{"GET /api/settings/time-zone", Owner, plain(a, "", a.app.OwnerTimeZone)},
		{"PUT /api/settings/time-zone", Owner, with(a, http.StatusOK, a.app.PutOwnerTimeZone)},
		{"POST /api/settings/template/preview", Owner, with(a, http.StatusOK, a.app.PreviewTemplate)},
		{"GET /api/invitations", Owner, a.listInvitations},
		{"POST /api/invitations", Owner, with(a, http.StatusCreated, a.app.Invite)},
		{"GET /api/invitations/{id}", Owner, a.getInvitation},
		{"POST /api/invitations/{id}/resend", Owner, byID(a, http.StatusOK, "", a.app.Resend)},
		{"POST /api/invitations/{id}/revoke", Owner, byID(a, http.StatusOK, "", a.app.Revoke)},
		{"POST /api/invitations/{id}/confirm", Owner, byID(a, http.StatusOK, "", a.app.ConfirmReply)},
		{"POST /api/invitations/{id}/reject", Owner, byID(a, http.StatusOK, "", a.app.RejectReply)},
		{"POST /api/invitations/{id}/confirm-bounce", Owner, byID(a, http.StatusOK, "", a.app.ConfirmBounce)},
		{"POST /api/invitations/{id}/dismiss-notice", Owner, byID(a, http.StatusOK, "", a.app.DismissNotice)},
		{"GET /api/mail/events", Owner, a.mailEvents},
		{"GET /api/mail/status", Owner, plain(a, "", a.app.MailStatus)},
		{"GET /api/settings/mail", Owner, plain(a, "", a.app.MailSettings)},
		{"PUT /api/settings/mail", Owner, with(a, http.StatusOK, a.app.PutMailSettings)},
		{"POST /api/settings/mail/test", Owner, a.testMail},
		{"GET /api/settings/template", Owner, a.getTemplate},
		{"PUT /api/settings/template", Owner, with(a, http.StatusOK, a.app.PutTemplate)},
		{"GET /api/settings/client-area", Owner, plain(a, "", a.app.ClientArea)},
		{"PUT /api/settings/client-area", Owner, with(a, http.StatusOK, a.app.PutClientArea)},
		{"PATCH /api/accounts/{id}", Owner, byIDWith(a, http.StatusOK, a.app.UpdateAccount)},
		{"GET /api/accounts/{id}/invoices", Owner, byID(a, http.StatusOK, "invoices", a.app.Invoices)},
		{"POST /api/accounts/{id}/invoices", Owner, byIDWith(a, http.StatusCreated, a.app.CreateInvoice)},
		{"GET /api/accounts/{id}/quotes", Owner, byID(a, http.StatusOK, "quotes", a.app.Quotes)},
		{"POST /api/accounts/{id}/quotes", Owner, byIDWith(a, http.StatusCreated, a.app.CreateQuote)},
		{"GET /api/accounts/{id}/support", Owner, byID(a, http.StatusOK, "support_requests", a.app.SupportRequests)},
		{"POST /api/accounts/{id}/support", Owner, byIDWith(a, http.StatusCreated, a.app.CreateSupport)},
		{"GET /api/contacts/{id}/sessions", Owner, byID(a, http.StatusOK, "sessions", a.app.Sessions)},
		{"POST /api/contacts/{id}/sessions/revoke", Owner, a.revokeSessions},
		{"GET /api/lock", Owner, a.lockStatus},
		{"PUT /api/lock", Owner, a.setLock},
		{"GET /api/backup", Owner, a.backup},
		{"POST /api/restore", Owner, a.restore},

		{"POST /api/portal/signin", Public, a.portalSignin},
		{"POST /api/portal/verify", Public, a.portalVerify},
		{"GET /api/portal/return", Public, a.signinReturn},
		{"POST /api/portal/signout", Person, a.portalSignout},
		{"GET /api/portal/accounts", Person, a.portalAccounts},
		{"POST /api/portal/account", Person, a.chooseAccount},
		{"GET /api/portal/me", Contact, asContact(a, "", a.app.Home)},
		{"GET /api/portal/grantable", Contact, asContact(a, "", a.app.PortalGrantable)},
		{"GET /api/portal/services", Contact, asContact(a, "services", a.app.PortalServices)},
		{"GET /api/portal/invoices", Contact, asContact(a, "invoices", a.app.PortalInvoices)},
		{"GET /api/portal/quotes", Contact, asContact(a, "quotes", a.app.PortalQuotes)},
		{"GET /api/portal/support", Contact, asContact(a, "support_requests", a.app.PortalSupport)},
		{"POST /api/portal/support", Contact, asContactWith(a, http.StatusCreated, a.app.OpenSupport)},
		{"GET /api/portal/profile", Contact, asContact(a, "", a.app.PortalProfile)},
		{"PATCH /api/portal/profile", Contact, asContactWith(a, http.StatusOK, a.app.EditProfile)},
	}
}

// Routes lists the endpoints with their auth decision (used by Server and
// by tests that require every route to have one).
func (a *API) Routes() []Route { return a.routes() }

func (a *API) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": version.Version})
}

func (a *API) createAccount(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	if !decode(w, r, &in) {
		return
	}
	acc, err := a.app.CreateAccount(r.Context(), in.Name)
	a.reply(w, r, http.StatusCreated, acc, err)
}

func (a *API) listContacts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f core.ContactFilter
	var ok bool
	if f.AccountID, ok = queryInt(w, q.Get("account_id"), "account_id"); !ok {
		return
	}
	if f.Limit, f.Offset, ok = paging(w, q); !ok {
		return
	}
	f.Query, f.Preset, f.Status = q.Get("q"), q.Get("preset"), q.Get("status")
	p, err := a.app.ContactPage(r.Context(), f, q.Get("after"))
	if err != nil {
		a.reply(w, r, http.StatusOK, nil, err)
		return
	}
	writeAppended(w, nil, p)
}

func (a *API) lookupContact(w http.ResponseWriter, r *http.Request) {
	email := strings.TrimSpace(r.URL.Query().Get("email"))
	if email == "" {
		writeError(w, http.StatusUnprocessableEntity, &core.Error{Code: core.CodeInvalid, Field: "email", Message: "email is required"})
		return
	}
	acc, ok := queryInt(w, r.URL.Query().Get("account_id"), "account_id")
	if !ok {
		return
	}
	c, err := a.app.LookupEmail(r.Context(), email, acc)
	if c == nil && err == nil {
		writeJSON(w, http.StatusOK, map[string]any{"found": false})
		return
	}
	a.reply(w, r, http.StatusOK, map[string]any{"found": true, "contact": c}, err)
}

func (a *API) contactAccess(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	svc, ok := queryInt(w, r.URL.Query().Get("service_id"), "service_id")
	if !ok {
		return
	}
	rows, err := a.app.EffectiveAccess(r.Context(), id, svc)
	a.reply(w, r, http.StatusOK, map[string]any{"rows": rows}, err)
}

func (a *API) check(w http.ResponseWriter, r *http.Request) {
	q := query(r.URL.RawQuery)
	cid, ok := queryInt(w, q.Get("contact_id"), "contact_id")
	if !ok {
		return
	}
	if cid == 0 {
		writeError(w, http.StatusUnprocessableEntity, &core.Error{Code: core.CodeInvalid, Field: "contact_id", Message: "contact_id is required"})
		return
	}
	perm := q.Get("permission")
	if perm == "" {
		writeError(w, http.StatusUnprocessableEntity, &core.Error{Code: core.CodeInvalid, Field: "permission", Message: "permission is required"})
		return
	}
	sid, ok := queryInt(w, q.Get("service_id"), "service_id")
	if !ok {
		return
	}
	res, err := a.app.Check(r.Context(), cid, perm, sid)
	if err != nil {
		a.reply(w, r, http.StatusOK, nil, err)
		return
	}
	writeBuilt(w, res.AppendJSON)
}

func (a *API) listInvitations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f core.InvitationFilter
	var ok bool
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"account_id", &f.AccountID}, {"contact_id", &f.ContactID}} {
		if *p.dst, ok = queryInt(w, q.Get(p.name), p.name); !ok {
			return
		}
	}
	if f.Limit, f.Offset, ok = paging(w, q); !ok {
		return
	}
	f.State = q.Get("state")
	invs, total, err := a.app.Invitations(r.Context(), f)
	a.reply(w, r, http.StatusOK, map[string]any{"invitations": invs, "total": total}, err)
}

func (a *API) getInvitation(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	inv, err := a.app.Invitation(r.Context(), id)
	if err != nil {
		a.reply(w, r, 0, nil, err)
		return
	}
	events, err := a.app.MailEvents(r.Context(), id, 100)
	a.reply(w, r, http.StatusOK, map[string]any{"invitation": inv, "mail_events": events}, err)
}

func (a *API) mailEvents(w http.ResponseWriter, r *http.Request) {
	inv, ok := queryInt(w, r.URL.Query().Get("invitation_id"), "invitation_id")
	if !ok {
		return
	}
	lim, ok := queryInt(w, r.URL.Query().Get("limit"), "limit")
	if !ok {
		return
	}
	events, err := a.app.MailEvents(r.Context(), inv, int(lim))
	a.reply(w, r, http.StatusOK, map[string]any{"events": events}, err)
}

func (a *API) testMail(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Which string `json:"which"`
	}
	if !decode(w, r, &in) {
		return
	}
	res, err := a.app.TestMail(r.Context(), in.Which)
	a.reply(w, r, http.StatusOK, res, err)
}

func (a *API) getTemplate(w http.ResponseWriter, r *http.Request) {
	t, err := a.app.Template(r.Context())
	a.reply(w, r, http.StatusOK, map[string]any{"template": t, "default": core.DefaultTemplate}, err)
}
