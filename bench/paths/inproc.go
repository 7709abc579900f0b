package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/web"
)

// inProcess times the handlers alone, no network: the product's
// web.Server.ServeHTTP for the load cases and the baseline's handler, on
// copies of the same seed, in a loop (testing.Benchmark, one goroutine),
// requests made in advance. It prints time, the process's CPU time and
// allocations a request.
func inProcess(s seed, dir string) error {
	data, baseDB := filepath.Join(dir, "inproc"), filepath.Join(dir, "inproc-baseline.db")
	os.RemoveAll(data)
	os.Remove(baseDB)
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	for _, dst := range []string{filepath.Join(data, core.DBFile), baseDB} {
		if err := copyFile(s.db(), dst); err != nil {
			return err
		}
	}
	if err := freshSessions(filepath.Join(data, core.DBFile)); err != nil {
		return err
	}
	app, err := core.Open(context.Background(), data)
	if err != nil {
		return err
	}
	defer app.Close()
	app.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	app.Start(ctx) // the background work serve runs (the view writer, the search indexer)
	api := web.NewAPI(app, slog.New(slog.NewTextHandler(io.Discard, nil)))
	prod := web.NewServer(api, fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}, ownerToken)
	base := baselineMux(baseDB)
	sessions, err := readTokens(s.tokens())
	if err != nil {
		return err
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	owner := func(path func() string) func() *http.Request {
		return func() *http.Request {
			r := newRequest(path())
			r.Header.Set("Authorization", "Bearer "+ownerToken)
			return r
		}
	}
	contact := func(path string) func() *http.Request {
		return func() *http.Request {
			r := newRequest(path)
			r.Header.Set("Cookie", web.SessionCookie+"="+sessions[rnd.IntN(len(sessions))])
			return r
		}
	}
	check := owner(func() string {
		svc := 0
		if rnd.IntN(2) == 1 {
			svc = 1 + rnd.IntN(s.accounts*s.services)
		}
		return fmt.Sprintf("/api/check?contact_id=%d&permission=%s&service_id=%d",
			1+rnd.IntN(s.contacts), checkPerms[rnd.IntN(len(checkPerms))], svc)
	})
	search := owner(func() string { return "/api/contacts?limit=50&q=" + url.QueryEscape(searches[rnd.IntN(len(searches))]) })
	selectReq := func() *http.Request { return newRequest(fmt.Sprintf("/select?id=%d", 1+rnd.IntN(s.contacts))) }
	parts := []struct {
		name, part string
		h          http.Handler
		req        func() *http.Request
	}{
		{"check", "check", prod, check},
		{"select (baseline)", "check", base, selectReq},
		{"portal invoices", "portal", prod, contact("/api/portal/invoices")},
		{"portal services", "portal", prod, contact("/api/portal/services")},
		{"search", "search", prod, search},
	}
	fmt.Println("in process, one goroutine (handler only, no network):")
	for _, p := range parts {
		if *only != "inproc" && !want(p.part) {
			continue
		}
		reqs := make([]*http.Request, 4096)
		for i := range reqs {
			reqs[i] = p.req()
		}
		w := &nullWriter{h: http.Header{}}
		for _, r := range reqs { // warm the caches, check the answers
			if w.serve(p.h, r); w.code != http.StatusOK {
				return fmt.Errorf("%s: %s answered %d", p.name, r.URL, w.code)
			}
		}
		var prof *os.File
		if *cpuProfile != "" {
			if prof, err = os.Create(*cpuProfile + slug.Replace(p.name) + ".pprof"); err != nil {
				return err
			}
			pprof.StartCPUProfile(prof)
		}
		var res []testing.BenchmarkResult
		var cpu []string
		for range max(*rounds, 1) {
			var perReq time.Duration
			res = append(res, testing.Benchmark(func(b *testing.B) {
				b.ReportAllocs()
				t0 := cpuTime()
				for i := 0; b.Loop(); i++ {
					w.serve(p.h, reqs[i%len(reqs)])
				}
				perReq = (cpuTime() - t0) / time.Duration(b.N)
			}))
			cpu = append(cpu, fmt.Sprintf("%.1f", float64(perReq)/1000))
		}
		if prof != nil {
			pprof.StopCPUProfile()
			prof.Close()
		}
		if *memProfile != "" {
			if err := allocProfile(*memProfile+slug.Replace(p.name)+".pprof", func() {
				for _, r := range reqs {
					w.serve(p.h, r)
				}
			}); err != nil {
				return err
			}
		}
		var us []string
		for _, r := range res {
			us = append(us, fmt.Sprintf("%.1f", float64(r.NsPerOp())/1000))
		}
		last := res[len(res)-1]
		fmt.Printf("  %-20s %s µs a request (rounds), CPU of the whole process %s µs, %d allocations, %d B\n",
			p.name, strings.Join(us, " / "), strings.Join(cpu, " / "), last.AllocsPerOp(), last.AllocedBytesPerOp())
	}
	return nil
}

// cpuTime is the CPU time the process has used, every goroutine's (the
// writer of the client area's views, the garbage collector): a loop's wall
// time shows only its own goroutine's.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// allocProfile writes the allocations of fn, every one sampled.
func allocProfile(file string, fn func()) error {
	runtime.GC()
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	fn()
	runtime.GC()
	runtime.MemProfileRate = old
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("allocs").WriteTo(f, 0)
}

var slug = strings.NewReplacer(" ", "-", "(", "", ")", "")

func newRequest(path string) *http.Request {
	r, err := http.NewRequest("GET", "http://127.0.0.1:8080"+path, nil)
	if err != nil {
		fail(err)
	}
	r.RemoteAddr = "127.0.0.1:40000"
	return r
}

// readTokens reads the session tokens of tokens.txt ("token csrf" lines).
func readTokens(file string) ([]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if t, _, ok := strings.Cut(sc.Text(), " "); ok {
			out = append(out, t)
		}
	}
	return out, sc.Err()
}

// nullWriter is a ResponseWriter that keeps the status and drops the body,
// so the loop counts the handler's work only.
type nullWriter struct {
	h    http.Header
	code int
}

func (w *nullWriter) Header() http.Header         { return w.h }
func (w *nullWriter) WriteHeader(code int)        { w.code = code }
func (w *nullWriter) Write(b []byte) (int, error) { return len(b), nil }

func (w *nullWriter) serve(h http.Handler, r *http.Request) {
	clear(w.h)
	w.code = http.StatusOK
	h.ServeHTTP(w, r)
}
