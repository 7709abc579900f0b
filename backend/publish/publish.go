// Package publish is the window's "Let contacts sign in": it serves the
// client area's published face (web.ContactsOnly) from the window's own
// process on the address in Settings → Client area, over HTTPS with the
// owner's certificate files or an automatic one (backend/certs, as serve
// --domain does), and checks from here that the address answers.
package publish

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"grantbook/backend/address"
	"grantbook/backend/certs"
	"grantbook/backend/core"
)

// InstanceHeader carries a value made at each start of the window, so the
// self-check knows the answer came from this window and not another server.
const InstanceHeader = "X-Grantbook-Instance"

// Options adjust a Publisher.
type Options struct {
	Log *slog.Logger
	// Roots are what the self-check trusts; nil is this computer's roots,
	// as a contact's browser would use.
	Roots *x509.CertPool
	// ACMECA and ACMERoot send automatic certificates to another CA (tests).
	ACMECA, ACMERoot string
}

// Status is what the window shows about publishing.
type Status struct {
	On          bool            `json:"on"`      // the switch, as the owner left it
	Serving     bool            `json:"serving"` // a listener answers now
	SignIn      string          `json:"sign_in"` // where contacts sign in
	Listen      string          `json:"listen"`  // where this computer listens, e.g. ":8443"
	Network     address.Network `json:"network"`
	Certificate string          `json:"certificate"`
	// Problem says why it does not serve although on; Field names the
	// Settings → Client area field to fix, if one.
	Problem  string `json:"problem"`
	Field    string `json:"field"`
	SignedIn int    `json:"signed_in"` // client-area sessions signed in now
	Check    *Check `json:"check"`     // the last self-check; nil before one
	// Addresses are this computer's name and addresses on its networks.
	Addresses []string `json:"addresses"`
}

// Publisher runs the published listener.
type Publisher struct {
	app      *core.App
	handler  http.Handler
	opts     Options
	instance string

	mu       sync.Mutex
	ctx      context.Context
	srv      *http.Server
	ln       net.Listener
	running  core.ClientArea // the settings srv serves
	stopACME context.CancelFunc
	listen   string
	problem  *core.Error
	check    *Check
	unsub    func()
}

// New prepares a publisher serving handler (web.ContactsOnly's server).
func New(app *core.App, handler http.Handler, opts Options) *Publisher {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	b := make([]byte, 16)
	rand.Read(b)
	return &Publisher{app: app, handler: handler, opts: opts, instance: hex.EncodeToString(b), ctx: context.Background()}
}

// Start serves when the switch is on, and starts again whenever the client
// area's settings change, until Close.
func (p *Publisher) Start(ctx context.Context) {
	p.mu.Lock()
	p.ctx = ctx
	p.unsub = p.app.Subscribe(func(e core.Event) {
		if e.Kind == core.EventClientArea {
			p.restart()
		}
	})
	p.mu.Unlock()
	p.restart()
}

// Close stops serving; the switch keeps its state for the next start.
func (p *Publisher) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.unsub != nil {
		p.unsub()
		p.unsub = nil
	}
	p.stopLocked()
}

// restart serves the settings as they are now, when they changed.
func (p *Publisher) restart() {
	p.mu.Lock()
	defer p.mu.Unlock()
	on, err := p.app.Publishing(p.ctx)
	ca, caErr := p.app.ClientArea(p.ctx)
	if err == nil && caErr == nil && on == (p.srv != nil) && (!on || ca == p.running) {
		return
	}
	p.stopLocked()
	p.problem, p.check = nil, nil
	if err == nil && on {
		err = p.startLocked()
	}
	if err != nil {
		p.problem = asError(err)
		p.opts.Log.Warn("the client area is not served from this window", "err", err)
	}
}

// Set turns publishing on or off and records the switch. Switching on
// that cannot serve (settings incomplete, port taken) leaves it off and
// says why. The lock is held throughout, so a restart for a settings
// change sees the switch and the listener agree.
func (p *Publisher) Set(ctx context.Context, on bool) (Status, error) {
	err := func() error {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.stopLocked()
		p.problem, p.check = nil, nil
		if on {
			if err := p.startLocked(); err != nil {
				return err
			}
		}
		err := p.app.SetPublishing(ctx, on)
		if err != nil {
			p.stopLocked()
		}
		return err
	}()
	return p.Status(ctx), err
}

// Status says what is served, where, and the last self-check.
func (p *Publisher) Status(ctx context.Context) Status {
	ca, err := p.app.ClientArea(ctx)
	on, perr := p.app.Publishing(ctx)
	n, _ := p.app.SignedIn(ctx)
	st := Status{On: on, SignIn: ca.SignIn, Network: ca.Network, Certificate: ca.Certificate, SignedIn: n, Addresses: localAddresses()}
	p.mu.Lock()
	st.Serving, st.Listen, st.Check = p.srv != nil, p.listen, p.check
	problem := p.problem
	p.mu.Unlock()
	if problem == nil {
		problem = asError(errors.Join(err, perr))
	}
	if problem == nil && !st.Serving {
		// What switching on would refuse, said before the owner tries.
		problem = asError(ca.Publishable())
	}
	if problem != nil {
		st.Problem, st.Field = problem.Message, problem.Field
	}
	return st
}

