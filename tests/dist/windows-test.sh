#!/usr/bin/env bash
# Checks the Windows installer scripts/dist.sh made: first its structure (a
# 64-bit NSIS installer holding the 64-bit app with Grantbook's version
# resource, icon and manifest, the uninstaller and the WebView2 bootstrapper;
# its script makes the Start-menu shortcut and the uninstaller), then what
# it does, run under Wine (tests/dist/windows-wine.sh).
# Usage: tests/dist/windows-test.sh [DIST_DIR] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(tr -d '[:space:]' <backend/version/VERSION)
dist=$(realpath "${1:-dist}")
out=${2:-test-artifacts}
installer=$dist/grantbook-$version-windows-amd64-installer.exe
exe=$dist/grantbook-$version-windows-amd64.exe
log=$dist/logs/windows.log
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
	echo "windows-test: $*" >&2
	exit 1
}
ok() { echo "windows-test: ok: $*"; }
for tool in file 7z iconv convert compare x86_64-w64-mingw32-objdump; do
	command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/setup.sh"
done
[ -f "$installer" ] || fail "no $installer: run scripts/dist.sh"
[ -f "$exe" ] || fail "no $exe: run scripts/dist.sh"

# 1. The installer: NSIS's 64-bit stub (Target amd64-unicode), like the app
#    it installs; 7z reads it as NSIS (file names NSIS only in 32-bit stubs).
what=$(file -b "$installer")
[[ $what == PE32+\ executable\ \(GUI\)\ x86-64* ]] || fail "installer is not a 64-bit PE: $what"
ok "installer: $what"
listing=$(7z l -slt "$installer")
grep -qx 'Type = Nsis' <<<"$listing" || fail "7z does not read the installer as NSIS"
for f in grantbook.exe uninstall.exe '$PLUGINSDIR/webview2bootstrapper/MicrosoftEdgeWebview2Setup.exe'; do
	grep -qxF "Path = $f" <<<"$listing" || fail "the installer does not contain $f"
done
ok "installer contains grantbook.exe, uninstall.exe and the WebView2 bootstrapper"
inst_version=$(strings -el "$installer" | grep -A1 -x ProductVersion | tail -1)
[ "$inst_version" = "$version" ] || fail "installer ProductVersion is '$inst_version', want $version"
strings -el "$installer" | grep -qx 'Grantbook Installer' || fail "installer FileDescription is not 'Grantbook Installer'"
ok "installer version resource: Grantbook $inst_version"

# 2. The app inside is the app beside it, a 64-bit GUI program.
(cd "$work" && 7z x -y "$installer" grantbook.exe >/dev/null)
cmp -s "$work/grantbook.exe" "$exe" || fail "grantbook.exe in the installer differs from $exe"
what=$(file -b "$exe")
[[ $what == PE32+\ executable\ \(GUI\)\ x86-64* ]] || fail "grantbook.exe is not a 64-bit GUI PE: $what"
ok "grantbook.exe: $what"

# Only system DLLs: a mingw runtime DLL (libgcc, libwinpthread) would be
# missing on the user's machine.
dlls=$(x86_64-w64-mingw32-objdump -p "$exe" | sed -n 's/^\s*DLL Name: //p' | sort -u)
if grep -qiE '^lib|mingw|pthread' <<<"$dlls"; then fail "grantbook.exe needs non-system DLLs: $dlls"; fi
ok "imports only $(paste -sd' ' <<<"$dlls")"

# 3. Its resources: version, icon, manifest, all Grantbook's.
(cd "$work" && 7z x -y "$exe" '.rsrc/*' >/dev/null 2>&1 || true)
vfile=$(find "$work/.rsrc" -name version.txt | head -1)
[ -n "$vfile" ] || fail "grantbook.exe has no version resource"
vinfo=$(iconv -f UTF-16LE -t UTF-8 "$vfile" | tr -d '\r')
for want in "\"ProductVersion\", *\"$version\"" "\"FileVersion\", *\"$version\"" '"ProductName", *"Grantbook"' \
	'"FileDescription", *"Grantbook"' '"OriginalFilename", *"grantbook.exe"' "FILEVERSION +${version//./,},0"; do
	grep -qE "$want" <<<"$vinfo" || fail "version resource lacks $want:
$vinfo"
done
ok "version resource: Grantbook $version"
manifest=$(find "$work/.rsrc" -path '*MANIFEST*' -type f | head -1)
[ -n "$manifest" ] || fail "grantbook.exe has no manifest"
grep -q "name=\"Grantbook.Grantbook.Desktop\" version=\"$version.0\"" "$manifest" || fail "manifest identity is not Grantbook $version: $(grep -m1 assemblyIdentity "$manifest")"
ok "manifest: Grantbook.Grantbook.Desktop $version.0"
icon=$(find "$work/.rsrc" -path '*/ICON/*' -type f -size +5k | sort | head -1)
[ -n "$icon" ] || fail "grantbook.exe has no large icon"
convert "$icon" -background white -flatten -resize 256x256! "$work/icon.png"
convert build/appicon.png -resize 256x256 -background white -flatten "$work/ref.png"
# (compare exits 1 when the images differ at all; the threshold decides.)
diff=$( (compare -metric RMSE "$work/icon.png" "$work/ref.png" null: 2>&1 || true) | sed -n 's/.*(\(.*\))/\1/p')
awk -v d="$diff" 'BEGIN { exit !(d < 0.03) }' || fail "the exe's icon is not build/appicon.png (RMSE $diff)"
ok "icon is build/appicon.png (RMSE $diff)"

# 4. What the installer does, from makensis's own listing of this build.
[ -f "$log" ] || fail "no $log (scripts/dist.sh writes it)"
grep -qF "Output: \"../../bin/grantbook-$version-windows-amd64-installer.exe\"" "$log" || fail "$log is not this installer's build"
for want in 'CreateShortcut: "$SMPROGRAMS\Grantbook.lnk"->"$INSTDIR\grantbook.exe"' \
	'WriteUninstaller: "$INSTDIR\uninstall.exe"' 'File: "MicrosoftEdgeWebview2Setup.exe"' \
	'Delete: "$SMPROGRAMS\Grantbook.lnk"' 'Delete: "$INSTDIR\grantbook.exe"'; do
	grep -qF "$want" "$log" || fail "the installer script lacks: $want"
done
if grep -qiE 'RMDir: /r "\$INSTDIR\\?"|RMDir: /r "\$APPDATA\\Grantbook\\?"' "$log"; then
	fail "the uninstaller deletes a whole folder it does not own"
fi
ok "Start-menu shortcut, uninstaller (keeps %APPDATA%\\Grantbook), WebView2 bootstrapper"
echo "windows-test: structure passed ($(du -h "$installer" | cut -f1) installer); now under Wine"
tests/dist/windows-wine.sh "$installer" "$exe" "$out"
