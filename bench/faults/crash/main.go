// Command crash kills Grantbook with SIGKILL while it sends invitations and
// checks that nothing is lost (bench/faults.sh crash runs it).
//
// It runs a counting SMTP server on loopback (go-smtp; it records the
// Message-ID of every message it accepts and takes -smtp-delay per message
// so that kills land mid-send). Each trial:
//
//  1. starts `grantbook serve` (the binary -bin) on a fresh data directory,
//     points its SMTP settings at the counting server (PUT
//     /api/settings/mail) and creates an account;
//  2. POSTs -n invitations with distinct e-mails from -posters concurrent
//     clients (no keep-alive, so a refused connection proves a request never
//     reached the server: those are retried; a request cut by the kill is
//     not);
//  3. meanwhile SIGKILLs the process 1 to 1+(-max-extra) times at random
//     moments — when a random number of further POSTs have been
//     acknowledged, or a random number of further messages delivered (plus
//     0–-jitter), or after a second without progress — each time runs
//     `PRAGMA integrity_check` and `PRAGMA foreign_key_check` on a copy of
//     what the crash left (database + WAL; the original is left for the
//     restarted app to recover itself) and restarts the binary on the same
//     data directory;
//  4. lets it drain (GET /api/mail/status until no message is pending and
//     GET /api/invitations?state=queued is empty), stops it with SIGTERM,
//     runs integrity_check again and compares the database with what the API
//     acknowledged and what the server received.
//
// Lost = acknowledged (201) but missing from the database or never
// delivered. Duplicates = deliveries beyond one per Message-ID (possible: a
// kill after the server accepted DATA but before the app committed "sent").
// POSTs cut by a kill (sent, no answer) may or may not exist; they are
// counted apart, and those that exist must be delivered like the rest.
package main

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emersion/go-smtp"
	_ "github.com/mattn/go-sqlite3"
)

var (
	trials    = flag.Int("trials", 50, "trials")
	n         = flag.Int("n", 500, "invitations per trial")
	bin       = flag.String("bin", "/tmp/gb-faults", "grantbook binary (built with `go build -o BIN .` when missing)")
	posters   = flag.Int("posters", 4, "concurrent API clients posting invitations")
	maxExtra  = flag.Int("max-extra", 2, "extra kills per trial after the first: a random 0..max-extra")
	smtpDelay = flag.Duration("smtp-delay", 2*time.Millisecond, "time the counting SMTP server takes per message")
	jitter    = flag.Duration("jitter", 3*time.Millisecond, "random extra delay between a trigger and the kill")
	seed      = flag.Uint64("seed", 0, "random seed (0: from the clock)")
	keep      = flag.Bool("keep", false, "keep each trial's data directory and app log")
	verbose   = flag.Bool("v", false, "print every kill")
)

// ---- the counting SMTP server ----

type counter struct {
	mu        sync.Mutex
	delivered map[string]int // Message-ID (no <>) -> accepted DATA
	onDeliver atomic.Pointer[func(distinct int)]
}

func (c *counter) reset() {
	c.mu.Lock()
	c.delivered = map[string]int{}
	c.mu.Unlock()
}

func (c *counter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps(c.delivered)
}

func maps(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (c *counter) distinct() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.delivered)
}

type session struct{ c *counter }

func (s *session) Mail(string, *smtp.MailOptions) error { return nil }
func (s *session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err // the client died mid-DATA: nothing accepted
	}
	time.Sleep(*smtpDelay)
	id := ""
	if m, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		id = strings.Trim(strings.TrimSpace(m.Header.Get("Message-Id")), "<>")
	}
	s.c.mu.Lock()
	s.c.delivered[id]++
	d := len(s.c.delivered)
	s.c.mu.Unlock()
	if f := s.c.onDeliver.Load(); f != nil {
		(*f)(d)
	}
	return nil // 250: from here on the message counts as delivered
}
func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

// ---- the app under test ----

