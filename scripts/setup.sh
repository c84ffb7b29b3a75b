#!/usr/bin/env bash
# Installs everything Stagefour needs on a fresh Debian 12 machine, idempotently:
# system packages (apt) that are missing, then a virtual environment in .venv with the
# project and its test dependencies. Re-running it is cheap: each step is skipped when done.
set -euo pipefail
cd "$(dirname "$0")/.."

# WeasyPrint needs Pango and HarfBuzz's subsetter (fonts come with them); the tests render
# PDFs to PNG with poppler and drive Debian's Chromium; tests/production/ runs nginx, Redis and
# openssl (a certificate) the way deploy/ and DEPLOYING.md set them up; the spreadsheet tests
# open and save the app's .xlsx files with LibreOffice Calc (headless), as a buyer's office would.
SYSTEM_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-noto-core
                 poppler-utils qpdf chromium nginx-light redis-server openssl libreoffice-calc-nogui)
# Services whose packages start them on install: the tests start their own on free loopback ports.
SERVICES=(nginx-light:nginx redis-server:redis-server)
missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing system packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # A service installed here is stopped and kept from starting at boot: nothing of it is left
  # listening on ports 80 or 6379. A service that was there before this script is not touched.
  for pair in "${SERVICES[@]}"; do
    pkg=${pair%%:*} service=${pair#*:}
    [[ " ${missing[*]} " == *" $pkg "* ]] || continue
    if [ -d /run/systemd/system ]; then
      $sudo systemctl disable --now "$service" >/dev/null 2>&1 || true
    else
      $sudo service "$service" stop >/dev/null 2>&1 || true
      $sudo update-rc.d "$service" disable >/dev/null 2>&1 || true
    fi
  done
fi

PYTHON=${PYTHON:-python3}
stamp=.venv/.installed
want=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python packages into .venv"
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  echo "$want" > "$stamp"
fi

# The browser tests' checkers: axe-core and the Nu HTML Checker (vnu-jar, run with Java).
# Scripts are skipped: vnu-jar's postinstall would download a JDK from GitHub when java is missing.
if ! command -v java >/dev/null; then
  echo "setup: installing Java (default-jre-headless)"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends default-jre-headless >/dev/null
fi
npm_stamp=node_modules/.installed
npm_want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -d node_modules ] || [ "$(cat "$npm_stamp" 2>/dev/null)" != "$npm_want" ]; then
  echo "setup: installing npm packages into node_modules"
  npm ci --no-audit --no-fund --ignore-scripts
  echo "$npm_want" > "$npm_stamp"
fi

# Compiled translations (.mo) are build output, not committed: make them when a catalogue is
# newer than what was compiled from it (or nothing was), so the app and tests find them.
for po in translations/*/LC_MESSAGES/messages.po; do
  if [ -e "$po" ] && [ ! "${po%.po}.mo" -nt "$po" ]; then
    .venv/bin/pybabel -q compile -d translations
    break
  fi
done
