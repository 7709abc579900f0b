package outbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// Return paths (VERP). The envelope sender of an invitation is the watched
// address with a plus tag made from the message: bounces come back to
// local+bounce-TAG@domain, and a report that reaches that address is about
// that message. TAG is an HMAC of the Message-ID under a key kept in the
// secret store, never in the mail: nobody who merely knows the Message-ID
// (it carries the invitation token) can forge a report that counts.
// classify looks for the same "+bounce-" form.

// ReturnTagPrefix starts the plus tag of a return path.
const ReturnTagPrefix = "bounce-"

var tagEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// ReturnTag is the 20-character tag (100 bits) of messageID under key.
func ReturnTag(key []byte, messageID string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(messageID))
	return tagEncoding.EncodeToString(mac.Sum(nil))[:20]
}

// ReturnPath is base (an address; an existing plus tag is replaced) with
// the message's return tag. A base that is not an address is returned as
// it is.
func ReturnPath(base string, key []byte, messageID string) string {
	at := strings.LastIndexByte(base, '@')
	if at <= 0 || len(key) == 0 {
		return base
	}
	local, _, _ := strings.Cut(base[:at], "+")
	return local + "+" + ReturnTagPrefix + ReturnTag(key, messageID) + base[at:]
}

// PlainSender removes a return tag from addr: the address to fall back to
// when a server refuses plus-tagged senders.
func PlainSender(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return addr
	}
	local, tag, ok := strings.Cut(addr[:at], "+")
	if !ok || !strings.HasPrefix(tag, ReturnTagPrefix) {
		return addr
	}
	return local + addr[at:]
}
