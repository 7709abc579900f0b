package app

import (
	"fmt"
	goruntime "runtime"

	"github.com/wailsapp/wails/v2/pkg/menu"
	"github.com/wailsapp/wails/v2/pkg/menu/keys"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"grantbook/backend/version"
)

// appName is how Grantbook names itself in the menu and the about box.
const appName = "Grantbook"

// menu is the window's menu bar: a Grantbook menu with the about box and
// Quit, and on macOS the Edit menu, without which ⌘C and ⌘V do nothing
// there. On Linux and Windows the web view handles Ctrl+C and Ctrl+V
// itself; Wails does not draw role menus on those systems (GTK skips them,
// Windows would show an empty title), so the Edit menu is left out.
func (a *App) menu() *menu.Menu {
	m := menu.NewMenu()
	// On macOS the first menu is the application menu, whatever its label.
	app := m.AddSubmenu(appName)
	app.AddText("About "+appName+"…", nil, func(*menu.CallbackData) { go a.showAbout() })
	// Where the window serves the client area (Settings → Client area).
	app.AddText("Let Contacts Sign In…", keys.Combo("l", keys.CmdOrCtrlKey, keys.ShiftKey), func(*menu.CallbackData) {
		if a.ctx != nil {
			runtime.EventsEmit(a.ctx, "menu:publish")
		}
	})
	app.AddSeparator()
	app.AddText("Quit "+appName, keys.CmdOrCtrl("q"), func(*menu.CallbackData) {
		if a.ctx != nil {
			runtime.Quit(a.ctx)
		}
	})
	if goruntime.GOOS == "darwin" {
		m.Append(menu.EditMenu())
		m.Append(menu.WindowMenu())
	}
	return m
}

// aboutText is the about box's message: version, what Grantbook is for
// and where it keeps its data.
func (a *App) aboutText() string {
	return fmt.Sprintf("%s %s\n\nDecide who may act on your client accounts, and how far.\n\nYour data is kept in:\n%s",
		appName, version.Version, a.dataDir())
}

// showAbout opens the about box. It blocks until the box is closed, so menu
// callbacks run it on their own goroutine.
func (a *App) showAbout() {
	if a.ctx == nil {
		return
	}
	_, err := runtime.MessageDialog(a.ctx, runtime.MessageDialogOptions{
		Type:    runtime.InfoDialog,
		Title:   "About " + appName,
		Message: a.aboutText(),
	})
	if err != nil {
		a.log.Error("about box", "err", err)
	}
}

// dataDir is the folder holding the database, whichever of --data-dir,
// GRANTBOOK_DATA_DIR or the user config directory chose it.
func (a *App) dataDir() string {
	if d := a.core.DataDir(); d != "" {
		return d
	}
	return "(unknown)"
}
