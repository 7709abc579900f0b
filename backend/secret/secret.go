// Package secret keeps passwords out of the database: in the OS keyring
// (Keychain, Windows Credential Manager, Secret Service) when there is one,
// else (or on Linux without a session bus) sealed with AES-GCM under a key
// file in the data directory that only the user can read. The database holds
// which of the two, never the secret.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/zalando/go-keyring"
)

const service = "Grantbook"

// ErrUnavailable: the secret was sealed elsewhere and is not here: in
// another computer's keyring, or under another key file (the data came
// from a backup, or the key file was replaced). Only sealing it again helps.
var ErrUnavailable = errors.New("the secret is not on this computer")

// Vault stores secrets by name.
type Vault struct {
	keyFile string
	account string // keyring user: distinct per data directory
	keyring bool
}

// Open prepares a vault for a data directory. The keyring is used when it
// answers; GRANTBOOK_KEYRING=off forces the key file.
func Open(dataDir string) *Vault {
	sum := sha256.Sum256([]byte(dataDir))
	v := &Vault{keyFile: filepath.Join(dataDir, "secret.key"), account: hex.EncodeToString(sum[:8])}
	// On Linux the keyring is the Secret Service on the session bus; with no
	// session bus (a server, a service) asking would start a stray
	// dbus-daemon, so the key file is used.
	noBus := runtime.GOOS == "linux" && os.Getenv("DBUS_SESSION_BUS_ADDRESS") == ""
	if os.Getenv("GRANTBOOK_KEYRING") != "off" && !noBus {
		probe := v.account + ".probe"
		if err := keyring.Set(service, probe, "ok"); err == nil {
			keyring.Delete(service, probe)
			v.keyring = true
		}
	}
	return v
}

// Backend says where secrets go: "keyring" or "file".
func (v *Vault) Backend() string {
	if v.keyring {
		return "keyring"
	}
	return "file"
}

// Seal stores a secret and returns the reference to keep in the database.
func (v *Vault) Seal(name, value string) (string, error) {
	if v.keyring {
		if err := keyring.Set(service, v.account+"."+name, value); err != nil {
			return "", fmt.Errorf("save %s in the keyring: %w", name, err)
		}
		return "keyring:", nil
	}
	gcm, err := v.cipher(true)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	rand.Read(nonce)
	out := gcm.Seal(nonce, nonce, []byte(value), []byte(name))
	return "sealed:" + base64.StdEncoding.EncodeToString(out), nil
}

// Open returns the secret a reference stands for.
func (v *Vault) Open(name, ref string) (string, error) {
	switch {
	case ref == "":
		return "", nil
	case ref == "keyring:":
		s, err := keyring.Get(service, v.account+"."+name)
		if errors.Is(err, keyring.ErrNotFound) {
			return "", fmt.Errorf("read %s from the keyring: %w", name, ErrUnavailable)
		}
		if err != nil {
			return "", fmt.Errorf("read %s from the keyring: %w", name, err)
		}
		return s, nil
	case strings.HasPrefix(ref, "sealed:"):
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(ref, "sealed:"))
		if err != nil {
			return "", fmt.Errorf("secret %s is damaged: %w", name, err)
		}
		gcm, err := v.cipher(false)
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("secret %s: no key file here: %w", name, ErrUnavailable)
		}
		if err != nil {
			return "", err
		}
		if len(raw) < gcm.NonceSize() {
			return "", fmt.Errorf("secret %s is damaged", name)
		}
		plain, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], []byte(name))
		if err != nil {
			return "", fmt.Errorf("secret %s cannot be opened (was secret.key replaced?): %w", name, ErrUnavailable)
		}
		return string(plain), nil
	}
	return "", fmt.Errorf("secret %s: unknown reference", name)
}

// Forget deletes a secret from the keyring (a sealed one goes with its
// reference).
func (v *Vault) Forget(name, ref string) {
	if ref == "keyring:" {
		keyring.Delete(service, v.account+"."+name)
	}
}

func (v *Vault) cipher(create bool) (cipher.AEAD, error) {
	key, err := os.ReadFile(v.keyFile)
	if errors.Is(err, os.ErrNotExist) && create {
		if key, err = v.createKey(); err != nil {
			return nil, fmt.Errorf("create %s: %w", v.keyFile, err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("read %s: %w", v.keyFile, err) // wraps os.ErrNotExist for Open
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("%s is damaged", v.keyFile)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// createKey makes the key file. The key is written to a temporary file and
// linked into place, so that a concurrent reader never sees a partial key
// and, when two callers race, both end up with the one that was linked.
func (v *Vault) createKey() ([]byte, error) {
	key := make([]byte, 32)
	rand.Read(key)
	tmp, err := os.CreateTemp(filepath.Dir(v.keyFile), ".secret.key-*") // mode 0600
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(key)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp.Name(), v.keyFile)
	}
	if errors.Is(err, os.ErrExist) {
		return os.ReadFile(v.keyFile)
	}
	return key, err
}
