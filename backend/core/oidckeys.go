package core

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// OIDCKeysFile keeps the OpenID Connect signing keys in the data folder:
// like the owner token, a file rather than a row, so that restoring a
// backup never brings back a key that was rotated away.
const OIDCKeysFile = "oidc-keys.json"

// OIDCKeyRetention is how long a rotated key stays published: tokens
// signed with it still verify until they expire.
const OIDCKeyRetention = 24 * time.Hour

// OIDCKey is one RSA signing key; the newest is the one that signs.
type OIDCKey struct {
	ID      string          `json:"id"`
	Created time.Time       `json:"created"`
	Retired *time.Time      `json:"retired,omitempty"`
	PKCS8   []byte          `json:"pkcs8"`
	Key     *rsa.PrivateKey `json:"-"`
}

// OIDCKeys are the provider's keys: Crypto seals its opaque access tokens.
type OIDCKeys struct {
	Crypto []byte    `json:"crypto_key"`
	Keys   []OIDCKey `json:"keys"` // newest last
}

// Signing is the key that signs now.
func (k *OIDCKeys) Signing() OIDCKey { return k.Keys[len(k.Keys)-1] }

// Published are the keys relying parties may verify with now.
func (k *OIDCKeys) Published(now time.Time) []OIDCKey {
	var out []OIDCKey
	for _, key := range k.Keys {
		if key.Retired == nil || now.Sub(*key.Retired) < OIDCKeyRetention {
			out = append(out, key)
		}
	}
	return out
}

// OIDCKeys loads the keys, making the first on first use.
func (a *App) OIDCKeys() (*OIDCKeys, error) {
	a.oidcMu.Lock()
	defer a.oidcMu.Unlock()
	if a.oidcKeys != nil {
		return a.oidcKeys, nil
	}
	if a.dataDir == "" {
		return nil, errors.New("oidc keys: this core has no data folder")
	}
	path := filepath.Join(a.dataDir, OIDCKeysFile)
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		k := &OIDCKeys{Crypto: make([]byte, 32)}
		rand.Read(k.Crypto)
		if err := k.add(a.now()); err != nil {
			return nil, err
		}
		if err := a.writeOIDCKeys(k); err != nil {
			return nil, err
		}
		a.oidcKeys = k
		return k, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the OpenID Connect keys: %w", err)
	}
	k := &OIDCKeys{}
	if err := json.Unmarshal(raw, k); err != nil || len(k.Crypto) != 32 || len(k.Keys) == 0 {
		return nil, fmt.Errorf("%s is damaged: move it away and Grantbook makes new keys (relying parties fetch them again)", path)
	}
	for i := range k.Keys {
		key, err := x509.ParsePKCS8PrivateKey(k.Keys[i].PKCS8)
		rsaKey, ok := key.(*rsa.PrivateKey)
		if err != nil || !ok {
			return nil, fmt.Errorf("%s: key %s is damaged", path, k.Keys[i].ID)
		}
		k.Keys[i].Key = rsaKey
	}
	a.oidcKeys = k
	return k, nil
}

func (k *OIDCKeys) add(now time.Time) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("oidc key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("oidc key: %w", err)
	}
	id := make([]byte, 8)
	rand.Read(id)
	k.Keys = append(k.Keys, OIDCKey{ID: hex.EncodeToString(id), Created: now.UTC().Truncate(time.Second), PKCS8: der, Key: key})
	return nil
}

// RotateOIDCKey makes a new signing key; the old one stays published for
// OIDCKeyRetention, and older retired ones go.
func (a *App) RotateOIDCKey(ctx context.Context) (string, error) {
	old, err := a.OIDCKeys()
	if err != nil {
		return "", err
	}
	a.oidcMu.Lock()
	defer a.oidcMu.Unlock()
	now := a.now().UTC().Truncate(time.Second)
	k := &OIDCKeys{Crypto: old.Crypto}
	for _, key := range old.Published(now) {
		if key.Retired == nil {
			key.Retired = &now
		}
		k.Keys = append(k.Keys, key)
	}
	if err := k.add(now); err != nil {
		return "", err
	}
	id := k.Signing().ID
	err = a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		e.Action, e.Entity, e.Summary = "settings.oidc_key", "settings", "Replaced the OpenID Connect signing key (new key "+id+")"
		return a.writeOIDCKeys(k)
	})
	if err != nil {
		return "", err
	}
	a.oidcKeys = k
	return id, nil
}

// writeOIDCKeys replaces the file atomically, readable by the owner only.
func (a *App) writeOIDCKeys(k *OIDCKeys) error {
	raw, err := json.Marshal(k)
	if err == nil {
		err = writePrivateFile(a.dataDir, OIDCKeysFile, raw)
	}
	if err != nil {
		return fmt.Errorf("storing the OpenID Connect keys: %w", err)
	}
	return nil
}
