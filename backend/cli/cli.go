// Package cli reads the command line: no command opens the desktop window,
// "serve" serves the same UI and API to a browser.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/openid"
	"grantbook/backend/version"
	"grantbook/backend/web"
)

// Desktop opens the window on an open core and returns when it closes.
// When the data could not be opened, app is nil and startErr says why: the
// window shows that instead, since desktop users never see a terminal.
type Desktop func(app *core.App, assets fs.FS, startErr error) error

const usage = `Grantbook: decide who may act on your client accounts, and how far.

Usage:
  grantbook [--data-dir DIR]            open the desktop window
  grantbook serve [--addr HOST:PORT] [--data-dir DIR] [--new-token] [--host NAME]... [--trusted-proxy CIDR]...
                                        serve the app and its JSON API to a browser
  grantbook serve --domain NAME [--acme-email ADDR] [--data-dir DIR]
                                        the same on NAME over HTTPS (ports 443 and 80),
                                        with a certificate from Let's Encrypt, and the
                                        hub the desktop app pairs with (--hub without
                                        --domain, e.g. behind a TLS proxy)
  grantbook version                     print the version

The data directory defaults to the user's config directory; GRANTBOOK_DATA_DIR
overrides it. One Grantbook at a time uses a data directory: a second window or
serve on it exits at once, naming the one that has it. serve prints its URL
with the owner's access token: the token from GRANTBOOK_TOKEN (at least 32
characters), else the one kept in the data directory (made on first start;
--new-token replaces it). It answers only for localhost and the names given
with --host or --domain. "grantbook serve -h" lists every option.
`

// Main runs the command line and returns the exit code.
func Main(args []string, assets fs.FS, desktop Desktop, stdout, stderr io.Writer) int {
	cmd := ""
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "":
		err = runDesktop(args, assets, desktop, stderr)
	case "serve":
		err = runServe(args, assets, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "grantbook", version.Version)
	case "help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "grantbook: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if errors.Is(err, errSaid) {
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "grantbook:", err)
		return 1
	}
	return 0
}

// errSaid is a failure already printed.
var errSaid = errors.New("already reported")

func dataDirFlag(fl *flag.FlagSet) *string {
	return fl.String("data-dir", "", "where Grantbook keeps its data (default: the user config directory, or $GRANTBOOK_DATA_DIR)")
}

// DataDir resolves the data directory: flag, then environment, then the
// OS user config directory.
func DataDir(flagValue string) (string, error) {
	if flagValue != "" {
		return filepath.Abs(flagValue)
	}
	if env := os.Getenv("GRANTBOOK_DATA_DIR"); env != "" {
		return filepath.Abs(env)
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot find the user config directory (%w); pass --data-dir", err)
	}
	return filepath.Join(base, "Grantbook"), nil
}

func runDesktop(args []string, assets fs.FS, desktop Desktop, stderr io.Writer) error {
	fl := flag.NewFlagSet("grantbook", flag.ContinueOnError)
	fl.SetOutput(stderr)
	dir := dataDirFlag(fl)
	if err := fl.Parse(args); err != nil {
		return err
	}
	app, err := openCore(*dir)
	if err != nil {
		// Said at once for a terminal; the window says it to everyone else.
		fmt.Fprintln(stderr, "grantbook:", err)
		desktop(nil, assets, err)
		return errSaid
	}
	defer app.Close()
	if err := app.SetHolder("window"); err != nil {
		return err
	}
	return desktop(app, assets, nil)
}

