#!/usr/bin/env bash
# The window's desktop notification, end to end: the real window under Xvfb
# on a session D-Bus, a grant that enters "ending within 7 days" while the
# window runs. The reminder job (every minute) mails its 7-day reminder and
# emits attention:changed; the window reads Needs your attention, sees the
# count grow and calls org.freedesktop.Notifications.Notify, which
# dbus-monitor records (no notification daemon draws it here). The page's
# badge follows the same event. Takes up to two minutes: the job's tick.
# Usage: tests/desktop-notify.sh BINARY OUT_DIR
set -euo pipefail
bin=$(realpath "$1")
out=$(realpath -m "${2:-/tmp/grantbook-notify}")
mkdir -p "$out"
work=$(mktemp -d)
display=:${SMOKE_DISPLAY:-99}
token=notify-token-for-the-desktop-notification-test

# shellcheck source=tests/desktop-lib.sh
. "$(dirname "$0")/desktop-lib.sh"
seed_serve "$token"
# Ends 7 days and 75 s from now: not ending when the window opens, ending
# at the job's next tick but one.
end=$(date -u -d '+7 days +75 seconds' +%Y-%m-%dT%H:%M:%SZ)
{
	api -d '{"name":"Acme Ltd"}' "$seed_url/api/accounts" >/dev/null &&
		api -d "{\"account_id\":1,\"first_name\":\"Grace\",\"last_name\":\"Hopper\",\"email\":\"grace@example.com\",\"preset\":\"technical\",\"expires_at\":\"$end\"}" \
			"$seed_url/api/contacts" >/dev/null
} || { echo "notify: seeding through serve failed" >&2; cat "$work/serve.log" >&2; exit 1; }
stop_serve

rm -f "$out/notify-dbus.log" "$out/notify-desktop.log"
DISPLAY=$display GRANTBOOK_DEBUG=1 WEBKIT_DISABLE_COMPOSITING_MODE=1 dbus-run-session -- bash -c "
	dbus-monitor --session \"interface='org.freedesktop.Notifications'\" >'$out/notify-dbus.log' 2>&1 &
	exec '$bin' --data-dir '$work/data'" >"$out/notify-desktop.log" 2>&1 &
app_pid=$!

# wait_for FILE PATTERN SECONDS WHAT
wait_for() {
	for _ in $(seq $(($3 * 4))); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$app_pid" 2>/dev/null || { echo "notify: the app exited early" >&2; cat "$out/notify-desktop.log" >&2; exit 1; }
		sleep 0.25
	done
	echo "notify: $4" >&2
	tail -20 "$out/notify-desktop.log" >&2
	exit 1
}

wait_for "$out/notify-desktop.log" 'path=/api/attention status=200' 30 "the page never read Needs your attention"
if grep -q 'string "Needs your attention"' "$out/notify-dbus.log"; then
	echo "notify: the window notified before anything grew" >&2
	exit 1
fi
wait_for "$out/notify-dbus.log" 'string "1 grant ending within 7 days."' 200 "no Notify call with the ending grant on D-Bus"
grep -q 'string "Needs your attention"' "$out/notify-dbus.log"
wait_for "$out/notify-desktop.log" 'Needs your attention\\n1\\n' 10 "the badge never showed 1"
DISPLAY=$display import -window root "$out/desktop-notify.png"
echo "notify: Notify(\"Needs your attention\", \"1 grant ending within 7 days.\") on D-Bus and the badge drawn; $out/notify-dbus.log $out/desktop-notify.png"
