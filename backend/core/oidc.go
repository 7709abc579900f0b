package core

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/site"
	"grantbook/backend/store"
)

// OpenID Connect: the owner registers relying parties (a site's "Sign in
// with…" plugin) per site; only contacts with admin access to that site
// get a token, and its claims name the areas they open.

// OIDCLoginPath is where a relying party's request waits for the sign-in;
// the client area's sign-in returns there.
const OIDCLoginPath = "/oidc/login"

// OIDCRequestTTL is how long an authorization request waits for the sign-in.
const OIDCRequestTTL = 10 * time.Minute

// OIDCClientInput registers or changes a relying party.
type OIDCClientInput struct {
	Name         string   `json:"name"`
	RedirectURIs []string `json:"redirect_uris"`
}

// NewOIDCClient is a client with its secret, shown once.
type NewOIDCClient struct {
	*model.OIDCClient
	Secret string `json:"client_secret"`
}

func secretHash(secret string) []byte {
	h := sha256.Sum256([]byte("grantbook oidc client\x00" + secret))
	return h[:]
}

func (in *OIDCClientInput) check() error {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 100 {
		return invalid("name", "name the client, e.g. WordPress (100 characters at most)")
	}
	var uris []string
	for _, raw := range in.RedirectURIs {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
			return invalid("redirect_uris", "%q is not an address like https://shop.example.com/callback", raw)
		case u.Fragment != "" || u.User != nil:
			return invalid("redirect_uris", "%q: a redirect address has no #fragment and no user", raw)
		case u.Scheme == "http" && !site.Loopback(u.Hostname()):
			return invalid("redirect_uris", "%q: use https (plain http only for localhost): the code must not cross the network in clear", raw)
		}
		if !slices.Contains(uris, raw) {
			uris = append(uris, raw)
		}
	}
	if len(uris) == 0 {
		return invalid("redirect_uris", "give the address the site's plugin asks you to register (its redirect or callback URL)")
	}
	in.RedirectURIs = uris
	return nil
}

// OIDCClients lists a site's relying parties.
func (a *App) OIDCClients(ctx context.Context, siteID int64) ([]*model.OIDCClient, error) {
	if _, err := a.siteByID(ctx, siteID); err != nil {
		return nil, err
	}
	return a.store.OIDCClients(ctx, siteID)
}

func (a *App) siteByID(ctx context.Context, id int64) (*model.Site, error) {
	s, err := a.store.Site(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("site", id)
	}
	return s, err
}

// CreateOIDCClient registers a relying party for a site.
func (a *App) CreateOIDCClient(ctx context.Context, siteID int64, in OIDCClientInput) (*NewOIDCClient, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	s, err := a.siteByID(ctx, siteID)
	if err != nil {
		return nil, err
	}
	now := a.now().UTC().Truncate(time.Second)
	out := &NewOIDCClient{OIDCClient: &model.OIDCClient{ID: "gb-" + randomToken()[:20], SiteID: s.ID, Name: in.Name,
		RedirectURIs: in.RedirectURIs, CreatedAt: now, UpdatedAt: now}, Secret: randomToken()}
	out.SecretHash = secretHash(out.Secret)
	err = a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		e.Action, e.Entity, e.EntityID, e.After = "oidc.client.create", "site", s.ID, out.OIDCClient
		e.Summary = fmt.Sprintf("Registered OpenID Connect client %s (%s) for %s", in.Name, out.ID, s.Name)
		return tx.PutOIDCClient(ctx, out.OIDCClient)
	})
	return out, err
}

// UpdateOIDCClient changes a client's name and redirect addresses.
func (a *App) UpdateOIDCClient(ctx context.Context, id string, in OIDCClientInput) (*model.OIDCClient, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	var out *model.OIDCClient
	err := a.changeClient(ctx, id, func(tx *store.Tx, c *model.OIDCClient, e *model.AuditEntry) error {
		after := *c
		after.Name, after.RedirectURIs, after.UpdatedAt = in.Name, in.RedirectURIs, a.now().UTC().Truncate(time.Second)
		e.Action, e.After, e.Summary = "oidc.client.update", &after, "Changed OpenID Connect client "+after.Name
		out = &after
		return tx.PutOIDCClient(ctx, &after)
	})
	return out, err
}

// NewOIDCSecret replaces a client's secret: the old one stops working.
func (a *App) NewOIDCSecret(ctx context.Context, id string) (*NewOIDCClient, error) {
	out := &NewOIDCClient{Secret: randomToken()}
	err := a.changeClient(ctx, id, func(tx *store.Tx, c *model.OIDCClient, e *model.AuditEntry) error {
		c.SecretHash, c.UpdatedAt = secretHash(out.Secret), a.now().UTC().Truncate(time.Second)
		e.Action, e.Summary = "oidc.client.secret", "Replaced the secret of OpenID Connect client "+c.Name
		out.OIDCClient = c
		return tx.PutOIDCClient(ctx, c)
	})
	return out, err
}

// DeleteOIDCClient removes a client; its tokens stop working.
func (a *App) DeleteOIDCClient(ctx context.Context, id string) error {
	return a.changeClient(ctx, id, func(tx *store.Tx, c *model.OIDCClient, e *model.AuditEntry) error {
		e.Action, e.Summary = "oidc.client.delete", "Removed OpenID Connect client "+c.Name
		return tx.DeleteOIDCClient(ctx, id)
	})
}

func (a *App) changeClient(ctx context.Context, id string, fn func(*store.Tx, *model.OIDCClient, *model.AuditEntry) error) error {
	return a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		c, err := tx.OIDCClient(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return &Error{Code: CodeNotFound, Message: "OpenID Connect client " + id + " not found"}
		}
		if err != nil {
			return err
		}
		e.Entity, e.EntityID, e.Before = "site", c.SiteID, c
		return fn(tx, c, e)
	})
}

// OIDCClient is a relying party with its site, for the provider.
func (a *App) OIDCClient(ctx context.Context, id string) (*model.OIDCClient, *model.Site, error) {
	c, err := a.store.OIDCClient(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	s, err := a.store.Site(ctx, c.SiteID)
	return c, s, err
}

// CheckOIDCSecret tells whether secret is the client's.
func (a *App) CheckOIDCSecret(ctx context.Context, id, secret string) error {
	c, err := a.store.OIDCClient(ctx, id)
	if err != nil {
		return err
	}
	if secret == "" || subtle.ConstantTimeCompare(c.SecretHash, secretHash(secret)) != 1 {
		return errors.New("wrong client secret")
	}
	return nil
}
