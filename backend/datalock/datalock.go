// Package datalock keeps one Grantbook process per data folder: an OS file
// lock on grantbook.lock, held for the process's lifetime. The OS drops the
// lock when the process ends, however it ends, so a lock file left behind
// never blocks; its content only says who holds it, for the refusal.
package datalock

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode"
)

// FileName is the lock file inside the data folder.
const FileName = "grantbook.lock"

// Lock is a held data folder.
type Lock struct {
	f *os.File
}

// Holder is what the lock file says about the process holding it.
type Holder struct {
	PID  int    `json:"pid"`
	Mode string `json:"mode"` // "window", "serve on 127.0.0.1:8765"
}

// HeldError says the folder is in use by another process.
type HeldError struct {
	Dir    string
	Holder Holder // zero when the lock file could not be read
}

func (e *HeldError) Error() string {
	who := "another Grantbook"
	switch {
	case e.Holder.PID > 0 && e.Holder.Mode != "":
		who += fmt.Sprintf(" (process %d, %s)", e.Holder.PID, e.Holder.Mode)
	case e.Holder.PID > 0:
		who += fmt.Sprintf(" (process %d)", e.Holder.PID)
	}
	return fmt.Sprintf("the data folder %s is in use by %s: close that one first, or use another --data-dir", e.Dir, who)
}

// Acquire locks dir (which must exist) for this process, or returns a
// *HeldError at once when another process holds it.
func Acquire(dir string) (*Lock, error) {
	path := filepath.Join(dir, FileName)
	// No O_TRUNC: the holder's record must survive until we own the lock.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	got, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !got {
		h := readHolder(f)
		f.Close()
		return nil, &HeldError{Dir: dir, Holder: h}
	}
	l := &Lock{f: f}
	if err := l.SetMode("starting"); err != nil {
		l.Release()
		return nil, err
	}
	return l, nil
}

// SetMode records this process and what it is doing in the lock file.
func (l *Lock) SetMode(mode string) error {
	raw, _ := json.Marshal(Holder{PID: os.Getpid(), Mode: mode})
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("write %s: %w", l.f.Name(), err)
	}
	if _, err := l.f.WriteAt(append(raw, '\n'), 0); err != nil {
		return fmt.Errorf("write %s: %w", l.f.Name(), err)
	}
	return nil
}

// Release unlocks the folder. The file stays: removing it would race with
// a process that has just opened it.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := unlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// readHolder reads the record, trusting nothing in it: it is only shown.
func readHolder(f *os.File) Holder {
	raw, err := io.ReadAll(io.LimitReader(f, 4096))
	var h Holder
	if err != nil || json.Unmarshal(raw, &h) != nil || h.PID < 0 {
		return Holder{}
	}
	h.Mode = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, h.Mode)
	if len(h.Mode) > 200 {
		h.Mode = h.Mode[:200]
	}
	return h
}

// IsHeld reports whether err says the folder is in use.
func IsHeld(err error) bool {
	var he *HeldError
	return errors.As(err, &he)
}
