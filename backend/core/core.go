// Package core is Grantbook's application layer: every operation the UIs and
// the API offer, with validation, one transaction per change and its audit
// row. Transports (the window, the HTTP API) only translate.
package core

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"grantbook/backend/datalock"
	"grantbook/backend/inbox"
	"grantbook/backend/mail"
	"grantbook/backend/outbox"
	"grantbook/backend/secret"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// App is the application core.
type App struct {
	store  *store.Store
	vault  *secret.Vault
	now    func() time.Time
	log    *slog.Logger
	events events
	outbox *outbox.Worker
	inbox  *inbox.Watcher
	// dataDir holds the database; restores stage and keep safety copies there.
	dataDir string
	// restoreMu lets one restore run at a time.
	restoreMu sync.Mutex
	// pass limits wrong owner passphrases.
	pass    passGuard
	signins chan signinJob // code requests for the background worker
	held    heldMail       // sign-in mails until sent: their codes never reach the database
	// lock is this process's hold on dataDir (Open).
	lock *datalock.Lock
	rkey returnKeyCache // the return-path key (verp.go)
	// oidcKeys are the OpenID Connect signing keys, loaded on first use.
	oidcMu   sync.Mutex
	oidcKeys *OIDCKeys
	imports  *imports
	closed   sync.Once
	// ceremonies are passkey prompts between their two steps (passkeys.go).
	ceremonies ceremonies
	area       areaCache // the client area's host (clientarea.go)
	// cached is what the hot paths read from memory (caches.go).
	cached caches
	// views writes the client area's audit rows off the request (viewlog.go).
	views *viewLog
	// reindex wakes the search indexer (searchindex.go).
	reindex chan struct{}
	// syncs is the pairing with a hub (sync.go).
	syncs syncState
	// elsewhere says whether the owner's jobs run on another device.
	elsewhere atomic.Pointer[func() bool]
	// work is what Start runs; Close stops it and waits, so that nothing
	// touches the store or the data folder once Close returns.
	work struct {
		mu     sync.Mutex
		cancel context.CancelFunc
		wg     sync.WaitGroup
	}
	// guard vets access rows before a grant is compiled (accessguard.go).
	guard atomic.Pointer[AccessGuard]
	// marking reads listings' marks in the background (listmarks.go).
	marking *markBuilder
}

// New builds the core on an open store; secrets go to vault.
func New(s *store.Store, vault *secret.Vault) *App {
	a := &App{store: s, vault: vault, now: time.Now, log: slog.Default(), signins: make(chan signinJob, 64), cached: newCaches(),
		reindex: make(chan struct{}, 1), marking: newMarkBuilder()}
	s.OnChange(a.cached.forget)
	a.imports = newImports(func() time.Time { return a.now() })
	a.views = newViewLog(s, func(msg string, args ...any) { a.log.Error(msg, args...) })
	a.outbox = &outbox.Worker{Store: s, Log: a.log, Now: func() time.Time { return a.now() },
		Settings: func(ctx context.Context) (mail.SMTP, error) {
			st, err := a.mailSettings(ctx, true)
			return st.SMTP, err
		},
		Hooks: outbox.Hooks{Sent: a.mailSent, Failed: a.mailFailed, Changed: func() { a.emit(Event{Kind: "invitations:changed"}) },
			Content: a.mailContent},
	}
	a.inbox = &inbox.Watcher{Processor: a, Log: a.log,
		Settings: func(ctx context.Context) (mail.IMAP, error) {
			st, err := a.mailSettings(ctx, true)
			return st.IMAP, err
		},
	}
	return a
}

// Outbox is the mail sender (tests tune it; Start runs it).
func (a *App) Outbox() *outbox.Worker { return a.outbox }

// Inbox is the reply watcher (tests tune it; Start runs it).
func (a *App) Inbox() *inbox.Watcher { return a.inbox }

// SetLogger replaces the logger of the core and its workers.
func (a *App) SetLogger(l *slog.Logger) { a.log, a.outbox.Log, a.inbox.Log = l, l, l }

