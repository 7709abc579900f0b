package outbox_test

import (
	"regexp"
	"strings"
	"testing"

	"grantbook/backend/outbox"
	"grantbook/backend/store"
)

func TestReturnPath(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	id := "grantbook.abcdefghijklmnopqrstuvwxyz@example.test"
	rp := outbox.ReturnPath("owner@example.test", key, id)
	if !regexp.MustCompile(`^owner\+bounce-[a-z2-7]{20}@example\.test$`).MatchString(rp) {
		t.Fatalf("ReturnPath = %q", rp)
	}
	if tag := outbox.ReturnTag(key, id); !strings.Contains(rp, "+bounce-"+tag+"@") {
		t.Errorf("ReturnPath %q does not carry ReturnTag %q", rp, tag)
	}
	// The tag depends on the message and on the key, not on the address.
	for name, other := range map[string]string{
		"another message": outbox.ReturnPath("owner@example.test", key, "grantbook.other@example.test"),
		"another key":     outbox.ReturnPath("owner@example.test", []byte("another key of thirty-two bytes!"), id),
	} {
		if other == rp {
			t.Errorf("%s: same return path %q", name, rp)
		}
	}
	if got := outbox.ReturnPath("owner+old@example.test", key, id); got != rp {
		t.Errorf("an existing plus tag is replaced: %q, want %q", got, rp)
	}
	for in, want := range map[string]string{rp: "owner@example.test", "owner+tok@example.test": "owner+tok@example.test",
		"owner@example.test": "owner@example.test", "not-an-address": "not-an-address"} {
		if got := outbox.PlainSender(in); got != want {
			t.Errorf("PlainSender(%q) = %q, want %q", in, got, want)
		}
	}
	if got := outbox.ReturnPath("owner@example.test", nil, id); got != "owner@example.test" {
		t.Errorf("without a key: %q", got)
	}
}

// A server that refuses the plus-tagged sender gets the plain address, and
// the message still goes out.
func TestFlushFallsBackToThePlainSender(t *testing.T) {
	r := newRig(t)
	r.smtp.RefuseSender(func(from string) bool { return strings.Contains(from, "+") })
	msgs := r.enqueue("v", 1, nil)
	rp := outbox.ReturnPath("owner@example.test", []byte("0123456789abcdef0123456789abcdef"), msgs[0].MessageID)
	if _, err := r.store.DB().Exec(`UPDATE outbox SET mail_from = ? WHERE id = ?`, rp, msgs[0].ID); err != nil {
		t.Fatal(err)
	}
	if n, err := r.worker.Flush(bg); err != nil || n != 1 {
		t.Fatalf("Flush = %d, %v; want 1 sent", n, err)
	}
	got := r.smtp.Messages()
	if len(got) != 1 || got[0].From != "owner@example.test" {
		t.Fatalf("server got %v, want one message from the plain address", got)
	}
	if st := r.row(msgs[0].ID); st.state != store.OutboxSent {
		t.Errorf("row %+v", st)
	}

	// Accepted as it is when the server allows it.
	r.smtp.RefuseSender(nil)
	m2 := r.enqueue("w", 1, nil)[0]
	rp2 := outbox.ReturnPath("owner@example.test", []byte("0123456789abcdef0123456789abcdef"), m2.MessageID)
	r.store.DB().Exec(`UPDATE outbox SET mail_from = ? WHERE id = ?`, rp2, m2.ID)
	if n, err := r.worker.Flush(bg); err != nil || n != 1 {
		t.Fatalf("Flush = %d, %v", n, err)
	}
	if got := r.smtp.Messages(); got[len(got)-1].From != rp2 {
		t.Errorf("envelope from %q, want the return path %q", got[len(got)-1].From, rp2)
	}
}
