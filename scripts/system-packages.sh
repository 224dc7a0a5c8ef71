#!/usr/bin/env bash
# Installs the Debian packages the server needs, or says exactly which are missing.
# Idempotent: does nothing when everything is present.
set -euo pipefail

PACKAGES=(
  postgresql-15 postgresql-15-postgis-3 postgresql-15-postgis-3-scripts
  gdal-bin libgdal-dev libgeos-dev libproj-dev
  gettext chromium fonts-dejavu-core curl
  python3-qgis qgis-providers
)
# Optional: only the WMS benchmark uses MapServer.
if [ "${WITH_BENCH_PACKAGES:-0}" = "1" ]; then PACKAGES+=(cgi-mapserver mapserver-bin); fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "ERROR: these Debian packages are missing and this user cannot install them:" >&2
  echo "  apt-get install ${missing[*]}" >&2
  echo "Run that as root (or give this user sudo), then run make again." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
