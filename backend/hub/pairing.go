package hub

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"strings"
	"sync"
	"time"
)

// A pairing code is what `grantbook serve` prints and the hub's owner page
// shows: one at a time, single use, valid for CodeLifetime, void after
// CodeAttempts wrong tries.
const (
	CodeLifetime = 15 * time.Minute
	CodeAttempts = 5
)

var (
	ErrNoCode      = errors.New("there is no pairing code: make one on the hub (its owner page, or restart grantbook serve)")
	ErrCodeExpired = errors.New("the pairing code has expired: make a new one on the hub")
	ErrCodeWrong   = errors.New("the pairing code is wrong")
	ErrCodeVoid    = errors.New("too many wrong pairing codes: this one is void, make a new one on the hub")
)

// Codes holds the hub's current pairing code.
type Codes struct {
	mu       sync.Mutex
	code     string
	expires  time.Time
	attempts int
	now      func() time.Time
}

// codeAlphabet has no 0/O, 1/I/L: it is read aloud and typed.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// New makes a fresh code (the old one stops working) and says until when it lasts.
func (c *Codes) New() (string, time.Time) {
	b := make([]byte, 0, 12)
	one := make([]byte, 1)
	for len(b) < 12 {
		if _, err := rand.Read(one); err != nil {
			panic(err)
		}
		// Rejection sampling keeps every letter equally likely.
		if int(one[0]) < 256/len(codeAlphabet)*len(codeAlphabet) {
			b = append(b, codeAlphabet[int(one[0])%len(codeAlphabet)])
		}
	}
	code := string(b[0:4]) + "-" + string(b[4:8]) + "-" + string(b[8:12])
	c.mu.Lock()
	defer c.mu.Unlock()
	c.code, c.expires, c.attempts = code, c.clock().Add(CodeLifetime), 0
	return code, c.expires
}

// Current is the code in force, if any.
func (c *Codes) Current() (string, time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.code == "" || !c.clock().Before(c.expires) || c.attempts >= CodeAttempts {
		return "", time.Time{}, false
	}
	return c.code, c.expires, true
}

// Take uses up the code if given matches it.
func (c *Codes) Take(given string) error {
	given = strings.ToUpper(strings.Join(strings.Fields(given), ""))
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.code == "":
		return ErrNoCode
	case c.attempts >= CodeAttempts:
		return ErrCodeVoid
	case !c.clock().Before(c.expires):
		return ErrCodeExpired
	}
	if subtle.ConstantTimeCompare([]byte(given), []byte(c.code)) != 1 &&
		subtle.ConstantTimeCompare([]byte(given), []byte(strings.ReplaceAll(c.code, "-", ""))) != 1 {
		c.attempts++
		if c.attempts >= CodeAttempts {
			return ErrCodeVoid
		}
		return ErrCodeWrong
	}
	c.code = ""
	return nil
}

func (c *Codes) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

// PairingCode is a fresh one-time code for "Connect to your hub".
type PairingCode struct {
	Code    string    `json:"code"`
	Expires time.Time `json:"expires"`
}

// ConnectInput is what the owner types into "Connect to your hub".
type ConnectInput struct {
	Address string `json:"address"`
	Code    string `json:"code"`
}
