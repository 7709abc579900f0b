// Command imapcut cuts the reply watcher's IMAP connection again and again
// while invitations go out and replies come in, then checks that every
// reply was processed exactly once (bench/faults.sh imapcut starts a
// throwaway Dovecot and runs it).
//
// Set-up, all on loopback:
//
//   - a real Dovecot 2.3 (tests/dovecot/start.sh; IMAP + LMTP), with one
//     mailbox per invitee added to its passwd-file;
//   - a TCP proxy between the watcher and Dovecot's IMAP port that drops
//     every connection every -cut-every (alternately with FIN and with RST);
//   - an SMTP relay (go-smtp) that the core's outbox sends to; it delivers
//     each invitation to the invitee's Dovecot mailbox by LMTP, as in
//     tests/integration, and keeps a copy to answer;
//   - the core in-process (core.Open + App.Start), its IMAP settings
//     pointing at the proxy.
//
// For -duration, invitations are created every 2–5 s and genuine replies
// (built like a mail client's answer to the copy the relay saw: Re:
// subject, In-Reply-To, References, the quoted text) are delivered by LMTP
// to the owner's plus address every 2–5 s; about a third are aimed at a cut
// (1–3 back to back within ±1.5 s of it), and unrelated newsletters are
// mixed in. After -settle, each reply's mail_events rows are counted (0 =
// missed, more than 1 = processed twice) and every invitation replied to
// must be accepted.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"

	"grantbook/backend/core"
	"grantbook/backend/mail"
	"grantbook/backend/store"
)

var (
	duration = flag.Duration("duration", 10*time.Minute, "how long to send, reply and cut")
	cutEvery = flag.Duration("cut-every", 30*time.Second, "drop every IMAP connection this often")
	settle   = flag.Duration("settle", 30*time.Second, "at most this long after the end for the last replies to be processed")
	minGap   = flag.Duration("min-gap", 2*time.Second, "shortest gap between two invitations, or two replies")
	maxGap   = flag.Duration("max-gap", 5*time.Second, "longest gap")
	initial  = flag.Int("initial", 10, "invitations created before the clock starts")
	keep     = flag.Bool("keep", false, "keep the data directory and the app log")
)

// ---- the cutting proxy ----

type proxy struct {
	target string
	l      net.Listener
	mu     sync.Mutex
	conns  map[net.Conn]bool // both ends of every live pair
	pairs  int               // connections accepted
	cuts   int               // cut moments
	cutN   int               // connections dropped by cuts
}

func (p *proxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[s] = true, true
		p.pairs++
		p.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			io.Copy(dst, src)
			dst.Close()
			src.Close()
			p.mu.Lock()
			delete(p.conns, dst)
			delete(p.conns, src)
			p.mu.Unlock()
		}
		go pipe(c, s)
		go pipe(s, c)
	}
}

// cut drops every connection: with RST (linger 0) when rst, else FIN.
func (p *proxy) cut(rst bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for c := range p.conns {
		if tc, ok := c.(*net.TCPConn); ok && rst {
			tc.SetLinger(0)
		}
		c.Close()
		delete(p.conns, c)
		n++
	}
	p.cuts++
	p.cutN += n / 2
	return n / 2
}

// ---- the SMTP relay to Dovecot's LMTP ----

type relay struct {
	lmtpAddr string
	mu       sync.Mutex
	count    map[string]int // Message-ID -> deliveries
	sent     chan []byte    // invitations delivered, for the replier
}

type relaySession struct {
	r    *relay
	from string
	to   []string
}

func (s *relaySession) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *relaySession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	for _, rcpt := range s.to {
		if err := lmtp(s.r.lmtpAddr, s.from, rcpt, raw); err != nil {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 4, 1}, Message: "relay: " + err.Error()}
		}
	}
	id := headerMessageID(raw)
	s.r.mu.Lock()
	s.r.count[id]++
	s.r.mu.Unlock()
	select {
	case s.r.sent <- raw:
	default:
	}
	return nil
}
func (s *relaySession) Reset()        { s.from, s.to = "", nil }
func (s *relaySession) Logout() error { return nil }

