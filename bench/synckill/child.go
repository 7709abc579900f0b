package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing/fstest"
	"time"

	"grantbook/backend/changelog"
	"grantbook/backend/core"
	"grantbook/backend/hub"
	"grantbook/backend/model"
	"grantbook/backend/store"
	"grantbook/backend/web"
)

// A child is one Grantbook process (hub or desktop) on its data dir. It
// writes changes while the parent says "go", printing each one after its
// commit returned, and answers "pause", "status", "final" and "quit" on
// stdin. The parent kills it with SIGKILL whenever it likes.
type child struct {
	role, dir string
	gen       int
	rate      int
	app       *core.App
	out       *lineWriter

	hub  *hub.HubSide     // role hub
	desk *hub.DesktopSide // role desk

	mu      sync.Mutex
	cond    *sync.Cond
	running bool // writes wanted
	busy    bool // a write is under way
}

const (
	adaEmail   = "ada@example.test"
	ownerToken = "synckill-owner-token-0123456789abcdefghijkl"
)

// lineWriter keeps whole lines whole on a shared stdout.
type lineWriter struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func (l *lineWriter) printf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format+"\n", a...)
	l.w.Flush()
}

func runChild(role, dir, addr, hubURL, code string, gen, rate, seedRows int) error {
	ctx := context.Background()
	c := &child{role: role, dir: dir, gen: gen, rate: rate, out: &lineWriter{w: bufio.NewWriter(os.Stdout)}}
	c.cond = sync.NewCond(&c.mu)
	var err error
	if c.app, err = core.Open(ctx, dir); err != nil {
		return err
	}
	api := web.NewAPI(c.app, nil)
	switch role {
	case "hub":
		if c.hub, err = api.StartHubSync(); err != nil {
			return err
		}
		if !c.hub.Paired() {
			code, _ := c.hub.Codes.New()
			c.out.printf("code %s", code)
		}
		if err := serve(addr, web.NewServer(api, fstest.MapFS{"index.html": {Data: []byte("x")}}, ownerToken)); err != nil {
			return err
		}
	case "desk":
		if c.desk, err = api.StartDesktopSync(); err != nil {
			return err
		}
		if code != "" {
			if err := c.seed(ctx, seedRows); err != nil {
				return err
			}
			c.out.printf("pairing")
			if err := c.desk.Connect(ctx, hubURL, code); err != nil {
				// As the window would show it; the owner asks the hub for a new code.
				c.out.printf("unpaired %s", err)
				return c.app.Close()
			}
		} else if st := c.desk.Status(ctx); !st.Paired {
			// The window resumes its pairing from <data dir>/sync/pairing.json
			// through the same StartDesktopSync; a desktop killed before it
			// kept one is not paired.
			c.out.printf("unpaired")
			return c.app.Close()
		}
	default:
		return fmt.Errorf("unknown role %q", role)
	}
	go c.write(ctx)
	c.out.printf("ready")
	return c.commands(ctx)
}

// serve takes addr (fixed for the run, so the desktop redials the same
// hub), retrying while the killed predecessor's socket is still closing.
func serve(addr string, h http.Handler) error {
	var ln net.Listener
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
	}
	if err != nil {
		return err
	}
	go http.Serve(ln, h)
	return nil
}

// seed gives the desktop the account and the contact the hub acts for,
// and rows more accounts (a bigger snapshot: a longer pairing), once.
func (c *child) seed(ctx context.Context, rows int) error {
	var n int
	if err := c.app.Store().QueryRow(ctx, `SELECT count(*) FROM contacts WHERE email = ?`, adaEmail).Scan(&n); err != nil || n > 0 {
		return err // seeded by an earlier start (pairing again)
	}
	acc, err := c.app.CreateAccount(ctx, "Acme Ltd")
	if err != nil {
		return err
	}
	if _, err := c.app.CreateContact(ctx, core.ContactInput{AccountID: acc.ID, FirstName: "Ada", LastName: "Lovelace",
		Email: adaEmail, Preset: "full"}); err != nil {
		return err
	}
	return c.app.Store().Tx(ctx, func(tx *store.Tx) error {
		for i := range rows {
			if _, err := tx.Exec(ctx, `INSERT INTO accounts (name, created_at) VALUES (?, ?)`,
				"seed-"+strconv.Itoa(i), time.Now().Unix()); err != nil {
				return err
			}
		}
		return nil
	})
}

