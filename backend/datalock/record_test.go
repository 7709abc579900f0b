package datalock

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// The record comes from a file anyone with access to the folder can write:
// garbage must give an empty or tidy holder, never a panic.
func FuzzReadHolder(f *testing.F) {
	for _, s := range []string{`{"pid":12,"mode":"window"}`, `{"pid":-1}`, `{"mode":"a\u0000\nb"}`, `not json`, ``, `{"pid":1e30}`} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, raw []byte) {
		path := filepath.Join(dir, "record")
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		fh, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		h := readHolder(fh)
		if h.PID < 0 || len(h.Mode) > 200 || strings.IndexFunc(h.Mode, unicode.IsControl) >= 0 {
			t.Errorf("holder %+v from %q", h, raw)
		}
		msg := (&HeldError{Dir: "/d", Holder: h}).Error()
		if strings.ContainsAny(msg, "\n\r\x00") {
			t.Errorf("message %q", msg)
		}
	})
}

func TestIsHeld(t *testing.T) {
	if !IsHeld(errors.Join(errors.New("open"), &HeldError{Dir: "/d"})) || IsHeld(errors.New("other")) {
		t.Error("IsHeld")
	}
	if got := (&HeldError{Dir: "/d"}).Error(); got != "the data folder /d is in use by another Grantbook: close that one first, or use another --data-dir" {
		t.Errorf("message without a record: %q", got)
	}
}
