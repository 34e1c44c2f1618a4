#!/usr/bin/env bash
# The observer's end-to-end test drives Debian's chromium (playwright-core
# downloads no browser here). Installs it when missing and we can (root
# with apt-get); otherwise says in one line how to.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM is missing; installing Debian's chromium package"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  [ -x "$CHROMIUM" ] && exit 0
fi
echo "ensure-chromium: $CHROMIUM is missing; install it with: sudo apt-get update && sudo apt-get install -y chromium" >&2
exit 1
