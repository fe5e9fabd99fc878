#!/usr/bin/env bash
# Debian packages the tests need (Redis, HAProxy for the scaled profile, the browser and its driver,
# a CJK font). Idempotent; skips what is present.
set -euo pipefail
need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v haproxy >/dev/null || need+=(haproxy)
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
# A CJK font, so widget screenshots show Chinese instead of empty boxes.
(command -v fc-list >/dev/null && fc-list :lang=zh | grep -q .) || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
