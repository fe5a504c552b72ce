#!/usr/bin/env bash
# Install Debian's Chromium for `nox -s browser` (Playwright drives it; no browser
# is downloaded from anywhere but apt). Does nothing when it is already there.
# Exits non-zero, saying why, when it cannot install: the browser check then
# cannot run, and CI must fail rather than skip it.
set -euo pipefail

chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  echo "install-chromium: $("$chromium" --version 2>/dev/null | tail -n 1) at $chromium"
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "install-chromium: no $chromium and no apt-get on this machine;" \
    "install Chromium and set CHROMIUM to its path" >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "install-chromium: installing $chromium needs root (apt-get install chromium)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q chromium

if [ ! -x "$chromium" ]; then
  echo "install-chromium: apt installed chromium, but not at $chromium" >&2
  exit 1
fi
echo "install-chromium: $("$chromium" --version 2>/dev/null | tail -n 1) at $chromium"
