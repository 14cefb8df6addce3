#!/usr/bin/env bash
# Make sure the system programs microprop uses are there: `dot` (Graphviz) renders graph
# images; `chromium` runs the browser test of the stepper page; `hangul` is a font with
# Korean glyphs (Noto Sans CJK KR), which Korean images and pages are drawn with.
# Usage: .ci/system-deps.sh dot [chromium] [hangul]
# Installs missing ones with apt-get when run as root; otherwise says how, and goes on
# (tests that need a missing program are skipped with that reason, except under CI).
set -u
declare -A package=([dot]="graphviz fonts-dejavu-core" [chromium]="chromium fonts-dejavu-core" [hangul]="fonts-noto-cjk")
declare -A hint=(
  [dot]="Graphviz's 'dot' program renders graph images. Install it with: sudo apt-get install graphviz (Debian/Ubuntu), sudo dnf install graphviz (Fedora), brew install graphviz (macOS)."
  [chromium]="Chromium runs the browser test of the stepper page. Install it with: sudo apt-get install chromium (Debian/Ubuntu)."
  [hangul]="Korean text (--lang ko) in images needs a font with Hangul. Install it with: sudo apt-get install fonts-noto-cjk (Debian/Ubuntu), sudo dnf install google-noto-sans-cjk-fonts (Fedora), brew install --cask font-noto-sans-cjk (macOS)."
)
# a font is no program: `hangul` is there when fontconfig knows a font for Korean
present() {
  if [ "$1" = hangul ]; then
    fc-list :lang=ko family 2>/dev/null | grep -q .
  else
    command -v "$1" >/dev/null 2>&1
  fi
}
missing=()
for program in "$@"; do
  present "$program" || missing+=("$program")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  pkgs=()
  for program in "${missing[@]}"; do pkgs+=(${package[$program]}); done
  echo "microprop: installing ${pkgs[*]} with apt-get ..."
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq && apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null; then
    exit 0
  fi
  echo "microprop: apt-get could not install ${pkgs[*]}" >&2
fi
for program in "${missing[@]}"; do
  echo "microprop: '$program' was not found. ${hint[$program]}" >&2
done
exit 0