type app struct {
	bin, dir, addr, token string
	log                   *os.File
	cmd                   *exec.Cmd
	exited                chan struct{}
	up                    atomic.Bool
	client                *http.Client
}

func (a *app) start() error {
	cmd := exec.Command(a.bin, "serve", "--addr", a.addr, "--data-dir", a.dir)
	cmd.Env = append(os.Environ(), "GRANTBOOK_TOKEN="+a.token, "GRANTBOOK_KEYRING=off")
	cmd.Stdout, cmd.Stderr = a.log, a.log
	if err := cmd.Start(); err != nil {
		return err
	}
	a.cmd = cmd
	exited := make(chan struct{})
	a.exited = exited
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-exited:
			return fmt.Errorf("grantbook exited at start: %v (log %s)", cmd.ProcessState, a.log.Name())
		default:
		}
		if resp, err := a.client.Get("http://" + a.addr + "/api/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				a.up.Store(true)
				return nil
			}
		}
		if time.Now().After(deadline) {
			return errors.New("grantbook did not answer /api/health within 30 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (a *app) kill() {
	a.up.Store(false)
	a.cmd.Process.Signal(syscall.SIGKILL)
	<-a.exited
}

func (a *app) stop() error {
	a.up.Store(false)
	a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.exited:
	case <-time.After(20 * time.Second):
		a.cmd.Process.Signal(syscall.SIGKILL)
		<-a.exited
		return errors.New("did not stop within 20 s of SIGTERM")
	}
	if !a.cmd.ProcessState.Success() {
		return fmt.Errorf("exited with %v", a.cmd.ProcessState)
	}
	return nil
}

func (a *app) waitUp() {
	for !a.up.Load() {
		time.Sleep(time.Millisecond)
	}
}

// call sends a JSON request with the owner's token.
func (a *app) call(method, path string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://"+a.addr+path, body)
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w: %s", method, path, err, b)
		}
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode, nil
}

// ---- one trial ----

type crash struct {
	phase   string // posting, draining, idle
	trigger string // post, delivery, idle (nothing left to trigger on)
	stalled bool   // killed after a second without progress instead
	acked   int
	deliv   int
	check   string // integrity_check result
	fk      int    // foreign_key_check rows
}

type result struct {
	kills      []crash
	acked      int // 201 received
	cut        int // sent, no answer (the kill)
	cutExist   int // of which the database has
	refused    int // connection refused while down: retried
	rejected   int // any other answer
	inDB       int
	distinct   int // distinct Message-IDs delivered
	extra      int // deliveries beyond one per Message-ID
	dupMsgs    int // Message-IDs delivered more than once
	lost       int
	lostDetail []string
	notSent    int // invitations or outbox rows not 'sent' at the end
	unknown    int // deliveries of Message-IDs the database does not have
	finalCheck string
	took       time.Duration
	err        error
}

type posted struct {
	email, messageID string
	id               int64
}

