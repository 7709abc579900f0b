// Command sync measures sync between a desktop and a hub (issue 18), both
// in this process on loopback with real stores, the hub behind serve's
// web.Server and a TCP proxy this program cuts: the lag from a change on
// the desktop to the hub's store with the link up (median, p95), and the
// catch-up rate after an outage of -outage changes. The baseline is the
// same change written to a store with no sync running, in the same run.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"testing/fstest"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/hub/hubtest"
	"grantbook/backend/web"
)

func main() {
	n := flag.Int("n", 200, "changes timed one by one with the link up")
	outage := flag.Int("outage", 2000, "changes made while the link is cut")
	flag.Parse()
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "bench-sync-")
	must(err)
	defer os.RemoveAll(tmp)

	open := func(name string) (*core.App, *web.API) {
		app, err := core.Open(ctx, tmp+"/"+name)
		must(err)
		return app, web.NewAPI(app, nil)
	}
	happ, hapi := open("hub")
	defer happ.Close()
	dapp, dapi := open("desk")
	defer dapp.Close()
	bapp, _ := open("baseline")
	defer bapp.Close()
	h, err := hapi.StartHubSync()
	must(err)
	d, err := dapi.StartDesktopSync()
	must(err)
	srv := httptest.NewServer(web.NewServer(hapi, fstest.MapFS{"index.html": {Data: []byte("x")}}, "bench-owner-token-0123456789abcdefghijkl"))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	proxy, err := hubtest.StartCutProxy(u.Host)
	must(err)
	defer proxy.Close()
	code, _ := h.Codes.New()
	must(d.Connect(ctx, "http://"+proxy.Addr(), code))
	waitConnected := func() {
		for d.Status(ctx).State != "connected" {
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitConnected()

	// Lag: a change on the desktop until the hub's store has it (polled
	// every millisecond: the figures carry up to 1 ms of it).
	var lags, base []time.Duration
	for i := range *n {
		t0 := time.Now()
		acc, err := dapp.CreateAccount(ctx, "Lag "+strconv.Itoa(i))
		must(err)
		for {
			if _, err := happ.Account(ctx, acc.ID); err == nil {
				break
			}
			time.Sleep(time.Millisecond)
		}
		lags = append(lags, time.Since(t0))
		t0 = time.Now()
		_, err = bapp.CreateAccount(ctx, "Lag "+strconv.Itoa(i))
		must(err)
		base = append(base, time.Since(t0))
	}
	fmt.Printf("lag desktop→hub, %d changes: median %s, p95 %s (baseline: the write alone, median %s)\n",
		*n, pct(lags, 50), pct(lags, 95), pct(base, 50))

	// Catch-up: the link cut while the desktop makes -outage changes.
	proxy.Cut()
	for d.Status(ctx).State != "offline" {
		time.Sleep(5 * time.Millisecond)
	}
	var last int64
	t0 := time.Now()
	for i := range *outage {
		acc, err := dapp.CreateAccount(ctx, "Outage "+strconv.Itoa(i))
		must(err)
		last = acc.ID
	}
	write := time.Since(t0)
	proxy.Restore()
	t0 = time.Now()
	for {
		if _, err := happ.Account(ctx, last); err == nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	catch := time.Since(t0)
	fmt.Printf("catch-up after %d changes made offline: %s, %.0f changes/s (writing them on the desktop took %s, %.0f/s)\n",
		*outage, catch.Round(time.Millisecond), float64(*outage)/catch.Seconds(), write.Round(time.Millisecond), float64(*outage)/write.Seconds())
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)*p/100].Round(100 * time.Microsecond)
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
