#!/usr/bin/env bash
# `npm test` runs this first (package.json "pretest"). The suite drives real third-party programs:
# Debian's mosquitto and mosquitto-clients, Chromium for the dashboard, redis-server for the
# cluster, openssl for TLS certificates, tshark and python3-hl7, and Eclipse Paho for Python.
# What is missing is installed when this may install (root, or sudo without a password);
# otherwise it prints the one command that does, and stops before any test runs.
#
#   --dry-run              print what would be installed and how, change nothing
#   DPKG_ADMINDIR=dir      dpkg's database to consult (dpkg-query --admindir), default /var/lib/dpkg
#   WARDLAB_PROVISION_PRIVILEGE=root|sudo|none   how to install, default: found out
set -euo pipefail

dry_run=false
[ "${1:-}" = "--dry-run" ] && dry_run=true

PACKAGES=(mosquitto-clients mosquitto chromium redis-server openssl python3-hl7 tshark)

installed() {
  [ "$(dpkg-query --admindir="${DPKG_ADMINDIR:-/var/lib/dpkg}" -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for package in "${PACKAGES[@]}"; do installed "$package" || missing+=("$package"); done
# paho-mqtt 2.x for python3, from the machine's local wheels (pip's find-links): PyPI is not
# reachable in CI.
paho_ok=true
python3 -c 'import sys, paho.mqtt; sys.exit(0 if paho.mqtt.__version__.startswith("2.") else 1)' 2>/dev/null || paho_ok=false

[ ${#missing[@]} -eq 0 ] && $paho_ok && exit 0

privilege="${WARDLAB_PROVISION_PRIVILEGE:-}"
if [ -z "$privilege" ]; then
  if [ "$(id -u)" = 0 ]; then privilege=root
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then privilege=sudo
  else privilege=none
  fi
fi
as_root=()
[ "$privilege" = sudo ] && as_root=(sudo)

# tshark asks whether non-root users may capture; the answer must not wait for a keyboard.
apt_steps=(
  "echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections"
  "apt-get update -qq"
  "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${missing[*]:-}"
)
pip_step="python3 -m pip install --quiet 'paho-mqtt>=2,<3'"

if [ "$privilege" = none ]; then
  {
    echo "npm test needs tools this machine does not have:${missing[*]:+ ${missing[*]}}$($paho_ok || echo ' paho-mqtt 2 for python3')."
    echo "Install them with this one command, then run npm test again:"
    if [ ${#missing[@]} -gt 0 ]; then
      printf "  sudo sh -c \"%s\"" "$(IFS=';'; echo "${apt_steps[*]}" | sed 's/;/ \&\& /g; s/"/\\"/g')"
      $paho_ok || printf " && %s" "$pip_step"
      echo
    else
      echo "  $pip_step"
    fi
  } >&2
  exit 1
fi

run() {
  if $dry_run; then echo "would run: $*"; else echo "provisioning: $*" >&2; "${as_root[@]}" sh -c "$*"; fi
}
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing the Debian packages the tests drive: ${missing[*]}" >&2
  for step in "${apt_steps[@]}"; do run "$step"; done
fi
if ! $paho_ok; then
  if $dry_run; then echo "would run: $pip_step"; else echo "provisioning: $pip_step" >&2; sh -c "$pip_step"; fi
fi
