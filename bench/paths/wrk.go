package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// load is one wrk run: method and path template; {id} becomes a random
// contact id, {seq} the next id in turn (a sweep over all of them, to warm
// caches), {svc} a random service id or 0, {pick} a random line of
// Picks. Every request carries Header and, when Tokens is set, the cookie
// (and CSRF header) of a random session.
type load struct {
	Method, Path, Body string
	Header             map[string]string
	Tokens             string // file of "token csrf" lines
	Picks              []string
	IDs, Services      int
}

// result is what wrk measured.
type result struct {
	Requests int     `json:"requests"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"rps"`
	P50      float64 `json:"p50_ms"`
	P95      float64 `json:"p95_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
	Errors   int     `json:"errors"` // connect, read, write, timeout and non-2xx/3xx answers
	Load     string  `json:"load"`   // load average during the run
}

const script = `
local cfg = {}
local tokens, picks = {}, {}
local hdr = {}
local made = 0

-- setup runs in wrk's main Lua state and each thread has its own: a
-- thread learns its number here and the number of threads from args.
function setup(thread)
  made = made + 1
  thread:set("tid", made)
end

function init(args)
  cfg.method, cfg.path, cfg.ids, cfg.svcs = args[1], args[2], tonumber(args[3]), tonumber(args[4])
  threads = tonumber(args[9])
  cfg.body = args[5] ~= "" and args[5] or nil
  for l in io.lines(args[6]) do
    local k, v = l:match("^([^:]+): (.*)$")
    if k then hdr[k] = v end
  end
  if args[7] ~= "" then for l in io.lines(args[7]) do table.insert(tokens, l) end end
  if args[8] ~= "" then for l in io.lines(args[8]) do table.insert(picks, l) end end
  math.randomseed(os.time() + (tid or 0) * 7919)
end

local seq = 0

function request()
  local p = cfg.path:gsub("{seq}", function()
    seq = seq + 1
    return tostring(((seq - 1) * threads + (tid or 1) - 1) % cfg.ids + 1)
  end)
  p = p:gsub("{id}", function() return tostring(math.random(cfg.ids)) end)
  p = p:gsub("{svc}", function()
    if math.random(2) == 1 then return "0" end
    return tostring(math.random(cfg.svcs))
  end)
  p = p:gsub("{pick}", function() return picks[math.random(#picks)] end)
  local h = {}
  for k, v in pairs(hdr) do h[k] = v end
  if #tokens > 0 then
    local t, c = tokens[math.random(#tokens)]:match("^(%S+) (%S+)$")
    h["Cookie"] = "gb_session=" .. t
    h["X-CSRF-Token"] = c
  end
  return wrk.format(cfg.method, p, h, cfg.body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\nRESULT {"requests":%d,"us":%d,"p50":%d,"p95":%d,"p99":%d,"max":%d,"errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, e.connect + e.read + e.write + e.timeout + e.status))
end
`

// run drives base (http://host:port) with wrk and returns its figures.
func (l load) run(work, base string, threads, conns int, d time.Duration) (result, error) {
	lua := filepath.Join(work, "load.lua")
	if err := os.WriteFile(lua, []byte(script), 0o644); err != nil {
		return result{}, err
	}
	var hdr strings.Builder
	for k, v := range l.Header {
		fmt.Fprintf(&hdr, "%s: %s\n", k, v)
	}
	hdrFile, picksFile := filepath.Join(work, "headers.txt"), ""
	if err := os.WriteFile(hdrFile, []byte(hdr.String()), 0o644); err != nil {
		return result{}, err
	}
	if len(l.Picks) > 0 {
		picksFile = filepath.Join(work, "picks.txt")
		if err := os.WriteFile(picksFile, []byte(strings.Join(l.Picks, "\n")+"\n"), 0o644); err != nil {
			return result{}, err
		}
	}
	args := []string{"-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns), "-d", fmt.Sprintf("%ds", int(d.Seconds())),
		"--timeout", "10s", "-s", lua, base, "--", l.Method, l.Path, strconv.Itoa(max(l.IDs, 1)), strconv.Itoa(max(l.Services, 1)),
		l.Body, hdrFile, l.Tokens, picksFile, strconv.Itoa(threads)}
	before := loadavg()
	out, err := exec.Command("wrk", args...).CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v: %s", err, out)
	}
	i := bytes.LastIndex(out, []byte("RESULT "))
	if i < 0 {
		return result{}, fmt.Errorf("wrk printed no result: %s", out)
	}
	var raw struct{ Requests, Us, P50, P95, P99, Max, Errors int }
	if err := json.Unmarshal(bytes.TrimSpace(out[i+len("RESULT "):]), &raw); err != nil {
		return result{}, fmt.Errorf("wrk result: %v: %s", err, out[i:])
	}
	ms := func(us int) float64 { return float64(us) / 1000 }
	s := float64(raw.Us) / 1e6
	return result{Requests: raw.Requests, Seconds: s, RPS: float64(raw.Requests) / s, P50: ms(raw.P50), P95: ms(raw.P95),
		P99: ms(raw.P99), Max: ms(raw.Max), Errors: raw.Errors, Load: before + " → " + loadavg()}, nil
}

// loadavg is the 1-minute load average now.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}
