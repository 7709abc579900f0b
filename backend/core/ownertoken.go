package core

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// OwnerTokenFile keeps serve's owner access token in the data folder, so a
// bookmarked link survives restarts. A file rather than a setting: restoring
// a backup must not bring back an old token.
const OwnerTokenFile = "owner-token"

// NewOwnerToken makes a random bearer token (256 bits, URL-safe).
func NewOwnerToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// OwnerTokenPath is where the token file lives.
func (a *App) OwnerTokenPath() string { return filepath.Join(a.dataDir, OwnerTokenFile) }

// StoredOwnerToken reads the owner token from the data folder, making and
// storing one on first use.
func (a *App) StoredOwnerToken() (string, error) {
	if a.dataDir == "" {
		return "", errors.New("owner token: this core has no data folder")
	}
	raw, err := os.ReadFile(a.OwnerTokenPath())
	if errors.Is(err, fs.ErrNotExist) {
		tok := NewOwnerToken()
		return tok, a.writeOwnerToken(tok)
	}
	if err != nil {
		return "", fmt.Errorf("reading the owner token: %w", err)
	}
	// Someone may have copied the folder with looser permissions.
	if err := os.Chmod(a.OwnerTokenPath(), 0o600); err != nil {
		return "", fmt.Errorf("owner token: %w", err)
	}
	tok := strings.TrimSpace(string(raw))
	if !validOwnerToken(tok) {
		return "", fmt.Errorf("%s does not hold a valid access token (at least 32 letters, digits, - or _): "+
			"run grantbook serve --new-token to replace it", a.OwnerTokenPath())
	}
	return tok, nil
}

// RotateOwnerToken replaces the stored token; links with the old one stop
// working. The audit log records that it happened, never the token.
func (a *App) RotateOwnerToken(ctx context.Context) (string, error) {
	if a.dataDir == "" {
		return "", errors.New("owner token: this core has no data folder")
	}
	tok := NewOwnerToken()
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		e.Action, e.Entity, e.Summary = "settings.token", "settings", "Replaced the owner access token"
		return a.writeOwnerToken(tok)
	})
	if err != nil {
		return "", err
	}
	return tok, nil
}

// writeOwnerToken replaces the file atomically, readable by the owner only.
func (a *App) writeOwnerToken(tok string) error {
	if err := writePrivateFile(a.dataDir, OwnerTokenFile, []byte(tok+"\n")); err != nil {
		return fmt.Errorf("storing the owner token: %w", err)
	}
	return nil
}

// writePrivateFile replaces dir/name atomically with a file only the
// user can read.
func writePrivateFile(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, name+".*.tmp") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, name))
	}
	return err
}

func validOwnerToken(tok string) bool {
	if len(tok) < 32 {
		return false
	}
	for _, c := range tok {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
