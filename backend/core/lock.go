package core

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

const keyPassphrase = "owner.passphrase"

// argon2id parameters (RFC 9106's second recommendation, lighter memory).
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
)

func hashPassphrase(pass string, salt []byte) []byte {
	return argon2.IDKey([]byte(pass), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
}

// LockEnabled reports whether an owner passphrase is set.
func (a *App) LockEnabled(ctx context.Context) (bool, error) {
	_, ok, err := a.store.Setting(ctx, keyPassphrase)
	return ok, err
}

// CheckPassphrase reports whether pass is the owner passphrase (true when
// none is set).
func (a *App) CheckPassphrase(ctx context.Context, pass string) (bool, error) {
	raw, ok, err := a.store.Setting(ctx, keyPassphrase)
	if err != nil || !ok {
		return !ok, err
	}
	saltB64, hashB64, found := strings.Cut(raw, "$")
	salt, err1 := base64.RawStdEncoding.DecodeString(saltB64)
	want, err2 := base64.RawStdEncoding.DecodeString(hashB64)
	if !found || err1 != nil || err2 != nil {
		return false, fmt.Errorf("the stored passphrase is damaged")
	}
	return subtle.ConstantTimeCompare(hashPassphrase(pass, salt), want) == 1, nil
}

// SetPassphrase sets, changes or (with next empty) removes the owner
// passphrase; the current one is required when one is set, and wrong
// ones count towards the limit of Unlock.
func (a *App) SetPassphrase(ctx context.Context, current, next string) error {
	// The current passphrase is a guess like any other.
	ok, err := a.pass.check(a.now(), func() (bool, error) { return a.CheckPassphrase(ctx, current) })
	if err != nil {
		if e, ok := AsError(err); ok && e.Code == CodeRateLimited {
			e.Field = "current"
		}
		return err
	}
	if !ok {
		return invalid("current", "the current passphrase is wrong")
	}
	if next != "" && len([]rune(next)) < 8 {
		return invalid("passphrase", "choose a passphrase of at least 8 characters")
	}
	return a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		e.Action, e.Entity = "settings.lock", "settings"
		if next == "" {
			e.Summary = "Removed the owner passphrase"
			return tx.DeleteSetting(ctx, keyPassphrase)
		}
		salt := make([]byte, 16)
		rand.Read(salt)
		e.Summary = "Set the owner passphrase"
		return tx.PutSetting(ctx, keyPassphrase, base64.RawStdEncoding.EncodeToString(salt)+"$"+
			base64.RawStdEncoding.EncodeToString(hashPassphrase(next, salt)))
	})
}