func trial(num int, srv *counter, smtpPort int, rng *mrand.Rand) (res result) {
	start := time.Now()
	defer func() { res.took = time.Since(start) }()
	srv.reset()
	dir, err := os.MkdirTemp("", fmt.Sprintf("grantbook-faults-crash-%02d-", num))
	if err != nil {
		res.err = err
		return
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	logf, err := os.Create(filepath.Join(dir, "app.log"))
	if err != nil {
		res.err = err
		return
	}
	defer logf.Close()
	tok := make([]byte, 16)
	rand.Read(tok)
	a := &app{bin: *bin, dir: filepath.Join(dir, "data"), addr: freeAddr(), token: hex.EncodeToString(tok), log: logf,
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}}
	if err := a.start(); err != nil {
		res.err = err
		return
	}
	settings := map[string]any{"smtp": map[string]any{"host": "127.0.0.1", "port": smtpPort, "security": "plain",
		"from_name": "Olivia Owner", "from_email": "owner@example.test"}}
	if _, err := a.call("PUT", "/api/settings/mail", settings, nil); err != nil {
		res.err = err
		a.kill()
		return
	}
	var acc struct{ ID int64 }
	if _, err := a.call("POST", "/api/accounts", map[string]string{"name": "Crash Ltd"}, &acc); err != nil {
		res.err = err
		a.kill()
		return
	}

	// Progress counters and the armed trigger.
	var ackedN, delivN atomic.Int64
	var trigMu sync.Mutex
	trigKind, trigAt := "", int64(0)
	fire := make(chan string, 1)
	check := func(kind string, v int64) {
		trigMu.Lock()
		defer trigMu.Unlock()
		if trigKind == kind && v >= trigAt {
			trigKind = ""
			select {
			case fire <- kind:
			default:
			}
		}
	}
	onDeliver := func(d int) { delivN.Store(int64(d)); check("delivery", int64(d)) }
	srv.onDeliver.Store(&onDeliver)
	defer srv.onDeliver.Store(nil)

	var mu sync.Mutex
	var acks []posted
	var cuts []string
	jobs := make(chan int, *n)
	for i := range *n {
		jobs <- i
	}
	close(jobs)
	var wg sync.WaitGroup
	postersDone := make(chan struct{})
	for range *posters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				email := fmt.Sprintf("person%d@example.test", i)
				in := map[string]any{"account_id": acc.ID, "first_name": "Person", "last_name": fmt.Sprint(i),
					"email": email, "preset": "billing"}
				for {
					a.waitUp()
					var inv struct {
						ID        int64  `json:"id"`
						MessageID string `json:"message_id"`
					}
					status, err := a.call("POST", "/api/invitations", in, &inv)
					mu.Lock()
					switch {
					case status == 201:
						acks = append(acks, posted{email, inv.MessageID, inv.ID})
						res.acked++
					case status == 0 && errors.Is(err, syscall.ECONNREFUSED):
						res.refused++ // never reached the app: try again once it is back
						mu.Unlock()
						continue
					case status == 0:
						cuts = append(cuts, email) // sent, no answer
					default:
						res.rejected++
						if res.err == nil {
							res.err = fmt.Errorf("POST %s: %v", email, err)
						}
					}
					mu.Unlock()
					if status == 201 {
						check("post", ackedN.Add(1))
					}
					break
				}
			}
		}()
	}
	go func() { wg.Wait(); close(postersDone) }()

	kills := 1 + rng.IntN(*maxExtra+1)
	for k := range kills {
		// Arm: a random point in what remains to be acknowledged or delivered.
		mu.Lock()
		remPosts := *n - res.acked - len(cuts) - res.rejected
		remDeliv := max(0, *n-len(cuts)-int(delivN.Load()))
		mu.Unlock()
		trigger, at := "idle", int64(0)
		if total := remPosts + remDeliv; total > 0 {
			r := rng.IntN(total)
			trigMu.Lock()
			if r < remPosts {
				trigKind, trigAt = "post", ackedN.Load()+int64(r)+1
			} else {
				trigKind, trigAt = "delivery", delivN.Load()+int64(r-remPosts)+1
			}
			trigger, at = trigKind, trigAt
			trigMu.Unlock()
		}
		// Wait for the trigger, or a second without progress (then kill anyway).
		stalled := false
		last, lastChange := ackedN.Load()+delivN.Load(), time.Now()
		tick := time.NewTicker(2 * time.Millisecond)
	wait:
		for {
			select {
			case <-fire:
				break wait
			case <-tick.C:
				if p := ackedN.Load() + delivN.Load(); p != last {
					last, lastChange = p, time.Now()
				} else if time.Since(lastChange) > time.Second {
					stalled = true
					break wait
				}
			}
		}
		tick.Stop()
		trigMu.Lock()
		trigKind = ""
		trigMu.Unlock()
		time.Sleep(time.Duration(rng.Int64N(int64(*jitter) + 1)))
		a.kill()
		c := crash{trigger: trigger, stalled: stalled, acked: int(ackedN.Load()), deliv: int(delivN.Load())}
		select {
		case <-postersDone:
			c.phase = "draining"
			if c.deliv >= *n-len(cuts) {
				c.phase = "idle"
			}
		default:
			c.phase = "posting"
		}
		c.check, c.fk = checkCopy(a.dir, filepath.Join(dir, fmt.Sprintf("crash%d", k)))
		res.kills = append(res.kills, c)
		if *verbose {
			fmt.Printf("  trial %d kill %d: %s, trigger %s #%d (stalled %v), %d acked, %d delivered, integrity %s, fk %d\n",
				num, k+1, c.phase, c.trigger, at, c.stalled, c.acked, c.deliv, c.check, c.fk)
		}
		if err := a.start(); err != nil {
			// The app cannot come back on what the crash left: stop here and
			// keep the evidence.
			fail(fmt.Errorf("trial %d: restart after kill %d: %w (data kept in %s)", num, k+1, err, dir))
		}
	}
	<-postersDone

	// Drain.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var st struct {
			Messages map[string]int `json:"messages"`
		}
		var q struct {
			Total int `json:"total"`
		}
		_, err1 := a.call("GET", "/api/mail/status", nil, &st)
		_, err2 := a.call("GET", "/api/invitations?state=queued&limit=1", nil, &q)
		if err1 == nil && err2 == nil && st.Messages["pending"] == 0 && q.Total == 0 {
			break
		}
		if time.Now().After(deadline) {
			res.err = fmt.Errorf("not drained after 2 minutes: status %v, queued %d, errors %v %v", st.Messages, q.Total, err1, err2)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := a.stop(); err != nil && res.err == nil {
		res.err = fmt.Errorf("stop: %w", err)
	}
	time.Sleep(20 * time.Millisecond) // let the server finish the last session
	got := srv.snapshot()

	// Compare.
	dbFile := filepath.Join(a.dir, "grantbook.db")
	var fk int
	res.finalCheck, fk = integrity(dbFile)
	if fk > 0 {
		res.finalCheck += fmt.Sprintf(" (%d foreign-key violations)", fk)
	}
	db, err := sql.Open("sqlite3", "file:"+dbFile+"?mode=ro")
	if err != nil {
		res.err = err
		return
	}
	defer db.Close()
	type row struct {
		id            int64
		email, mid    string
		state, ostate string
	}
	rows, err := db.Query(`SELECT i.id, i.email, i.message_id, i.state, coalesce(o.state, '')
		FROM invitations i LEFT JOIN outbox o ON o.kind = 'invitation' AND o.ref_id = i.id`)
	if err != nil {
		res.err = err
		return
	}
	inDB := map[string]row{} // by email
	byMID := map[string]bool{}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.email, &r.mid, &r.state, &r.ostate); err != nil {
			res.err = err
			return
		}
		inDB[r.email] = r
		byMID[r.mid] = true
		if r.state != "sent" || r.ostate != "sent" {
			res.notSent++
		}
	}
	rows.Close()
	res.inDB = len(inDB)
	for _, p := range acks {
		r, ok := inDB[p.email]
		switch {
		case !ok:
			res.lost++
			res.lostDetail = append(res.lostDetail, p.email+" acknowledged but not in the database")
		case r.id != p.id || r.mid != p.messageID:
			res.lost++
			res.lostDetail = append(res.lostDetail, fmt.Sprintf("%s: database has id %d <%s>, API said %d <%s>", p.email, r.id, r.mid, p.id, p.messageID))
		case got[p.messageID] == 0:
			res.lost++
			res.lostDetail = append(res.lostDetail, fmt.Sprintf("%s <%s> acknowledged, state %s/%s, never delivered", p.email, p.messageID, r.state, r.ostate))
		}
	}
	res.cut = len(cuts)
	for _, e := range cuts {
		if r, ok := inDB[e]; ok {
			res.cutExist++
			if got[r.mid] == 0 {
				res.lost++
				res.lostDetail = append(res.lostDetail, fmt.Sprintf("%s (cut POST) is in the database but never delivered", e))
			}
		}
	}
	for mid, c := range got {
		if !byMID[mid] {
			res.unknown += c
			continue
		}
		res.distinct++
		if c > 1 {
			res.dupMsgs++
			res.extra += c - 1
		}
	}
	return res
}

