// Package app is the desktop window: Wails' asset server hands every
// request of the page, /api/ included, to the same web handler that
// `grantbook serve` runs (web.Window decides the owner and the passphrase
// lock). Bound methods are only what needs the desktop itself: the native
// file dialogs of backup and restore. "Let contacts sign in" serves the
// client area from this process too (backend/publish), on its own listener.
package app

import (
	"context"
	_ "embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"grantbook/backend/core"
	"grantbook/backend/datalock"
	"grantbook/backend/publish"
	"grantbook/backend/web"
)

// origin is the window's pages' origin: Wails serves them on its own
// scheme, which only this process's web view can reach.
const origin = "wails://wails"

// App is bound to the window as window.go.app.App.
type App struct {
	ctx     context.Context
	core    *core.App
	window  *web.Window
	api     *web.API
	publish *publish.Publisher
	log     *slog.Logger
}

// New builds the window's handler on an open core. With GRANTBOOK_DEBUG
// set, every API request is logged to stderr and the page's text is too
// (the desktop smoke test reads them).
func New(c *core.App, assets fs.FS) *App {
	a := &App{core: c, log: slog.New(slog.DiscardHandler)}
	if os.Getenv("GRANTBOOK_DEBUG") != "" {
		a.log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	a.api = web.NewAPI(c, a.log)
	a.window = web.NewWindow(a.api, assets, origin)
	if os.Getenv("GRANTBOOK_DEBUG") != "" {
		a.window.Log = a.log
	}
	a.publish = publish.New(c, web.NewContactsServer(c, assets, a.log), publish.Options{Log: a.log})
	a.window.Publish = a.publish
	return a
}

func (a *App) context() context.Context {
	if a.ctx == nil {
		return context.Background()
	}
	return a.ctx
}

// ExportBackup asks where to save a backup and writes it there.
func (a *App) ExportBackup() (string, error) {
	if !a.window.Unlocked(a.context()) {
		return "", errors.New("Grantbook is locked")
	}
	file, err := runtime.SaveFileDialog(a.ctx, runtime.SaveDialogOptions{
		Title:           "Save a backup of Grantbook",
		DefaultFilename: "grantbook-backup-" + time.Now().Format("2006-01-02") + ".db",
		Filters:         []runtime.FileFilter{{DisplayName: "Grantbook backup (*.db)", Pattern: "*.db"}},
	})
	if err != nil || file == "" {
		return "", err
	}
	os.Remove(file) // the dialog already asked before replacing it
	return file, a.core.Backup(a.ctx, file)
}

// RestoreBackup asks for a backup file, checks it and restores it.
func (a *App) RestoreBackup() (*core.RestoreResult, error) {
	if !a.window.Unlocked(a.context()) {
		return nil, errors.New("Grantbook is locked")
	}
	file, err := runtime.OpenFileDialog(a.ctx, runtime.OpenDialogOptions{
		Title:   "Restore a Grantbook backup",
		Filters: []runtime.FileFilter{{DisplayName: "Grantbook backup (*.db)", Pattern: "*.db"}},
	})
	if err != nil || file == "" {
		return nil, err
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return a.core.Restore(a.ctx, f)
}

// startup runs the background mail work for the window's lifetime and
// forwards changes to the page as Wails events.
func (a *App) startup(ctx context.Context) {
	a.ctx = ctx
	a.core.Start(ctx)
	a.publish.Start(ctx)
	// Sync with a hub runs only once paired; an error leaves the window usable
	// and Settings shows it (GET /api/sync answers that sync is off).
	if _, err := a.api.StartDesktopSync(); err != nil {
		a.log.Warn("sync with a hub", "err", err)
	}
	if os.Getenv("GRANTBOOK_DEBUG") != "" {
		go a.watchText(ctx)
	}
	notify := runtime.InitializeNotifications(ctx) == nil
	watch := &attentionWatch{attention: a.core.Attention, notify: func(body string) {
		runtime.SendNotification(ctx, runtime.NotificationOptions{ID: "attention", Title: "Needs your attention", Body: body})
	}}
	if notify {
		watch.look(ctx) // the baseline: what waits already is no news
	}
	a.core.Subscribe(func(e core.Event) {
		runtime.EventsEmit(ctx, e.Kind, e)
		if e.Kind == "attention:changed" && notify {
			if err := watch.look(ctx); err != nil {
				a.log.Warn("needs your attention", "err", err)
			}
		}
		if e.Accepted != "" && notify {
			runtime.SendNotification(ctx, runtime.NotificationOptions{
				ID: "accepted-" + e.Accepted, Title: "Invitation accepted",
				Body: e.Accepted + " accepted your invitation; their access is now active.",
			})
		}
	})
}

// icon is the window's icon on Linux (build/appicon.png at 256 px);
// installers carry their own copies.
//
//go:embed icon.png
var icon []byte

// Run opens the window and blocks until it is closed. With startErr set
// (the data could not be opened) it shows a window that says why.
func Run(c *core.App, assets fs.FS, startErr error) error {
	if startErr != nil {
		return runStartError(startErr)
	}
	a := New(c, assets)
	return wails.Run(&options.App{
		Title:            "Grantbook",
		Menu:             a.menu(),
		Width:            1200,
		Height:           800,
		MinWidth:         900,
		MinHeight:        600,
		AssetServer:      &assetserver.Options{Handler: a.window},
		BackgroundColour: &options.RGBA{R: 248, G: 249, B: 251, A: 255},
		OnStartup:        a.startup,
		OnBeforeClose:    a.beforeClose,
		OnShutdown:       func(context.Context) { a.publish.Close() },
		Linux:            &linux.Options{Icon: icon, ProgramName: "grantbook"},
		Bind:             []any{a},
	})
}

var startErrorPage = template.Must(template.New("e").Parse(`<!doctype html><html><head><meta charset="utf-8">
<style>body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2933;background:#f8f9fb;margin:32px}
h1{font-size:19px;margin:0 0 12px}pre{white-space:pre-wrap;background:#fff;border:1px solid #dde2ea;border-radius:8px;padding:12px;font-size:13px}
button{font:inherit;padding:6px 18px;border-radius:6px;border:1px solid #b8c0cc;background:#fff}</style>
</head><body><h1>{{.Heading}}</h1>
<p>{{.Hint}}</p>
<pre>{{.Message}}</pre>
<button autofocus onclick="window.runtime.Quit()">Close</button></body></html>`))

type startError struct{ Heading, Hint, Message string }

func describeStartError(err error) startError {
	if datalock.IsHeld(err) {
		return startError{"Grantbook is already open",
			"Another Grantbook is using your data. Switch to it, or close it and start Grantbook again.", err.Error()}
	}
	return startError{"Grantbook cannot open your data",
		"Nothing was changed. Close this window and try again; if it keeps happening, keep this message for support.", err.Error()}
}

// runStartError shows why Grantbook could not start, in a small window.
func runStartError(startErr error) error {
	page := describeStartError(startErr)
	return wails.Run(&options.App{
		Title:  "Grantbook cannot start",
		Width:  620,
		Height: 360,
		AssetServer: &assetserver.Options{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			startErrorPage.Execute(w, page)
		})},
	})
}