func runServe(args []string, assets fs.FS, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("grantbook serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	addr := fl.String("addr", "127.0.0.1:8765", "address to listen on (loopback unless TLS is set up)")
	cert := fl.String("tls-cert", "", "TLS certificate file (PEM), needed to listen beyond this computer")
	key := fl.String("tls-key", "", "TLS private key file (PEM)")
	insecure := fl.Bool("insecure-remote", false, "listen beyond this computer without TLS (only behind a TLS proxy)")
	newToken := fl.Bool("new-token", false, "replace the stored access token: links with the old one stop working")
	importLimit := fl.Int64("import-limit", core.DefaultImportLimit>>20, "the largest CSV file a contact import takes, in MiB")
	domains := addDomainFlags(fl)
	hubOn := fl.Bool("hub", false, "be the always-on hub the desktop app pairs with (always so with --domain)")
	var opts []web.Option
	var named, proxied bool
	fl.Func("host", "a name browsers reach this server by, besides localhost (repeatable)", func(v string) error {
		if web.HostName(v) == "" {
			return errors.New("empty name")
		}
		named = true
		opts = append(opts, web.WithHosts(v))
		return nil
	})
	fl.Func("trusted-proxy", "a proxy (CIDR or address) whose X-Forwarded-For and X-Forwarded-Proto are believed (repeatable)", func(v string) error {
		p, err := web.ParseProxy(v)
		if err != nil {
			return fmt.Errorf("not a CIDR or an address: %w", err)
		}
		proxied = true
		opts = append(opts, web.WithTrustedProxies(p))
		return nil
	})
	dir := dataDirFlag(fl)
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fl.Arg(0))
	}
	if err := domains.check(fl); err != nil {
		return err
	}
	if *importLimit < 1 || *importLimit > 1<<20 {
		return errors.New("serve: --import-limit is in MiB, from 1 to 1048576")
	}
	if (*cert == "") != (*key == "") {
		return errors.New("serve: --tls-cert and --tls-key go together")
	}
	tlsOn := *cert != ""
	if !domains.on() {
		if err := checkAddr(*addr, tlsOn, *insecure, named); err != nil {
			return err
		}
	}
	if *insecure && !proxied {
		// Without it every client shares the proxy's limits, cookies lose
		// Secure and the browser's https:// Origin is refused.
		return errors.New("serve: --insecure-remote means a TLS proxy stands in front: name it with --trusted-proxy " +
			"(its address or network) so that clients' addresses and https are known")
	}
	opts = append(opts, web.WithHosts(domains.names...))
	envToken := os.Getenv("GRANTBOOK_TOKEN")
	if *newToken && envToken != "" {
		return errors.New("serve: --new-token: the access token comes from GRANTBOOK_TOKEN; change it there, or unset it to use a stored one")
	}
	if n := len(envToken); n > 0 && n < web.MinTokenLength {
		return fmt.Errorf("serve: GRANTBOOK_TOKEN has %d characters, at least %d are needed so it cannot be guessed; "+
			"unset it to use the one kept in the data directory", n, web.MinTokenLength)
	}
	app, err := openCore(*dir)
	if err != nil {
		return err
	}
	defer app.Close()
	app.SetImportLimit(*importLimit << 20)

	token, err := ownerToken(app, envToken, *newToken)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	app.SetLogger(log)
	provider, err := openid.New(app)
	if err != nil {
		return fmt.Errorf("serve: OpenID Connect: %w", err)
	}
	opts = append(opts, web.WithOpenID(provider))
	api := web.NewAPI(app, log)
	srv := &http.Server{
		Handler:           web.NewServerWithToken(api, assets, token, opts...),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if domains.on() {
		return serveDomains(ctx, app, api, srv, domains, token, log, stdout)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if err := app.SetHolder("serve on " + ln.Addr().String()); err != nil {
		return err
	}
	scheme := "http"
	if tlsOn {
		scheme = "https"
	}
	printURLs(stdout, scheme+"://"+ln.Addr().String(), token, app)
	if *hubOn {
		if err := startHub(api, scheme+"://"+ln.Addr().String(), stdout); err != nil {
			ln.Close()
			return err
		}
	}

	app.Start(ctx)
	errc := make(chan error, 1)
	go func() {
		if tlsOn {
			errc <- srv.ServeTLS(ln, *cert, *key)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	return waitThenShutdown(ctx, errc, srv)
}

// checkAddr refuses to expose plain HTTP beyond loopback unless asked to,
// and to listen beyond loopback with no name to answer for.
func checkAddr(addr string, tlsOn, insecure, named bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("serve: --addr %q: %w", addr, err)
	}
	ip := net.ParseIP(host)
	if host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	if !tlsOn && !insecure {
		return fmt.Errorf("serve: refusing to listen on %s without TLS: pass --tls-cert and --tls-key, "+
			"or --insecure-remote when a TLS proxy stands in front", addr)
	}
	if !named {
		return fmt.Errorf("serve: listening on %s, but browsers would be refused: pass --host with the name "+
			"(or address) they use to reach this server", addr)
	}
	return nil
}

func openCore(flagDir string) (*core.App, error) {
	dir, err := DataDir(flagDir)
	if err != nil {
		return nil, err
	}
	return core.Open(context.Background(), dir)
}