// checkCopy copies what a crash left (database and WAL) to dst and checks
// the copy, so that the restarted app recovers the original itself.
func checkCopy(dataDir, dst string) (string, int) {
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return "copy: " + err.Error(), 0
	}
	defer func() {
		if !*keep {
			os.RemoveAll(dst)
		}
	}()
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(filepath.Join(dataDir, "grantbook.db"+suffix))
		if err != nil {
			if suffix != "" && errors.Is(err, os.ErrNotExist) {
				continue
			}
			return "copy: " + err.Error(), 0
		}
		if err := os.WriteFile(filepath.Join(dst, "grantbook.db"+suffix), b, 0o600); err != nil {
			return "copy: " + err.Error(), 0
		}
	}
	return integrity(filepath.Join(dst, "grantbook.db"))
}

// integrity runs PRAGMA integrity_check ("ok" or the problems) and counts
// PRAGMA foreign_key_check rows.
func integrity(file string) (string, int) {
	db, err := sql.Open("sqlite3", "file:"+file)
	if err != nil {
		return err.Error(), 0
	}
	defer db.Close()
	rows, err := db.Query("PRAGMA integrity_check")
	if err != nil {
		return err.Error(), 0
	}
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	rows.Close()
	fk := 0
	if rows, err := db.Query("PRAGMA foreign_key_check"); err == nil {
		for rows.Next() {
			fk++
		}
		rows.Close()
	}
	return strings.Join(out, "; "), fk
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func main() {
	flag.Parse()
	s := *seed
	if s == 0 {
		s = uint64(time.Now().UnixNano())
	}
	rng := mrand.New(mrand.NewPCG(s, s^0x9e3779b97f4a7c15))
	if _, err := os.Stat(*bin); err != nil {
		fmt.Printf("building %s\n", *bin)
		cmd := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", *bin, ".")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fail(fmt.Errorf("go build -o %s . (run from the module root): %w", *bin, err))
		}
	}
	srv := &counter{delivered: map[string]int{}}
	ss := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{srv}, nil }))
	ss.Domain = "faults.example.test"
	ss.AllowInsecureAuth = true
	ss.ErrorLog = discardLogger{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	go ss.Serve(l)
	defer ss.Close()
	port := l.Addr().(*net.TCPAddr).Port

	fmt.Printf("crash: %d trials × %d invitations, %d posters, 1–%d SIGKILLs a trial, SMTP %v a message, jitter ≤ %v, seed %d, binary %s\n",
		*trials, *n, *posters, 1+*maxExtra, *smtpDelay, *jitter, s, *bin)
	fmt.Printf("%5s %5s %6s %4s %9s %7s %6s %6s %5s %5s %5s %s\n",
		"trial", "kills", "acked", "cut", "cut→in db", "refused", "in db", "deliv", "lost", "dups", "extra", "integrity after each crash / final")
	var tot result
	var allKills []crash
	checks, badChecks, fkBad, failedTrials, trialsWithDups := 0, 0, 0, 0, 0
	phases := map[string]int{}
	began := time.Now()
	for t := 1; t <= *trials; t++ {
		r := trial(t, srv, port, rng)
		var cs []string
		for _, k := range r.kills {
			cs = append(cs, k.check)
			checks++
			if k.check != "ok" {
				badChecks++
			}
			if k.fk > 0 {
				fkBad++
			}
			phases[k.phase]++
		}
		cs = append(cs, "final "+r.finalCheck)
		if r.finalCheck != "" {
			checks++
			if r.finalCheck != "ok" {
				badChecks++
			}
		}
		fmt.Printf("%5d %5d %6d %4d %9d %7d %6d %6d %5d %5d %5d %s  (%v)\n", t, len(r.kills), r.acked, r.cut, r.cutExist,
			r.refused, r.inDB, r.distinct, r.lost, r.dupMsgs, r.extra, strings.Join(cs, ", "), r.took.Round(10*time.Millisecond))
		for _, d := range r.lostDetail {
			fmt.Printf("      LOST: %s\n", d)
		}
		if r.notSent > 0 || r.unknown > 0 || r.rejected > 0 {
			fmt.Printf("      %d invitations/outbox rows not sent at the end, %d deliveries of unknown Message-IDs, %d POSTs refused with an error status\n", r.notSent, r.unknown, r.rejected)
		}
		if r.err != nil {
			failedTrials++
			fmt.Printf("      ERROR: %v\n", r.err)
		}
		if r.dupMsgs > 0 {
			trialsWithDups++
		}
		allKills = append(allKills, r.kills...)
		tot.acked += r.acked
		tot.cut += r.cut
		tot.cutExist += r.cutExist
		tot.refused += r.refused
		tot.rejected += r.rejected
		tot.inDB += r.inDB
		tot.distinct += r.distinct
		tot.lost += r.lost
		tot.dupMsgs += r.dupMsgs
		tot.extra += r.extra
		tot.notSent += r.notSent
		tot.unknown += r.unknown
	}
	fmt.Printf("\nsummary over %d trials (%v)\n", *trials, time.Since(began).Round(time.Second))
	kinds := map[string]int{}
	for _, k := range allKills {
		if k.stalled {
			kinds["stalled"]++
		} else {
			kinds[k.trigger]++
		}
	}
	fmt.Printf("| SIGKILLs | %d (while posting %d, while draining %d, idle %d; triggered by a 201 %d, by a delivery %d, by 1 s without progress %d) |\n",
		len(allKills), phases["posting"], phases["draining"], phases["idle"], kinds["post"], kinds["delivery"], kinds["stalled"]+kinds["idle"])
	fmt.Printf("| invitations acknowledged (201) | %d |\n", tot.acked)
	fmt.Printf("| POSTs cut by a kill (no answer) | %d, of which %d exist in the database (and were delivered) and %d do not |\n", tot.cut, tot.cutExist, tot.cut-tot.cutExist)
	fmt.Printf("| POSTs refused while the app was down (retried) | %d |\n", tot.refused)
	fmt.Printf("| invitations in the databases | %d (= acknowledged + cut-but-committed: %v) |\n", tot.inDB, tot.inDB == tot.acked+tot.cutExist)
	fmt.Printf("| distinct messages delivered | %d |\n", tot.distinct)
	fmt.Printf("| lost (acknowledged, not in the database or never delivered) | %d |\n", tot.lost)
	fmt.Printf("| duplicates (deliveries beyond one per Message-ID) | %d extra deliveries of %d messages, in %d of %d trials |\n", tot.extra, tot.dupMsgs, trialsWithDups, *trials)
	fmt.Printf("| integrity_check | %d run (after each of the %d kills + after each final stop), %d not ok; foreign_key_check violations after %d crashes |\n", checks, len(allKills), badChecks, fkBad)
	fmt.Printf("| other anomalies | %d rows not 'sent' at the end, %d deliveries of unknown Message-IDs, %d POSTs with an error status, %d trials with an error |\n", tot.notSent, tot.unknown, tot.rejected, failedTrials)
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	fmt.Printf("no invitation lost: %s; integrity_check ok after every crash: %s; duplicates counted: %d\n",
		verdict(tot.lost == 0 && failedTrials == 0), verdict(badChecks == 0 && fkBad == 0), tot.extra)
	if tot.lost > 0 || badChecks > 0 || failedTrials > 0 {
		os.Exit(1)
	}
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/faults/crash:", err)
	os.Exit(1)
}
