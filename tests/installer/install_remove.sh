#!/usr/bin/env bash
# Installs the Debian packages into a clean root with dpkg --root, asks glimpse-cli about a
# shipped sample and about a PDF from the installed tree (empty HOME, no source tree, no
# variables pointing anywhere but the root), starts the installed GUI offscreen, then purges the
# packages and checks nothing of theirs is left and the user's data is untouched.
# The root's dpkg database is a copy of this machine's, so dpkg checks the packages'
# dependencies against the libraries the installed programs really load.
# Usage: install_remove.sh PACKAGE_DIR BUILD_GLIMPSE_CLI
set -euo pipefail
packages=$1 build_cli=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root home=$work/home elsewhere=$work/elsewhere
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers" "$root/var/log" "$home" "$elsewhere"
cp /var/lib/dpkg/status "$root/var/lib/dpkg/status"
cp /var/lib/dpkg/info/*.list "$root/var/lib/dpkg/info/"
touch "$root/var/lib/dpkg/available"
# No trigger interests are copied: the host's icon-cache and desktop-database triggers would
# run the host packages' scripts inside the root.
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(fakeroot)
dpkg_root() { "${as_root[@]}" dpkg --root="$root" --log="$root/var/log/dpkg.log" "$@"; }
files_outside_admin() { (cd "$root" && find . -mindepth 1 -not -type d | grep -v -e '^\./var/lib/dpkg/' -e '^\./var/log/' | sort) || true; }

echo "== install into $root"
dpkg_root -i "$packages"/glimpse_*_amd64.deb "$packages"/glimpse-default-model_*_all.deb
dpkg_root -l 'glimpse*' | grep '^ii'
[ "$(dpkg_root -l glimpse glimpse-default-model | grep -c '^ii')" -eq 2 ]
echo "installed $(files_outside_admin | wc -l) files"

# Nothing but the root: an empty HOME, a working directory outside the source tree, the
# system data folder of the root (where glimpse-default-model put the model).
clean_env=(env -i "HOME=$home" "PATH=/usr/bin:/bin" "XDG_DATA_DIRS=$root/usr/share" "XDG_RUNTIME_DIR=$work/runtime")
mkdir -m 700 "$work/runtime"
cd "$elsewhere"

echo "== glimpse-cli ask from the installed tree"
question="What is the entrance code for the night tours?"
"${clean_env[@]}" "$root/usr/bin/glimpse-cli" ask --threads 2 \
  --doc "$root/usr/share/glimpse/samples/harbor-light-report.md" "$question" >"$work/answer" 2>"$work/report"
cat "$work/answer" "$work/report"
grep -q 'PELICAN-47' "$work/answer" || { echo "FAIL: the answer lacks PELICAN-47"; exit 1; }
# The shipped LookaheadKV adapter was found in the installed data folder.
grep -q 'KV cache (lookahead' "$work/report" || { echo "FAIL: the installed adapter was not used"; exit 1; }

echo "== glimpse-cli ask about a PDF from the installed tree (read by the packaged Poppler path)"
# A one-page PDF written here; qpdf adds the cross-reference table.
lines=("Harbor Light of Vessel Point: visitor notes" "The lighthouse opens for night tours on Fridays."
       "Night tours start at the north gate at nine." "The entrance code for the night tours is PELICAN-47.")
content="BT /F1 12 Tf 72 720 Td 16 TL"
for line in "${lines[@]}"; do content+=" ($line) Tj T*"; done
content+=" ET"
{
  printf '%%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n'
  printf '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n'
  printf '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >> endobj\n'
  printf '4 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj\n'
  printf '5 0 obj << /Length %d >> stream\n%s\nendstream endobj\n' "${#content}" "$content"
  printf 'trailer << /Size 6 /Root 1 0 R >>\n%%%%EOF\n'
} >"$work/notes-raw.pdf"
qpdf "$work/notes-raw.pdf" "$elsewhere/notes.pdf" 2>/dev/null || [ $? -eq 3 ]  # 3: repaired with warnings
"${clean_env[@]}" "$root/usr/bin/glimpse-cli" ask --threads 2 --doc "$elsewhere/notes.pdf" "$question" >"$work/answer" 2>"$work/report"
cat "$work/answer" "$work/report"
grep -q 'PELICAN-47' "$work/answer" || { echo "FAIL: the answer about the PDF lacks PELICAN-47"; exit 1; }
grep -q 'drew on: p. 1' "$work/report" || { echo "FAIL: the answer names no page of the PDF"; exit 1; }

echo "== a stored session in the user's data folder"
echo "Who was the last keeper?" | "${clean_env[@]}" "$root/usr/bin/glimpse-cli" chat --threads 2 --max-tokens 8 \
  --session installer-check --doc "$root/usr/share/glimpse/samples/harbor-light-report.md" >/dev/null 2>&1
sessions_db=$home/.local/share/glimpse/sessions.sqlite
[ -f "$sessions_db" ] || { echo "FAIL: no session store at $sessions_db"; exit 1; }

echo "== the installed GUI starts offscreen: with the packaged model, then without one"
gui=$("${clean_env[@]}" QT_QPA_PLATFORM=offscreen "$root/usr/bin/glimpse" --quit-when-ready)
echo "$gui"
grep -q "glimpse: ready: .*SmolLM2-135M-Instruct" <<<"$gui" || { echo "FAIL: the window did not open the packaged model"; exit 1; }
gui=$(env -i "HOME=$home" "PATH=/usr/bin:/bin" "XDG_DATA_DIRS=$work/nothing" "XDG_RUNTIME_DIR=$work/runtime" \
  QT_QPA_PLATFORM=offscreen "$root/usr/bin/glimpse" --quit-when-ready)
echo "$gui"
grep -q "glimpse: first-run page" <<<"$gui" || { echo "FAIL: no first-run page without a model"; exit 1; }
[ -f "$home/.config/glimpse/glimpse.conf" ] || { echo "FAIL: no settings under the XDG config folder"; exit 1; }

echo "== purge"
dpkg_root -P glimpse glimpse-default-model
if dpkg_root -l glimpse glimpse-default-model 2>/dev/null | grep -q '^ii'; then echo "FAIL: still installed"; exit 1; fi
left=$(files_outside_admin)
[ -z "$left" ] || { echo "FAIL: left behind after purge:"; echo "$left"; exit 1; }
# Folders may stay only where another installed package owns them.
cat /var/lib/dpkg/info/*.list | sort -u >"$work/owned"
(cd "$root" && find . -mindepth 1 -type d | sed 's|^\.||') | awk '!/^\/var(\/lib(\/dpkg.*)?|\/log.*)?$/' | sort >"$work/dirs"
stray=$(comm -23 "$work/dirs" "$work/owned")
[ -z "$stray" ] || { echo "FAIL: folders of the packages left behind:"; echo "$stray"; exit 1; }
echo "nothing of the packages is left ($(wc -l <"$work/dirs") folders shared with installed packages remain)"

echo "== the user's session survives"
HOME=$home "$build_cli" sessions list | tee "$work/sessions"
grep -q 'installer-check' "$work/sessions" || { echo "FAIL: the session is gone"; exit 1; }
echo "install test passed"
