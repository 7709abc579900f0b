package core

import (
	"errors"
	"sync"
	"time"

	"grantbook/backend/model"
)

// heldMail keeps sign-in code mails in this process's memory until the
// outbox has sent them; their outbox rows have no content.
//
// Why memory and not the database: the mail must carry the code, so
// whatever the outbox stores would let a reader of the database (a backup,
// a stolen laptop, a restored file) sign in as the contact while the code
// lives. Sealing it with the secret vault's key would keep it off the
// disk's plain text, but the key sits beside the database in the file
// backend and the code would still outlive the process for nothing. A code
// is worth ten minutes; losing it in a crash costs the person one more
// "Send me a code". So the code exists only here and in the mail.
type heldMail struct {
	mu   sync.Mutex
	msgs map[string]heldMessage // by Message-ID
}

type heldMessage struct {
	raw   []byte
	until time.Time // the code's expiry: no point sending it later
}

// heldMax bounds memory; sign-in requests are rate limited well below it.
const heldMax = 10000

func (h *heldMail) put(messageID string, raw []byte, until, now time.Time) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.msgs == nil {
		h.msgs = map[string]heldMessage{}
	}
	for id, m := range h.msgs {
		if !now.Before(m.until) {
			delete(h.msgs, id)
		}
	}
	if len(h.msgs) >= heldMax {
		return errors.New("too many sign-in mails waiting to be sent")
	}
	h.msgs[messageID] = heldMessage{raw, until}
	return nil
}

func (h *heldMail) drop(messageID string) {
	h.mu.Lock()
	delete(h.msgs, messageID)
	h.mu.Unlock()
}

// errCodeLost cancels a sign-in mail whose content is gone.
var errCodeLost = errors.New("not sent: the sign-in code expired before it could be sent, or was lost when Grantbook restarted; the person can ask for a new one")

// mailContent is the outbox's Content hook.
func (a *App) mailContent(m *model.OutboxMessage) ([]byte, error) {
	a.held.mu.Lock()
	defer a.held.mu.Unlock()
	if h, ok := a.held.msgs[m.MessageID]; ok && m.Kind == kindSigninCode && a.now().Before(h.until) {
		return h.raw, nil
	}
	return nil, errCodeLost
}
