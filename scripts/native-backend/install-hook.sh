#!/usr/bin/env bash
# Run by `npm ci` and `npm install` (package.json "prepare", after the TypeScript build): builds the
# native TensorFlow backend when this machine can (build.sh: registry packages only, cached), so the
# fast path is the default path. It never fails the install: where native cannot be built, it says
# why in one line and anomalyd runs on the wasm backend.
#   ANOMALYD_SKIP_NATIVE=1   skip it (wasm unless the native backend was built before)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${ANOMALYD_NATIVE_CACHE:-$ROOT/.cache/native-backend}
LOG="$CACHE/install.log"

if [ -n "${ANOMALYD_SKIP_NATIVE:-}" ]; then
  echo "anomalyd: native TensorFlow backend skipped (ANOMALYD_SKIP_NATIVE is set); build it with: npm run native:build"
  exit 0
fi
mkdir -p "$CACHE" 2>/dev/null || { echo "anomalyd: native TensorFlow backend not built: cannot create $CACHE; anomalyd will use the wasm backend"; exit 0; }
echo "anomalyd: building the native TensorFlow backend (log: $LOG)…"
started=$SECONDS
if bash "$ROOT/scripts/native-backend/build.sh" >"$LOG" 2>&1; then
  echo "anomalyd: native TensorFlow backend ready ($((SECONDS - started)) s); anomalyd run, the demo and the bench use it"
else
  reason=$(grep -m1 'native-backend: ERROR' "$LOG" | sed 's/^native-backend: ERROR: //')
  echo "anomalyd: native TensorFlow backend not built: ${reason:-see $LOG}"
  echo "anomalyd: anomalyd will use the wasm backend (slower); details in $LOG, retry with: npm run native:build"
fi
exit 0
