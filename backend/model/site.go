package model

import "time"

// Site is one of the owner's own websites: its administration is what admin
// access opens, enforced by forward authentication or OpenID Connect.
type Site struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// BaseURL is where visitors reach the site (scheme and host, maybe a
	// port); empty until the owner sets the site up.
	BaseURL string `json:"base_url"`
	// Unlisted says who may open a guarded path under no area.
	Unlisted  string     `json:"unlisted"`
	Areas     []SiteArea `json:"areas"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// SiteArea is one part of a site's administration. Name is the stable key
// grants store; keys are unique across sites.
type SiteArea struct {
	Name     string   `json:"name"`
	Label    string   `json:"label"`
	Prefixes []string `json:"prefixes"`
}

// Who may open a guarded path of a site that is under no area.
const (
	UnlistedAnyAdmin = "any_admin" // anyone with admin access to one of the site's areas
	UnlistedAllAreas = "all_areas" // only admin access to everything
)

// OIDCClient is a relying party the owner registered for a site: its
// secret is kept as a hash and shown once.
type OIDCClient struct {
	ID           string    `json:"client_id"`
	SiteID       int64     `json:"site_id"`
	Name         string    `json:"name"`
	RedirectURIs []string  `json:"redirect_uris"`
	SecretHash   []byte    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}
