#!/usr/bin/env bash
# Installs the system programs the pipeline runs when missing: ffmpeg and ffprobe, espeak-ng
# (offline voices for Korean, Japanese, Chinese, ...), Noto CJK and Nanum fonts (subtitles in
# Hangul, kana and ideographs; Nanum gives Korean creators gothic, myeongjo and pen styles), tesseract with its Korean and Japanese models (the tests read the
# burned subtitles back), Chromium (the studio's browser tests; no browser is downloaded),
# h2load (the gateway benchmark's load generator) and promtool (Debian's prometheus package:
# the suite checks the alert rules and runs their unit tests). With the argument `images`, also
# what `make images` needs: buildah (builds the Dockerfile), podman and runc (run the images),
# debootstrap (makes the Debian base root).
set -euo pipefail

missing=()
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
command -v ffprobe >/dev/null || missing+=(ffmpeg)
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
command -v fc-list >/dev/null || missing+=(fontconfig)
{ command -v fc-list >/dev/null && fc-list ':charset=ac00' | grep -q .; } || missing+=(fonts-noto-cjk)
{ command -v fc-list >/dev/null && fc-list ':family=NanumGothic' | grep -q .; } || missing+=(fonts-nanum)
command -v tesseract >/dev/null || missing+=(tesseract-ocr)
command -v chromium >/dev/null || missing+=(chromium)
command -v npm >/dev/null || missing+=(nodejs npm)
command -v h2load >/dev/null || missing+=(nghttp2-client)
command -v promtool >/dev/null || missing+=(prometheus)
if [ "${1:-}" = images ]; then
  for tool in buildah podman runc debootstrap; do
    command -v "${tool}" >/dev/null || missing+=("${tool}")
  done
fi
for model in kor jpn; do
  { command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -qx "${model}"; } \
    || missing+=("tesseract-ocr-${model}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
if ! command -v apt-get >/dev/null; then
  echo "Please install: ${packages}(ffmpeg 5.1 or newer with libx264, libass, freetype)" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing system packages: ${packages}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends ${packages} >/dev/null

if command -v node >/dev/null; then
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
    || { echo "the studio needs Node.js 20.19 or newer (found $(node --version)); install it first" >&2; exit 1; }
fi
