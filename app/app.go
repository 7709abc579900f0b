// Package app is what the desktop window binds: one method that speaks the
// JSON API in-process, so the window and the browser share every operation.
package app

import (
	"context"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"

	"grantbook/backend/core"
	"grantbook/backend/version"
	"grantbook/backend/web"
)

// App is bound to the window as window.go.app.App.
type App struct {
	ctx context.Context
	api http.Handler
}

// New builds the binding on an open core.
func New(c *core.App) *App { return &App{api: web.NewAPI(c, nil)} }

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
	return Response{Status: w.Code, Body: w.Body.String()}
}

func (a *App) startup(ctx context.Context) { a.ctx = ctx }

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
