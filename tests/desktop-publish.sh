#!/usr/bin/env bash
# "Let contacts sign in" with the real window under Xvfb: the client area's
# address is this computer's network address over HTTPS with certificate
# files from a throwaway CA (seeded through serve's API). In the window the
# menu's "Let Contacts Sign In…" (Ctrl+Shift+L) brings the switch into view
# and focuses it; Space turns it on. Then, from this shell (another
# process), curl trusting only that CA gets /portal and /api/health from
# the window's own process and a 404 for the owner's API there; Space again
# turns it off and the port refuses; on again, closing the window (nobody
# signed in: it asks nothing) frees the port. With a contact signed in
# (a code from a local SMTP sink), closing asks: Escape keeps the window
# and the client area, Alt+Y closes both. Screenshots desktop-publish.png,
# desktop-publish-close.png.
# Usage: tests/desktop-publish.sh BINARY OUT_DIR
set -euo pipefail
bin=$(realpath "$1")
out=$(realpath -m "${2:-/tmp/grantbook-publish}")
mkdir -p "$out"
work=$(mktemp -d)
data=$work/data
log=$out/desktop-publish.log
token=publish-publish-publish-publish-publish

cleanup() {
	[ -n "${app_pid:-}" ] && kill "$app_pid" 2>/dev/null || true
	[ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null || true
	[ -n "${smtp_pid:-}" ] && kill "$smtp_pid" 2>/dev/null || true
	[ -n "${xvfb_pid:-}" ] && kill "$xvfb_pid" 2>/dev/null && wait "$xvfb_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "desktop-publish: $*" >&2; exit 1; }
say() { echo "desktop-publish: $*"; }
until_ok() { # until_ok SECONDS CMD...: polls CMD every 0.1 s
	local end=$((SECONDS + $1))
	shift
	until "$@"; do [ $SECONDS -lt $end ] || return 1; sleep 0.1; done
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])'; }

# SMOKE_DISPLAY when given, else a free display chosen by Xvfb itself.
if [ -n "${SMOKE_DISPLAY:-}" ]; then
	display=:$SMOKE_DISPLAY
	Xvfb "$display" -screen 0 1280x860x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
	xvfb_pid=$!
else
	Xvfb -displayfd 3 -screen 0 1280x860x24 -nolisten tcp 3>"$work/display" >"$work/xvfb.log" 2>&1 &
	xvfb_pid=$!
	until_ok 10 test -s "$work/display" || fail "Xvfb picked no display: $(cat "$work/xvfb.log")"
	display=:$(cat "$work/display")
fi
until_ok 10 xdpyinfo -display "$display" >/dev/null 2>&1 || fail "Xvfb did not start on $display"

# This computer's first network address (not loopback: the window serves
# only beyond it), and a certificate for it from a throwaway CA.
ip=$(hostname -I | tr ' ' '\n' | grep -E '^[0-9.]+$' | grep -v '^127\.' | head -1)
[ -n "$ip" ] || fail "this computer has no IPv4 network address"
port=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=publish-test-ca \
	-keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$ip" \
	-keyout "$work/portal.key" -out "$work/portal.csr" 2>/dev/null
printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n' "$ip" >"$work/ext"
openssl x509 -req -in "$work/portal.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 2 \
	-extfile "$work/ext" -out "$work/portal.pem" 2>/dev/null
address="https://$ip:$port"

# A local SMTP sink for the sign-in code (the browser tests' one, in
# frontend/e2e/harness.mjs): it prints its port, then each message's text.
root=$(cd "$(dirname "$0")/.." && pwd)
: >"$work/smtp.log"
node --input-type=module -e "
import { startSmtpSink } from '$root/frontend/e2e/harness.mjs';
const sink = await startSmtpSink();
const push = sink.messages.push.bind(sink.messages);
sink.messages.push = (m) => (console.log(m.raw), push(m));
console.log('smtp-port', sink.port);
" >>"$work/smtp.log" 2>&1 &
smtp_pid=$!
until_ok 20 grep -q '^smtp-port ' "$work/smtp.log" || fail "the SMTP sink did not start: $(cat "$work/smtp.log")"
smtp_port=$(sed -n 's/^smtp-port //p' "$work/smtp.log")

# Seed through the same binary's API: an account, a contact, mail and
# Settings → Client area.
sport=$(free_port)
GRANTBOOK_TOKEN=$token "$bin" serve --addr "127.0.0.1:$sport" --data-dir "$data" >"$work/serve.log" 2>&1 &
serve_pid=$!
api() { curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@"; }
until_ok 20 api "http://127.0.0.1:$sport/api/health" -o /dev/null || fail "serve did not start: $(cat "$work/serve.log")"
{
	api -d '{"name":"Acme Ltd"}' "http://127.0.0.1:$sport/api/accounts" >/dev/null &&
		api -d '{"account_id":1,"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com","preset":"billing"}' \
			"http://127.0.0.1:$sport/api/contacts" >/dev/null &&
		api -X PUT -d "{\"smtp\":{\"host\":\"127.0.0.1\",\"port\":$smtp_port,\"security\":\"plain\",\"from_email\":\"owner@example.test\"}}" \
			"http://127.0.0.1:$sport/api/settings/mail" >/dev/null &&
		api -X PUT -d "{\"address\":\"$address\",\"certificate\":\"files\",\"cert_file\":\"$work/portal.pem\",\"key_file\":\"$work/portal.key\"}" \
			"http://127.0.0.1:$sport/api/settings/client-area" >/dev/null
} || fail "seeding through serve failed: $(cat "$work/serve.log")"
kill "$serve_pid"
wait "$serve_pid" 2>/dev/null || true
serve_pid=

: >"$log"
# The self-check trusts this computer's roots, as a contact's browser
# would: here, the test CA's (Go reads SSL_CERT_FILE for them).
DISPLAY=$display GRANTBOOK_DEBUG=1 WEBKIT_DISABLE_COMPOSITING_MODE=1 SSL_CERT_FILE=$work/ca.pem \
	dbus-run-session -- "$bin" --data-dir "$data" >>"$log" 2>&1 &
app_pid=$!
logged() { grep -Eq "$1" "$log"; }
wait_log() { # wait_log PATTERN WHAT
	local end=$((SECONDS + 30))
	until logged "$1"; do
		kill -0 "$app_pid" 2>/dev/null || fail "the window exited early: $(tail -20 "$log")"
		[ $SECONDS -lt $end ] || fail "$2: $(tail -20 "$log")"
		sleep 0.2
	done
}
portal() { curl -s --cacert "$work/ca.pem" --max-time 5 "$@"; }
refuses() { ! curl -s --cacert "$work/ca.pem" --max-time 2 -o /dev/null "$address/api/health"; }

wait_log 'path=/api/accounts status=200' "the window never loaded"
refuses || fail "$address answers before the switch is on"
win=$(DISPLAY=$display xdotool search --sync --name '^Grantbook$' | head -1)
DISPLAY=$display xdotool windowfocus --sync "$win" 2>/dev/null || true
DISPLAY=$display xdotool key ctrl+shift+l
wait_log 'msg="window text".*Let contacts sign in' "the menu did not bring up the switch"
wait_log 'path=/api/publish status=200' "the switch's status was not asked"
DISPLAY=$display xdotool key space
wait_log 'method=PUT path=/api/publish status=200' "Space on the focused switch did not turn it on"
wait_log 'msg="window text".*Contacts sign in at' "the window does not say where contacts sign in"

code=$(portal -o "$work/portal.html" -w '%{http_code}' "$address/portal") || fail "curl $address/portal failed"
[ "$code" = 200 ] && grep -qi '<!doctype html' "$work/portal.html" || fail "GET $address/portal: $code $(head -c 300 "$work/portal.html")"
portal -D "$work/health.h" "$address/api/health" | grep -q '"ok"' || fail "no health answer from $address"
grep -qi '^x-grantbook-instance:' "$work/health.h" || fail "the answer is not from the window: $(cat "$work/health.h")"
code=$(portal -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$address/api/accounts")
[ "$code" = 404 ] || fail "the owner's API answers $code on the published address"
say "switch on: $address/portal answers 200 to curl from another process (trusting only the test CA); the owner's API is a 404 there"
wait_log 'method=POST path=/api/publish/check status=200' "the self-check did not run after switching on"
wait_log 'msg="window text".*Answers from outside' "the self-check result is not shown"
painted() {
	import -display "$display" -window root "$out/desktop-publish.png"
	[ "$(convert "$out/desktop-publish.png" -format %k info:)" -ge 50 ]
}
until_ok 20 painted || fail "the window looks blank: $out/desktop-publish.png"
say "the window shows the address and the self-check: $out/desktop-publish.png"

DISPLAY=$display xdotool key space
until_ok 10 refuses || fail "$address still answers after switching off"
wait_log 'msg="window text".*Off: contacts cannot sign in' "the window does not say it is off"
say "switch off: $address refuses connections"

DISPLAY=$display xdotool key space
until_ok 10 portal -o /dev/null "$address/api/health" || fail "switched on again, $address does not answer"

# A contact signs in to the published client area, as a browser would.
jar=$work/cookies
post() { portal -b "$jar" -c "$jar" -H "Origin: $address" -H 'Content-Type: application/json' -o /dev/null -w '%{http_code}' "$@"; }
[ "$(post -d '{"email":"ada@example.com"}' "$address/api/portal/signin")" = 202 ] || fail "sign-in request refused"
code_mail() { code=$(tr -d '\r' <"$work/smtp.log" | grep -A2 'is:$' | grep -ox '[0-9]\{6\}' | head -1); [ -n "$code" ]; }
until_ok 20 code_mail || fail "no sign-in code arrived: $(cat "$work/smtp.log")"
[ "$(post -d "{\"email\":\"ada@example.com\",\"code\":\"$code\"}" "$address/api/portal/verify")" = 200 ] || fail "the code did not sign in"
say "a contact signed in at $address/portal with the mailed code"

dialog() { DISPLAY=$display xdotool search --name '^Close Grantbook\?$' >/dev/null 2>&1; }
DISPLAY=$display xdotool windowfocus --sync "$win" 2>/dev/null || true
DISPLAY=$display xdotool key ctrl+q
until_ok 20 dialog || fail "closing with a contact signed in did not ask"
import -display "$display" -window root "$out/desktop-publish-close.png"
DISPLAY=$display xdotool key Escape
until_ok 10 eval '! dialog' || fail "Escape did not answer the question"
kill -0 "$app_pid" 2>/dev/null || fail "the window closed although the owner did not say Yes"
portal -o /dev/null "$address/api/health" || fail "the client area stopped although the window stayed"
say "closing with a contact signed in asked first (desktop-publish-close.png); Escape kept the window and the client area"

DISPLAY=$display xdotool key ctrl+q
until_ok 20 dialog || fail "the second close did not ask"
DISPLAY=$display xdotool key alt+y
until_ok 20 eval '! kill -0 "$app_pid" 2>/dev/null' || fail "Yes did not close the window"
refuses || fail "$address still answers after the window closed"
say "passed: Yes closed the window; the address refuses"