// Start runs the background work until ctx ends: sending the outbox,
// watching the inbox, expiring invitations, mailing sign-in codes and
// filling the search index.
func (a *App) Start(ctx context.Context) {
	a.work.mu.Lock()
	defer a.work.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	prev := a.work.cancel
	a.work.cancel = func() {
		if prev != nil {
			prev()
		}
		cancel()
	}
	run := func(fn func(context.Context)) {
		a.work.wg.Add(1)
		go func() {
			defer a.work.wg.Done()
			fn(ctx)
		}()
	}
	run(a.outbox.Run)
	run(a.runSignins)
	run(a.inbox.Run)
	run(a.runSearchIndex)
	run(func(ctx context.Context) {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			a.RunOwnerJobs(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
}

// RunOwnerJobs runs, once, what Start runs every minute on the owner's
// behalf: expiring invitations, overdue and ending-access reminders,
// cancelling services at the end of their term, access requests and
// reviews. A paired hub leaves them to the owner's desktop, whose records
// they change and whose mail they send (SetOwnerJobsElsewhere).
func (a *App) RunOwnerJobs(ctx context.Context) {
	if f := a.elsewhere.Load(); f != nil && (*f)() {
		return
	}
	if err := a.ExpireInvitations(ctx); err != nil && ctx.Err() == nil {
		a.log.Warn("expiring invitations", "err", err)
	}
	a.clientAreaJobs(ctx)
	a.lifecycleJobs(ctx)
}

// SetOwnerJobsElsewhere tells the core that, while elsewhere() holds, the
// owner's jobs run on another device (a hub paired with the desktop): run
// here too, they would mail contacts twice and change records only the
// owner's device may change.
func (a *App) SetOwnerJobsElsewhere(elsewhere func() bool) { a.elsewhere.Store(&elsewhere) }

// stopWork ends what Start runs and waits for it.
func (a *App) stopWork() {
	a.work.mu.Lock()
	cancel := a.work.cancel
	a.work.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	a.work.wg.Wait()
}

// MailStatus tells the UI how sending and watching are going.
type MailStatus struct {
	Outbox  outbox.Status  `json:"outbox"`
	Pending map[string]int `json:"messages"`
	Inbox   inbox.Status   `json:"inbox"`
	Secrets string         `json:"secrets"` // keyring or file
}

// MailStatus reports the workers' state and outbox counts.
func (a *App) MailStatus(ctx context.Context) (MailStatus, error) {
	counts, err := a.store.OutboxCounts(ctx)
	return MailStatus{Outbox: a.outbox.Status(), Pending: counts, Inbox: a.inbox.Status(), Secrets: a.vault.Backend()}, err
}

// SetClock replaces the clock (tests).
func (a *App) SetClock(now func() time.Time) { a.now = now }

type actorKey struct{}

// WithActor names who acts in ctx; the audit log records it.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// WithActorValue is WithActor(context.WithValue(ctx, key, &val), actor) in
// one allocation: an API request's actor and one value of the server's,
// which Value returns as a *T into the context.
func WithActorValue[T any](ctx context.Context, actor string, key any, val T) context.Context {
	return &actorValueCtx[T]{Context: ctx, actor: actor, key: key, val: val}
}

type actorValueCtx[T any] struct {
	context.Context
	actor any // the string, boxed once
	key   any
	val   T
}

func (c *actorValueCtx[T]) Value(k any) any {
	switch k {
	case actorKey{}:
		return c.actor
	case c.key:
		return &c.val
	}
	return c.Context.Value(k)
}

func actor(ctx context.Context) string {
	if s, ok := ctx.Value(actorKey{}).(string); ok && s != "" {
		return s
	}
	return "owner"
}

// change runs fn in a transaction and records its audit row in the same one.
func (a *App) change(ctx context.Context, fn func(tx *store.Tx, e *model.AuditEntry) error) error {
	return a.changeIn(ctx, a.store.Tx, fn)
}

// changeIn is change in a transaction of run's kind (store.Tx, store.ImportTx).
func (a *App) changeIn(ctx context.Context, run func(context.Context, func(*store.Tx) error) error,
	fn func(tx *store.Tx, e *model.AuditEntry) error) error {
	return run(ctx, func(tx *store.Tx) error {
		e := &model.AuditEntry{At: a.now().UTC(), Actor: actor(ctx)}
		if err := fn(tx, e); err != nil {
			return err
		}
		return tx.InsertAudit(ctx, e)
	})
}

// CreateAccount adds one of the owner's client accounts.
func (a *App) CreateAccount(ctx context.Context, name string) (*model.Account, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, invalid("name", "account name is required")
	}
	if len(name) > 200 {
		return nil, invalid("name", "account name is too long (200 characters at most)")
	}
	acc := &model.Account{Name: name, CreatedAt: a.now().UTC().Truncate(time.Second)}
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		if err := tx.InsertAccount(ctx, acc); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Summary, e.After = "account.create", "account", acc.ID, "Created account "+acc.Name, acc
		return nil
	})
	if err != nil {
		return nil, err
	}
	return acc, nil
}

// Accounts lists the accounts.
func (a *App) Accounts(ctx context.Context) ([]*model.Account, error) {
	return a.store.Accounts(ctx)
}

// Account loads one account.
func (a *App) Account(ctx context.Context, id int64) (*model.Account, error) {
	acc, err := a.store.Account(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("account", id)
	}
	return acc, err
}

// ServiceInput describes a new service.
type ServiceInput struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Status string `json:"status"`
}

// CreateService adds a purchase to an account.
func (a *App) CreateService(ctx context.Context, accountID int64, in ServiceInput) (*model.Service, error) {
	if _, err := a.Account(ctx, accountID); err != nil {
		return nil, err
	}
	s := &model.Service{AccountID: accountID, Name: strings.TrimSpace(in.Name), Kind: orDefault(in.Kind, "other"),
		Status: orDefault(in.Status, "active"), CreatedAt: a.now().UTC().Truncate(time.Second)}
	if err := checkService(s); err != nil {
		return nil, err
	}
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		if err := tx.InsertService(ctx, s); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Summary, e.After = "service.create", "service", s.ID, "Added service "+s.Name, s
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Services lists an account's services.
func (a *App) Services(ctx context.Context, accountID int64) ([]*model.Service, error) {
	if _, err := a.Account(ctx, accountID); err != nil {
		return nil, err
	}
	return a.store.Services(ctx, accountID)
}

// AuditFilter narrows the audit log.
type AuditFilter = store.AuditFilter

// Audit lists the audit log newest first, the client area's queued views
// included.
func (a *App) Audit(ctx context.Context, f AuditFilter) ([]*model.AuditEntry, int, error) {
	a.views.flush()
	f.Limit, f.Offset = page(f.Limit, f.Offset)
	return a.store.Audit(ctx, f)
}

func page(limit, offset int) (int, int) {
	if limit <= 0 {
		limit = 50
	}
	return min(limit, 500), max(offset, 0)
}

func orDefault(s, def string) string {
	if s = strings.TrimSpace(s); s == "" {
		return def
	}
	return s
}

func oneOf(s string, set []string) bool {
	for _, v := range set {
		if s == v {
			return true
		}
	}
	return false
}