func (c *child) commands(ctx context.Context) error {
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		switch cmd := sc.Text(); cmd {
		case "go", "pause":
			c.mu.Lock()
			c.running = cmd == "go"
			for !c.running && c.busy {
				c.cond.Wait()
			}
			c.mu.Unlock()
			c.out.printf("ok %s", cmd)
		case "status", "final":
			var v any
			var err error
			if cmd == "status" {
				v, err = c.status(ctx)
			} else {
				v, err = c.final(ctx)
			}
			if err != nil {
				return err
			}
			b, _ := json.Marshal(v)
			c.out.printf("%c %s", cmd[0], b)
		case "code": // the hub's Settings page makes a new one
			code, _ := c.hub.Codes.New()
			c.out.printf("code %s", code)
		case "quit":
			c.mu.Lock()
			c.running = false
			for c.busy {
				c.cond.Wait()
			}
			c.mu.Unlock()
			return c.app.Close()
		default:
			return fmt.Errorf("unknown command %q", cmd)
		}
	}
	return c.app.Close() // the parent went away
}

// write makes one change every 1/rate s while running: on the desktop
// owner changes (accounts, contacts with a grant, a contact's grant and
// details changed), on the hub the contact's actions in the client area
// (support requests, replies, the account's profile).
func (c *child) write(ctx context.Context) {
	tick := time.NewTicker(time.Second / time.Duration(c.rate))
	defer tick.Stop()
	var w writer
	if c.role == "hub" {
		w = &hubWriter{c: c}
	} else {
		w = &deskWriter{c: c}
	}
	for i := 0; ; {
		<-tick.C
		c.mu.Lock()
		if !c.running {
			c.mu.Unlock()
			continue
		}
		c.busy = true
		c.mu.Unlock()
		err := w.step(ctx, fmt.Sprintf("%s-%d-%d", c.role, c.gen, i))
		c.mu.Lock()
		c.busy = false
		c.cond.Broadcast()
		c.mu.Unlock()
		if errors.Is(err, errNotYet) {
			continue
		}
		if err != nil {
			c.out.printf("err %s", err)
			os.Exit(3)
		}
		i++
	}
}

var errNotYet = errors.New("not yet")

type writer interface {
	// step makes change number marker and prints it once committed.
	step(ctx context.Context, marker string) error
}

type deskWriter struct {
	c       *child
	n       int
	account int64
	contact int64
}

func (w *deskWriter) step(ctx context.Context, marker string) error {
	app, out := w.c.app, w.c.out
	defer func() { w.n++ }()
	switch {
	case w.n%3 == 0 || w.account == 0:
		acc, err := app.CreateAccount(ctx, marker)
		if err != nil {
			return err
		}
		w.account = acc.ID
		out.printf("c accounts %d %s", acc.ID, marker)
	case w.n%3 == 1 || w.contact == 0:
		ct, err := app.CreateContact(ctx, core.ContactInput{AccountID: w.account, FirstName: "Kill", LastName: marker,
			Email: marker + "@example.test", Preset: "billing"})
		if err != nil {
			return err
		}
		w.contact = ct.ID
		out.printf("c contacts %d %s", ct.ID, marker)
	default:
		preset := "technical"
		if _, err := app.UpdateContact(ctx, w.contact, core.ContactPatch{Company: &marker, Preset: &preset}); err != nil {
			return err
		}
		out.printf("u contacts %d %s", w.contact, marker)
	}
	return nil
}

type hubWriter struct {
	c       *child
	n       int
	p       *core.Principal
	request int64
}

func (w *hubWriter) step(ctx context.Context, marker string) error {
	app, out := w.c.app, w.c.out
	if w.p == nil {
		p, err := w.signIn(ctx)
		if err != nil || p == nil {
			return errNotYet // Ada has not reached the hub yet
		}
		w.p = p
	}
	defer func() { w.n++ }()
	switch {
	case w.n%3 == 0 || w.request == 0:
		sr, err := app.OpenSupport(ctx, w.p, core.SupportInput{Subject: marker})
		if err != nil {
			return err
		}
		w.request = sr.ID
		out.printf("c support_requests %d %s", sr.ID, marker)
	case w.n%3 == 1:
		th, err := app.ReplySupport(ctx, w.p, w.request, core.ReplyInput{Body: marker})
		if err != nil {
			return err
		}
		for _, r := range th.Replies {
			if r.Body == marker {
				out.printf("c support_replies %d %s", r.ID, marker)
			}
		}
	default:
		a, err := app.EditProfile(ctx, w.p, core.ProfileInput{Address: &marker})
		if err != nil {
			return err
		}
		out.printf("u accounts %d %s", a.ID, marker)
	}
	return nil
}

// signIn opens a client-area session for Ada on the hub as a verified
// sign-in code would (sessions are never replicated; the code's mail is
// beside the point here) and authenticates it the way every request does.
func (w *hubWriter) signIn(ctx context.Context) (*core.Principal, error) {
	s := w.c.app.Store()
	var id int64
	if err := s.QueryRow(ctx, `SELECT id FROM contacts WHERE email = ?`, adaEmail).Scan(&id); err != nil {
		return nil, err
	}
	token := strconv.FormatInt(time.Now().UnixNano(), 36) + "-synckill-session"
	h := sha256.Sum256([]byte(token))
	now := time.Now().UTC().Truncate(time.Second)
	err := s.Tx(ctx, func(tx *store.Tx) error {
		return tx.InsertSession(ctx, &model.Session{ContactID: id, EmailKey: store.EmailKey(adaEmail), CSRFToken: "x",
			CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(core.SessionTTL)}, h[:], []int64{id})
	})
	if err != nil {
		return nil, err
	}
	p, err := w.c.app.Authenticate(ctx, token)
	if err != nil || p.Contact == nil {
		return nil, err
	}
	return p, nil
}

