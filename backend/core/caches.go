package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"grantbook/backend/access"
	"grantbook/backend/cache"
	"grantbook/backend/model"
	"grantbook/backend/store"
)

// Cache sizes. A compiled grant is 128 bytes, but held in the map
// about 300 (measured: 287 MiB of heap for a million), so a million
// contacts' grants, all checked since the start, take about 300 MiB;
// sessions hold their contacts and stay fewer.
const (
	grantCacheSize   = 1 << 20
	serviceCacheSize = 1 << 18
	sessionCacheSize = 1 << 16
	listCacheSize    = 1 << 13 // accounts; a few KiB each
	countCacheSize   = 1 << 12 // filters and searches
	markCacheSize    = 1 << 6  // filters; a key every listMarkEvery contacts: about 30 KiB a million
	contactCacheSize = 1 << 13 // contacts of listings, with their JSON: about 1 KiB each
)

// caches are what the hot paths (checks, the client area, forward
// authentication) read from memory instead of the database. The store
// tells forget what each transaction changed once it has committed, before
// the change's caller goes on, so a revocation applies to the very next
// request (cache.Map's epochs keep a racing load from bringing it back).
type caches struct {
	grants   *cache.Map[int64, access.Grant]   // by contact id
	services *cache.Map[int64, access.Service] // by service id
	sites    *cache.Map[struct{}, []*model.Site]
	sessions *cache.Map[int64, *liveSession] // by session id
	tokens   *cache.Map[string, int64]       // cookie hash → session id
	// The client area's lists, by account; callers must not change them.
	invoiceLists *cache.Map[int64, Listing[*model.Invoice]]
	serviceLists *cache.Map[int64, Listing[*model.Service]]
	// counts of contact listings, by filter, and listed contacts by id
	// (contactlist.go)
	counts   *cache.Map[listKey, store.ContactCount]
	marks    *cache.Map[marksKey, listMarks]
	contacts *cache.Map[int64, contactItem]
	// settings every check or client-area request reads, and how many
	// second factors a person (email key) has
	zone      *cache.Map[struct{}, *time.Location]
	lifecycle *cache.Map[struct{}, LifecycleSettings]
	factors   *cache.Map[string, int]
}

func newCaches() caches {
	return caches{grants: cache.New[int64, access.Grant](grantCacheSize),
		services:     cache.New[int64, access.Service](serviceCacheSize),
		sites:        cache.New[struct{}, []*model.Site](1),
		sessions:     cache.New[int64, *liveSession](sessionCacheSize),
		tokens:       cache.New[string, int64](sessionCacheSize),
		invoiceLists: cache.New[int64, Listing[*model.Invoice]](listCacheSize),
		serviceLists: cache.New[int64, Listing[*model.Service]](listCacheSize),
		counts:       cache.New[listKey, store.ContactCount](countCacheSize),
		marks:        cache.New[marksKey, listMarks](markCacheSize),
		contacts:     cache.New[int64, contactItem](contactCacheSize),
		zone:         cache.New[struct{}, *time.Location](1),
		lifecycle:    cache.New[struct{}, LifecycleSettings](1),
		factors:      cache.New[string, int](sessionCacheSize)}
}

// forget drops what a committed transaction changed.
func (c *caches) forget(ch store.Changes) {
	if ch.All {
		c.grants.Clear()
		c.services.Clear()
		c.sites.Clear()
		c.sessions.Clear()
		c.tokens.Clear()
		c.invoiceLists.Clear()
		c.serviceLists.Clear()
		c.counts.Clear()
		c.marks.Clear()
		c.contacts.Clear()
		c.zone.Clear()
		c.lifecycle.Clear()
		c.factors.Clear()
		return
	}
	if ch.Settings {
		c.zone.Clear()
		c.lifecycle.Clear()
	}
	if ch.Factors {
		c.factors.Clear()
	}
	if ch.Lists {
		c.counts.Clear() // contacts moved in ways not told
		c.marks.Clear()
	} else if len(ch.Contacts) > 0 || len(ch.Accounts) > 0 || len(ch.Moves) > 0 {
		// Any contact's grant or name may move it in or out of a search or
		// a filter on its grant: those are read again. The others follow
		// the moves.
		d := deltasOf(ch.Moves)
		c.counts.Update(func(k listKey, n store.ContactCount) (store.ContactCount, bool) {
			n.N += d[k] // a followed listing's key is one of deltasOf's
			return n, k.followed()
		})
		c.marks.Update(func(k marksKey, m listMarks) (listMarks, bool) {
			if !k.followed() {
				return m, false
			}
			return m.moved(k.listKey, ch.Moves)
		})
	}
	if len(ch.InvoiceLists) > 0 {
		c.invoiceLists.Forget(ch.InvoiceLists...)
	}
	if len(ch.ServiceLists) > 0 {
		c.serviceLists.Forget(ch.ServiceLists...)
	}
	if len(ch.Contacts) > 0 {
		c.grants.Forget(ch.Contacts...)
		c.contacts.Forget(ch.Contacts...)
		c.sessions.Clear() // a session holds its contacts
	}
	if len(ch.Services) > 0 {
		c.services.Forget(ch.Services...)
	}
	if ch.Sites {
		c.sites.Clear()
	}
	if len(ch.Sessions) > 0 {
		c.sessions.Forget(ch.Sessions...)
	}
}

