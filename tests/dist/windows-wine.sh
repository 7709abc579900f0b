#!/usr/bin/env bash
# Runs the Windows installer for real, under Debian's 64-bit Wine, headless:
# a silent install into a fresh prefix; its files, Start-menu entry and
# Settings › Apps registration; the installed grantbook.exe serving on
# loopback (health, an account, a contact list), with its data folder
# (--data-dir, then %AppData%\Grantbook by default), its mail password in
# Windows' Credential Manager (read back by a new process to log in to a real
# Dovecot), and the one-process-per-folder lock; then a silent uninstall that
# takes the program away and keeps the data. What Wine cannot show is said.
# Usage: tests/dist/windows-wine.sh INSTALLER EXE [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
installer=$(realpath "$1")
exe=$(realpath "$2")
out=$(realpath -m "${3:-$root/test-artifacts}")
version=$(tr -d '[:space:]' <backend/version/VERSION)
mkdir -p "$out"
t0=$SECONDS

fail() { echo "windows-wine: FAILED: $*" >&2; exit 1; }
say() { echo "windows-wine: $*"; }
for tool in wine wineboot wineserver winepath x86_64-w64-mingw32-gcc curl sqlite3 strings; do
	command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/setup.sh"
done

work=$(mktemp -d)
dovecot=$(mktemp -d) # its own: start.sh opens it to Dovecot's users, $work stays 0700
pids=()
# A fresh 64-bit prefix; no display (nothing here needs one); no Mono or
# Gecko downloads; only what this run sets reaches grantbook.exe.
export WINEPREFIX=$work/prefix WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY GRANTBOOK_DATA_DIR GRANTBOOK_TOKEN GRANTBOOK_KEYRING
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
	wineserver -k 2>/dev/null || true
	tests/dovecot/stop.sh "$dovecot" >/dev/null 2>&1 || true
	rm -rf "$work" "$dovecot"
}
trap cleanup EXIT
# until_ok SECONDS CMD...: polls CMD until it succeeds or time runs out.
until_ok() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do [ $SECONDS -lt $end ] || return 1; sleep 0.1; done
}
# winenv NAME: a Windows environment variable, checked to be a path. A wine
# start can fail on a loaded machine ("ShellExecuteEx failed: Internal
# error" in place of the value, once in CI), so it is asked up to 5 times.
winenv() {
	local v i
	for i in 1 2 3 4 5; do
		v=$(wine cmd /c echo "%$1%" 2>/dev/null | tr -d '\r') || true
		[[ $v =~ ^[A-Z]:\\[^$'\n']*$ ]] && { printf '%s\n' "$v"; return 0; }
		echo "windows-wine: %$1% try $i gave: $v" >&2
		sleep 1
	done
	return 1
}
unix() { winepath -u "$1" 2>/dev/null; }            # C:\... -> its file in the prefix
# A value of a key dumped by `wine reg query KEY` (file $1): one query for
# all of a key's values, not a wine process each, any of which may come
# back empty while the prefix's server is busy (seen once in CI).
reg_value() { tr -d '\r' <"$1" | sed -n "s/^ *$2 *REG_[A-Z_]* *//p"; }

# ---- a Windows 10 prefix -------------------------------------------------------
t=$SECONDS
wineboot --init >"$out/wine-boot.log" 2>&1 || fail "wineboot: $(tail -5 "$out/wine-boot.log")"
# Wine 8's new prefix says Windows 7; the installer requires Windows 10 (it
# exits 64, silently, on anything older).
wine winecfg -v win10 >>"$out/wine-boot.log" 2>&1
timeout 120 wineserver -w || fail "wineboot did not finish in 120 s"
say "Wine $(wine --version) prefix ($(wine cmd /c ver | tr -d '\r' | grep -o 'Windows.*')) ready in $((SECONDS - t)) s"

