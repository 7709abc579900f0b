#!/usr/bin/env bash
# Installs the .deb that scripts/dist.sh made into a throwaway Debian root and
# uses it as someone who never opens a terminal would: opens Grantbook the way
# its menu entry does (as a normal user, no arguments) under Xvfb, screenshots
# the first run and the about box, checks the window title, that the data
# went to ~/.config/Grantbook, that an upgraded package keeps it, and that
# removing the package leaves it; and that grantbook.service is installed
# disabled, passes systemd-analyze, and its command serves as a service
# would run it.
#
# Usage: tests/dist/deb-test.sh [DEB] [OUT_DIR]      (needs root: chroot, mount)
# DEB_TEST_ROOT picks the throwaway root:
#   overlay  the host's own root under an overlay (about 20 s). The host's
#            packages are there, so dpkg -i alone must succeed, and every
#            library the program loads must come from a package its Depends
#            pull in.
#   clean    Debian bookworm minbase made by debootstrap and cached in
#            ~/.cache/grantbook-debootstrap (with apt's downloads); apt
#            installs the .deb and only what it declares (about 1 min, 1.5 min
#            the first time; needs the Debian mirror, DEB_TEST_MIRROR).
#   auto     overlay when the sandbox allows mounts, else clean (default)
# Screenshots: OUT_DIR/deb-first-run.png, deb-menu.png, deb-about.png.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(tr -d '[:space:]' <backend/version/VERSION)
deb=$(realpath "${1:-dist/grantbook_${version}_amd64.deb}")
out=$(realpath -m "${2:-test-artifacts}")
mode=${DEB_TEST_ROOT:-auto}
cache=${GRANTBOOK_DEBOOTSTRAP_CACHE:-$HOME/.cache/grantbook-debootstrap}
mirror=${DEB_TEST_MIRROR:-http://deb.debian.org/debian}

say() { echo "deb-test: $*"; }
fail() {
	echo "deb-test: FAIL: $*" >&2
	exit 1
}
[ -f "$deb" ] || fail "no $deb: run scripts/dist.sh"
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || fail "needs root (chroot, mount)"
	exec sudo --preserve-env=DEB_TEST_ROOT,GRANTBOOK_DEBOOTSTRAP_CACHE,DEB_TEST_MIRROR "$0" "$deb" "$out"
fi
# Own mount namespace: the mounts below are never seen outside it and go
# with it even if this script is killed (cleanup still unmounts before it
# deletes anything).
if [ -z "${GRANTBOOK_DEB_TEST_NS:-}" ] && unshare --mount --propagation private true 2>/dev/null; then
	GRANTBOOK_DEB_TEST_NS=1 exec unshare --mount --propagation private "$0" "$deb" "$out"
fi
for tool in Xvfb xwininfo xprop xdotool import convert chroot dpkg-deb curl; do
	command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/setup.sh"
done
mkdir -p "$out"
t0=$SECONDS

work=$(mktemp -d /var/tmp/grantbook-deb-test.XXXXXX)
root=$work/root
mkdir -p "$root"
pids=()
# Mounts under $work, deepest first.
mounts_under_work() { awk -v w="$work" '$2 == w || index($2, w "/") == 1 {print $2}' /proc/self/mounts | sort -r; }
cleanup() {
	for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done
	sleep 0.3
	# Unmount everything first: deleting through a mount would delete what
	# it shows. Then delete only if nothing is left mounted.
	for _ in 1 2 3; do
		mounts_under_work | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
		[ -z "$(mounts_under_work)" ] && break
		sleep 0.5
	done
	if [ -n "$(mounts_under_work)" ]; then
		echo "deb-test: still mounted, left in place: $(mounts_under_work | paste -sd' ')" >&2
	else
		rm -rf --one-file-system "$work"
	fi
}
trap cleanup EXIT

# ---- the throwaway root ---------------------------------------------------
overlay_host() {
	mkdir -p "$work/ovl" && mount -t tmpfs -o size=4g tmpfs "$work/ovl" 2>/dev/null || return 1
	mkdir -p "$work/ovl/upper" "$work/ovl/work"
	mount -t overlay overlay -o "lowerdir=/,upperdir=$work/ovl/upper,workdir=$work/ovl/work" "$root" 2>/dev/null || return 1
	[ -x "$root/usr/bin/dpkg" ] || { umount "$root"; return 1; } # /usr on another mount
}

clean_root() {
	local base=$cache/bookworm-minbase
	if [ ! -f "$base/.complete" ]; then
		command -v debootstrap >/dev/null || fail "debootstrap is missing: run scripts/setup.sh"
		say "making a Debian bookworm minbase in $base (once)"
		rm -rf "$base.tmp" && mkdir -p "$cache"
		debootstrap --variant=minbase bookworm "$base.tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
			fail "debootstrap failed: $cache/debootstrap.log"
		cat >"$base.tmp/etc/apt/sources.list" <<-EOF
			deb $mirror bookworm main
			deb $mirror bookworm-updates main
			deb ${mirror%/debian}/debian-security bookworm-security main
		EOF
		rm -rf "$base.tmp/var/cache/apt/archives"/*.deb
		touch "$base.tmp/.complete"
		mv "$base.tmp" "$base"
	fi
	mkdir -p "$work/upper" "$work/work"
	if ! mount -t overlay overlay -o "lowerdir=$base,upperdir=$work/upper,workdir=$work/work" "$root" 2>/dev/null; then
		say "overlay refused: copying the cached root"
		cp -a "$base/." "$root/"
	fi
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	mkdir -p "$cache/archives/partial" "$root/var/cache/apt/archives"
	mount --bind "$cache/archives" "$root/var/cache/apt/archives" 2>/dev/null || true # downloads kept for the next run
}

case $mode in
overlay) overlay_host || fail "cannot mount an overlay of / here: use DEB_TEST_ROOT=clean" ;;
clean) clean_root ;;
auto) if overlay_host; then mode=overlay; else mode=clean && clean_root; fi ;;
*) fail "DEB_TEST_ROOT=$mode: overlay, clean or auto" ;;
esac
say "root: $mode ($root)"

# Fresh instances only, never the host's /dev or /sys bound in: the root
# is thrown away afterwards and nothing of the host may go with it.
mount -t proc proc "$root/proc" || fail "cannot mount in this sandbox: run as root in a VM or a privileged container"
mount -t tmpfs -o mode=755,nosuid tmpfs "$root/dev"
for node in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
	set -- $node
	mknod -m 666 "$root/dev/$1" c "$2" "$3"
done
mkdir "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm"
ln -s /proc/self/fd "$root/dev/fd"
for i in 0 1 2; do ln -s "/proc/self/fd/$i" "$root/dev/$(echo stdin stdout stderr | cut -d' ' -f$((i + 1)))"; done
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys" 2>/dev/null || true
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
mount -t tmpfs -o mode=755 tmpfs "$root/run"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

# ---- install ----------------------------------------------------------------
t_install=$SECONDS
cp "$deb" "$root/tmp/grantbook.deb"
in_root dpkg --purge grantbook >/dev/null 2>&1 || true
if [ "$mode" = overlay ]; then
	# Everything it depends on must already be here: dpkg -i, no apt.
	in_root dpkg -i /tmp/grantbook.deb >"$out/deb-install.log" 2>&1 || { cat "$out/deb-install.log" >&2; fail "dpkg -i failed"; }
else
	{ in_root apt-get update -q && in_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends /tmp/grantbook.deb; } >"$out/deb-install.log" 2>&1 ||
		{ tail -30 "$out/deb-install.log" >&2; fail "apt-get install of the .deb failed"; }
fi
status=$(in_root dpkg-query -W -f='${Status} ${Version}' grantbook)
[ "$status" = "install ok installed $version" ] || fail "dpkg says: $status"
say "installed grantbook $version ($((SECONDS - t_install)) s)"

for f in /usr/bin/grantbook /usr/share/applications/grantbook.desktop /usr/share/metainfo/grantbook.metainfo.xml \
	/usr/share/doc/grantbook/copyright; do
	[ -f "$root$f" ] || fail "$f is not installed"
done
for s in 16 32 48 64 128 256 512; do
	icon=$root/usr/share/icons/hicolor/${s}x${s}/apps/grantbook.png
	[ "$(identify -format %wx%h "$icon" 2>/dev/null)" = "${s}x${s}" ] || fail "no ${s}x${s} icon"
done
[ "$(in_root grantbook version)" = "grantbook $version" ] || fail "grantbook version says: $(in_root grantbook version 2>&1)"
if command -v desktop-file-validate >/dev/null; then
	desktop-file-validate "$root/usr/share/applications/grantbook.desktop" || fail "the .desktop entry is invalid"
fi
grep -qx 'Name=Grantbook' "$root/usr/share/applications/grantbook.desktop" || fail "the menu entry is not named Grantbook"
if [ -f "$root/usr/share/icons/hicolor/icon-theme.cache" ]; then
	grep -q grantbook "$root/usr/share/icons/hicolor/icon-theme.cache" || fail "the icon cache was not refreshed (dpkg trigger)"
fi
say "files, icons, menu entry and 'grantbook version' ok"

# ---- the service unit: installed disabled, valid, and its command runs ----
unit=/lib/systemd/system/grantbook.service
for f in $unit /etc/default/grantbook /usr/share/doc/grantbook/deploy.md; do
	[ -f "$root$f" ] || fail "$f is not installed"
done
in_root dpkg-query -W -f='${Conffiles}\n' grantbook | grep -q '^ /etc/default/grantbook ' ||
	fail "/etc/default/grantbook is not a conffile (an upgrade would overwrite the owner's options)"
enabled=$(find "$root/etc/systemd/system" -name grantbook.service 2>/dev/null || true)
[ -z "$enabled" ] || fail "installing enabled the service: $enabled"
if ! in_root sh -c 'command -v systemd-analyze' >/dev/null; then
	# A server has systemd; a minbase root does not.
	[ "$mode" = clean ] || fail "systemd-analyze is missing: run scripts/setup.sh"
	in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends systemd >>"$out/deb-install.log" 2>&1 ||
		fail "installing systemd (for systemd-analyze) failed: $out/deb-install.log"
fi
verify=$(in_root systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify: $verify"
[ -z "$verify" ] || fail "systemd-analyze verify: $verify" # unknown or bad settings are only warnings there
exposure=$(in_root systemd-analyze security --offline=true --threshold=20 grantbook.service 2>&1 | tail -1) ||
	fail "the unit is not locked down enough: $exposure"
say "grantbook.service installed and disabled, /etc/default/grantbook a conffile, systemd-analyze verify clean, ${exposure#→ }"

# The unit's command as the service runs it: an unprivileged user, the state
# folder 0700, the unit's default options (on a free port).
sport=$((20000 + RANDOM % 20000))
opts=$(sed -n 's/^Environment="GRANTBOOK_OPTS=\([^"]*\)".*/\1/p' "$root$unit")
cmd=$(sed -n 's/^ExecStart=//p' "$root$unit")
[ -n "$opts" ] && [ -n "$cmd" ] || fail "cannot read GRANTBOOK_OPTS and ExecStart from $unit"
cmd=${cmd/\$GRANTBOOK_OPTS/${opts/127.0.0.1:8765/127.0.0.1:$sport}}
install -d -m 700 -o 65534 -g 65534 "$root/var/lib/grantbook"
setsid chroot --userspec=65534:65534 "$root" /usr/bin/env -i PATH=/usr/bin:/bin GRANTBOOK_KEYRING=off $cmd >"$out/deb-service.log" 2>&1 &
svc=$!
pids+=("$svc")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$sport/api/health" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$sport/api/health" >/dev/null || fail "the unit's command does not serve: $(tail -5 "$out/deb-service.log")"
tok=$root/var/lib/grantbook/owner-token
[ "$(stat -c '%a %u' "$tok" 2>&1)" = "600 65534" ] || fail "owner-token in the state folder: $(stat -c '%a %u' "$tok" 2>&1)"
curl -sf -H "Authorization: Bearer $(cat "$tok")" "http://127.0.0.1:$sport/api/accounts" >/dev/null || fail "the stored token does not open the API"
grep -q "Contacts sign in at" "$out/deb-service.log" || fail "serve printed no sign-in address: $(cat "$out/deb-service.log")"
kill -- "-$svc" 2>/dev/null || true
for _ in $(seq 50); do kill -0 "$svc" 2>/dev/null || break; sleep 0.1; done
say "the unit's command serves on loopback as an unprivileged user, its token in /var/lib/grantbook (0600)"

# Every shared library the program loads comes from a package its Depends
# pull in (the overlay root has more installed than Depends asks for).
missing=$(in_root ldd /usr/bin/grantbook | grep 'not found' || true)
[ -z "$missing" ] || fail "libraries not found: $missing"
in_root dpkg-query -W -f='${Package}\t${Status}\t${Depends}, ${Pre-Depends}\t${Provides}\n' >"$work/pkgs"
closure=$(awk -F'\t' '
	$2 == "install ok installed" { installed[$1] = 1; deps[$1] = $3
		n = split($4, pv, /, */); for (i = 1; i <= n; i++) { sub(/ .*/, "", pv[i]); if (pv[i] != "") prov[pv[i]] = prov[pv[i]] " " $1 } }
	END {
		queue[1] = "grantbook"; seen["grantbook"] = 1; head = 1; tail = 1
		while (head <= tail) {
			p = queue[head++]; n = split(deps[p], groups, /, */)
			for (i = 1; i <= n; i++) {
				m = split(groups[i], alts, / *\| */)
				for (j = 1; j <= m; j++) {
					a = alts[j]; sub(/^ +/, "", a); sub(/[ (].*/, "", a); sub(/:.*/, "", a)
					if (a == "") continue
					names = installed[a] ? a : ""
					names = names prov[a]
					k = split(names, cand, / +/)
					for (c = 1; c <= k; c++) if (cand[c] != "" && !seen[cand[c]]) { seen[cand[c]] = 1; queue[++tail] = cand[c] }
				}
			}
		}
		for (p in seen) print p
	}' "$work/pkgs")
# Which package owns each library (by its name under the multiarch
# directory; /lib and /usr/lib are one since usrmerge), from dpkg's file
# lists in one pass.
in_root ldd /usr/bin/grantbook | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' >"$work/libs"
printf '%s\n' "$closure" >"$work/closure"
unowned=$(awk '
	FILENAME ~ /closure$/ { ok[$0] = 1; next }
	FILENAME ~ /libs$/ { n = split($0, parts, "/"); want[parts[n]] = 1; nlib++; next }
	/\/x86_64-linux-gnu\/[^\/]+$/ { n = split($0, parts, "/"); b = parts[n]
		if (b in want && !(b in owner)) { pkg = FILENAME; sub(/.*\//, "", pkg); sub(/(:[a-z0-9]+)?\.list$/, "", pkg); owner[b] = pkg } }
	END { for (b in want) { if (!(b in owner)) print b " (no package)"; else if (!ok[owner[b]]) print b " (" owner[b] ")" } }
' "$work/closure" "$work/libs" "$root"/var/lib/dpkg/info/*.list | paste -sd' ')
[ -z "$unowned" ] || fail "libraries outside the declared dependencies: $unowned"
say "all $(wc -l <"$work/libs") libraries the program loads come from its declared dependencies"

# ---- first run, as a user, the way the menu entry starts it ---------------
in_root useradd -m -s /bin/sh tester 2>/dev/null || true
home=/home/tester
uid=$(in_root id -u tester)
mkdir -p "$root/run/user/$uid" && chown "$uid" "$root/run/user/$uid" && chmod 700 "$root/run/user/$uid"

d=90
while [ -e "/tmp/.X11-unix/X$d" ] || [ -e "/tmp/.X$d-lock" ]; do d=$((d + 1)); done
display=:$d
setsid Xvfb "$display" -screen 0 1280x860x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
pids+=("$!")
for _ in $(seq 50); do xdpyinfo -display "$display" >/dev/null 2>&1 && break; sleep 0.1; done
# The X socket, read-only (the abstract socket would do too).
mkdir -p "$root/tmp/.X11-unix"
mount --bind /tmp/.X11-unix "$root/tmp/.X11-unix" && mount -o remount,bind,ro "$root/tmp/.X11-unix"

exec_line=$(sed -n 's/^Exec=//p' "$root/usr/share/applications/grantbook.desktop" | sed 's/ *%[fFuUik]//g')
dbus=()
[ -x "$root/usr/bin/dbus-run-session" ] && dbus=(dbus-run-session --)
log=$out/deb-desktop.log
# GRANTBOOK_DEBUG logs the API calls (to know when the page has loaded);
# Xvfb has no GPU, so WebKit draws without compositing, as in desktop-smoke.
setsid chroot --userspec=tester:tester "$root" /usr/bin/env -i HOME=$home USER=tester LOGNAME=tester \
	PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 XDG_RUNTIME_DIR=/run/user/$uid DISPLAY=$display \
	GRANTBOOK_DEBUG=1 WEBKIT_DISABLE_COMPOSITING_MODE=1 "${dbus[@]}" sh -c "exec $exec_line" >"$log" 2>&1 &
app=$!
pids+=("$app")

t_run=$SECONDS
ready='path=/api/accounts status=200'
for _ in $(seq 200); do
	grep -q "$ready" "$log" && break
	kill -0 "$app" 2>/dev/null || { cat "$log" >&2; fail "Grantbook exited at start"; }
	sleep 0.2
done
grep -q "$ready" "$log" || { cat "$log" >&2; fail "the window never loaded the account list"; }
sleep 2 # let WebKit paint

wid=$(xwininfo -display "$display" -root -tree | awk '/"Grantbook"/ {print $1; exit}')
[ -n "$wid" ] || fail "no window titled Grantbook: $(xwininfo -display "$display" -root -tree | grep '"' | head)"
title=$(xprop -display "$display" -id "$wid" WM_NAME | sed -n 's/^WM_NAME([^)]*) = "\(.*\)"$/\1/p')
net_title=$(xprop -display "$display" -id "$wid" _NET_WM_NAME | sed -n 's/.* = "\(.*\)"$/\1/p')
wm_class=$(xprop -display "$display" -id "$wid" WM_CLASS | sed -n 's/.* = //p')
[ "$title" = Grantbook ] || fail "window title is '$title'"
[ -z "$net_title" ] || [ "$net_title" = Grantbook ] || fail "_NET_WM_NAME is '$net_title'"
startup_class=$(sed -n 's/^StartupWMClass=//p' "$root/usr/share/applications/grantbook.desktop")
[[ $wm_class == *"\"$startup_class\""* ]] || fail "WM_CLASS $wm_class does not match StartupWMClass=$startup_class"
import -display "$display" -window root "$out/deb-first-run.png"
colours=$(convert "$out/deb-first-run.png" -format %k info:)
[ "$colours" -ge 50 ] || fail "first-run screenshot looks blank ($colours colours)"
db=$root$home/.config/Grantbook/grantbook.db
[ -f "$db" ] || fail "no database in ~/.config/Grantbook: $(ls -la "$root$home/.config" 2>&1)"
say "window 'Grantbook' (WM_CLASS $wm_class) up in $((SECONDS - t_run)) s, data in ~/.config/Grantbook, screenshot deb-first-run.png ($colours colours)"

# The about box, from the menu bar: F10 opens the first menu, Down and
# Return pick "About Grantbook…".
geo=$(xwininfo -display "$display" -id "$wid" | awk '/Absolute upper-left X/ {x=$NF} /Absolute upper-left Y/ {y=$NF} END {print x+300, y+300}')
DISPLAY=$display xdotool mousemove $geo
sleep 0.3
DISPLAY=$display xdotool key F10
sleep 0.5
import -display "$display" -window root "$out/deb-menu.png"
DISPLAY=$display xdotool key Down Return
about=""
for _ in $(seq 50); do
	about=$(xwininfo -display "$display" -root -tree | awk '/"About Grantbook"/ {print $1; exit}')
	[ -n "$about" ] && break
	sleep 0.1
done
[ -n "$about" ] || fail "the menu did not open a window titled 'About Grantbook'"
sleep 1
import -display "$display" -window root "$out/deb-about.png"
DISPLAY=$display xdotool key Return # OK
for _ in $(seq 50); do
	xwininfo -display "$display" -root -tree | grep -q '"About Grantbook"' || break
	sleep 0.1
done
! xwininfo -display "$display" -root -tree | grep -q '"About Grantbook"' || fail "the about box did not close on Return"
kill -0 "$app" 2>/dev/null || fail "Grantbook died after the about box"
say "about box opened from the menu and closed, screenshot deb-about.png"

kill -- "-$app" 2>/dev/null || true
# The window itself may outlive the chroot wrapper by a moment, holding its
# lock on the data folder: wait for every grantbook in this root to be gone.
window_left() { for p in $(pgrep -x grantbook); do [ "$(readlink "/proc/$p/root")" = "$root" ] && echo "$p"; done; }
for _ in $(seq 100); do [ -z "$(window_left)" ] && break; sleep 0.1; done
[ -z "$(window_left)" ] || fail "the window ($(window_left)) still runs 10 s after it was told to stop"

# ---- data survives an upgrade and a removal -------------------------------
serve() { # starts grantbook serve as the user; sets serve_pid and port
	port=$((20000 + RANDOM % 20000))
	setsid chroot --userspec=tester:tester "$root" /usr/bin/env -i HOME=$home PATH=/usr/bin:/bin \
		GRANTBOOK_TOKEN=debtest-debtest-debtest-debtest-00 grantbook serve --addr "127.0.0.1:$port" >>"$out/deb-serve.log" 2>&1 &
	serve_pid=$!
	pids+=("$serve_pid")
	for _ in $(seq 100); do api "/api/health" >/dev/null 2>&1 && return 0; sleep 0.1; done
	fail "grantbook serve did not start: $(tail -5 "$out/deb-serve.log")"
}
stop_serve() {
	kill -- "-$serve_pid" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.1; done
}
api() { # api PATH [curl args]
	local p=$1
	shift
	curl -sf -H 'Authorization: Bearer debtest-debtest-debtest-debtest-00' -H 'Content-Type: application/json' "$@" "http://127.0.0.1:$port$p"
}

serve
api /api/accounts -d '{"name":"Acme Ltd"}' >/dev/null || fail "could not create an account through serve"
stop_serve

upgrade=$work/upgrade
dpkg-deb -R "$deb" "$upgrade"
sed -i "s/^Version: .*/Version: ${version}+upgradetest1/" "$upgrade/DEBIAN/control"
dpkg-deb --root-owner-group -b "$upgrade" "$root/tmp/grantbook-upgrade.deb" >/dev/null
in_root dpkg -i /tmp/grantbook-upgrade.deb >>"$out/deb-install.log" 2>&1 || fail "upgrading the package failed"
[ "$(in_root dpkg-query -W -f='${Version}' grantbook)" = "${version}+upgradetest1" ] || fail "the upgrade did not install"
serve
api /api/accounts | grep -q '"Acme Ltd"' || fail "the account is gone after the package upgrade"
stop_serve
say "package upgrade kept the data"

in_root dpkg --purge grantbook >>"$out/deb-install.log" 2>&1 || fail "dpkg --purge failed"
for f in /usr/bin/grantbook /usr/share/applications/grantbook.desktop /usr/share/icons/hicolor/48x48/apps/grantbook.png \
	/lib/systemd/system/grantbook.service /etc/default/grantbook; do
	[ ! -e "$root$f" ] || fail "$f is left after removal"
done
[ -f "$db" ] || fail "removing the package deleted the user's data"
say "removal took the program away and left ~/.config/Grantbook"
say "passed in $((SECONDS - t0)) s ($mode root); screenshots in $out"
