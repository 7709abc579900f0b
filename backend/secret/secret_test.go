package secret_test

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"grantbook/backend/secret"
)

// fileVault is a vault that must use the key file: tests never touch the
// user's keyring.
func fileVault(t *testing.T, dir string) *secret.Vault {
	t.Helper()
	t.Setenv("GRANTBOOK_KEYRING", "off")
	v := secret.Open(dir)
	if b := v.Backend(); b != "file" {
		t.Fatalf("Backend() = %q with GRANTBOOK_KEYRING=off, want file", b)
	}
	return v
}

func TestSealOpenRoundTrip(t *testing.T) {
	dir := t.TempDir()
	v := fileVault(t, dir)
	for _, pw := range []string{"hunter2-Sécret!", "", "x", strings.Repeat("long ", 1000), "with\x00nul and\nnewline"} {
		ref, err := v.Seal("mail.smtp.password", pw)
		if err != nil {
			t.Fatalf("Seal(%q): %v", pw, err)
		}
		if !strings.HasPrefix(ref, "sealed:") {
			t.Errorf("reference %q is not a sealed one", ref)
		}
		if pw != "" && len(pw) > 3 && strings.Contains(ref, pw) {
			t.Errorf("reference %q contains the secret", ref)
		}
		if raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(ref, "sealed:")); err != nil {
			t.Errorf("reference is not base64: %v", err)
		} else if pw != "" && len(pw) > 3 && strings.Contains(string(raw), pw) {
			t.Errorf("sealed bytes contain the secret in clear")
		}
		got, err := v.Open("mail.smtp.password", ref)
		if err != nil || got != pw {
			t.Errorf("Open = %q, %v; want %q", got, err, pw)
		}
		// Another vault on the same directory (the app restarted) opens it too.
		if got, err := secret.Open(dir).Open("mail.smtp.password", ref); err != nil || got != pw {
			t.Errorf("Open after reopening = %q, %v", got, err)
		}
	}
}