# ---- silent install ---------------------------------------------------------
t=$SECONDS
set +e
WINEDEBUG=err+module,err+environ timeout 300 wine "$installer" /S >"$out/wine-install.log" 2>&1
code=$?
set -e
[ "$code" = 0 ] || fail "the installer exited $code: $(tail -5 "$out/wine-install.log")"
timeout 120 wineserver -w || fail "the installer's processes did not end in 120 s"
say "installed silently (/S) in $((SECONDS - t)) s"
# The WebView2 runtime is missing, so the installer starts Microsoft's
# bootstrapper. It is a 32-bit program (this Wine runs 64-bit ones only)
# and would download from the internet: it cannot install anything here.
grep -q 'webview2bootstrapper\\\\MicrosoftEdgeWebview2Setup.exe' "$out/wine-install.log" ||
	fail "the installer did not start the WebView2 bootstrapper: $(cat "$out/wine-install.log")"
say "it started the WebView2 bootstrapper, which cannot run under this Wine (a 32-bit program; no WebView2 for Wine); the install went on"

pf=$(winenv ProgramFiles) || fail "no %ProgramFiles%"
programdata=$(winenv ProgramData) || fail "no %ProgramData%"
public=$(winenv PUBLIC) || fail "no %PUBLIC%"
inst="$pf\\Grantbook"
[ "$inst" = 'C:\Program Files\Grantbook' ] || fail "ProgramFiles is $pf"
cmp -s "$(unix "$inst\\grantbook.exe")" "$exe" || fail "$inst\\grantbook.exe is not $exe"
[ -f "$(unix "$inst\\uninstall.exe")" ] || fail "no $inst\\uninstall.exe"
lnk_target() { strings -a "$1"; strings -a -el "$1"; }
for lnk in "$programdata\\Microsoft\\Windows\\Start Menu\\Programs\\Grantbook.lnk" "$public\\Desktop\\Grantbook.lnk"; do
	[ -f "$(unix "$lnk")" ] || fail "no shortcut $lnk"
	targets=$(lnk_target "$(unix "$lnk")") # (captured: grep -q would cut the pipe)
	grep -qiF "$inst\\grantbook.exe" <<<"$targets" || fail "$lnk does not start $inst\\grantbook.exe"
done
say "files: $inst\\grantbook.exe (the one in dist/) and uninstall.exe; shortcuts in the Start menu and on the desktop start it"

key='HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\Grantbook'
wine reg query "$key" >"$out/wine-uninstall-key.txt" 2>&1 || fail "no uninstall registration $key"
check_reg() {
	local got
	got=$(reg_value "$out/wine-uninstall-key.txt" "$1")
	[ "$got" = "$2" ] || fail "$key $1 is '$got', want '$2'"
}
check_reg DisplayName Grantbook
check_reg DisplayVersion "$version"
check_reg Publisher Grantbook
check_reg InstallLocation "$inst"
check_reg DisplayIcon "$inst\\grantbook.exe"
check_reg UninstallString "\"$inst\\uninstall.exe\""
check_reg QuietUninstallString "\"$inst\\uninstall.exe\" /S"
say "Settings › Apps entry: $key (Grantbook $version, Grantbook, uninstall.exe)"

# ---- the Go runtime on Wine 8 -----------------------------------------------
gb() { wine "$inst\\grantbook.exe" "$@"; }
said=$(gb version 2>&1 || true)
if [[ $said == *"bcryptprimitives.dll not found"* ]]; then
	x86_64-w64-mingw32-gcc -O2 -shared -s -o "$work/bcryptprimitives.dll" tests/dist/wine/bcryptprimitives.c -lbcrypt
	cp "$work/bcryptprimitives.dll" "$(unix 'C:\windows\system32')/"
	say "NOT WINDOWS: $(wine --version) has no bcryptprimitives.dll (Windows 10+ has; Wine from 9.0), and Go programs need its ProcessPrng: grantbook.exe said '$(head -1 <<<"$said")'. Put a stand-in (tests/dist/wine/bcryptprimitives.c, test only) into this prefix's system32"
	said=$(gb version 2>&1 || true)
fi
[ "$said" = "grantbook $version" ] || fail "grantbook.exe version said: $said"
say "grantbook.exe version: $said"

