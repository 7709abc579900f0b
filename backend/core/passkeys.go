package core

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// Passkeys sign a contact in with nothing else: discoverable credentials
// (the browser offers the person's passkeys, no address is typed), so the
// sign-in page never tells whether an address has a passkey. Registration
// and sign-in require user verification (a PIN or biometrics), which makes
// a passkey two factors in itself.

// CeremonyTTL is how long a passkey prompt may take.
const CeremonyTTL = 5 * time.Minute

// RelyingParty is who passkeys are made for: the client area's host (its
// RP ID) and origin.
type RelyingParty struct {
	ID, Origin string
}

// RelyingParty is taken from the client area's address when set, else from
// the request on this computer (localhost: browsers refuse IP addresses as
// RP IDs). A passkey made for one works only there.
func (a *App) RelyingParty(ctx context.Context, host string, https bool) (RelyingParty, error) {
	ca, err := a.ClientArea(ctx)
	if err != nil {
		return RelyingParty{}, err
	}
	if ca.Address != "" {
		return RelyingParty{ID: ca.Host, Origin: ca.Address}, nil
	}
	name := host
	if h, _, ok := strings.Cut(host, ":"); ok && !strings.HasPrefix(host, "[") {
		name = h
	}
	if !strings.EqualFold(name, "localhost") {
		return RelyingParty{}, invalid("passkey", "passkeys need the client area's address: the owner sets it "+
			"in Settings → Client area (on this computer, open the client area at http://localhost instead of an IP address)")
	}
	scheme := "http"
	if https {
		scheme = "https"
	}
	return RelyingParty{ID: "localhost", Origin: scheme + "://" + strings.ToLower(host)}, nil
}

func (rp RelyingParty) webauthn() (*webauthn.WebAuthn, error) {
	return webauthn.New(&webauthn.Config{RPID: rp.ID, RPDisplayName: "Grantbook", RPOrigins: []string{rp.Origin}})
}

// person is a WebAuthn user: an address with its random handle.
type person struct {
	handle  []byte
	email   string
	keys    []*store.Passkey
	creds   []webauthn.Credential
	created bool // the handle is new: store it with the first passkey
}

func (u *person) WebAuthnID() []byte                         { return u.handle }
func (u *person) WebAuthnName() string                       { return u.email }
func (u *person) WebAuthnDisplayName() string                { return u.email }
func (u *person) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// loadPerson reads a person's handle (made when there is none and create is
// set) and passkeys.
func (a *App) loadPerson(ctx context.Context, emailKey string, create bool) (*person, error) {
	u := &person{email: emailKey}
	h, err := a.store.PersonHandle(ctx, emailKey)
	switch {
	case errors.Is(err, store.ErrNotFound) && create:
		u.handle, u.created = make64(), true
	case err != nil:
		return nil, err
	default:
		u.handle = h
	}
	if u.keys, err = a.store.Passkeys(ctx, emailKey); err != nil {
		return nil, err
	}
	for _, k := range u.keys {
		var c webauthn.Credential
		if err := json.Unmarshal([]byte(k.Credential), &c); err != nil {
			return nil, fmt.Errorf("passkey %d is damaged: %w", k.ID, err)
		}
		u.creds = append(u.creds, c)
	}
	return u, nil
}

func make64() []byte {
	b := make([]byte, 64)
	rand.Read(b)
	return b
}

// ceremonies hold the state of passkey prompts between their two steps;
// each is used once. In memory: a prompt cut by a restart is asked again.
type ceremonies struct {
	mu sync.Mutex
	m  map[string]ceremony
}

type ceremony struct {
	data    webauthn.SessionData
	user    *person
	expires time.Time
}

func (c *ceremonies) put(key string, cer ceremony) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]ceremony{}
	}
	for k, v := range c.m {
		if time.Now().After(v.expires.Add(time.Hour)) {
			delete(c.m, k) // forgotten prompts
		}
	}
	c.m[key] = cer
}

func (c *ceremonies) take(key string, now time.Time) (ceremony, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cer, ok := c.m[key]
	delete(c.m, key)
	return cer, ok && now.Before(cer.expires)
}

var errPasskeyExpired = invalid("credential", "the passkey prompt expired or was answered already: try again")

func sessionKey(p *Principal, what string) string {
	return "session " + strconv.FormatInt(p.Session.ID, 10) + " " + what
}

// mayChangeFactors refuses a session opened with an emailed code alone
// when the person has a factor: whoever read the mail must not add or
// remove one.
func (a *App) mayChangeFactors(ctx context.Context, p *Principal) error {
	if p.Session.Factor != "" {
		return nil
	}
	n, err := a.store.CountFactors(ctx, p.Session.EmailKey)
	if err == nil && n > 0 {
		return ErrFactorVerify
	}
	return err
}

