package model

import (
	"encoding/json"
	"time"
)

// ServiceChange is one setting of a service changed, by a contact or the
// owner, with its value before and after (JSON).
type ServiceChange struct {
	ID        int64           `json:"id"`
	ServiceID int64           `json:"service_id"`
	Field     string          `json:"field"`
	Before    json.RawMessage `json:"before"`
	After     json.RawMessage `json:"after"`
	Actor     string          `json:"actor,omitempty"` // as audited; left out for contacts
	ActorName string          `json:"actor_name"`
	ContactID int64           `json:"contact_id"`
	CreatedAt time.Time       `json:"created_at"`
	// Reverts is the change this one undid; RevertedBy the one that undid it.
	Reverts    int64 `json:"reverts"`
	RevertedBy int64 `json:"reverted_by"`
}

// Cancellation states and timings.
const (
	CancelRequested = "requested"
	CancelConfirmed = "confirmed"
	CancelDeclined  = "declined"
	CancelWithdrawn = "withdrawn"

	CancelNow       = "now"
	CancelEndOfTerm = "end_of_term"
)

// Cancellation is a contact's request to cancel a service.
type Cancellation struct {
	ID          int64      `json:"id"`
	ServiceID   int64      `json:"service_id"`
	ContactID   int64      `json:"contact_id"`
	ContactName string     `json:"contact_name"`
	Timing      string     `json:"timing"`
	Reason      string     `json:"reason"`
	State       string     `json:"state"`
	Note        string     `json:"note"`
	EffectiveAt *time.Time `json:"effective_at"`
	CreatedAt   time.Time  `json:"created_at"`
	DecidedAt   *time.Time `json:"decided_at"`
}

// Billing cycles of a product.
var BillingCycles = []string{"one_time", "monthly", "quarterly", "yearly"}

// Product is an entry of the owner's catalogue.
type Product struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	Kind         string    `json:"kind"`
	Description  string    `json:"description"`
	PriceCents   int64     `json:"price_cents"`
	Currency     string    `json:"currency"`
	BillingCycle string    `json:"billing_cycle"`
	Active       bool      `json:"active"`
	CreatedAt    time.Time `json:"created_at"`
}

// Order states.
const (
	OrderPending   = "pending"
	OrderAccepted  = "accepted"
	OrderDeclined  = "declined"
	OrderWithdrawn = "withdrawn"
)

// Order is a contact's order of a product, or of an upgrade of a service.
// The product's name, kind, price and cycle are kept as ordered.
type Order struct {
	ID           int64      `json:"id"`
	AccountID    int64      `json:"account_id"`
	ContactID    int64      `json:"contact_id"`
	ContactName  string     `json:"contact_name"`
	ProductID    int64      `json:"product_id"`
	ProductName  string     `json:"product_name"`
	Kind         string     `json:"kind"`
	PriceCents   int64      `json:"price_cents"`
	Currency     string     `json:"currency"`
	BillingCycle string     `json:"billing_cycle"`
	Upgrade      bool       `json:"upgrade"`
	Label        string     `json:"label"`
	Note         string     `json:"note"`
	State        string     `json:"state"`
	Reason       string     `json:"reason"`
	ServiceID    int64      `json:"service_id"`
	InvoiceID    int64      `json:"invoice_id"`
	CreatedAt    time.Time  `json:"created_at"`
	DecidedAt    *time.Time `json:"decided_at"`
}

// Payment report states and methods.
const (
	ReportReported  = "reported"
	ReportConfirmed = "confirmed"
	ReportRejected  = "rejected"

	MethodBankTransfer = "bank_transfer"
	MethodPaymentLink  = "payment_link"
)

// PaymentReport is a contact saying they paid an invoice.
type PaymentReport struct {
	ID          int64      `json:"id"`
	InvoiceID   int64      `json:"invoice_id"`
	ContactID   int64      `json:"contact_id"`
	ContactName string     `json:"contact_name"`
	Method      string     `json:"method"`
	PaidOn      string     `json:"paid_on"`
	Reference   string     `json:"reference"`
	State       string     `json:"state"`
	Note        string     `json:"note"`
	CreatedAt   time.Time  `json:"created_at"`
	DecidedAt   *time.Time `json:"decided_at"`
}

// SupportReply is one message of a support conversation.
type SupportReply struct {
	ID         int64     `json:"id"`
	RequestID  int64     `json:"request_id"`
	ContactID  int64     `json:"contact_id"`
	FromOwner  bool      `json:"from_owner"`
	AuthorName string    `json:"author_name"`
	Body       string    `json:"body"`
	CreatedAt  time.Time `json:"created_at"`
}

// Notice audiences.
const (
	AudienceClient = "client" // the account's side: its email and contacts
	AudienceOwner  = "owner"
)

// Notice is one mail Grantbook sent about an account, with its recipients.
type Notice struct {
	ID         int64             `json:"id"`
	AccountID  int64             `json:"account_id"`
	ServiceID  int64             `json:"service_id"`
	Kind       string            `json:"kind"`
	Audience   string            `json:"audience"`
	Subject    string            `json:"subject"`
	Body       string            `json:"body"`
	CreatedAt  time.Time         `json:"created_at"`
	Recipients []NoticeRecipient `json:"recipients"`
}

// NoticeRecipient is one copy of a notice. State is the outbox's (pending,
// sent, failed, cancelled) or "unsent" when no mail server was set up.
type NoticeRecipient struct {
	Name      string `json:"name"`
	Email     string `json:"email,omitempty"` // left out for contacts
	ContactID int64  `json:"contact_id"`
	State     string `json:"state"`
}