func TestSealIsRandomised(t *testing.T) {
	v := fileVault(t, t.TempDir())
	a, err := v.Seal("k", "same secret")
	if err != nil {
		t.Fatal(err)
	}
	b, err := v.Seal("k", "same secret")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Error("two seals of the same secret are identical: the nonce is not random")
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	v := fileVault(t, dir)
	key := filepath.Join(dir, "secret.key")
	if _, err := os.Stat(key); !os.IsNotExist(err) {
		t.Fatalf("key file exists before the first secret: %v", err)
	}
	ref, err := v.Seal("name", "pw-123456")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(key)
	if err != nil {
		t.Fatalf("no key file after sealing: %v", err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode %v, want 0600", perm)
	}
	if fi.Size() != 32 {
		t.Errorf("key file has %d bytes, want 32 (AES-256)", fi.Size())
	}
	before, _ := os.ReadFile(key)
	if _, err := v.Seal("other", "pw-2"); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(key); string(after) != string(before) {
		t.Error("sealing again replaced the key")
	}
	if got, err := v.Open("name", ref); err != nil || got != "pw-123456" {
		t.Errorf("Open = %q, %v", got, err)
	}
}

func TestWrongKeyFile(t *testing.T) {
	dir := t.TempDir()
	v := fileVault(t, dir)
	ref, err := v.Seal("name", "pw-123456")
	if err != nil {
		t.Fatal(err)
	}
	other := make([]byte, 32)
	rand.Read(other)
	if err := os.WriteFile(filepath.Join(dir, "secret.key"), other, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := v.Open("name", ref); err == nil {
		t.Fatalf("Open with another key = %q, nil; want an error", got)
	} else if !strings.Contains(err.Error(), "secret.key") {
		t.Errorf("error %q does not point at the key file", err)
	}

	// A damaged key file (wrong length) is an error, not a panic.
	if err := os.WriteFile(filepath.Join(dir, "secret.key"), []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Open("name", ref); err == nil {
		t.Error("Open with a damaged key file succeeded")
	}
	if _, err := v.Seal("name", "x"); err == nil {
		t.Error("Seal with a damaged key file succeeded")
	}

	// A missing key file is an error on Open (it is not recreated: that
	// would make every stored secret unreadable for good).
	if err := os.Remove(filepath.Join(dir, "secret.key")); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Open("name", ref); err == nil {
		t.Error("Open without a key file succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "secret.key")); !os.IsNotExist(err) {
		t.Error("Open created a key file")
	}
}

func TestTamperedCiphertext(t *testing.T) {
	v := fileVault(t, t.TempDir())
	ref, err := v.Seal("name", "pw-123456")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(ref, "sealed:"))
	for i := range raw {
		bad := append([]byte(nil), raw...)
		bad[i] ^= 0x01
		if got, err := v.Open("name", "sealed:"+base64.StdEncoding.EncodeToString(bad)); err == nil {
			t.Fatalf("Open with byte %d flipped = %q, nil; want an error", i, got)
		}
	}
	for _, badRef := range []string{
		"sealed:" + base64.StdEncoding.EncodeToString(raw[:len(raw)-1]), // truncated tag
		"sealed:" + base64.StdEncoding.EncodeToString(raw[:5]),          // shorter than a nonce
		"sealed:",
		"sealed:not base64!",
		"plain:pw-123456",
		"pw-123456",
	} {
		if got, err := v.Open("name", badRef); err == nil {
			t.Errorf("Open(%q) = %q, nil; want an error", badRef, got)
		}
	}
	// The name is authenticated: a reference moved to another setting fails.
	if got, err := v.Open("other.name", ref); err == nil {
		t.Errorf("Open under another name = %q, nil; want an error", got)
	}
}

func TestEmptyReference(t *testing.T) {
	v := fileVault(t, t.TempDir())
	if got, err := v.Open("name", ""); err != nil || got != "" {
		t.Errorf("Open of an empty reference = %q, %v; want nothing", got, err)
	}
	v.Forget("name", "sealed:abc") // nothing to do for a sealed reference; must not panic
}

func TestVaultsAreIndependent(t *testing.T) {
	a := fileVault(t, t.TempDir())
	b := fileVault(t, t.TempDir())
	ref, err := a.Seal("name", "pw-123456")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Seal("name", "unrelated"); err != nil { // gives b its own key
		t.Fatal(err)
	}
	if got, err := b.Open("name", ref); err == nil {
		t.Errorf("a secret sealed in one data directory opened in another: %q", got)
	}
}

// Two secrets sealed at once in a fresh directory must both stay readable:
// only one key may ever be created.
func TestConcurrentFirstSeal(t *testing.T) {
	for round := range 50 {
		dir := t.TempDir()
		v := fileVault(t, dir)
		const n = 8
		refs := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { refs[i], errs[i] = v.Seal("name", "pw") })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("round %d: Seal: %v", round, errs[i])
			}
			if got, err := v.Open("name", refs[i]); err != nil || got != "pw" {
				t.Fatalf("round %d: secret %d sealed concurrently cannot be opened: %q, %v", round, i, got, err)
			}
		}
	}
}

// A secret sealed under another data folder's key file (a backup restored
// elsewhere) is ErrUnavailable, with or without a key file here.
func TestSealedElsewhereIsUnavailable(t *testing.T) {
	ref, err := fileVault(t, t.TempDir()).Seal("totp.x", "JBSWY3DPEHPK3PXP")
	if err != nil {
		t.Fatal(err)
	}
	other := fileVault(t, t.TempDir())
	if _, err := other.Open("totp.x", ref); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("no key file here: %v", err)
	}
	if _, err := other.Seal("y", "z"); err != nil { // makes this folder's key file
		t.Fatal(err)
	}
	if _, err := other.Open("totp.x", ref); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("another key file: %v", err)
	}
}
