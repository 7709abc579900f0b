#!/usr/bin/env bash
# Starts the real window under Xvfb on a data directory seeded with three
# contacts and an owner passphrase, and checks, through the window's own
# test hook (GRANTBOOK_DEBUG logs the text the page shows), that:
#   - the window opens on the lock screen (the Go gate answers 423),
#   - typing the passphrase unlocks it (a POST with a JSON body through
#     Wails' asset server, the same web handler as `serve`),
#   - the seeded contacts are then drawn.
# Saves a screenshot of each step.
# Usage: tests/desktop-smoke.sh BINARY OUT_DIR
set -euo pipefail
bin=$(realpath "$1")
out=$(realpath -m "${2:-/tmp/grantbook-smoke}")
mkdir -p "$out"
work=$(mktemp -d)
display=:${SMOKE_DISPLAY:-99}
pass='smoke passphrase'

# shellcheck source=tests/desktop-lib.sh
. "$(dirname "$0")/desktop-lib.sh"

# Seed the data directory through the same binary's API.
seed_serve smoke-token-for-the-desktop-smoke-test
{
	api -d '{"name":"Acme Ltd"}' "$seed_url/api/accounts" >/dev/null &&
		api -d '{"name":"acme.com","kind":"domain"}' "$seed_url/api/accounts/1/services" >/dev/null &&
		api -d '{"name":"Business hosting","kind":"hosting"}' "$seed_url/api/accounts/1/services" >/dev/null &&
		api -d '{"account_id":1,"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com","role":"Accountant","preset":"billing"}' "$seed_url/api/contacts" >/dev/null &&
		api -d '{"account_id":1,"first_name":"Grace","last_name":"Hopper","email":"grace@example.com","role":"Developer","preset":"technical","service_ids":[2],"expires_at":"2027-06-30"}' "$seed_url/api/contacts" >/dev/null &&
		api -d '{"account_id":1,"first_name":"Linus","last_name":"Pauling","email":"linus@example.com","role":"Staff","preset":"full","admin":{"all":true}}' "$seed_url/api/contacts" >/dev/null &&
		api -X PUT -d "{\"current\":\"\",\"passphrase\":\"$pass\"}" "$seed_url/api/lock" >/dev/null
} || { echo "smoke: seeding through serve failed" >&2; cat "$work/serve.log" >&2; exit 1; }
stop_serve

DISPLAY=$display GRANTBOOK_DEBUG=1 WEBKIT_DISABLE_COMPOSITING_MODE=1 \
	dbus-run-session -- "$bin" --data-dir "$work/data" >"$out/desktop.log" 2>&1 &
app_pid=$!

# wait_log PATTERN WHAT: until the window's log matches (30 s at most).
wait_log() {
	for _ in $(seq 150); do
		grep -Eq "$1" "$out/desktop.log" && return 0
		kill -0 "$app_pid" 2>/dev/null || { echo "smoke: the app exited early" >&2; cat "$out/desktop.log" >&2; exit 1; }
		sleep 0.2
	done
	echo "smoke: $2" >&2
	cat "$out/desktop.log" >&2
	exit 1
}

wait_log 'msg="window text".*Grantbook is locked' "the lock screen was never drawn"
wait_log 'path=/api/accounts .*status=423' "the window's handler did not refuse while locked"
DISPLAY=$display import -window root "$out/desktop-locked.png"

# The lock screen focuses its passphrase field: type into the window.
win=$(DISPLAY=$display xdotool search --sync --name '^Grantbook$' | head -1)
DISPLAY=$display xdotool windowfocus --sync "$win" 2>/dev/null || true
DISPLAY=$display xdotool type --delay 20 "$pass"
DISPLAY=$display xdotool key Return

wait_log 'method=POST path=/api/unlock status=200' "the passphrase typed into the window did not unlock it"
for name in 'Ada Lovelace' 'Grace Hopper' 'Linus Pauling'; do
	wait_log "msg=\"window text\".*$name" "the contact $name was never drawn"
done
DISPLAY=$display import -window root "$out/desktop.png"

# A blank or black window has a handful of colours; the app has many.
colours=$(convert "$out/desktop.png" -format %k info:)
if [ "$colours" -lt 50 ]; then
	echo "smoke: screenshot looks blank ($colours colours): $out/desktop.png" >&2
	exit 1
fi
echo "smoke: lock screen, unlock through the window's handler, and the 3 seeded contacts drawn ($colours colours); screenshots $out/desktop-locked.png $out/desktop.png"
