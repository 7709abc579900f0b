// Grantbook: the desktop window, or with "serve" the same app in a browser.
package main

import (
	"os"

	"grantbook/app"
	"grantbook/backend/cli"
	"grantbook/frontend"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], frontend.Assets(), app.Run, os.Stdout, os.Stderr))
}