func lmtp(addr, from, rcpt string, raw []byte) error {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Hello("relay.example.test"); err != nil {
		return err
	}
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(raw); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// ---- messages ----

type invMail struct {
	MessageID, ReplyTo, Subject, From, To, Text string
	Date                                        time.Time
}

func parseInvitation(raw []byte) (invMail, error) {
	var m invMail
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		return m, err
	}
	m.MessageID, _ = r.Header.MessageID()
	m.Subject, _ = r.Header.Subject()
	m.Date, _ = r.Header.Date()
	if a, err := r.Header.AddressList("Reply-To"); err == nil && len(a) == 1 {
		m.ReplyTo = a[0].Address
	}
	if a, err := r.Header.AddressList("From"); err == nil && len(a) == 1 {
		m.From = a[0].Address
	}
	if a, err := r.Header.AddressList("To"); err == nil && len(a) == 1 {
		m.To = a[0].Address
	}
	for {
		p, err := r.NextPart()
		if err != nil {
			break
		}
		if ih, ok := p.Header.(*gomail.InlineHeader); ok {
			if ct, _, _ := ih.ContentType(); ct == "text/plain" && m.Text == "" {
				b, _ := io.ReadAll(p.Body)
				m.Text = string(b)
			}
		}
	}
	if m.MessageID == "" || m.ReplyTo == "" || m.To == "" {
		return m, errors.New("invitation without Message-ID, Reply-To or To")
	}
	return m, nil
}

var seq atomic.Int64

// reply is the invitee's genuine answer, as a mail client writes it.
func reply(m invMail) (string, []byte) {
	id := fmt.Sprintf("reply.%d.%d@example.test", seq.Add(1), time.Now().UnixNano())
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\r\n", args...) }
	w("Return-Path: <%s>", m.To)
	w("From: Person <%s>", m.To)
	w("To: <%s>", m.ReplyTo)
	w("Subject: %s", mime.QEncoding.Encode("utf-8", "Re: "+m.Subject))
	w("Date: %s", time.Now().Format(time.RFC1123Z))
	w("Message-ID: <%s>", id)
	w("In-Reply-To: <%s>", m.MessageID)
	w("References: <%s>", m.MessageID)
	w("MIME-Version: 1.0")
	w("Content-Type: text/plain; charset=utf-8")
	w("")
	w("Yes, happy to accept. Thanks!")
	w("")
	w("On %s, %s wrote:", m.Date.Format("Mon, 2 Jan 2006 at 15:04"), m.From)
	for _, l := range strings.Split(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n") {
		w("> %s", l)
	}
	return id, b.Bytes()
}

func newsletter(i int) []byte {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\r\n", args...) }
	w("Return-Path: <news@shop.example.test>")
	w("From: Shop <news@shop.example.test>")
	w("To: <owner@example.test>")
	w("Subject: Weekly offers, issue %d", i)
	w("Date: %s", time.Now().Format(time.RFC1123Z))
	w("Message-ID: <news.%d.%d@shop.example.test>", i, time.Now().UnixNano())
	w("MIME-Version: 1.0")
	w("Content-Type: text/plain; charset=utf-8")
	w("")
	w("Fine things at fine prices, while stocks last.")
	return b.Bytes()
}

func headerMessageID(raw []byte) string {
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		return ""
	}
	id, _ := r.Header.MessageID()
	return id
}

// ---- the run ----

type sentReply struct {
	id, invMID string
	at         time.Time
	nearCut    time.Duration // distance to the nearest cut (signed: negative = before it)
	aimed      bool
	acceptedAt time.Time
}

