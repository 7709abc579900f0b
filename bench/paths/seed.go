package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/permission"
	"grantbook/backend/store"
)

// seedVersion changes whenever the seeder writes different data: cached
// seeds of another version are not reused.
const seedVersion = 2

// A seed is a database with n contacts, written by direct SQL (far faster
// than the product's import) and cached outside the repository: the schema
// comes from the product's migrations, so a changed schema gets a new seed.
type seed struct {
	dir      string // holds grantbook.db, tokens.txt
	contacts int
	services int // services per account
	accounts int
}

const (
	bigShare        = 2   // account 1 holds 1/bigShare of the contacts
	perAccount      = 100 // contacts of every other account
	servicesPerAcct = 20
	invoicesPerAcct = 20
	maxSessions     = 20000
)

func (s seed) db() string     { return filepath.Join(s.dir, "grantbook.db") }
func (s seed) tokens() string { return filepath.Join(s.dir, "tokens.txt") }

// seeded returns the cached seed of n contacts, making it first if needed.
func seeded(cache string, n int) (seed, error) {
	key, err := schemaKey()
	if err != nil {
		return seed{}, err
	}
	accounts := 1 + (n-n/bigShare+perAccount-1)/perAccount
	s := seed{dir: filepath.Join(cache, fmt.Sprintf("n%d-v%d-%s", n, seedVersion, key)), contacts: n,
		services: servicesPerAcct, accounts: accounts}
	if _, err := os.Stat(s.tokens()); err == nil {
		return s, nil
	}
	if *anySeed {
		if dir := newestSeed(cache, n); dir != "" {
			fmt.Printf("using %s, made with other migrations: the product applies its own on start\n", dir)
			s.dir = dir
			return s, nil
		}
	}
	tmp := s.dir + ".part"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return seed{}, err
	}
	start := time.Now()
	fmt.Printf("seeding %d contacts in %s (cached for later runs)\n", n, s.dir)
	if err := build(seed{dir: tmp, contacts: n, services: s.services, accounts: accounts}); err != nil {
		return seed{}, fmt.Errorf("seed: %w", err)
	}
	if err := os.Rename(tmp, s.dir); err != nil {
		return seed{}, err
	}
	fmt.Printf("seeded in %s\n", time.Since(start).Round(time.Second))
	return s, nil
}

// newestSeed is the newest complete seed of n contacts of this seed
// version, whatever its schema ("": none).
func newestSeed(cache string, n int) string {
	dirs, _ := filepath.Glob(filepath.Join(cache, fmt.Sprintf("n%d-v%d-*", n, seedVersion), "tokens.txt"))
	var best string
	var at time.Time
	for _, f := range dirs {
		if st, err := os.Stat(f); err == nil && st.ModTime().After(at) {
			best, at = filepath.Dir(f), st.ModTime()
		}
	}
	return best
}

