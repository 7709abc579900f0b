// Package model holds the records Grantbook stores and serves.
package model

import "time"

// Account is one of the owner's client accounts.
type Account struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Email   string `json:"email"`
	Phone   string `json:"phone"`
	Address string `json:"address"`
	// HolderContactID is the account holder's contact (0: none named): no
	// other contact may manage them.
	HolderContactID int64     `json:"holder_contact_id"`
	CreatedAt       time.Time `json:"created_at"`
	ServiceCount    int       `json:"service_count"`
	ContactCount    int       `json:"contact_count"`
}

// Service is a purchase of an account: hosting, a domain, a licence...
type Service struct {
	ID        int64     `json:"id"`
	AccountID int64     `json:"account_id"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	// Settings holds the values of the kind's fields (see servicekind).
	Settings  map[string]any `json:"settings"`
	ProductID int64          `json:"product_id"`
	RenewsAt  *time.Time     `json:"renews_at"` // end of the current term
	CancelAt  *time.Time     `json:"cancel_at"` // a confirmed cancellation at the end of the term
}

// Service kinds and statuses.
var (
	ServiceKinds    = []string{"hosting", "domain", "licence", "email", "other"}
	ServiceStatuses = []string{"active", "suspended", "cancelled"}
)

// Contact statuses as stored.
const (
	StatusActive    = "active"
	StatusInvited   = "invited"
	StatusSuspended = "suspended"
	// StatusExpired is derived: an active contact whose grant has expired.
	StatusExpired = "expired"
	// Derived from an invited contact's latest invitation, which no longer
	// waits for an answer: it can be sent again.
	StatusDeclined          = "declined"
	StatusInvitationExpired = "invitation_expired"
	StatusBounced           = "invitation_bounced"
	StatusRevoked           = "invitation_revoked"
)

// Contact is a person with access to one account.
type Contact struct {
	ID          int64  `json:"id"`
	AccountID   int64  `json:"account_id"`
	AccountType string `json:"account_type"`
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name"`
	Email       string `json:"email"`
	Phone       string `json:"phone"`
	Company     string `json:"company"`
	Role        string `json:"role"`
	Status      string `json:"status"`
	// EffectiveStatus is Status with expiry applied, filled when served.
	EffectiveStatus string       `json:"effective_status"`
	Grant           Grant        `json:"grant"`
	Admin           *AdminAccess `json:"admin"`
	CreatedAt       time.Time    `json:"created_at"`
	UpdatedAt       time.Time    `json:"updated_at"`
	// Invitation is the latest invitation of an invited contact, filled
	// when served.
	Invitation *ContactInvitation `json:"invitation,omitempty"`
}

// ContactInvitation is where a contact's latest invitation stands.
type ContactInvitation struct {
	ID        int64      `json:"id"`
	State     string     `json:"state"`
	ExpiresAt time.Time  `json:"expires_at"`
	DecidedAt *time.Time `json:"decided_at"`
}

// Name is the contact's display name.
func (c *Contact) Name() string {
	return c.FirstName + c.NameSep() + c.LastName
}

// NameSep is what Name puts between first and last name: a space when
// both are set. (A caller adding to the name writes it in one
// concatenation with it: one allocation.)
func (c *Contact) NameSep() string {
	if c.FirstName == "" || c.LastName == "" {
		return ""
	}
	return " "
}

// Grant is a contact's client-area access.
type Grant struct {
	Preset      string     `json:"preset"`
	Permissions []string   `json:"permissions"`
	AllServices bool       `json:"all_services"`
	ServiceIDs  []int64    `json:"service_ids"`
	ExpiresAt   *time.Time `json:"expires_at"`
	// BillingScope is "services" (billing follows the selection) or
	// "account" (invoices of the whole account).
	BillingScope string `json:"billing_scope"`
	// TermDays is the length the expiry was given for: an extension by
	// "the original length" adds it (0: unknown or no expiry).
	TermDays int `json:"term_days"`
}

// Billing scopes of a grant.
const (
	BillingServices = "services"
	BillingAccount  = "account"
)

// AdminAccess is a contact's access to the owner's site administration.
type AdminAccess struct {
	All   bool     `json:"all"`
	Areas []string `json:"areas"`
}

// AuditEntry records one change.
type AuditEntry struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	Action   string    `json:"action"`
	Entity   string    `json:"entity"`
	EntityID int64     `json:"entity_id"`
	Summary  string    `json:"summary"`
	Before   any       `json:"before"`
	After    any       `json:"after"`
	// Contacts are the contacts the entry concerns besides its entity (a
	// bulk action's, an import's updates); an invitation's is added itself.
	Contacts []int64 `json:"-"`
}

// Invitation states.
const (
	InvQueued = "queued"
	InvSent   = "sent"
	// InvAwaiting: a reply came that could not be verified; the owner
	// confirms or rejects it (Review says what it asked for).
	InvAwaiting = "awaiting"
	InvAccepted = "accepted"
	InvDeclined = "declined"
	InvExpired  = "expired"
	InvRevoked  = "revoked"
	InvBounced  = "bounced"
	// InvVoided: the contact was suspended or removed while invited.
	InvVoided = "voided"
)

