#!/usr/bin/env bash
# One process per data folder, with the real window under Xvfb, both ways:
#   window first: `grantbook serve` on its folder exits 1 at once, naming
#   the window's process; killed, the window leaves a lock file that blocks
#   nothing;
#   serve first: the window opens its "Grantbook is already open" window
#   naming the server; its Close button ends it with exit code 1.
# Usage: tests/desktop-lock.sh BINARY OUT_DIR
set -euo pipefail
bin=$(realpath "$1")
out=$(realpath -m "${2:-/tmp/grantbook-lock}")
mkdir -p "$out"
work=$(mktemp -d)
data=$work/data
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -n "${xvfb_pid:-}" ] && kill "$xvfb_pid" 2>/dev/null && wait "$xvfb_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "desktop-lock: $*" >&2; exit 1; }
say() { echo "desktop-lock: $*"; }
# until SECONDS CMD...: polls CMD every 0.1 s until it succeeds or time runs out.
until_ok() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do [ $SECONDS -lt $end ] || return 1; sleep 0.1; done
}

# A free display chosen by Xvfb itself: never one another test is using.
Xvfb -displayfd 3 -screen 0 1280x860x24 -nolisten tcp 3>"$work/display" >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
until_ok 10 test -s "$work/display" || fail "Xvfb picked no display: $(cat "$work/xvfb.log")"
display=:$(cat "$work/display")
until_ok 10 xdpyinfo -display "$display" >/dev/null 2>&1 || fail "Xvfb did not start on $display"
say "Xvfb on $display"

window() { # window LOG: starts the window on $data; sets win_pid (dbus-run-session's)
	: >"$1" # here, not in the background job: a stale log must not look ready
	DISPLAY=$display GRANTBOOK_DEBUG=1 WEBKIT_DISABLE_COMPOSITING_MODE=1 \
		dbus-run-session -- "$bin" --data-dir "$data" >>"$1" 2>&1 &
	win_pid=$!
	pids+=("$win_pid")
}
holder_pid() { sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$data/grantbook.lock" 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# ---- window first ----------------------------------------------------------
window "$out/lock-window.log"
until_ok 60 grep -q 'path=/api/accounts status=200' "$out/lock-window.log" ||
	fail "the window never loaded: $(tail -5 "$out/lock-window.log")"
app_pid=$(pgrep -P "$win_pid" -x "$(basename "$bin")") || fail "no $(basename "$bin") process under dbus-run-session"
[ "$(holder_pid)" = "$app_pid" ] || fail "the lock file names '$(holder_pid)', the window is $app_pid: $(cat "$data/grantbook.lock")"

t=$SECONDS
set +e
msg=$(timeout 20 "$bin" serve --addr 127.0.0.1:0 --data-dir "$data" 2>&1)
code=$?
set -e
[ "$code" = 1 ] || fail "serve beside the window exited $code (124: still running after 20 s): $msg"
want="the data folder $data is in use by another Grantbook (process $app_pid, window)"
[[ $msg == *"$want"* ]] || fail "serve said: $msg"
say "window first: serve exited 1 in $((SECONDS - t)) s: $msg"

kill -KILL "$app_pid"
until_ok 10 gone "$app_pid" || fail "the window did not die"
[ "$(holder_pid)" = "$app_pid" ] || fail "the killed window's record is gone: $(cat "$data/grantbook.lock")"
# ---- serve first, on the lock file the killed window left --------------------
: >"$out/lock-serve.log"
GRANTBOOK_TOKEN=lock-lock-lock-lock-lock-lock-lock-lock "$bin" serve --addr 127.0.0.1:0 --data-dir "$data" >>"$out/lock-serve.log" 2>&1 &
serve_pid=$!
pids+=("$serve_pid")
until_ok 20 grep -q 'serving on' "$out/lock-serve.log" || fail "serve did not start on the killed window's folder: $(cat "$out/lock-serve.log")"
addr=$(sed -n 's|.*serving on http://\([0-9.:]*\)/.*|\1|p' "$out/lock-serve.log")
say "a killed window's lock file blocks nothing: serve started on $addr"

window "$out/lock-refused.log"
wid=""
find_error_window() { wid=$(xwininfo -display "$display" -root -tree | awk '/"Grantbook cannot start"/ {print $1; exit}'); [ -n "$wid" ]; }
until_ok 60 find_error_window || fail "no 'Grantbook cannot start' window: $(tail -5 "$out/lock-refused.log")"
want="the data folder $data is in use by another Grantbook (process $serve_pid, serve on $addr)"
grep -qF "grantbook: $want" "$out/lock-refused.log" || fail "the window's stderr: $(cat "$out/lock-refused.log")"
# The page is painted once the screenshot has its text (many colours).
painted() {
	import -display "$display" -window root "$out/desktop-lock.png"
	[ "$(convert "$out/desktop-lock.png" -format %k info:)" -ge 50 ]
}
until_ok 30 painted || fail "the error window stayed blank: $out/desktop-lock.png"
say "serve first: the window says 'Grantbook is already open' (screenshot desktop-lock.png), stderr: $want"

# Close (focused) ends it, with exit code 1.
geo=$(xwininfo -display "$display" -id "$wid" | awk '/Absolute upper-left X/ {x=$NF} /Absolute upper-left Y/ {y=$NF} END {print x+100, y+100}')
DISPLAY=$display xdotool mousemove $geo key Return
until_ok 20 gone "$win_pid" || fail "Close did not end the refused window"
set +e
wait "$win_pid"
code=$?
set -e
[ "$code" = 1 ] || fail "the refused window exited $code, want 1"
kill -0 "$serve_pid" 2>/dev/null || fail "serve died meanwhile"
say "passed: Close ended the refused window with exit code 1; serve kept running"