// BeginPasskey starts adding a passkey for the signed-in person.
func (a *App) BeginPasskey(ctx context.Context, p *Principal, rp RelyingParty) (*protocol.CredentialCreation, error) {
	if err := a.mayChangeFactors(ctx, p); err != nil {
		return nil, err
	}
	w, err := rp.webauthn()
	if err != nil {
		return nil, err
	}
	u, err := a.loadPerson(ctx, p.Session.EmailKey, true)
	if err != nil {
		return nil, err
	}
	var exclude []protocol.CredentialDescriptor
	for i := range u.creds {
		exclude = append(exclude, u.creds[i].Descriptor())
	}
	yes := true
	creation, data, err := w.BeginRegistration(u, webauthn.WithExclusions(exclude),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{RequireResidentKey: &yes,
			ResidentKey: protocol.ResidentKeyRequirementRequired, UserVerification: protocol.VerificationRequired}),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation))
	if err != nil {
		return nil, err
	}
	a.ceremonies.put(sessionKey(p, "register"), ceremony{data: *data, user: u, expires: a.now().Add(CeremonyTTL)})
	return creation, nil
}

// PasskeyInput finishes a passkey prompt: the browser's answer (the
// PublicKeyCredential as JSON) and, when adding one, its name.
type PasskeyInput struct {
	Name       string          `json:"name"`
	Credential json.RawMessage `json:"credential"`
}

// FinishPasskey verifies the new passkey and stores it; adding one proves
// the session's second factor.
func (a *App) FinishPasskey(ctx context.Context, p *Principal, rp RelyingParty, in PasskeyInput) (*store.Passkey, error) {
	name := strings.TrimSpace(in.Name)
	if name == "" {
		name = "Passkey"
	}
	if len(name) > 100 {
		return nil, invalid("name", "the name is too long (100 characters at most)")
	}
	cer, ok := a.ceremonies.take(sessionKey(p, "register"), a.now())
	if !ok {
		return nil, errPasskeyExpired
	}
	w, err := rp.webauthn()
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(in.Credential)
	if err != nil {
		return nil, invalid("credential", "the browser's answer is not a passkey: %v", err)
	}
	cred, err := w.CreateCredential(cer.user, cer.data, parsed)
	if err != nil {
		return nil, invalid("credential", "the passkey could not be verified: %v", err)
	}
	raw, err := json.Marshal(cred)
	if err != nil {
		return nil, err
	}
	now := a.now().UTC().Truncate(time.Second)
	pk := &store.Passkey{EmailKey: p.Session.EmailKey, CredentialID: cred.ID, Credential: string(raw), Name: name, CreatedAt: now}
	err = a.change(asPerson(ctx, p), func(tx *store.Tx, e *model.AuditEntry) error {
		if err := tx.PutPersonHandle(ctx, p.Session.EmailKey, cer.user.handle); err != nil {
			return err
		}
		if err := tx.InsertPasskey(ctx, pk); errors.Is(err, store.ErrDuplicate) {
			return conflict("this passkey is registered already")
		} else if err != nil {
			return err
		}
		if err := proved(ctx, tx, p, "passkey"); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Summary = "factor.passkey.add", "contact", personContact(p), "Added a passkey: "+name
		return a.tellPerson(ctx, tx, p, "A passkey was added", "a passkey named \""+name+"\" now signs you in to the client area. "+
			"If this was not you, tell the owner at once.")
	})
	if err != nil {
		return nil, err
	}
	a.wake()
	return pk, nil
}

// asPerson names the signed-in person as the actor.
func asPerson(ctx context.Context, p *Principal) context.Context {
	return WithActor(ctx, "contact "+p.Session.EmailKey)
}

// personContact is the contact the audit row is about: the chosen one, or
// the person's first.
func personContact(p *Principal) int64 {
	if p.Contact != nil {
		return p.Contact.ID
	}
	if len(p.Choices) > 0 {
		return p.Choices[0].ID
	}
	return 0
}

// tellPerson mails the person (as their chosen or first contact).
func (a *App) tellPerson(ctx context.Context, tx *store.Tx, p *Principal, subject, body string) error {
	c := p.Contact
	if c == nil && len(p.Choices) > 0 {
		c = p.Choices[0]
	}
	if c == nil {
		return nil
	}
	return a.toClient(ctx, tx, c.AccountID, 0, "factors", subject, body, false, contactTo(c))
}
