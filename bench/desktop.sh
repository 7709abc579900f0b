#!/usr/bin/env bash
# Desktop benchmark: binary size, time from exec to first paint and total
# memory (PSS of the app process and all its children: WebKitWebProcess,
# WebKitNetworkProcess) of Grantbook's window, beside a Wails hello-world
# built the same way in the same run. Targets: ≤ 1.3× the hello-world's
# first paint and memory.
#
# Usage: bench/desktop.sh [-n RUNS] [-idle SECONDS] [-interval MS]
#                         [-empty] [-no-build] [-keep DIR]
#   -n         timed runs per app (default 5), after one untimed warm-up each
#   -idle      seconds from the first paint to reading memory (default 3);
#              the page is watched meanwhile for when it settles
#   -interval  screenshot polling period (default 50 ms)
#   -empty     start Grantbook on an empty data directory (welcome page)
#              instead of one seeded with tests/desktop-smoke.sh's 3 contacts
#   -no-build  use build/bin/grantbook as it is
#   -keep DIR  keep the first and last frames of every run (PNG), and the
#              app logs, in DIR
#
# Everything happens in a temporary directory that is removed at the end:
# the hello-world (`wails init -n hello -t vanilla`, npm install from the
# registry, `npm run build`, then the same `wails build` line as
# scripts/build.sh), its caches, the data directories. Each run gets its own
# Xvfb display (no TCP) and session bus, and is bounded: 30 s from the exec
# to reading memory. Every process started here is killed by pid on exit.
#
# First paint: bench/desktop/paintwatch.c (built here with cc) grabs the
# window's pixels every -interval ms, leaving out its top 40 px (where
# Grantbook's native GTK menu bar is painted before any web content), and
# stops at the first frame with more than 50 distinct colours. Both pages
# show text and an image well above that; a mapped but not yet painted
# window shows 1–2. Page settled: the last frame, before memory is read,
# that differs from the one before by more than 500 pixels (a blinking
# caret changes fewer).
#
# Memory: Pss from /proc/PID/smaps_rollup summed over the app's process and
# everything below it (found through the ppid field of /proc/*/stat), read
# -idle s after the first paint. PSS shares each library page among all
# processes on the machine that map it, so another WebKit program running
# at the same time lowers it; bench/desktop/treemem.c also counts the same
# processes' resident pages each once (/proc/PID/pagemap, root), which does
# not depend on them, and the run says how many outside processes mapped
# WebKit.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export PATH="$(go env GOPATH)/bin:$PATH"

runs=5 idle=3 interval=50 empty=0 build=1 keep=
while [ $# -gt 0 ]; do
	case $1 in
	-n) runs=$2; shift ;;
	-idle) idle=$2; shift ;;
	-interval) interval=$2; shift ;;
	-empty) empty=1 ;;
	-no-build) build=0 ;;
	-keep) keep=$(realpath -m "$2"); shift ;;
	*) sed -n '8,18p' "$0" >&2; exit 2 ;;
	esac
	shift
done
threshold=50 skip_top=40
timeout_ms=$((30000 - idle * 1000)) # to the first paint: a run lasts at most 30 s
[ "$timeout_ms" -ge 5000 ] || { echo "desktop: -idle must leave at least 5 s of the 30 s" >&2; exit 2; }

for tool in Xvfb xdpyinfo dbus-daemon cc curl npm wails strip; do
	command -v "$tool" >/dev/null || { echo "desktop: $tool is missing (scripts/setup.sh)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/grantbook-bench-desktop.XXXXXX")
started=() # pids of everything started here (trees are killed from their root)

