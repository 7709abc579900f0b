package hub_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/hub"
	"grantbook/backend/hub/hubtest"
)

func TestPairingCodeIsSingleUseAndAttemptLimited(t *testing.T) {
	var c hub.Codes
	if err := c.Take("anything"); !errors.Is(err, hub.ErrNoCode) {
		t.Fatalf("no code yet: %v", err)
	}
	code, _ := c.New()
	for i := 1; i < hub.CodeAttempts; i++ {
		if err := c.Take("WRONG-CODE-0000"); !errors.Is(err, hub.ErrCodeWrong) {
			t.Fatalf("wrong try %d: %v", i, err)
		}
	}
	if err := c.Take("WRONG-CODE-0000"); !errors.Is(err, hub.ErrCodeVoid) {
		t.Fatalf("last wrong try: %v", err)
	}
	if err := c.Take(code); !errors.Is(err, hub.ErrCodeVoid) {
		t.Fatalf("the right code after too many wrong ones: %v, want void", err)
	}
	code, _ = c.New()
	// Typed in lower case, without dashes, with spaces: still the code.
	if err := c.Take(" " + strings.ToLower(strings.ReplaceAll(code, "-", " ")) + " "); err != nil {
		t.Fatalf("the right code: %v", err)
	}
	if err := c.Take(code); !errors.Is(err, hub.ErrNoCode) {
		t.Fatalf("the code a second time: %v, want it used up", err)
	}
}

func TestPairingRefusedWithAWrongCodeAndAfterUnpairing(t *testing.T) {
	ctx := context.Background()
	h, d, _, proxy := hubAndDesktop(t)
	h.hub.Codes.New()
	err := d.desk.Connect(ctx, "http://"+proxy.Addr(), "AAAA-BBBB-CCCC")
	if err == nil || !strings.Contains(err.Error(), "wrong") {
		t.Fatalf("a wrong code: %v, want refused as wrong", err)
	}
	if st, _ := d.desk.Status(ctx), error(nil); st.Paired {
		t.Fatal("paired with a wrong code")
	}
	if err := d.desk.Connect(ctx, "http://hub.example.com", "x"); err == nil {
		t.Fatal("plain http to another computer accepted")
	}

	pair(t, h, d, proxy)
	st, _ := d.desk.Status(ctx), error(nil)
	firstEpoch := d.desk.Log.Epoch()
	hubtest.WaitFor(t, 10*time.Second, "connected", func() bool {
		st, _ = d.desk.Status(ctx), error(nil)
		return st.State == "connected"
	})

	if err := d.desk.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	if st, _ := d.desk.Status(ctx), error(nil); st.Paired || st.State != "unpaired" {
		t.Fatalf("after disconnecting: %+v", st)
	}
	if hs, _ := h.hub.Status(ctx), error(nil); len(hs.Peers) != 0 {
		t.Fatalf("the hub still lists %d peers after unpairing", len(hs.Peers))
	}
	if _, err := os.Stat(filepath.Join(d.app.DataDir(), "sync", "pairing.json")); !os.IsNotExist(err) {
		t.Fatalf("pairing.json after disconnecting: %v", err)
	}

	// Pairing again starts a new epoch, and its snapshot reaches the hub.
	pair(t, h, d, proxy)
	if e := d.desk.Log.Epoch(); e <= firstEpoch {
		t.Fatalf("epoch after re-pairing %d, want more than %d", e, firstEpoch)
	}
	acc, err := d.app.CreateAccount(ctx, "After re-pairing")
	if err != nil {
		t.Fatal(err)
	}
	hubtest.WaitFor(t, 10*time.Second, "the account on the hub", func() bool {
		_, err := h.app.Account(ctx, acc.ID)
		return err == nil
	})
	// And the hub's changes reach the desktop again.
	if _, err := h.app.CreateSupport(ctx, acc.ID, core.SupportInput{Subject: "After re-pairing"}); err != nil {
		t.Fatal(err)
	}
	hubtest.WaitFor(t, 10*time.Second, "the hub's support request on the desktop", func() bool {
		return len(d.supportSubjects(acc.ID)) == 1
	})
}
