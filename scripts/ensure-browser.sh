#!/usr/bin/env bash
# The console's browser tests drive Debian's Chromium (never a downloaded browser) and need a
# CJK font, or Chinese renders as empty boxes in screenshots. Installs both when missing.
set -euo pipefail
if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "wqy"; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
echo "installing Debian's chromium and fonts-wqy-zenhei for the browser tests"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-wqy-zenhei >/dev/null