# descendants PID: the pid and every process below it, parents first.
descendants() {
	local root=$1 f s pid ppid p
	local -A kids=()
	for f in /proc/[0-9]*/stat; do
		{ read -r s <"$f"; } 2>/dev/null || continue
		pid=${s%% *}
		s=${s##*) }
		set -- $s
		ppid=$2
		kids[$ppid]+=" $pid"
	done
	local queue=("$root") out=()
	while [ ${#queue[@]} -gt 0 ]; do
		p=${queue[0]}
		queue=("${queue[@]:1}")
		out+=("$p")
		queue+=(${kids[$p]:-})
	done
	echo "${out[@]}"
}

# alive PID: the process exists and is not a zombie.
alive() {
	local s
	{ read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
	s=${s##*) }
	[ "${s%% *}" != Z ]
}

# kill_tree PID: TERM to the process and everything below it, then KILL
# whatever is left after 2 s.
kill_tree() {
	local pids p i
	for i in "${!started[@]}"; do [ "${started[$i]}" = "$1" ] && unset "started[$i]"; done
	started=("${started[@]}")
	[ -d "/proc/$1" ] || return 0
	pids=$(descendants "$1")
	kill $pids 2>/dev/null || true
	for _ in $(seq 20); do
		for p in $pids; do alive "$p" && break; p=; done
		[ -z "$p" ] && return 0
		sleep 0.1
	done
	kill -9 $pids 2>/dev/null || true
}

cleanup() {
	local i
	while [ ${#started[@]} -gt 0 ]; do kill_tree "${started[-1]}"; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "desktop: $*" >&2; }

# start_bus: a private session bus in $bus, its pid in $bus_pid. Without one,
# the keyring probe (backend/secret) would autolaunch a bus that outlives
# the run; GTK's accessibility bus, activated on it, quits when it goes.
start_bus() {
	{ read -r bus; read -r bus_pid; } < <(dbus-daemon --session --fork --print-address=1 --print-pid=1)
	started+=("$bus_pid")
}

# --- builds ---------------------------------------------------------------

if [ "$build" = 1 ]; then
	log "building Grantbook (scripts/build.sh)"
	scripts/build.sh >&2
fi
grantbook=$repo/build/bin/grantbook
[ -x "$grantbook" ] || { log "no $grantbook"; exit 1; }

log "creating and building the Wails hello-world in $work/hello"
(
	cd "$work"
	wails init -n hello -t vanilla >"$work/hello-init.log" 2>&1
	cd hello/frontend
	npm install --no-audit --no-fund >"$work/hello-npm.log" 2>&1
	npm run --silent build >>"$work/hello-npm.log" 2>&1
	cd ..
	wails build -tags webkit2_41 -skipbindings -clean=false -s >"$work/hello-build.log" 2>&1
) || {
	cat "$work"/hello-*.log >&2
	exit 1
}
hello=$work/hello/build/bin/hello

cc -O2 -o "$work/paintwatch" bench/desktop/paintwatch.c -lX11
cc -O2 -o "$work/treemem" bench/desktop/treemem.c

# --- Grantbook's data directory ---------------------------------------------

mkdir -p "$work/seed"
if [ "$empty" = 0 ]; then
	log "seeding 3 contacts through grantbook serve (as tests/desktop-smoke.sh)"
	port=$((20000 + RANDOM % 20000))
	bench_token=bench-desktop-seed-token-0123456789abcdef
	start_bus
	DBUS_SESSION_BUS_ADDRESS=$bus GRANTBOOK_TOKEN=$bench_token "$grantbook" serve --addr "127.0.0.1:$port" --data-dir "$work/seed" >"$work/serve.log" 2>&1 &
	serve_pid=$!
	started+=("$serve_pid")
	api() { curl -sf -H 'Authorization: Bearer '"$bench_token" -H 'Content-Type: application/json' "$@"; }
	for _ in $(seq 100); do api "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && break; sleep 0.1; done
	{
		api -d '{"name":"Acme Ltd"}' "http://127.0.0.1:$port/api/accounts" &&
			api -d '{"name":"acme.com","kind":"domain"}' "http://127.0.0.1:$port/api/accounts/1/services" &&
			api -d '{"name":"Business hosting","kind":"hosting"}' "http://127.0.0.1:$port/api/accounts/1/services" &&
			api -d '{"account_id":1,"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com","role":"Accountant","preset":"billing"}' "http://127.0.0.1:$port/api/contacts" &&
			api -d '{"account_id":1,"first_name":"Grace","last_name":"Hopper","email":"grace@example.com","role":"Developer","preset":"technical","service_ids":[2],"expires_at":"2027-06-30"}' "http://127.0.0.1:$port/api/contacts" &&
			api -d '{"account_id":1,"first_name":"Linus","last_name":"Pauling","email":"linus@example.com","role":"Staff","preset":"full","admin":{"all":true}}' "http://127.0.0.1:$port/api/contacts"
	} >/dev/null || { log "seeding failed"; cat "$work/serve.log" >&2; exit 1; }
	kill "$serve_pid"
	wait "$serve_pid" 2>/dev/null || true
	kill_tree "$bus_pid"
fi

# --- one run ------------------------------------------------------------------

free_display() {
	local n=140
	while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
	echo "$n"
}

# run_one APP RUN: writes to $work/line "APP RUN mapped_ms paint_ms settled_ms
# colours blank_max pss_total_kib pss_app_kib pss_web_kib pss_net_kib
# pss_other_kib procs unique_kib sharers".
run_one() {
	local app=$1 run=$2 dir=$work/run-$1-$2 n xvfb pw t0 pid
	mkdir -p "$dir"
	n=$(free_display)
	Xvfb ":$n" -screen 0 1280x860x24 -nolisten tcp -br >"$dir/xvfb.log" 2>&1 &
	xvfb=$!
	started+=("$xvfb")
	for _ in $(seq 100); do xdpyinfo -display ":$n" >/dev/null 2>&1 && break; sleep 0.05; done
	xdpyinfo -display ":$n" >/dev/null 2>&1 || { log "Xvfb :$n did not start"; cat "$dir/xvfb.log" >&2; exit 1; }
	start_bus

	local cmd=("$hello")
	if [ "$app" = grantbook ]; then
		cp -a "$work/seed" "$dir/data"
		cmd=("$grantbook" --data-dir "$dir/data")
	fi
	mkdir -p "$work/xdg-$app"

	DISPLAY=:$n "$work/paintwatch" -t "$threshold" -k "$skip_top" -i "$interval" -T "$timeout_ms" \
		-s "$((idle * 1000))" -o "$dir/first.ppm" -O "$dir/last.ppm" >"$dir/paint.out" 2>&1 &
	pw=$!
	started+=("$pw")
	sleep 0.2 # paintwatch is connected and polling before the exec

	t0=${EPOCHREALTIME//[.,]/}
	DISPLAY=:$n DBUS_SESSION_BUS_ADDRESS=$bus WEBKIT_DISABLE_COMPOSITING_MODE=1 \
		XDG_CACHE_HOME=$work/xdg-$app/cache XDG_DATA_HOME=$work/xdg-$app/data XDG_CONFIG_HOME=$work/xdg-$app/config \
		"${cmd[@]}" >"$dir/app.log" 2>&1 &
	pid=$!
	started+=("$pid")

	# paintwatch returns $idle seconds after the first paint
	if ! wait "$pw"; then
		log "$app run $run: no first paint within $((timeout_ms / 1000)) s"
		cat "$dir/paint.out" "$dir/app.log" >&2
		exit 1
	fi
	kill_tree "$pw" # gone: only forget its pid
	local out mapped paint settled colours blank_max
	out=$(cat "$dir/paint.out")
	[[ $out =~ mapped=([0-9]+)\ paint=([0-9]+)\ settled=([0-9]+)\ colours=([0-9]+)\ blank_max=([0-9]+) ]] ||
		{ log "paintwatch said: $out"; exit 1; }
	mapped=${BASH_REMATCH[1]} paint=${BASH_REMATCH[2]} settled=${BASH_REMATCH[3]}
	colours=${BASH_REMATCH[4]} blank_max=${BASH_REMATCH[5]}
	t0=$((t0 * 1000))
	alive "$pid" || { log "$app run $run: exited after the first paint"; cat "$dir/app.log" >&2; exit 1; }

	local total=0 papp=0 pweb=0 pnet=0 pother=0 procs=0 p kib comm tree unique sharers=0 f
	tree=$(descendants "$pid")
	for p in $tree; do
		kib=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null) || continue
		[ -n "$kib" ] || continue
		comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
		procs=$((procs + 1))
		total=$((total + kib))
		case $comm in
		WebKitWebProces*) pweb=$((pweb + kib)) ;;
		WebKitNetworkPr*) pnet=$((pnet + kib)) ;;
		*) if [ "$p" = "$pid" ]; then papp=$((papp + kib)); else pother=$((pother + kib)); fi ;;
		esac
	done
	# The same processes, each page counted once (bench/desktop/treemem.c),
	# and how many processes outside them map WebKit: each of those lowers
	# the PSS above by sharing the libraries.
	unique=$("$work/treemem" $tree 2>/dev/null) || unique=unique_kib=0 # not root
	unique=${unique#unique_kib=}
	unique=${unique%% *}
	for f in $(grep -l libwebkit2gtk /proc/[0-9]*/maps 2>/dev/null); do
		p=${f#/proc/}
		p=${p%/maps}
		[[ " $tree " == *" $p "* ]] || sharers=$((sharers + 1))
	done
	echo "$app $run $(((mapped - t0) / 1000000)) $(((paint - t0) / 1000000)) $(((settled - t0) / 1000000)) $colours $blank_max $total $papp $pweb $pnet $pother $procs $unique $sharers" >"$work/line"

	kill_tree "$pid"
	kill_tree "$bus_pid"
	kill_tree "$xvfb"
	wait "$pid" "$xvfb" 2>/dev/null || true
	if [ -n "$keep" ]; then
		mkdir -p "$keep"
		for f in first last; do
			if command -v convert >/dev/null; then
				convert "$dir/$f.ppm" "$keep/$app-$run-$f.png"
			else
				cp "$dir/$f.ppm" "$keep/$app-$run-$f.ppm"
			fi
		done
		cp "$dir/app.log" "$keep/$app-$run.log"
	fi
	rm -rf "$dir"
}

# --- runs, interleaved ----------------------------------------------------------

results=$work/results
: >"$results"
page="3 seeded contacts"
[ "$empty" = 1 ] && page="empty data directory"
log "$runs runs per app after a warm-up; Grantbook on $page; memory read ${idle} s after the first paint"
printf '%-9s %3s %8s %8s %8s %9s %9s %9s %9s %9s %5s %9s %s\n' app run mapped paint settled colours "PSS MiB" "app" "web" "network" procs "unique" "others"
for ((r = 0; r <= runs; r++)); do
	for app in hello grantbook; do
		run_one "$app" "$r"
		awk -v warm="$([ "$r" = 0 ] && echo '  (warm-up, not counted)')" '{
			printf "%-9s %3s %5s ms %5s ms %5s ms %9s %9.1f %9.1f %9.1f %9.1f %5s %9.1f %6s%s\n",
				$1, $2, $3, $4, $5, $6 "/" $7, $8 / 1024, $9 / 1024, $10 / 1024, $11 / 1024, $13, $14 / 1024, $15, warm }' "$work/line"
		[ "$r" = 0 ] || cat "$work/line" >>"$results"
	done
done

# --- summary -------------------------------------------------------------------

strip -o "$work/hello.stripped" "$hello"
strip -o "$work/grantbook.stripped" "$grantbook"
size() { stat -c %s "$1"; }

awk -v hs="$(size "$hello")" -v gs="$(size "$grantbook")" \
	-v hss="$(size "$work/hello.stripped")" -v gss="$(size "$work/grantbook.stripped")" \
	-v page="$page" -v runs="$runs" '
function sortn(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
function stats(app, col, scale,   i, n, v) {
	n = 0
	for (i = 1; i <= NR; i++) if (A[i] == app) v[++n] = F[i, col] / scale
	sortn(v, n)
	med[app, col] = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	return sprintf(scale == 1 ? "%5d / %5d / %5d" : "%5.1f / %5.1f / %5.1f", v[1], med[app, col], v[n])
}
function verdict(r) { return r <= 1.3 ? "met" : sprintf("MISSED by %.0f %%", (r / 1.3 - 1) * 100) }
{ A[NR] = $1; for (c = 3; c <= NF; c++) F[NR, c] = $c }
END {
	printf "\nDesktop, %d runs each (Grantbook: %s); min / median / max\n", runs, page
	printf "%-28s %-21s %-21s %7s  %-7s %s\n", "", "Wails hello-world", "Grantbook", "ratio", "target", "verdict"
	printf "%-28s %21s %21s %6.2fx  %-7s %s\n", "binary, bytes", hs, gs, gs / hs, "-", "(no target)"
	printf "%-28s %21s %21s %6.2fx  %-7s %s\n", "binary stripped, bytes", hss, gss, gss / hss, "-", "(no target)"
	h = stats("hello", 3, 1); g = stats("grantbook", 3, 1)
	printf "%-28s %21s %21s %6.2fx  %-7s %s\n", "window mapped, ms", h, g, med["grantbook", 3] / med["hello", 3], "-", "(no target)"
	h = stats("hello", 4, 1); g = stats("grantbook", 4, 1); r = med["grantbook", 4] / med["hello", 4]
	printf "%-28s %21s %21s %6.2fx  %-7s %s\n", "first paint, ms", h, g, r, "<= 1.3x", verdict(r)
	h = stats("hello", 5, 1); g = stats("grantbook", 5, 1)
	printf "%-28s %21s %21s %6.2fx  %-7s %s\n", "page settled, ms", h, g, med["grantbook", 5] / med["hello", 5], "-", "(no target)"
	h = stats("hello", 8, 1024); g = stats("grantbook", 8, 1024); r = med["grantbook", 8] / med["hello", 8]
	printf "%-28s %21s %21s %6.2fx  %-7s %s\n", "memory, PSS MiB, all procs", h, g, r, "<= 1.3x", verdict(r)
	h = stats("hello", 9, 1024); g = stats("grantbook", 9, 1024)
	printf "%-28s %21s %21s %6.2fx\n", "  app process (Go, GTK)", h, g, med["grantbook", 9] / med["hello", 9]
	h = stats("hello", 10, 1024); g = stats("grantbook", 10, 1024)
	printf "%-28s %21s %21s %6.2fx\n", "  WebKitWebProcess", h, g, med["grantbook", 10] / med["hello", 10]
	h = stats("hello", 11, 1024); g = stats("grantbook", 11, 1024)
	printf "%-28s %21s %21s %6.2fx\n", "  WebKitNetworkProcess", h, g, med["grantbook", 11] / med["hello", 11]
	h = stats("hello", 12, 1024); g = stats("grantbook", 12, 1024)
	printf "%-28s %21s %21s\n", "  other children", h, g
	h = stats("hello", 14, 1024); g = stats("grantbook", 14, 1024)
	if (med["hello", 14] > 0)
		printf "%-28s %21s %21s %6.2fx  %-7s %s\n", "memory, each page once, MiB", h, g, med["grantbook", 14] / med["hello", 14], "-", "(check)"
	else
		printf "%-28s %s\n", "memory, each page once, MiB", "(needs root: not measured)"
	for (i = 1; i <= NR; i++) if (F[i, 15] > others) others = F[i, 15]
	if (others > 0)
		printf "\nNote: up to %d processes outside the measured ones mapped WebKit during the runs\n" \
			"(another WebKit program running): PSS is lower than alone; the each-page-once\n" \
			"line does not depend on them.\n", others
	else
		printf "\nNo other process mapped WebKit during the runs. The each-page-once figure is\n" \
			"higher than PSS by the pages shared with the rest of the machine (libc, GLib,\n" \
			"the X server'"'"'s shared memory...).\n"
}' "$results"
