# Shared by the desktop tests that seed a data folder and open the window
# (desktop-smoke.sh, desktop-notify.sh); sourced after setting bin, work and
# display. Sets up cleanup of app_pid, serve_pid and xvfb_pid, starts Xvfb,
# and seed_serve TOKEN starts `serve` on $work/data with api() and $seed_url;
# stop_serve ends it before the window takes the folder.

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

seed_serve() {
	seed_token=$1
	local port=$((20000 + RANDOM % 20000))
	seed_url="http://127.0.0.1:$port"
	GRANTBOOK_TOKEN=$seed_token "$bin" serve --addr "127.0.0.1:$port" --data-dir "$work/data" >"$work/serve.log" 2>&1 &
	serve_pid=$!
	for _ in $(seq 100); do api "$seed_url/api/health" >/dev/null 2>&1 && break; sleep 0.1; done
}
api() { curl -sf -H "Authorization: Bearer $seed_token" -H 'Content-Type: application/json' "$@"; }
stop_serve() { kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=; }
