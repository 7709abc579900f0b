package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"grantbook/backend/certs"
	"grantbook/backend/core"
	"grantbook/backend/version"
	"grantbook/backend/web"
)

// ownerToken is GRANTBOOK_TOKEN when set, else the token kept in the data
// folder (replaced first with --new-token).
func ownerToken(app *core.App, env string, rotate bool) (*web.OwnerToken, error) {
	if env != "" {
		return web.FixedToken(env), nil
	}
	return web.StoredToken(context.Background(), app, rotate)
}

// printURLs tells the owner where to go; base has no trailing slash.
func printURLs(w io.Writer, base string, token *web.OwnerToken, app *core.App) {
	fmt.Fprintf(w, "Grantbook %s is serving on %s/#token=%s\n", version.Version, base, token)
	ca, err := app.ClientArea(context.Background())
	if err == nil && ca.SignIn != "" {
		// The address mails give, which a proxy may stand in front of.
		fmt.Fprintf(w, "Contacts sign in at %s\n", ca.SignIn)
	} else {
		fmt.Fprintf(w, "Contacts sign in at %s/portal\n", base)
		fmt.Fprintln(w, "Set the address contacts use in Settings → Client area: mails then tell them where to sign in.")
	}
	if token.Source() == web.TokenFromEnvironment {
		fmt.Fprintln(w, "The access token comes from GRANTBOOK_TOKEN.")
	} else {
		fmt.Fprintf(w, "The access token is kept in %s; --new-token replaces it.\n", app.OwnerTokenPath())
	}
}

// domainFlags are serve's automatic HTTPS options.
type domainFlags struct {
	names                               domainList
	httpsAddr, httpAddr, ca, root, mail string
}

func addDomainFlags(fl *flag.FlagSet) *domainFlags {
	d := &domainFlags{}
	fl.Var(&d.names, "domain", "public `name` to serve over HTTPS with a certificate obtained over ACME (repeat it or separate names with commas)")
	fl.StringVar(&d.httpsAddr, "https-addr", ":443", "with --domain: the HTTPS address")
	fl.StringVar(&d.httpAddr, "http-addr", ":80", "with --domain: the HTTP address, for ACME challenges and the redirect to HTTPS (empty: none)")
	fl.StringVar(&d.ca, "acme-ca", certs.LetsEncrypt, "with --domain: the ACME directory URL of the certificate authority")
	fl.StringVar(&d.root, "acme-root", "", "with --domain: a PEM CA bundle to trust when talking to the ACME server (default: the system's roots)")
	fl.StringVar(&d.mail, "acme-email", "", "with --domain: an address for the certificate authority's notices")
	return d
}

func (d *domainFlags) on() bool { return len(d.names) > 0 }

// config is the certificate set-up the flags ask for.
func (d *domainFlags) config() (certs.Config, error) {
	_, port, err := net.SplitHostPort(d.httpsAddr)
	if err != nil {
		return certs.Config{}, fmt.Errorf("serve: --https-addr %q: %w", d.httpsAddr, err)
	}
	cfg := certs.Config{Domains: d.names, CA: d.ca, RootsFile: d.root, Email: d.mail, HTTPSPort: port}
	if err := certs.Check(cfg); err != nil {
		return cfg, fmt.Errorf("serve: %w", err)
	}
	return cfg, nil
}

// check refuses mixes that would leave the owner guessing which one wins,
// and bad certificate settings, before anything starts.
func (d *domainFlags) check(fl *flag.FlagSet) error {
	plainOnly := map[string]bool{"addr": true, "tls-cert": true, "tls-key": true, "insecure-remote": true}
	domainOnly := map[string]bool{"https-addr": true, "http-addr": true, "acme-ca": true, "acme-root": true, "acme-email": true}
	var err error
	fl.Visit(func(f *flag.Flag) {
		if err != nil {
			return
		}
		if f.Name == "domain" && !d.on() {
			_, err = certs.CheckDomains(nil) // says what to give
			err = fmt.Errorf("serve: %w", err)
			return
		}
		if d.on() && plainOnly[f.Name] {
			err = fmt.Errorf("serve: --%s does not go with --domain, which gets its own certificate and listens on --https-addr", f.Name)
		} else if !d.on() && domainOnly[f.Name] {
			err = fmt.Errorf("serve: --%s needs --domain", f.Name)
		}
	})
	if err == nil && d.on() {
		_, err = d.config()
	}
	return err
}

// domainList is a repeatable, comma-separated flag.
type domainList []string

func (l *domainList) String() string { return strings.Join(*l, ",") }

func (l *domainList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// serveDomains serves srv over HTTPS with certificates from the CA, and
// HTTP for the CA's challenges and redirects, until ctx ends.
func serveDomains(ctx context.Context, app *core.App, api *web.API, srv *http.Server, d *domainFlags,
	token *web.OwnerToken, log *slog.Logger, stdout io.Writer) error {
	cfg, err := d.config()
	if err != nil {
		return err
	}
	cfg.DataDir, cfg.Log = app.DataDir(), log
	mgr, err := certs.New(cfg)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	httpsLn, err := listen(d.httpsAddr)
	if err != nil {
		return err
	}
	var httpLn net.Listener
	if d.httpAddr != "" {
		if httpLn, err = listen(d.httpAddr); err != nil {
			httpsLn.Close()
			return err
		}
	}
	if err := app.SetHolder(fmt.Sprintf("serve on %s (%s)", strings.Join(mgr.Domains(), ", "), httpsLn.Addr())); err != nil {
		return err
	}
	srv.TLSConfig = mgr.TLSConfig()
	printURLs(stdout, mgr.URL(mgr.Domains()[0]), token, app)
	fmt.Fprintf(stdout, "Certificates for %s come from %s and are kept in %s\n",
		strings.Join(mgr.Domains(), ", "), d.ca, mgr.Dir())
	if err := startHub(api, mgr.URL(mgr.Domains()[0]), stdout); err != nil {
		// The client area matters more than sync: serve it, say why sync is off.
		log.Error("the desktop app cannot pair with this server", "err", err)
	}

	app.Start(ctx)
	errc := make(chan error, 2)
	go func() { errc <- srv.ServeTLS(httpsLn, "", "") }()
	redirect := &http.Server{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute}
	if httpLn != nil {
		// Only then: asking for the handler makes autocert offer HTTP-01.
		redirect.Handler = mgr.HTTPHandler()
		go func() { errc <- redirect.Serve(httpLn) }()
	}
	go func() {
		if err := mgr.Obtain(ctx); err != nil && ctx.Err() == nil {
			log.Error("no certificate yet: check that the name points to this server and that ports 80 and 443 reach it", "err", err)
		}
	}()
	return waitThenShutdown(ctx, errc, srv, redirect)
}

// listen opens addr, explaining the usual reason a low port is refused.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EACCES) {
		return nil, fmt.Errorf("serve: %w (ports below 1024 need root, or: sudo setcap cap_net_bind_service=+ep on the grantbook binary)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	return ln, nil
}

// waitThenShutdown returns the first server's error, or shuts them all
// down gracefully once ctx ends.
func waitThenShutdown(ctx context.Context, errc <-chan error, srvs ...*http.Server) error {
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for _, s := range srvs {
		errs = append(errs, s.Shutdown(shut))
	}
	return errors.Join(errs...)
}
