#!/usr/bin/env bash
# Check (and, as root, install) the Debian packages Foodhub needs.
#   runtime: Pango for WeasyPrint's PDFs, fonts, gettext for translations
#   test:    Debian's Chromium for the browser tests (playwright cannot download browsers here)
set -euo pipefail

case "${1:-runtime}" in
  runtime) packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core gettext) ;;
  test) packages=(chromium) ;;
  *) echo "usage: $0 runtime|test" >&2; exit 2 ;;
esac

# Debian's own Python needs python3-venv to create the virtualenv.
if [ "${1:-runtime}" = runtime ] && ! "${PYTHON:-python3}" -c "import ensurepip" 2>/dev/null; then
  packages+=(python3-venv)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Foodhub needs these Debian packages: ${missing[*]}" >&2
  echo "Installing them needs root. Run:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
