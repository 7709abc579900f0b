package core

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"

	"grantbook/backend/store"
)

// keyReturnPath names the return-path key: sealed in the secret store, its
// reference in settings. It never goes into a message.
const keyReturnPath = "mail.return_path_key"

// returnKeyCache keeps the opened key, tied to the reference it came from.
type returnKeyCache struct {
	mu  sync.Mutex
	ref string
	key []byte
}

// returnKey returns the return-path key; with create, one is made when
// there is none or the stored one cannot be opened (a backup restored on
// another computer). Without create, a missing or unreadable key is nil:
// reports are then never taken as genuine, which is the safe side.
func (a *App) returnKey(ctx context.Context, create bool) ([]byte, error) {
	a.rkey.mu.Lock()
	defer a.rkey.mu.Unlock()
	ref, ok, err := a.store.Setting(ctx, keyReturnPath)
	if err != nil {
		return nil, err
	}
	if ok && ref == a.rkey.ref && a.rkey.key != nil {
		return a.rkey.key, nil
	}
	if ok {
		secret, err := a.vault.Open(keyReturnPath, ref)
		if key, derr := hex.DecodeString(secret); err == nil && derr == nil && len(key) == 32 {
			a.rkey.ref, a.rkey.key = ref, key
			return key, nil
		}
		a.log.Warn("mail: the return-path key cannot be opened; delivery reports need your confirmation", "err", err)
	}
	if !create {
		return nil, nil
	}
	key := make([]byte, 32)
	rand.Read(key)
	ref, err = a.vault.Seal(keyReturnPath, hex.EncodeToString(key))
	if err != nil {
		return nil, err
	}
	if err := a.store.Tx(ctx, func(tx *store.Tx) error { return tx.PutSetting(ctx, keyReturnPath, ref) }); err != nil {
		return nil, err
	}
	a.rkey.ref, a.rkey.key = ref, key
	return key, nil
}
