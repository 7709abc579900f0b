// Command windowserve serves the desktop window's handler (web.Window, the
// real passphrase gate) over loopback HTTP for the browser tests, which
// cannot drive the Wails window itself, with its "Let contacts sign in"
// (backend/publish). Test use only: the product never
// puts this handler on a socket.
//
//	go run -tags sqlite_fts5 ./tests/windowserve -addr 127.0.0.1:PORT -data-dir DIR -passphrase P -account NAME
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"

	"grantbook/backend/core"
	"grantbook/backend/publish"
	"grantbook/backend/web"
	"grantbook/frontend"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback address to listen on")
	dir := flag.String("data-dir", "", "data directory (required)")
	pass := flag.String("passphrase", "", "owner passphrase to set first")
	account := flag.String("account", "", "an account to create first")
	flag.Parse()
	if *dir == "" {
		log.Fatal("windowserve: -data-dir is required")
	}
	ctx := context.Background()
	app, err := core.Open(ctx, *dir)
	if err != nil {
		log.Fatal(err)
	}
	defer app.Close()
	if *account != "" {
		if _, err := app.CreateAccount(ctx, *account); err != nil {
			log.Fatal(err)
		}
	}
	if *pass != "" {
		if err := app.SetPassphrase(ctx, "", *pass); err != nil {
			log.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	origin := "http://" + ln.Addr().String() // the page's origin here, wails://wails in the window
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	api := web.NewAPI(app, logger)
	win := web.NewWindow(api, frontend.Assets(), origin)
	// "Let contacts sign in", as the window has it.
	win.Publish = publish.New(app, web.NewContactsServer(app, frontend.Assets(), logger), publish.Options{Log: logger})
	win.Publish.Start(ctx)
	defer win.Publish.Close()
	// "Connect to your hub", as the window has it.
	if _, err := api.StartDesktopSync(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("windowserve:", origin)
	log.Fatal(http.Serve(ln, win))
}
