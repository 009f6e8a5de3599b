#!/usr/bin/env bash
# Debian packages the tests use, installed when missing: Chromium (the console's browser tests
# drive Debian's, never a downloaded browser) with a CJK font, or Chinese renders as empty boxes
# in screenshots; and HAProxy, the load balancer in front of `bot serve --replicas N`.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "wqy" || missing+=(fonts-wqy-zenhei)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
echo "installing Debian's ${missing[*]} for the tests"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
