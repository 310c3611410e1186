#!/usr/bin/env bash
# Checks the built Debian packages: control fields, contents, the man page against
# glimpse-cli --help, lintian (errors other than installer/lintian-known-errors fail),
# desktop-file-validate and appstreamcli validate.
# Usage: check_packages.sh PACKAGE_DIR SOURCE_DIR VERSION
set -euo pipefail
packages=$1 source=$2 version=$3
app_id=io.github.glimpse_reader.Glimpse
main=$packages/glimpse_${version}_amd64.deb
model=$packages/glimpse-default-model_${version}_all.deb
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_field() {  # DEB FIELD REGEX
  local value
  value=$(dpkg-deb -f "$1" "$2")
  [[ $value =~ $3 ]] || fail "$(basename "$1"): $2 is '$value', expected /$3/"
}

for deb in "$main" "$model"; do
  [ -f "$deb" ] || { echo "FAIL: $deb was not built"; exit 1; }
  ls -l "$deb"
done
cuda=$(ls "$packages"/glimpse-cuda_*.deb 2>/dev/null || true)
[ -z "$cuda" ] || ls -l "$cuda"

echo "== control fields"
expect_field "$main" Package '^glimpse$'
expect_field "$main" Version "^${version//./\\.}$"
expect_field "$main" Architecture '^amd64$'
expect_field "$main" Section '^text$'
expect_field "$main" Maintainer '^.+ <.+@.+>$'
expect_field "$main" Description '^ask questions about long documents'
# Run-time libraries come from dpkg-shlibdeps; glimpse alone never needs CUDA.
expect_field "$main" Depends 'libqt6widgets6 .*'
expect_field "$main" Depends 'libpoppler-qt6-3'
expect_field "$main" Depends 'libsqlite3-0'
expect_field "$main" Recommends 'glimpse-default-model'
if dpkg-deb -f "$main" Depends | grep -qi cuda; then fail "glimpse depends on CUDA"; fi
if [ -n "$cuda" ]; then
  # The plugin and nothing else; the exact glimpse; the C and C++ libraries from dpkg-shlibdeps.
  expect_field "$cuda" Depends "^glimpse \\(= ${version//./\\.}\\)"
  expect_field "$cuda" Depends 'libc6 \(>= '
  expect_field "$cuda" Depends 'libstdc\+\+6'
  grep -q '/glimpse/libglimpse_cuda\.so$' <<<"$(dpkg-deb -c "$cuda")" || fail "glimpse-cuda lacks the plugin"
fi
expect_field "$model" Package '^glimpse-default-model$'
expect_field "$model" Architecture '^all$'
expect_field "$model" Version "^${version//./\\.}$"

echo "== contents"
contents=$(dpkg-deb -c "$main" | awk '{print $6}')
for path in ./usr/bin/glimpse ./usr/bin/glimpse-cli \
    ./usr/share/glimpse/samples/harbor-light-report.md \
    ./usr/share/glimpse/lookahead/SmolLM2-135M-Instruct.Q4_1.lookahead.gguf \
    ./usr/share/glimpse/eval/haystack.jsonl \
    ./usr/share/applications/$app_id.desktop ./usr/share/metainfo/$app_id.metainfo.xml \
    ./usr/share/icons/hicolor/scalable/apps/$app_id.svg \
    ./usr/share/man/man1/glimpse-cli.1.gz ./usr/share/man/man1/glimpse.1.gz \
    ./usr/share/doc/glimpse/copyright ./usr/share/doc/glimpse/changelog.gz; do
  grep -qxF "$path" <<<"$contents" || fail "glimpse lacks $path"
done
for size in 16 22 24 32 48 64 128 256 512; do
  grep -qxF "./usr/share/icons/hicolor/${size}x${size}/apps/$app_id.png" <<<"$contents" || fail "glimpse lacks the ${size}px icon"
done
if grep -v '^\./usr/' <<<"$contents" | grep -qv '^\./$'; then fail "glimpse installs outside /usr: $(grep -v '^\./usr/' <<<"$contents")"; fi
if grep -q 'models/.*\.gguf$' <<<"$contents"; then fail "glimpse carries a model; that is glimpse-default-model's"; fi
model_contents=$(dpkg-deb -c "$model" | awk '$1 !~ /^d/ {print $6}')
expected_model=$'./usr/share/doc/glimpse-default-model/changelog.gz\n./usr/share/doc/glimpse-default-model/copyright\n./usr/share/glimpse/models/SmolLM2-135M-Instruct.Q4_1.gguf'
[ "$(sort <<<"$model_contents")" = "$expected_model" ] || fail "glimpse-default-model holds: $model_contents"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$main" "$work/main"
dpkg-deb -x "$model" "$work/model"

# The packaged model is the file scripts/fetch-model checks.
want=$(sed -n 's/^sha256=\([0-9a-f]*\)$/\1/p' "$source/scripts/fetch-model")
got=$(sha256sum "$work/model/usr/share/glimpse/models/SmolLM2-135M-Instruct.Q4_1.gguf" | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "packaged model SHA-256 $got, scripts/fetch-model expects $want"

# Each PNG is the size its folder names (bytes 16..23 of a PNG: width, height).
for size in 16 48 512; do
  png=$work/main/usr/share/icons/hicolor/${size}x${size}/apps/$app_id.png
  dims=$(od -An -tu1 -j16 -N8 "$png" | awk '{print $3*256+$4 "x" $7*256+$8}')
  [ "$dims" = "${size}x${size}" ] || fail "$png is $dims"
done

echo "== man page kept true: every subcommand of glimpse-cli --help is in it"
man_text=$(zcat "$work/main/usr/share/man/man1/glimpse-cli.1.gz" | sed 's/\\-/-/g')
subcommands=$("$work/main/usr/bin/glimpse-cli" --help | awk '/^Subcommands:/ {on=1; next} on && NF {print $1}')
[ -n "$subcommands" ] || fail "glimpse-cli --help lists no subcommands"
for sub in $subcommands; do
  grep -qx "$sub" <<<"$man_text" || fail "man page lacks subcommand $sub"
done
grep -q "^\.TH GLIMPSE-CLI \"1\" .*glimpse-cli ${version//./\\.}" <<<"$man_text" || fail "man page header lacks the version"

echo "== desktop-file-validate"
desktop-file-validate "$work/main/usr/share/applications/$app_id.desktop" || fail "desktop-file-validate"
grep -qx 'MimeType=application/pdf;text/plain;text/markdown;' "$work/main/usr/share/applications/$app_id.desktop" ||
  fail "the desktop entry does not offer Glimpse for PDF, text and Markdown"

echo "== appstreamcli validate --no-net"
appstreamcli validate --no-net "$work/main/usr/share/metainfo/$app_id.metainfo.xml" || fail "appstreamcli validate"

echo "== lintian"
known=$(awk '!/^#/ && NF {print $1}' "$source/installer/lintian-known-errors")
lintian_out=$(lintian --tag-display-limit 0 "$main" "$model" $cuda 2>&1 | grep -v 'running with root privileges' || true)
echo "${lintian_out:-(no tags)}"
while read -r line; do
  [[ $line == E:* ]] || continue
  tag=$(awk '{print $3}' <<<"$line")
  grep -qxF "$tag" <<<"$known" || fail "lintian error not documented in installer/lintian-known-errors: $line"
done <<<"$lintian_out"

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "all package checks passed"