// grantOf is a contact's compiled grant: the one way checks, the effective
// access table and forward authentication get it.
func (a *App) grantOf(ctx context.Context, contactID int64) (access.Grant, error) {
	g, err := a.cached.grants.Get(contactID, func() (access.Grant, error) {
		c, err := a.store.Contact(ctx, contactID)
		if err != nil {
			return access.Grant{}, err
		}
		return a.compile(ctx, c)
	})
	if errors.Is(err, store.ErrNotFound) {
		return g, notFound("contact", contactID)
	}
	return g, err
}

// compile is access.Compile with the strings a million cached grants
// would otherwise each hold a copy of shared.
func (a *App) compile(ctx context.Context, c *model.Contact) (access.Grant, error) {
	g, err := a.grantFor(ctx, c)
	if err != nil {
		return g, fmt.Errorf("grant of contact %d: %w", c.ID, err)
	}
	g.Status, g.Preset = intern(g.Status), intern(g.Preset)
	return g, nil
}

var interned = map[string]string{}

func init() {
	for _, s := range []string{model.StatusActive, model.StatusInvited, model.StatusSuspended,
		"full", "personal", "technical", "billing", "custom"} {
		interned[s] = s
	}
}

func intern(s string) string {
	if v, ok := interned[s]; ok {
		return v
	}
	return s
}

// serviceOf is a service as checks see it.
func (a *App) serviceOf(ctx context.Context, id int64) (access.Service, error) {
	svc, err := a.cached.services.Get(id, func() (access.Service, error) {
		s, err := a.store.Service(ctx, id)
		if err != nil {
			return access.Service{}, err
		}
		return access.Service{ID: s.ID, AccountID: s.AccountID, Name: s.Name}, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return svc, notFound("service", id)
	}
	return svc, err
}

// accountInvoices and accountServices are an account's lists as the
// client area reads them, with their JSON. Callers must not change what
// they return.
func (a *App) accountInvoices(ctx context.Context, accountID int64) (Listing[*model.Invoice], error) {
	return a.cached.invoiceLists.Get(accountID, func() (Listing[*model.Invoice], error) {
		return encoded(a.store.Invoices(ctx, accountID))
	})
}

func (a *App) accountServices(ctx context.Context, accountID int64) (Listing[*model.Service], error) {
	return a.cached.serviceLists.Get(accountID, func() (Listing[*model.Service], error) {
		return encoded(a.store.Services(ctx, accountID))
	})
}

// sitesNow lists the owner's sites with their areas. Callers must not
// change what it returns.
func (a *App) sitesNow(ctx context.Context) ([]*model.Site, error) {
	return a.cached.sites.Get(struct{}{}, func() ([]*model.Site, error) { return a.store.Sites(ctx) })
}

// liveSession is a session as stored, with the contacts it may act as
// (not signed out of it, still with the address signed in with) and their
// grants. Time is applied per request: expiry, idleness and standing.
type liveSession struct {
	s        model.Session
	hash     []byte
	contacts []*model.Contact
	grants   []access.Grant
	// seen is the latest touch queued since the load, in Unix seconds (0:
	// none): a touch does not drop the session (migration 21), so the
	// cached one learns of it here.
	seen atomic.Int64
}

// session is the request's own copy of the session (the cached one is
// shared), last seen at its latest touch.
func (ls *liveSession) session() model.Session {
	s := ls.s
	if t := ls.seen.Load(); t > s.LastSeen.Unix() {
		s.LastSeen = time.Unix(t, 0).UTC()
	}
	return s
}

// saw records a touch queued at now.
func (ls *liveSession) saw(now time.Time) {
	for t := now.Unix(); ; {
		old := ls.seen.Load()
		if old >= t || ls.seen.CompareAndSwap(old, t) {
			return
		}
	}
}

// sessionByToken is the live session of a cookie value.
func (a *App) sessionByToken(ctx context.Context, token string) (*liveSession, error) {
	hash := tokenHash(token)
	id, err := a.cached.tokens.Get(string(hash), func() (int64, error) {
		s, err := a.store.SessionByHash(ctx, hash)
		if err != nil {
			return 0, err
		}
		return s.ID, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrSignedOut
	}
	if err != nil {
		return nil, err
	}
	ls, err := a.sessionByID(ctx, id)
	if errors.Is(err, ErrSignedOut) || (err == nil && !bytes.Equal(ls.hash, hash)) {
		a.cached.tokens.Forget(string(hash))
		return nil, ErrSignedOut
	}
	return ls, err
}

// sessionByID is a session's cached state; a session that no longer exists
// is ErrSignedOut.
func (a *App) sessionByID(ctx context.Context, id int64) (*liveSession, error) {
	ls, err := a.cached.sessions.Get(id, func() (*liveSession, error) {
		s, hash, err := a.store.SessionWithHash(ctx, id)
		if err != nil {
			return nil, err
		}
		all, err := a.store.SessionContacts(ctx, id)
		if err != nil {
			return nil, err
		}
		ls := &liveSession{s: *s, hash: hash}
		for _, c := range all {
			if store.EmailKey(c.Email) != s.EmailKey {
				continue
			}
			g, err := a.compile(ctx, c)
			if err != nil {
				return nil, err
			}
			ls.contacts, ls.grants = append(ls.contacts, c), append(ls.grants, g)
		}
		return ls, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrSignedOut
	}
	return ls, err
}
