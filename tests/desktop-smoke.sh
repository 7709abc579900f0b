#!/usr/bin/env bash
# Starts the real window under Xvfb on a fresh data directory, waits until
# the frontend has called the backend through the Wails binding, saves a
# screenshot and checks that it shows more than a blank window.
# Usage: tests/desktop-smoke.sh BINARY OUT_DIR
set -euo pipefail
bin=$(realpath "$1")
out=$(realpath -m "${2:-/tmp/grantbook-smoke}")
mkdir -p "$out"
work=$(mktemp -d)
display=:${SMOKE_DISPLAY:-99}

cleanup() {
	[ -n "${app_pid:-}" ] && kill "$app_pid" 2>/dev/null || true
	[ -n "${xvfb_pid:-}" ] && kill "$xvfb_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

Xvfb "$display" -screen 0 1280x860x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 50); do xdpyinfo -display "$display" >/dev/null 2>&1 && break; sleep 0.1; done

# Seed the data directory through the same binary's API, so the window has
# contacts to list.
port=$((20000 + RANDOM % 20000))
GRANTBOOK_TOKEN=smoke-smoke-smoke-smoke-smoke-smoke "$bin" serve --addr "127.0.0.1:$port" --data-dir "$work/data" >"$work/serve.log" 2>&1 &
serve_pid=$!
api() { curl -sf -H 'Authorization: Bearer smoke-smoke-smoke-smoke-smoke-smoke' -H 'Content-Type: application/json' "$@"; }
for _ in $(seq 100); do api "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && break; sleep 0.1; done
api -d '{"name":"Acme Ltd"}' "http://127.0.0.1:$port/api/accounts" >/dev/null
api -d '{"name":"acme.com","kind":"domain"}' "http://127.0.0.1:$port/api/accounts/1/services" >/dev/null
api -d '{"name":"Business hosting","kind":"hosting"}' "http://127.0.0.1:$port/api/accounts/1/services" >/dev/null
api -d '{"account_id":1,"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com","role":"Accountant","preset":"billing"}' "http://127.0.0.1:$port/api/contacts" >/dev/null
api -d '{"account_id":1,"first_name":"Grace","last_name":"Hopper","email":"grace@example.com","role":"Developer","preset":"technical","service_ids":[2],"expires_at":"2027-06-30"}' "http://127.0.0.1:$port/api/contacts" >/dev/null
api -d '{"account_id":1,"first_name":"Linus","last_name":"Pauling","email":"linus@example.com","role":"Staff","preset":"full","admin":{"all":true}}' "http://127.0.0.1:$port/api/contacts" >/dev/null \
	|| { echo "smoke: seeding through serve failed" >&2; cat "$work/serve.log" >&2; exit 1; }
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true

DISPLAY=$display GRANTBOOK_DEBUG=1 WEBKIT_DISABLE_COMPOSITING_MODE=1 \
	dbus-run-session -- "$bin" --data-dir "$work/data" >"$out/desktop.log" 2>&1 &
app_pid=$!

# Once the contact list has answered through the binding, the page's
# script runs and shows the seeded contacts.
ready='path="/api/contacts?[^ ]*" status=200'
for _ in $(seq 150); do
	grep -Eq "$ready" "$out/desktop.log" && break
	kill -0 "$app_pid" 2>/dev/null || { echo "smoke: the app exited early" >&2; cat "$out/desktop.log" >&2; exit 1; }
	sleep 0.2
done
grep -Eq "$ready" "$out/desktop.log" || {
	echo "smoke: the window never called the API" >&2; cat "$out/desktop.log" >&2; exit 1
}
sleep 2 # let WebKit paint
DISPLAY=$display import -window root "$out/desktop.png"

# A blank or black window has a handful of colours; the app has many.
colours=$(convert "$out/desktop.png" -format %k info:)
if [ "$colours" -lt 50 ]; then
	echo "smoke: screenshot looks blank ($colours colours): $out/desktop.png" >&2
	exit 1
fi
[ -f "$work/data/grantbook.db" ] || { echo "smoke: no database in the data directory" >&2; exit 1; }
echo "smoke: window rendered ($colours colours), screenshot $out/desktop.png"
