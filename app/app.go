// Package app is what the desktop window binds: one method that speaks the
// JSON API in-process, so the window and the browser share every operation.
package app

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"grantbook/backend/core"
	"grantbook/backend/version"
	"grantbook/backend/web"
)

// App is bound to the window as window.go.app.App.
type App struct {
	ctx  context.Context
	core *core.App
	api  http.Handler
	log  *slog.Logger
}

// New builds the binding on an open core. With GRANTBOOK_DEBUG set, every
// call is logged to stderr (the desktop smoke test reads it).
func New(c *core.App) *App {
	a := &App{core: c, api: web.NewAPI(c, nil), log: slog.New(slog.DiscardHandler)}
	if os.Getenv("GRANTBOOK_DEBUG") != "" {
		a.log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return a
}

// Response is an API answer handed to the frontend.
type Response struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
}

// Request runs one API call in-process as the owner.
func (a *App) Request(method, path, body string) Response {
	if !strings.HasPrefix(path, "/api/") {
		return Response{Status: http.StatusNotFound, Body: `{"error":{"code":"not_found","message":"not an API path"}}`}
	}
	ctx := a.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	r, err := http.NewRequestWithContext(core.WithActor(ctx, "owner"), method, path, strings.NewReader(body))
	if err != nil {
		return Response{Status: http.StatusBadRequest, Body: `{"error":{"code":"bad_request","message":"malformed request"}}`}
	}
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	a.api.ServeHTTP(w, r)
	a.log.Info("api", "method", method, "path", path, "status", w.Code)
	return Response{Status: w.Code, Body: w.Body.String()}
}

// startup runs the background mail work for the window's lifetime and
// forwards changes to the page as Wails events.
func (a *App) startup(ctx context.Context) {
	a.ctx = ctx
	a.core.Start(ctx)
	notify := runtime.InitializeNotifications(ctx) == nil
	a.core.Subscribe(func(e core.Event) {
		runtime.EventsEmit(ctx, e.Kind, e)
		if e.Accepted != "" && notify {
			runtime.SendNotification(ctx, runtime.NotificationOptions{
				ID: "accepted-" + e.Accepted, Title: "Invitation accepted",
				Body: e.Accepted + " accepted your invitation; their access is now active.",
			})
		}
	})
}

// Run opens the window and blocks until it is closed.
func Run(c *core.App, assets fs.FS) error {
	a := New(c)
	return wails.Run(&options.App{
		Title:            "Grantbook",
		Width:            1200,
		Height:           800,
		MinWidth:         900,
		MinHeight:        600,
		AssetServer:      &assetserver.Options{Assets: assets},
		BackgroundColour: &options.RGBA{R: 248, G: 249, B: 251, A: 255},
		OnStartup:        a.startup,
		Bind:             []any{a},
	})
}

// Version is shown in the about box.
func (a *App) Version() string { return version.Version }