// Invitation notices: a delivery report that changes nothing by itself.
const (
	NoticePossibleBounce = "possible_bounce"
	NoticeDelayed        = "delayed"
)

// Invitation asks a contact, by email, to accept a grant by replying.
type Invitation struct {
	ID        int64      `json:"id"`
	AccountID int64      `json:"account_id"`
	ContactID int64      `json:"contact_id"`
	Email     string     `json:"email"`
	Name      string     `json:"name"`
	Token     string     `json:"-"`
	MessageID string     `json:"message_id"`
	State     string     `json:"state"`
	Detail    string     `json:"detail"`
	Note      string     `json:"note"`
	CreatedAt time.Time  `json:"created_at"`
	SentAt    *time.Time `json:"sent_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	DecidedAt *time.Time `json:"decided_at"`
	// Review is what an awaiting reply asked for: accept or decline.
	Review string `json:"review"`
	// Notice is a possible bounce or a delivery delay, with its detail.
	Notice       string     `json:"notice"`
	NoticeDetail string     `json:"notice_detail"`
	NoticeAt     *time.Time `json:"notice_at"`
	// AwaitingReason says why an awaiting reply waits: "unverified" (the
	// sender could not be verified) or "high_privilege" (the owner asked
	// to confirm Full, admin or payment access).
	AwaitingReason string     `json:"awaiting_reason"`
	RemindedAt     *time.Time `json:"reminded_at"`
	// ExpiresInDays is, for a pending invitation, the whole days left
	// (0: expires within a day); filled when served.
	ExpiresInDays *int `json:"expires_in_days"`
}

// Pending reports whether the invitation still waits for an answer.
func (i *Invitation) Pending() bool {
	return i.State == InvQueued || i.State == InvSent || i.State == InvAwaiting
}

// OutboxMessage is one mail waiting to be sent, or sent.
type OutboxMessage struct {
	ID            int64
	MessageID     string
	Kind          string
	RefID         int64
	From          string
	To            string
	Raw           []byte
	State         string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
}

// MailEvent records what the classifier decided about one message.
type MailEvent struct {
	ID           int64     `json:"id"`
	At           time.Time `json:"at"`
	InvitationID int64     `json:"invitation_id"`
	UID          uint32    `json:"uid"`
	MessageID    string    `json:"message_id"`
	From         string    `json:"from"`
	Subject      string    `json:"subject"`
	Verdict      string    `json:"verdict"`
	Reason       string    `json:"reason"`
}

// Invoice is a bill of an account, optionally for one service.
type Invoice struct {
	ID          int64      `json:"id"`
	AccountID   int64      `json:"account_id"`
	ServiceID   int64      `json:"service_id"` // 0: not tied to a service
	Number      string     `json:"number"`
	AmountCents int64      `json:"amount_cents"`
	Currency    string     `json:"currency"`
	Status      string     `json:"status"` // unpaid, reported (a contact reported paying), paid
	IssuedAt    time.Time  `json:"issued_at"`
	DueAt       *time.Time `json:"due_at"`
	PaidAt      *time.Time `json:"paid_at"`
	PaidBy      string     `json:"paid_by"`
}

// Quote is an offer made to an account.
type Quote struct {
	ID           int64      `json:"id"`
	AccountID    int64      `json:"account_id"`
	Number       string     `json:"number"`
	Title        string     `json:"title"`
	AmountCents  int64      `json:"amount_cents"`
	Currency     string     `json:"currency"`
	IssuedAt     time.Time  `json:"issued_at"`
	Status       string     `json:"status"` // open, accepted, declined
	DecidedAt    *time.Time `json:"decided_at"`
	DecidedBy    string     `json:"decided_by"` // a contact's name
	DecisionNote string     `json:"decision_note"`
}

// SupportRequest is a ticket of an account, optionally about one service.
type SupportRequest struct {
	ID        int64  `json:"id"`
	AccountID int64  `json:"account_id"`
	ServiceID int64  `json:"service_id"` // 0: not about a service
	Subject   string `json:"subject"`
	Body      string `json:"body"`
	Status    string `json:"status"` // open, answered, closed
	// OpenedBy is the actor as audited (an address); contacts are shown
	// OpenedByName only.
	OpenedBy          string    `json:"opened_by,omitempty"`
	OpenedByContactID int64     `json:"opened_by_contact_id"`
	OpenedByName      string    `json:"opened_by_name"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// Session is a person signed in to the portal. It may act as several
// contacts (one address, several accounts); ContactID is the one chosen
// (0: none yet). In the owner's list of a contact's sessions, ContactID is
// that contact and RevokedAt when it was signed out of the session.
type Session struct {
	ID         int64      `json:"id"`
	ContactID  int64      `json:"contact_id"`
	EmailKey   string     `json:"-"` // the address signed in with
	CSRFToken  string     `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	LastSeen   time.Time  `json:"last_seen"`
	ExpiresAt  time.Time  `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	UserAgent  string     `json:"user_agent"`
	RemoteAddr string     `json:"remote_addr"`
	// Factor is the second factor the session proved: "" (the emailed
	// code only), "passkey" or "totp".
	Factor string `json:"factor"`
}