// status is what the parent polls to see both sides in step.
type status struct {
	Origin      string `json:"origin"`
	Epoch       int64  `json:"epoch"`
	OwnLast     uint64 `json:"own_last"`     // last sequence of this side's own events
	PeerOrigin  string `json:"peer_origin"`  // the other side
	PeerEpoch   int64  `json:"peer_epoch"`   //
	PeerApplied uint64 `json:"peer_applied"` // high-water mark of the other side's events here
}

func (c *child) log() *changelog.Log {
	if c.hub != nil {
		return c.hub.Log
	}
	return c.desk.Log
}

func (c *child) status(ctx context.Context) (status, error) {
	l := c.log()
	s := status{Origin: l.Origin(), Epoch: l.Epoch()}
	if err := c.app.Store().QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM change_log WHERE origin = ? AND epoch = ?`,
		s.Origin, s.Epoch).Scan(&s.OwnLast); err != nil {
		return s, err
	}
	if c.hub != nil {
		st := c.hub.Status(ctx)
		if len(st.Peers) != 1 {
			return s, fmt.Errorf("the hub has %d paired desktops", len(st.Peers))
		}
		s.PeerOrigin, s.PeerEpoch = st.Peers[0].Origin, st.Peers[0].Epoch
	} else {
		var p hub.Pairing
		b, err := os.ReadFile(filepath.Join(c.dir, "sync", "pairing.json"))
		if err != nil {
			return s, err
		}
		if err := json.Unmarshal(b, &p); err != nil {
			return s, err
		}
		s.PeerOrigin, s.PeerEpoch = p.HubOrigin, p.HubEpoch
	}
	var err error
	s.PeerApplied, err = l.Applied(ctx, s.PeerOrigin, s.PeerEpoch)
	return s, err
}

// finalReport is what the parent checks at the end.
type finalReport struct {
	status
	State     string             `json:"state"` // the sync line's state
	PeerKept  int                `json:"peer_kept"`
	Digests   map[string]string  `json:"digests"`
	Rejected  int                `json:"rejected"`
	Integrity string             `json:"integrity"`
	Markers   map[string][]int64 `json:"markers"`  // "table marker" -> ids of rows carrying it
	Values    map[string]string  `json:"values"`   // "table id" -> the field the updates change
	Applying  bool               `json:"applying"` // change_state.applying left on
}

func (c *child) final(ctx context.Context) (*finalReport, error) {
	st, err := c.status(ctx)
	if err != nil {
		return nil, err
	}
	f := &finalReport{status: st, Markers: map[string][]int64{}, Values: map[string]string{}}
	if c.hub != nil {
		f.State = c.hub.Status(ctx).Peers[0].State
	} else {
		f.State = c.desk.Status(ctx).State
	}
	s := c.app.Store()
	if f.Digests, err = c.log().TableDigests(ctx); err != nil {
		return nil, err
	}
	if err := s.QueryRow(ctx, `SELECT count(*) FROM change_log WHERE origin = ? AND epoch = ?`, st.PeerOrigin, st.PeerEpoch).Scan(&f.PeerKept); err != nil {
		return nil, err
	}
	if err := s.QueryRow(ctx, `SELECT count(*) FROM change_rejected`).Scan(&f.Rejected); err != nil {
		return nil, err
	}
	if err := s.QueryRow(ctx, `SELECT applying FROM change_state`).Scan(&f.Applying); err != nil {
		return nil, err
	}
	if err := s.DB().QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&f.Integrity); err != nil {
		return nil, err
	}
	for _, m := range []struct{ table, marker, value string }{
		{"accounts", "name", "address"},
		{"contacts", "last_name", "company"},
		{"support_requests", "subject", ""},
		{"support_replies", "body", ""},
	} {
		cols := "id, " + m.marker + ", ''"
		if m.value != "" {
			cols = "id, " + m.marker + ", coalesce(" + m.value + ", '')"
		}
		rows, err := s.Query(ctx, `SELECT `+cols+` FROM `+m.table)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var marker, value string
			if err := rows.Scan(&id, &marker, &value); err != nil {
				rows.Close()
				return nil, err
			}
			k := m.table + " " + marker
			f.Markers[k] = append(f.Markers[k], id)
			if value != "" {
				f.Values[m.table+" "+strconv.FormatInt(id, 10)] = value
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return f, nil
}