// schemaKey names the migrations' text: a seed fits one schema.
func schemaKey() (string, error) {
	steps, err := store.Migrations()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range steps {
		h.Write([]byte(m.SQL))
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

func build(s seed) error {
	ctx := context.Background()
	st, err := store.Open(ctx, s.db())
	if err != nil {
		return err
	}
	st.Close()
	db, err := sql.Open("sqlite3", "file:"+s.db()+"?_journal_mode=WAL&_synchronous=OFF&_foreign_keys=off")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`PRAGMA cache_size = -262144`); err != nil {
		return err
	}
	indexes, err := dropIndexes(db)
	if err != nil {
		return err
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	w := &writer{tx: tx, r: rand.New(rand.NewPCG(16, uint64(s.contacts))), now: time.Now().Unix()}
	if err := w.all(s); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for _, ddl := range indexes {
		if _, err := db.Exec(ddl); err != nil {
			return fmt.Errorf("%s: %w", ddl, err)
		}
	}
	// The seed's raw writes noted every row for the caches, which start
	// empty anyway; the product's first transaction would read them all.
	if _, err := db.Exec(`DELETE FROM cache_changes; ANALYZE; PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return err
	}
	return os.WriteFile(s.tokens(), []byte(strings.Join(w.tokens, "\n")+"\n"), 0o644)
}

// dropIndexes drops the indexes of the schema (building them once at the
// end is much faster) and returns their definitions.
func dropIndexes(db *sql.DB) ([]string, error) {
	rows, err := db.Query(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	var names, ddl []string
	for rows.Next() {
		var n, d string
		if err := rows.Scan(&n, &d); err != nil {
			rows.Close()
			return nil, err
		}
		names, ddl = append(names, n), append(ddl, d)
	}
	rows.Close()
	for _, n := range names {
		if _, err := db.Exec(`DROP INDEX "` + n + `"`); err != nil {
			return nil, err
		}
	}
	return ddl, rows.Err()
}

// writer inserts the seed's rows in one transaction.
type writer struct {
	tx     *sql.Tx
	r      *rand.Rand
	now    int64
	tokens []string // "token csrf" of each session
}

func (w *writer) exec(q string, args ...any) error {
	_, err := w.tx.Exec(q, args...)
	return err
}

func (w *writer) all(s seed) error {
	for a := 1; a <= s.accounts; a++ {
		if err := w.account(int64(a), s.services); err != nil {
			return err
		}
	}
	return w.contacts(s)
}

func (w *writer) account(id int64, services int) error {
	name := fmt.Sprintf("Client %d Ltd", id)
	if id == 1 {
		name = "Big Ltd"
	}
	if err := w.exec(`INSERT INTO accounts (id, name, email, created_at) VALUES (?, ?, ?, ?)`,
		id, name, fmt.Sprintf("billing@client%d.example", id), w.now); err != nil {
		return err
	}
	base := (id - 1) * int64(services)
	kinds := model.ServiceKinds
	for i := int64(1); i <= int64(services); i++ {
		if err := w.exec(`INSERT INTO services (id, account_id, name, kind, status, created_at) VALUES (?, ?, ?, ?, 'active', ?)`,
			base+i, id, fmt.Sprintf("service %d", i), kinds[int(i)%len(kinds)], w.now); err != nil {
			return err
		}
	}
	for i := int64(1); i <= invoicesPerAcct; i++ {
		status, paid := "paid", any(w.now-86400*i)
		if i%7 == 0 {
			status, paid = "unpaid", nil
		}
		svc := any(base + 1 + (i % int64(services)))
		if i%5 == 0 {
			svc = nil
		}
		if err := w.exec(`INSERT INTO invoices (account_id, service_id, number, amount_cents, status, issued_at, paid_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, svc, fmt.Sprintf("INV-%d-%d", id, i), 1000+w.r.IntN(90000), status,
			w.now-86400*30*i, paid); err != nil {
			return err
		}
	}
	return nil
}

var (
	firstNames = []string{"Ada", "Alan", "Grace", "Élodie", "José", "Zoë", "Björn", "Mei", "Olu", "Priya", "Sven", "Chloé", "Liam", "Noah", "Emma", "Olivia", "Lucas", "Mia", "Hugo", "Léa"}
	lastNames  = []string{"Smith", "Johnson", "Dupont", "Müller", "García", "Rossi", "Nowak", "Kowalski", "Tanaka", "Okafor", "Larsen", "Martin", "Bernard", "Silva", "Novák", "Brown", "Lovelace", "Hopper", "Turing", "Noether"}
	companies  = []string{"", "", "Acme Ltd", "Globex", "Initech", "Umbrella SA", "Stark & Sons", "Société Générale de Test"}
	roles      = []string{"", "accountant", "developer", "project manager", "designer", "support"}
	presets    = []string{"full", "personal", "technical", "billing", "custom"}
	customs    = [][]string{{"services.view"}, {"support.open", "support.view"}, {"invoices.view", "invoices.pay"}, {"quotes.view", "emails.view"}}
)

// accountOf spreads contacts: the first half in account 1, then 100 an
// account.
func accountOf(i, n int) int64 {
	big := n / bigShare
	if i <= big {
		return 1
	}
	return 2 + int64((i-big-1)/perAccount)
}

func (w *writer) contacts(s seed) error {
	sessionEvery := max(1, s.contacts/maxSessions)
	for i := 1; i <= s.contacts; i++ {
		c := w.contact(int64(i), accountOf(i, s.contacts), s.services)
		if err := w.insertContact(c); err != nil {
			return err
		}
		if i%sessionEvery == 0 && c.Grant.Preset == permission.PresetFull && c.Status == model.StatusActive &&
			c.Grant.ExpiresAt == nil && c.Grant.AllServices && len(w.tokens) < maxSessions {
			if err := w.session(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// contact draws one contact as bench/store's generator does.
func (w *writer) contact(id, account int64, services int) *model.Contact {
	r := w.r
	first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
	c := &model.Contact{ID: id, AccountID: account, AccountType: "individual", FirstName: first, LastName: last,
		Email:   fmt.Sprintf("%s.%s.user%d@example.com", ascii(first), ascii(last), id),
		Phone:   fmt.Sprintf("+44 20 %04d %04d", r.IntN(10000), r.IntN(10000)),
		Company: companies[r.IntN(len(companies))], Role: roles[r.IntN(len(roles))], Status: model.StatusActive}
	if c.Company != "" && r.IntN(4) == 0 {
		c.AccountType = "company"
	}
	c.Grant.Preset = presets[r.IntN(len(presets))]
	p, _ := permission.LookupPreset(c.Grant.Preset)
	c.Grant.Permissions = p.Set.Names()
	if c.Grant.Preset == permission.PresetCustom {
		c.Grant.Permissions = customs[r.IntN(len(customs))]
	}
	c.Grant.AllServices = true
	if r.IntN(5) == 0 {
		c.Grant.AllServices = false
		base := (account - 1) * int64(services)
		c.Grant.ServiceIDs = []int64{base + 1 + int64(r.IntN(services))}
		if r.IntN(2) == 0 {
			if s2 := base + 1 + int64(r.IntN(services)); s2 != c.Grant.ServiceIDs[0] {
				c.Grant.ServiceIDs = append(c.Grant.ServiceIDs, s2)
			}
		}
	}
	if r.IntN(10) == 0 {
		t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(730))
		c.Grant.ExpiresAt = &t
	}
	if r.IntN(20) == 0 {
		c.Status = model.StatusSuspended
	}
	return c
}

func (w *writer) insertContact(c *model.Contact) error {
	if err := w.exec(`INSERT INTO contacts (id, account_id, account_type, first_name, last_name, email, email_key,
		phone, company, role, status, created_at, updated_at, search_key, search_group) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.AccountID, c.AccountType, c.FirstName, c.LastName, c.Email, store.EmailKey(c.Email), c.Phone,
		c.Company, c.Role, c.Status, w.now, w.now, store.SearchKey(c), store.SearchGroup(c)); err != nil {
		return err
	}
	var exp any
	if c.Grant.ExpiresAt != nil {
		exp = c.Grant.ExpiresAt.Unix()
	}
	if err := w.exec(`INSERT INTO grants (contact_id, preset, permissions, all_services, expires_at) VALUES (?, ?, ?, ?, ?)`,
		c.ID, c.Grant.Preset, strings.Join(c.Grant.Permissions, " "), c.Grant.AllServices, exp); err != nil {
		return err
	}
	for _, sid := range c.Grant.ServiceIDs {
		if err := w.exec(`INSERT INTO grant_services (contact_id, service_id) VALUES (?, ?)`, c.ID, sid); err != nil {
			return err
		}
	}
	return nil
}

// session signs the contact in: the token goes to tokens.txt, its hash to
// the database, as the product stores it.
func (w *writer) session(c *model.Contact) error {
	token, csrf := w.hex(16), w.hex(16)
	sum := sha256.Sum256([]byte(token))
	res, err := w.tx.Exec(`INSERT INTO sessions (contact_id, email_key, token_hash, csrf_token, created_at, last_seen, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, c.ID, store.EmailKey(c.Email), sum[:], csrf, w.now, w.now, w.now+30*86400)
	if err != nil {
		return err
	}
	sid, _ := res.LastInsertId()
	if err := w.exec(`INSERT INTO session_contacts (session_id, contact_id) VALUES (?, ?)`, sid, c.ID); err != nil {
		return err
	}
	w.tokens = append(w.tokens, token+" "+csrf)
	return nil
}

func (w *writer) hex(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(w.r.UintN(256))
	}
	return hex.EncodeToString(b)
}

func ascii(s string) string {
	return strings.ToLower(strings.NewReplacer("É", "E", "é", "e", "ë", "e", "ö", "o", "ü", "u", "í", "i", "á", "a").Replace(s))
}
