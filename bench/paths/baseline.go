package main

import (
	"database/sql"
	"encoding/json"
	"log"
	"net"
	"net/http"
	"strconv"
	"time"

	_ "github.com/mattn/go-sqlite3"
)

// constAnswer is what /const sends: a check's answer, the same every time.
var constAnswer = []byte(`{"allowed":true,"reason":"allowed by the contact's grant: Billing on all services"}` + "\n")

// serveBaseline is the reference a product path is compared with: a
// minimal net/http + go-sqlite3 server on a copy of the same data, WAL,
// a pool that keeps its connections (database/sql keeps only 2 idle by
// default, and a baseline reopening connections under 32 clients would
// flatter the product), one prepared statement per query.
//
//	GET /select?id=N   one prepared primary-key SELECT of a contact
//	GET /insert?id=N   the same, then one INSERT in its own transaction
//	GET /const?id=N    a constant answer the size of a check's, no database:
//	                   the ceiling of any server on this net/http setup
func serveBaseline(file, addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.Serve(ln, baselineMux(file)))
}

// baselineMux is the baseline's handler on file.
func baselineMux(file string) http.Handler {
	db, err := sql.Open("sqlite3", "file:"+file+"?_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=10000&_txlock=immediate")
	if err != nil {
		log.Fatal(err)
	}
	db.SetMaxIdleConns(64)
	sel, err := db.Prepare(`SELECT id, account_id, first_name, last_name, email, status FROM contacts WHERE id = ?`)
	if err != nil {
		log.Fatal(err)
	}
	ins, err := db.Prepare(`INSERT INTO audit_log (at, actor, action, entity, entity_id, summary) VALUES (?, 'baseline', 'view', 'contact', ?, 'baseline view')`)
	if err != nil {
		log.Fatal(err)
	}
	type contact struct {
		ID        int64  `json:"id"`
		AccountID int64  `json:"account_id"`
		First     string `json:"first_name"`
		Last      string `json:"last_name"`
		Email     string `json:"email"`
		Status    string `json:"status"`
	}
	load := func(w http.ResponseWriter, r *http.Request) (*contact, bool) {
		id, _ := strconv.ParseInt(r.URL.Query().Get("id"), 10, 64)
		var c contact
		if err := sel.QueryRowContext(r.Context(), id).Scan(&c.ID, &c.AccountID, &c.First, &c.Last, &c.Email, &c.Status); err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return nil, false
		}
		return &c, true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /select", func(w http.ResponseWriter, r *http.Request) {
		if c, ok := load(w, r); ok {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(c)
		}
	})
	mux.HandleFunc("GET /insert", func(w http.ResponseWriter, r *http.Request) {
		c, ok := load(w, r)
		if !ok {
			return
		}
		tx, err := db.BeginTx(r.Context(), nil)
		if err == nil {
			_, err = tx.StmtContext(r.Context(), ins).ExecContext(r.Context(), time.Now().Unix(), c.ID)
			if err == nil {
				err = tx.Commit()
			} else {
				tx.Rollback()
			}
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(c)
	})
	mux.HandleFunc("GET /const", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(constAnswer)
	})
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	return mux
}
