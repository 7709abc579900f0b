package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// beforeClose asks first when closing would stop the client area under
// contacts who are signed in to it; true keeps the window open. Wails calls
// it for the close button and for Quit alike.
func (a *App) beforeClose(ctx context.Context) bool {
	st := a.publish.Status(ctx)
	if !st.Serving || st.SignedIn == 0 {
		return false
	}
	who := "1 contact is"
	if st.SignedIn > 1 {
		who = fmt.Sprintf("%d contacts are", st.SignedIn)
	}
	msg := who + " signed in to the client area this window serves at " + st.SignIn + ".\n\n" +
		"Closing Grantbook stops it: they cannot go on until you open Grantbook again. Close now?"
	answer, err := runtime.MessageDialog(ctx, runtime.MessageDialogOptions{
		Type:  runtime.QuestionDialog,
		Title: "Close Grantbook?",
		// GTK reads the message as a printf format.
		Message:       strings.ReplaceAll(msg, "%", "%%"),
		Buttons:       []string{"Yes", "No"},
		DefaultButton: "No",
	})
	a.log.Info("closing with contacts signed in", "signed_in", st.SignedIn, "answer", answer, "err", err)
	// Without a dialog to ask with, closing must still work.
	return err == nil && answer != "Yes"
}
