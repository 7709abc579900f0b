package inbox_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"grantbook/backend/inbox"
	"grantbook/backend/mailtest"
)

// Every message from an invitee is read, whatever its headers: a reply
// stripped of its thread headers, sent to the plain address, or a forward.
// Invitees are searched FromBatch at a time.
func TestCatchUpReadsEveryMessageFromInvitees(t *testing.T) {
	srv := mailtest.NewIMAP(t)
	p := newProcessor()
	for i := range 2*inbox.FromBatch + 17 {
		p.invitees = append(p.invitees, fmt.Sprintf("invitee%d@client.test", i))
	}
	from := func(n int, addr, body string) []byte {
		return []byte(strings.Replace(string(msg(n, "owner@example.test", body)),
			fmt.Sprintf("Sender %d <sender%d@client.test>", n, n), "Someone <"+addr+">", 1))
	}
	raws := [][]byte{
		unrelated(1),
		from(2, "invitee0@client.test", "Yes, count me in."),                      // first batch
		from(3, "Invitee150@Client.TEST", "Fwd: the invitation"),                  // second batch, any case
		from(4, fmt.Sprintf("invitee%d@client.test", 2*inbox.FromBatch+16), "ok"), // last batch
		from(5, "stranger@client.test", "not invited"),                            // nobody's
		unrelated(6),
	}
	for _, r := range raws {
		srv.Append(r)
	}
	start(t, srv, p, nil)
	waitCursor(t, p, srv.UIDValidity("INBOX"), 6)
	if got := p.uids(); !slices.Equal(got, []uint32{2, 3, 4}) {
		t.Fatalf("processed UIDs %v, want [2 3 4]", got)
	}
	if n := len(inbox.FromSearches(p.invitees)); n != 3 {
		t.Errorf("%d FROM searches for %d invitees, want 3", n, len(p.invitees))
	}
}

// Nothing that arrived before the first invitation is read: it cannot be a
// reply or a report. With no invitation at all nothing is read.
func TestCatchUpSkipsMailOlderThanTheFirstInvitation(t *testing.T) {
	srv := mailtest.NewIMAP(t)
	p := newProcessor() // its Watch.Since is an hour ago
	p.invitees = []string{"sender2@client.test"}
	old := time.Now().Add(-10 * 24 * time.Hour)
	srv.AppendAt("INBOX", related(1), old)
	srv.AppendAt("INBOX", msg(2, "owner@example.test", "an old message from the invitee"), old)
	srv.Append(related(3))
	srv.Append(msg(2, "owner@example.test", "a new message from the invitee"))
	start(t, srv, p, nil)
	waitCursor(t, p, srv.UIDValidity("INBOX"), 4)
	if got := p.uids(); !slices.Equal(got, []uint32{3, 4}) {
		t.Fatalf("processed UIDs %v, want [3 4]", got)
	}

	none := mailtest.NewIMAP(t)
	none.Append(related(1))
	q := &noInvitations{processor: newProcessor()}
	start(t, none, q, nil)
	waitCursor(t, q.processor, none.UIDValidity("INBOX"), 1)
	if got := q.uids(); len(got) != 0 {
		t.Errorf("processed %v with no invitation at all", got)
	}
}

type noInvitations struct{ *processor }

func (noInvitations) Watch(context.Context) (inbox.Watch, error) { return inbox.Watch{}, nil }
