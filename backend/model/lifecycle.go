package model

import "time"

// Access request kinds: what approving one adds to the grant.
const (
	RequestPermission     = "permission"      // Item: a permission name (Adds: it and what it needs)
	RequestService        = "service"         // Item: a service id joins the selection
	RequestAdminArea      = "admin_area"      // Item: an area key
	RequestAdminAll       = "admin_all"       // admin access to everything
	RequestBillingAccount = "billing_account" // billing covers the whole account
	RequestExtend         = "extend"          // the grant's end moves by its length
)

// Access request states.
const (
	RequestPending  = "pending"
	RequestApproved = "approved"
	RequestDeclined = "declined"
	RequestExpired  = "expired"
)

// AccessRequest is a contact asking for what the client area refused.
type AccessRequest struct {
	ID          int64      `json:"id"`
	AccountID   int64      `json:"account_id"`
	ContactID   int64      `json:"contact_id"`
	ContactName string     `json:"contact_name"`
	Kind        string     `json:"kind"`
	Item        string     `json:"item"`
	Adds        []string   `json:"adds"`
	Label       string     `json:"label"`
	Denial      string     `json:"denial"`
	Note        string     `json:"note"`
	Source      string     `json:"source"` // portal or mail
	State       string     `json:"state"`
	Reason      string     `json:"reason"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
	DecidedAt   *time.Time `json:"decided_at"`
	DecidedBy   string     `json:"decided_by,omitempty"`
	// Coalesced: the request joined a pending one for the same thing.
	Coalesced bool `json:"coalesced,omitempty"`
}

// Review decisions.
const (
	ReviewKeep   = "keep"
	ReviewReduce = "reduce"
	ReviewRevoke = "revoke"
)

// Review flags.
const (
	FlagUnused        = "unused"
	FlagHighPrivilege = "high_privilege"
)

// AccessReview is one periodic "is this access still needed?" pass.
type AccessReview struct {
	ID         int64        `json:"id"`
	OpenedAt   time.Time    `json:"opened_at"`
	PeriodDays int          `json:"period_days"`
	FinishedAt *time.Time   `json:"finished_at"`
	FinishedBy string       `json:"finished_by,omitempty"`
	Items      []ReviewItem `json:"items"`
	Undecided  int          `json:"undecided"`
}

// ReviewItem is one contact as the review found it, and the decision.
type ReviewItem struct {
	Position   int        `json:"position"`
	ContactID  int64      `json:"contact_id"` // 0: removed since
	AccountID  int64      `json:"account_id"`
	Name       string     `json:"name"`
	Email      string     `json:"email"`
	Access     string     `json:"access"`
	Flags      []string   `json:"flags"`
	LastSignin *time.Time `json:"last_signin"`
	LastAction *time.Time `json:"last_action"`
	Decision   string     `json:"decision"`
	DecidedAt  *time.Time `json:"decided_at"`
}
