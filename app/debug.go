package app

import (
	"context"
	"time"

	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// watchText is the window's test hook (GRANTBOOK_DEBUG only): every half
// second it asks the page for the text it shows and logs it when it has
// changed, so a test can tell what the window really drew.
func (a *App) watchText(ctx context.Context) {
	last := ""
	runtime.EventsOn(ctx, "debug:text", func(data ...any) {
		if len(data) == 1 {
			if text, ok := data[0].(string); ok && text != last {
				last = text
				a.log.Info("window text", "text", text)
			}
		}
	})
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			runtime.WindowExecJS(ctx, `window.runtime && window.runtime.EventsEmit('debug:text', document.body ? document.body.innerText : '')`)
		}
	}
}
