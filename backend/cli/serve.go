package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

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
	fmt.Fprintf(w, "Contacts sign in at %s/portal\n", base)
	if token.Source() == web.TokenFromEnvironment {
		fmt.Fprintln(w, "The access token comes from GRANTBOOK_TOKEN.")
	} else {
		fmt.Fprintf(w, "The access token is kept in %s; --new-token replaces it.\n", app.OwnerTokenPath())
	}
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