func main() {
	flag.Parse()
	os.Setenv("GRANTBOOK_KEYRING", "off")
	imapAddr, lmtpAddr := os.Getenv("GRANTBOOK_DOVECOT_IMAP"), os.Getenv("GRANTBOOK_DOVECOT_LMTP")
	owner, pass := os.Getenv("GRANTBOOK_DOVECOT_USER"), os.Getenv("GRANTBOOK_DOVECOT_PASS")
	dcDir := os.Getenv("BENCH_DOVECOT_DIR")
	if imapAddr == "" || lmtpAddr == "" || dcDir == "" {
		fail(errors.New("run me through bench/faults.sh imapcut (it starts Dovecot and sets GRANTBOOK_DOVECOT_* and BENCH_DOVECOT_DIR)"))
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))

	// A mailbox for every invitee there can be: Dovecot re-reads its
	// passwd-file when it changes.
	maxInv := *initial + int(*duration / *minGap) + 10
	var users bytes.Buffer
	for i := range maxInv {
		fmt.Fprintf(&users, "person%d@example.test:{PLAIN}invitee-secret\n", i)
	}
	uf, err := os.OpenFile(filepath.Join(dcDir, "users"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		fail(err)
	}
	if _, err := uf.Write(users.Bytes()); err != nil {
		fail(err)
	}
	uf.Close()

	// Proxy and relay.
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	px := &proxy{target: imapAddr, l: pl, conns: map[net.Conn]bool{}}
	go px.serve()
	rl := &relay{lmtpAddr: lmtpAddr, count: map[string]int{}, sent: make(chan []byte, 10000)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &relaySession{r: rl}, nil }))
	srv.Domain = "relay.example.test"
	srv.AllowInsecureAuth = true
	sl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	go srv.Serve(sl)
	defer srv.Close()

	// The core.
	data, err := os.MkdirTemp("", "grantbook-faults-imapcut-")
	if err != nil {
		fail(err)
	}
	if !*keep {
		defer os.RemoveAll(data)
	}
	logf, err := os.Create(filepath.Join(data, "app.log"))
	if err != nil {
		fail(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	app, err := core.Open(ctx, filepath.Join(data, "data"))
	if err != nil {
		fail(err)
	}
	app.SetLogger(slog.New(slog.NewTextHandler(logf, nil)))
	direct, err := store.Open(ctx, filepath.Join(app.DataDir(), core.DBFile)) // the core keeps its own handle to itself
	if err != nil {
		fail(err)
	}
	defer direct.Close()
	pport := pl.Addr().(*net.TCPAddr).Port
	sport := sl.Addr().(*net.TCPAddr).Port
	if _, err := app.PutMailSettings(ctx, mail.Settings{
		SMTP: mail.SMTP{Server: mail.Server{Host: "127.0.0.1", Port: sport, Security: mail.SecurityPlain}, FromName: "Olivia Owner", FromEmail: owner},
		IMAP: mail.IMAP{Server: mail.Server{Host: "127.0.0.1", Port: pport, Security: mail.SecurityPlain, Username: owner, Password: pass}, Mailbox: "INBOX"},
	}); err != nil {
		fail(err)
	}
	acc, err := app.CreateAccount(ctx, "Cut Ltd")
	if err != nil {
		fail(err)
	}
	app.Start(ctx)
	invited := 0
	invite := func() {
		if invited >= maxInv {
			return
		}
		if _, err := app.Invite(ctx, core.InvitationInput{ContactInput: core.ContactInput{AccountID: acc.ID,
			FirstName: "Person", LastName: fmt.Sprint(invited), Email: fmt.Sprintf("person%d@example.test", invited), Preset: "billing"}}); err != nil {
			fail(err)
		}
		invited++
	}
	for range *initial {
		invite()
	}
	for app.Inbox().Status().State != "idle" {
		time.Sleep(10 * time.Millisecond)
	}

	fmt.Printf("imapcut: %v with every IMAP connection dropped every %v (FIN and RST alternately), invitations and replies every %v–%v, settle ≤ %v\n",
		*duration, *cutEvery, *minGap, *maxGap, *settle)
	start := time.Now()
	end := start.Add(*duration)
	gap := func() time.Duration { return *minGap + time.Duration(rng.Int64N(int64(*maxGap-*minGap)+1)) }

	// Cuts at start + k·cutEvery.
	var cutMu sync.Mutex
	var cutTimes []time.Time
	cutsDone := make(chan struct{})
	go func() {
		defer close(cutsDone)
		for k := 1; ; k++ {
			at := start.Add(time.Duration(k) * *cutEvery)
			if at.After(end) {
				return
			}
			time.Sleep(time.Until(at))
			px.cut(k%2 == 0)
			cutMu.Lock()
			cutTimes = append(cutTimes, time.Now())
			cutMu.Unlock()
		}
	}()
	nextCut := func(after time.Time) time.Time {
		k := int(after.Sub(start) / *cutEvery) + 1
		return start.Add(time.Duration(k) * *cutEvery)
	}

	// Invitations.
	var invMu sync.Mutex
	invDone := make(chan struct{})
	go func() {
		defer close(invDone)
		for {
			time.Sleep(gap())
			if time.Now().After(end) {
				return
			}
			invMu.Lock()
			invite()
			invMu.Unlock()
		}
	}()

	// Replies (and newsletters).
	var repMu sync.Mutex
	var replies []*sentReply
	var queue []invMail
	news := 0
	deliverReply := func(aimed bool) {
		for len(queue) == 0 {
			select {
			case raw := <-rl.sent:
				m, err := parseInvitation(raw)
				if err != nil {
					fail(err)
				}
				queue = append(queue, m)
			default:
				return // nothing sent yet to answer
			}
		}
		m := queue[0]
		queue = queue[1:]
		id, raw := reply(m)
		if err := lmtp(lmtpAddr, m.To, m.ReplyTo, raw); err != nil {
			fail(fmt.Errorf("LMTP reply: %w", err))
		}
		repMu.Lock()
		replies = append(replies, &sentReply{id: id, invMID: m.MessageID, at: time.Now(), aimed: aimed})
		repMu.Unlock()
	}
	repDone := make(chan struct{})
	go func() {
		defer close(repDone)
		for {
			// Drain what the relay delivered.
			for {
				select {
				case raw := <-rl.sent:
					m, err := parseInvitation(raw)
					if err != nil {
						fail(err)
					}
					queue = append(queue, m)
					continue
				default:
				}
				break
			}
			now := time.Now()
			if now.After(end) {
				return
			}
			if rng.IntN(3) == 0 {
				// Aim at the next cut: 1–3 replies within ±1.5 s of it.
				c := nextCut(now.Add(2 * time.Second))
				at := c.Add(time.Duration(rng.Int64N(int64(3*time.Second))) - 1500*time.Millisecond)
				if at.After(end) {
					return
				}
				time.Sleep(time.Until(at))
				for range 1 + rng.IntN(3) {
					deliverReply(true)
				}
			} else {
				time.Sleep(gap())
				if time.Now().After(end) {
					return
				}
				deliverReply(false)
			}
			if rng.IntN(3) == 0 {
				news++
				if err := lmtp(lmtpAddr, "news@shop.example.test", owner, newsletter(news)); err != nil {
					fail(fmt.Errorf("LMTP newsletter: %w", err))
				}
			}
		}
	}()

	// Watch for acceptances (latency).
	accepted := func(invMID string) bool {
		var st string
		direct.DB().QueryRow(`SELECT state FROM invitations WHERE message_id = ?`, invMID).Scan(&st)
		return st == "accepted"
	}
	pending := func() int {
		repMu.Lock()
		defer repMu.Unlock()
		n := 0
		for _, r := range replies {
			if r.acceptedAt.IsZero() {
				if accepted(r.invMID) {
					r.acceptedAt = time.Now()
				} else {
					n++
				}
			}
		}
		return n
	}
	lastReport := start
	for {
		<-time.After(50 * time.Millisecond)
		pending()
		if time.Since(lastReport) >= time.Minute {
			lastReport = time.Now()
			repMu.Lock()
			nr := len(replies)
			repMu.Unlock()
			px.mu.Lock()
			fmt.Printf("  %v: %d cuts, %d invitations, %d replies delivered, %d still unprocessed\n",
				time.Since(start).Round(time.Second), px.cuts, invited, nr, pending())
			px.mu.Unlock()
		}
		if time.Now().After(end) {
			break
		}
	}
	<-cutsDone
	<-invDone
	<-repDone
	settleStart := time.Now()
	for pending() > 0 && time.Since(settleStart) < *settle {
		time.Sleep(50 * time.Millisecond)
	}
	settled := time.Since(settleStart)
	time.Sleep(time.Second) // anything processed twice would show up now
	cancel()
	time.Sleep(200 * time.Millisecond)

	// Count.
	db := direct.DB()
	events := func(id string) int {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM mail_events WHERE message_id = ?`, id).Scan(&n); err != nil {
			fail(err)
		}
		return n
	}
	var missed, double, once, notAccepted, aimed, aimedOK int
	var lat []time.Duration
	cutMu.Lock()
	cuts := slices.Clone(cutTimes)
	cutMu.Unlock()
	for _, r := range replies {
		d := time.Duration(1<<62 - 1)
		for _, c := range cuts {
			if x := r.at.Sub(c); abs(x) < abs(d) {
				d = x
			}
		}
		r.nearCut = d
		n := events(r.id)
		switch {
		case n == 0:
			missed++
			fmt.Printf("  MISSED: <%s> delivered at +%v (%+v from a cut), answering <%s>\n", r.id, r.at.Sub(start).Round(time.Millisecond), d.Round(time.Millisecond), r.invMID)
		case n > 1:
			double++
			fmt.Printf("  PROCESSED %d TIMES: <%s> delivered at +%v (%+v from a cut)\n", n, r.id, r.at.Sub(start).Round(time.Millisecond), d.Round(time.Millisecond))
		default:
			once++
		}
		if !accepted(r.invMID) {
			notAccepted++
			fmt.Printf("  NOT ACCEPTED: invitation <%s> (reply <%s>)\n", r.invMID, r.id)
		} else if !r.acceptedAt.IsZero() {
			lat = append(lat, r.acceptedAt.Sub(r.at))
		}
		if abs(d) <= 1500*time.Millisecond {
			aimed++
			if n == 1 {
				aimedOK++
			}
		}
	}
	var totalEvents, acceptEvents, sentInv, dupOut int
	db.QueryRow(`SELECT count(*), coalesce(sum(verdict = 'accept'), 0) FROM mail_events`).Scan(&totalEvents, &acceptEvents)
	db.QueryRow(`SELECT count(*) FROM invitations WHERE state IN ('sent', 'accepted')`).Scan(&sentInv)
	rl.mu.Lock()
	for _, c := range rl.count {
		if c > 1 {
			dupOut += c - 1
		}
	}
	rl.mu.Unlock()
	app.Close()
	logb, _ := os.ReadFile(logf.Name())
	logf.Close()
	sessions := strings.Count(string(logb), `msg="inbox: watching"`)
	stops := strings.Count(string(logb), `msg="inbox: watching stopped"`)
	slices.Sort(lat)
	q := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))].Round(time.Millisecond)
	}
	px.mu.Lock()
	fmt.Printf("\nimapcut summary (%v of traffic, settled in %v)\n", duration.Round(time.Second), settled.Round(time.Millisecond))
	fmt.Printf("| cuts | %d (every %v), %d IMAP connections dropped; proxy saw %d connections |\n", px.cuts, *cutEvery, px.cutN, px.pairs)
	px.mu.Unlock()
	fmt.Printf("| watcher | %d IMAP sessions opened, %d ended with an error and a reconnect |\n", sessions, stops)
	fmt.Printf("| invitations | %d created, %d sent through the relay to Dovecot (%d extra deliveries) |\n", invited, sentInv, dupOut)
	fmt.Printf("| replies delivered by LMTP | %d (%d within ±1.5 s of a cut), plus %d unrelated newsletters |\n", len(replies), aimed, news)
	fmt.Printf("| processed exactly once | %d (near a cut: %d of %d) |\n", once, aimedOK, aimed)
	fmt.Printf("| missed (0 mail_events rows) | %d |\n", missed)
	fmt.Printf("| processed twice or more (>1 row) | %d |\n", double)
	fmt.Printf("| invitations replied to and not accepted | %d |\n", notAccepted)
	fmt.Printf("| mail_events rows | %d (%d accept) |\n", totalEvents, acceptEvents)
	fmt.Printf("| delivery → accepted | median %v, p95 %v, max %v |\n", q(0.5), q(0.95), q(1))
	ok := missed == 0 && double == 0 && notAccepted == 0 && len(replies) > 0
	v := "met"
	if !ok {
		v = "MISSED"
	}
	fmt.Printf("no missed and no double-processed reply: %s\n", v)
	if *keep {
		fmt.Printf("data and app log kept in %s\n", data)
	}
	if !ok {
		os.Exit(1)
	}
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/faults/imapcut:", err)
	os.Exit(1)
}
