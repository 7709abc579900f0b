package web

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"

	"grantbook/backend/core"
	"grantbook/backend/hub"
)

// syncs is this process's side of sync with a hub (backend/hub, issue 18):
// the hub's under serve, the desktop's in the window, none until started.
type syncs struct {
	app  *core.App
	hub  atomic.Pointer[hub.HubSide]
	desk atomic.Pointer[hub.DesktopSide]
}

// SetHubSync serves the hub's side of pairing (serve --hub / --domain).
func (a *API) SetHubSync(h *hub.HubSide) { a.sync.hub.Store(h) }

// SetDesktopSync serves the window's "Connect to your hub".
func (a *API) SetDesktopSync(d *hub.DesktopSide) { a.sync.desk.Store(d) }

var errSyncOff = &core.Error{Code: core.CodeConflict, Message: "sync with a hub is not running in this process"}

func (s *syncs) deskSide() (*hub.DesktopSide, error) {
	if d := s.desk.Load(); d != nil {
		return d, nil
	}
	return nil, errSyncOff
}

func (s *syncs) hubSide() (*hub.HubSide, error) {
	if h := s.hub.Load(); h != nil {
		return h, nil
	}
	return nil, errSyncOff
}

func (s *syncs) audit(ctx context.Context, action, summary string) {
	_ = s.app.AuditSync(ctx, action, summary) // the pairing has happened; a lost audit row is logged by the store
}

// status is the window's sync line.
func (s *syncs) status(ctx context.Context) (hub.DesktopStatus, error) {
	d, err := s.deskSide()
	if err != nil {
		return hub.DesktopStatus{}, err
	}
	return d.Status(ctx), nil
}

func (s *syncs) connect(ctx context.Context, in hub.ConnectInput) (hub.DesktopStatus, error) {
	d, err := s.deskSide()
	if err != nil {
		return hub.DesktopStatus{}, err
	}
	if _, err := hub.HubAddress(in.Address); err != nil {
		return hub.DesktopStatus{}, &core.Error{Code: core.CodeInvalid, Field: "address", Message: err.Error()}
	}
	if in.Code == "" {
		return hub.DesktopStatus{}, &core.Error{Code: core.CodeInvalid, Field: "code", Message: "the pairing code the hub shows is needed"}
	}
	if err := d.Connect(ctx, in.Address, in.Code); err != nil {
		return hub.DesktopStatus{}, &core.Error{Code: core.CodeConflict, Message: "could not connect to the hub: " + err.Error()}
	}
	s.audit(ctx, "sync.connect", "connected to the hub at "+in.Address)
	return d.Status(ctx), nil
}

func (s *syncs) disconnect(ctx context.Context) (hub.DesktopStatus, error) {
	d, err := s.deskSide()
	if err != nil {
		return hub.DesktopStatus{}, err
	}
	if err := d.Disconnect(ctx); errors.Is(err, hub.ErrNotPaired) {
		return hub.DesktopStatus{}, &core.Error{Code: core.CodeConflict, Message: "this computer is not connected to a hub"}
	} else if err != nil {
		s.audit(ctx, "sync.disconnect", "disconnected from the hub")
		return d.Status(ctx), &core.Error{Code: core.CodeConflict, Message: err.Error()}
	}
	s.audit(ctx, "sync.disconnect", "disconnected from the hub")
	return d.Status(ctx), nil
}

func (s *syncs) hubStatus(ctx context.Context) (hub.HubStatus, error) {
	h, err := s.hubSide()
	if err != nil {
		return hub.HubStatus{}, err
	}
	return h.Status(ctx), nil
}

func (s *syncs) newCode(ctx context.Context) (hub.PairingCode, error) {
	h, err := s.hubSide()
	if err != nil {
		return hub.PairingCode{}, err
	}
	c, exp := h.Codes.New()
	return hub.PairingCode{Code: c, Expires: exp}, nil
}

func (s *syncs) pair(ctx context.Context, req hub.PairRequest) (hub.PairResponse, error) {
	h, err := s.hubSide()
	if err != nil {
		return hub.PairResponse{}, err
	}
	resp, err := h.Pair(ctx, req)
	switch {
	case errors.Is(err, hub.ErrCodeWrong), errors.Is(err, hub.ErrCodeExpired), errors.Is(err, hub.ErrCodeVoid), errors.Is(err, hub.ErrNoCode):
		return resp, &core.Error{Code: core.CodeInvalidCode, Message: err.Error()}
	case err != nil:
		return resp, &core.Error{Code: core.CodeInvalid, Message: err.Error()}
	}
	s.audit(ctx, "sync.pair", "paired the owner's computer "+req.Origin)
	return resp, nil
}

// unpair forgets a desktop: asked by the desktop itself (its leaf secret)
// or by the owner on the hub's page.
func (s *syncs) unpair(ctx context.Context, origin, secret string, byOwner bool) error {
	h, err := s.hubSide()
	if err != nil {
		return err
	}
	if !byOwner && !h.Authenticate(origin, secret) {
		return &core.Error{Code: core.CodeUnauthorized, Message: "not a paired computer"}
	}
	if err := h.Unpair(ctx, origin); errors.Is(err, hub.ErrNotPaired) {
		return &core.Error{Code: core.CodeNotFound, Message: "no paired computer " + origin}
	} else if err != nil {
		return err
	}
	s.audit(ctx, "sync.unpair", "unpaired the owner's computer "+origin)
	return nil
}

// socket is the hub's pass-through for desktops' leaf WebSockets.
func (s *syncs) socket() http.Handler {
	if h := s.hub.Load(); h != nil {
		return h.Node.WSHandler()
	}
	return nil
}

// StartHubSync makes this process the hub the owner's desktop pairs with:
// its change log, nats server and pairing routes, until the core closes.
// Access on the hub then comes only from verified owner events.
func (a *API) StartHubSync() (*hub.HubSide, error) {
	ctx, cancel := context.WithCancel(context.Background())
	h, err := hub.StartHubSide(ctx, a.app.Store(), a.app.DataDir())
	if err != nil {
		cancel()
		return nil, err
	}
	a.app.SetAccessGuard(h.Log.Verify)
	a.app.SetOwnerJobsElsewhere(h.Paired)
	a.app.OnClose(func() { cancel(); h.Wait(); h.Log.Close() })
	a.SetHubSync(h)
	return h, nil
}

// StartDesktopSync runs the window's side: nothing but the change log
// until it is paired, then the leaf and the link, until the core closes.
func (a *API) StartDesktopSync() (*hub.DesktopSide, error) {
	ctx, cancel := context.WithCancel(context.Background())
	d, err := hub.StartDesktopSide(ctx, a.app.Store(), a.app.DataDir())
	if err != nil {
		cancel()
		return nil, err
	}
	a.app.OnClose(func() { cancel(); d.Wait(); d.CloseLog() })
	a.SetDesktopSync(d)
	return d, nil
}
