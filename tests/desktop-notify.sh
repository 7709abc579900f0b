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

cleanup() {
	[ -n "${app_pid:-}" ] && kill "$app_pid" 2>/dev/null || true
	[ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null || true
	[ -n "${xvfb_pid:-}" ] && kill "$xvfb_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

Xvfb "$display" -screen 0 1280x860x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 50); do xdpyinfo -display "$display" >/dev/null 2>&1 && break; sleep 0.1; done

port=$((20000 + RANDOM % 20000))
GRANTBOOK_TOKEN=$token "$bin" serve --addr "127.0.0.1:$port" --data-dir "$work/data" >"$work/serve.log" 2>&1 &
serve_pid=$!
api() { curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@"; }
for _ in $(seq 100); do api "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && break; sleep 0.1; done
# Ends 7 days and 75 s from now: not ending when the window opens, ending
# at the job's next tick but one.
end=$(date -u -d '+7 days +75 seconds' +%Y-%m-%dT%H:%M:%SZ)
{
	api -d '{"name":"Acme Ltd"}' "http://127.0.0.1:$port/api/accounts" >/dev/null &&
		api -d "{\"account_id\":1,\"first_name\":\"Grace\",\"last_name\":\"Hopper\",\"email\":\"grace@example.com\",\"preset\":\"technical\",\"expires_at\":\"$end\"}" \
			"http://127.0.0.1:$port/api/contacts" >/dev/null
} || { echo "notify: seeding through serve failed" >&2; cat "$work/serve.log" >&2; exit 1; }
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=

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