# ---- serve, with a real IMAP server for the mail password --------------------
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { local p=$1; while port_open "$p" || [ "$p" = "${2:-}" ]; do p=$((p + 1)); done; echo "$p"; }
imap_port=$(free_port 11143)
env_line=$(DOVECOT_IMAP_PORT=$imap_port DOVECOT_LMTP_PORT=$(free_port 11024 "$imap_port") tests/dovecot/start.sh "$dovecot")
eval "$env_line"

token=wine-test-$(od -An -N16 -tx1 /dev/urandom | tr -d " \n") # serve wants 32+ characters
serve_n=0
# serve [ARGS]: starts grantbook.exe serve; sets serve_pid, base, log.
serve() {
	serve_n=$((serve_n + 1))
	log=$out/wine-serve-$serve_n.log
	: >"$log" # here, not in the background job: a stale log must not look ready
	GRANTBOOK_TOKEN=$token wine "$inst\\grantbook.exe" serve --addr 127.0.0.1:0 "$@" >>"$log" 2>&1 &
	serve_pid=$!
	pids+=("$serve_pid")
	until_ok 60 grep -q 'serving on' "$log" || fail "serve $* did not start: $(cat "$log")"
	base=$(sed -n 's|.*serving on \(http://[0-9.:]*\)/.*|\1|p' "$log")
}
crash() { kill -KILL "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; }
api() { # api METHOD PATH [JSON]
	local body=()
	[ $# -lt 3 ] || body=(-d "$3")
	curl -sS --fail-with-body -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
		"${body[@]}" "$base$2"
}

data='C:\Grantbook data'
serve --data-dir "$data"
say "serve: $(head -1 "$log" | sed "s/$token/TOKEN/")"
health=$(api GET /api/health) && [[ $health == *'"status":"ok"'* ]] || fail "GET /api/health: $health"
say "GET /api/health -> $health"
api POST /api/accounts '{"name":"Wine Ltd"}' >/dev/null || fail "could not create an account"
api POST /api/contacts '{"account_id":1,"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com","role":"Accountant","preset":"billing"}' >/dev/null ||
	fail "could not create a contact"
contacts=$(api GET /api/contacts)
[[ $contacts == *'"email":"ada@example.com"'* && $contacts == *'"total":1'* ]] || fail "contact list: $contacts"
say "GET /api/contacts -> $(cut -c1-160 <<<"$contacts")…"
[ -f "$(unix "$data")/grantbook.db" ] || fail "no grantbook.db in $data"

secrets=$(api GET /api/mail/status | sed -n 's/.*"secrets":"\([a-z]*\)".*/\1/p')
imap="{\"imap\":{\"host\":\"127.0.0.1\",\"port\":$imap_port,\"security\":\"plain\",\"username\":\"$GRANTBOOK_DOVECOT_USER\",\"password\":\"$GRANTBOOK_DOVECOT_PASS\",\"mailbox\":\"INBOX\"}}"
api PUT /api/settings/mail "$imap" >/dev/null || fail "could not save the IMAP settings"
ref=$(sqlite3 "$(unix "$data")/grantbook.db" "select value from settings where key = 'mail.imap.password'")
if [ "$secrets" = keyring ]; then
	[ "$ref" = "keyring:" ] || fail "the database holds '$ref' for the IMAP password, want keyring:"
	[ ! -e "$(unix "$data")/secret.key" ] || fail "secret.key was made although the keyring is used"
	cred=$(wine reg query 'HKCU\Software\Wine\Credential Manager' /s | tr -d '\r' | grep -m1 '^HKEY.*Grantbook:.*mail\.imap\.password$') ||
		fail "no Grantbook credential in Wine's Credential Manager"
	say "mail password: in Windows Credential Manager (CredWrite; Wine keeps it in the registry, ${cred##*\\}), the database holds only 'keyring:'"
else
	[[ $ref == sealed:* && -f "$(unix "$data")/secret.key" ]] || fail "no keyring and no sealed secret: '$ref'"
	say "mail password: Wine's Credential Manager did not answer; sealed under secret.key in the data folder instead"
fi

# One process per data folder: a second serve is refused at once.
holder=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$(unix "$data")/grantbook.lock")
set +e
refusal=$(GRANTBOOK_TOKEN=$token timeout 60 wine "$inst\\grantbook.exe" serve --addr 127.0.0.1:0 --data-dir "$data" 2>&1)
code=$?
set -e
want="the data folder $data is in use by another Grantbook (process $holder, serve on ${base#http://})"
[ "$code" = 1 ] && [[ $refusal == *"$want"* ]] || fail "a second serve on $data exited $code: $refusal"
say "second serve on the same folder exited 1: $refusal"

# A crash leaves the lock file; Windows drops the lock with the process.
crash
serve --data-dir "$data"
say "after kill -9 of the first, serve started again on the lock file it left"
[[ $(api GET /api/contacts) == *'"total":1'* ]] || fail "the contact is gone after the crash"
login=$(api POST /api/settings/mail/test '{"which":"imap"}')
[[ $login == *'"ok":true'* ]] || fail "the new process could not log in to Dovecot with the stored password: $login"
say "a new process read the password back and logged in to Dovecot: POST /api/settings/mail/test -> $login"
api PUT /api/settings/mail "${imap/$GRANTBOOK_DOVECOT_PASS/not-the-password}" >/dev/null || fail "could not change the IMAP password"
login=$(api POST /api/settings/mail/test '{"which":"imap"}')
[[ $login == *'"ok":false'* ]] || fail "a wrong password logged in: $login"
say "(and with a wrong password stored, Dovecot refuses it: $(cut -c1-100 <<<"$login"))"
crash

# ---- the default data folder --------------------------------------------------
appdata=$(winenv APPDATA) || fail "no %APPDATA%"
serve
[[ $(api GET /api/health) == *'"status":"ok"'* ]] || fail "health without --data-dir"
[ -f "$(unix "$appdata\\Grantbook")/grantbook.db" ] || fail "without --data-dir there is no $appdata\\Grantbook\\grantbook.db"
grep -q '"serve on ' "$(unix "$appdata\\Grantbook")/grantbook.lock" || fail "no lock record in $appdata\\Grantbook"
say "without --data-dir the data is in %AppData%\\Grantbook ($appdata\\Grantbook)"
crash

# ---- the window -----------------------------------------------------------------
set +e
window=$(timeout 60 wine "$inst\\grantbook.exe" --data-dir 'C:\Grantbook window' 2>&1)
code=$?
set -e
[ "$code" = 1 ] && [[ $window == *"WebView2 runtime not installed"* ]] || fail "the window under Wine exited $code: $window"
say "NOT SHOWN: the window. It needs Microsoft's WebView2 runtime, which Wine does not provide; grantbook.exe exited 1: $window"

# ---- silent uninstall ----------------------------------------------------------
t=$SECONDS
wine "$inst\\uninstall.exe" /S >"$out/wine-uninstall.log" 2>&1 || fail "uninstall.exe /S failed: $(cat "$out/wine-uninstall.log")"
# The uninstaller runs a copy of itself from %TEMP% and returns at once.
timeout 120 wineserver -w || fail "the uninstaller did not finish in 120 s"
[ ! -e "$(unix "$inst")" ] || fail "$inst is left: $(ls -la "$(unix "$inst")")"
for lnk in "$programdata\\Microsoft\\Windows\\Start Menu\\Programs\\Grantbook.lnk" "$public\\Desktop\\Grantbook.lnk"; do
	[ ! -e "$(unix "$lnk")" ] || fail "$lnk is left"
done
! wine reg query "$key" >/dev/null 2>&1 || fail "$key is left"
for d in "$data" "$appdata\\Grantbook"; do
	[ -f "$(unix "$d")/grantbook.db" ] || fail "uninstalling deleted $d"
done
say "uninstalled silently in $((SECONDS - t)) s: program folder, shortcuts and registration gone; $data and %AppData%\\Grantbook kept"
say "passed in $((SECONDS - t0)) s"
