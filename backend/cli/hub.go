package cli

import (
	"fmt"
	"io"

	"grantbook/backend/web"
)

// startHub makes serve a hub the owner's desktop pairs with (issue 18) and
// prints the one-time pairing code for the window's "Connect to your hub".
func startHub(api *web.API, base string, stdout io.Writer) error {
	h, err := api.StartHubSync()
	if err != nil {
		return fmt.Errorf("serve: sync hub: %w", err)
	}
	code, exp := h.Codes.New()
	fmt.Fprintf(stdout, "To connect the desktop app: Settings → Connect to your hub, address %s, pairing code %s (single use, until %s; the owner page makes a new one)\n",
		base, code, exp.Local().Format("15:04"))
	return nil
}