// SelfCheck asks the client area's address for /api/health, as a contact
// would, and keeps the result for Status.
func (p *Publisher) SelfCheck(ctx context.Context) (Status, error) {
	ca, err := p.app.ClientArea(ctx)
	if err != nil {
		return p.Status(ctx), err
	}
	if err := ca.Publishable(); err != nil {
		return p.Status(ctx), err
	}
	c := p.selfCheck(ctx, ca)
	p.mu.Lock()
	p.check = c
	p.mu.Unlock()
	return p.Status(ctx), nil
}

// startLocked listens on the address's port (or the one given for this
// computer) with the chosen certificate.
func (p *Publisher) startLocked() error {
	ca, err := p.app.ClientArea(p.ctx)
	if err != nil {
		return err
	}
	if err := ca.Publishable(); err != nil {
		return err
	}
	port := ca.ListenPort
	if port == "" {
		port = ca.Port
	}
	if port == "" {
		port = "443"
	}
	host := "" // a name: every network of this computer
	if net.ParseIP(ca.Host) != nil {
		host = ca.Host
	}
	addr := net.JoinHostPort(host, port)
	cfg, obtain, err := p.tlsConfig(ca)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return listenError(addr, port, ca.ListenPort != "", err)
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(p.stamp),
		TLSConfig:         cfg,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(p.opts.Log.Handler(), slog.LevelDebug),
	}
	p.srv, p.ln, p.listen, p.running = srv, ln, addr, ca
	go p.serve(srv, ln)
	if obtain != nil {
		actx, cancel := context.WithCancel(p.ctx)
		p.stopACME = cancel
		go func() {
			if err := obtain(actx); err != nil && actx.Err() == nil {
				p.opts.Log.Error("no certificate yet: check that the name points to this computer and that port 443 reaches it", "err", err)
			}
		}()
	}
	p.opts.Log.Info("serving the client area", "address", ca.Address, "listen", addr, "certificate", ca.Certificate)
	return nil
}

func (p *Publisher) serve(srv *http.Server, ln net.Listener) {
	err := srv.ServeTLS(ln, "", "")
	if errors.Is(err, http.ErrServerClosed) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.srv == srv {
		p.srv, p.problem = nil, &core.Error{Code: core.CodeInvalid, Message: "the client area stopped: " + err.Error()}
	}
}

// stopLocked closes the listener (new connections are refused at once)
// and lets requests under way finish for a few seconds.
func (p *Publisher) stopLocked() {
	if p.stopACME != nil {
		p.stopACME()
		p.stopACME = nil
	}
	if p.srv == nil {
		return
	}
	// Closed here, not left to Serve, which may not have started yet: the
	// port is free (and refuses) when this returns.
	p.ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.srv.Shutdown(ctx); err != nil {
		p.srv.Close()
	}
	p.srv, p.ln, p.listen, p.running = nil, nil, "", core.ClientArea{}
}

func (p *Publisher) stamp(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(InstanceHeader, p.instance)
	p.handler.ServeHTTP(w, r)
}

// tlsConfig is the owner's certificate files, re-read when they change, or
// an automatic certificate; obtain, when set, gets it ahead of the first
// visitor.
func (p *Publisher) tlsConfig(ca core.ClientArea) (*tls.Config, func(context.Context) error, error) {
	if ca.Certificate == core.CertAutomatic {
		mgr, err := certs.New(certs.Config{Domains: []string{ca.Host}, DataDir: p.app.DataDir(), CA: p.opts.ACMECA,
			RootsFile: p.opts.ACMERoot, Log: p.opts.Log})
		if err != nil {
			return nil, nil, &core.Error{Code: core.CodeInvalid, Field: "certificate", Message: err.Error()}
		}
		return mgr.TLSConfig(), mgr.Obtain, nil
	}
	fc := &fileCert{cert: ca.CertFile, key: ca.KeyFile, host: ca.Host}
	if _, err := fc.get(nil); err != nil {
		return nil, nil, &core.Error{Code: core.CodeInvalid, Field: "cert_file", Message: err.Error()}
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: fc.get, NextProtos: []string{"h2", "http/1.1"}}, nil, nil
}

// listenError says why the port could not be had, in the owner's words.
func listenError(addr, port string, own bool, err error) error {
	field := "listen_port"
	if !own {
		field = "address"
	}
	msg := fmt.Sprintf("cannot listen on %s: %v", addr, err)
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		msg = fmt.Sprintf("port %s is already in use on this computer (another program, or grantbook serve): choose another port for this computer", port)
	case errors.Is(err, syscall.EACCES):
		msg = fmt.Sprintf("this computer does not let Grantbook use port %s (ports below 1024 need an administrator): "+
			"choose a port above 1024 for this computer and have your router forward %s to it", port, port)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		field = "address"
		msg = fmt.Sprintf("this computer does not have the address %s: use one of its addresses", addr)
	}
	return &core.Error{Code: core.CodeInvalid, Field: field, Message: msg}
}

func asError(err error) *core.Error {
	if err == nil {
		return nil
	}
	if e, ok := core.AsError(err); ok {
		return e
	}
	return &core.Error{Code: core.CodeInternal, Message: err.Error()}
}
