#!/usr/bin/env bash
# Prints a folder holding a librdkafka.so.1 new enough for SCRAM against Kafka 4, fetching it once.
#
# Debian 12's kcat links librdkafka 2.0.2. Kafka 4.0 and later reject its SCRAM exchange ("invalid
# credentials": librdkafka before 2.6.1 sends the client nonce twice in the final message; kcat issue
# #462). librdkafka keeps its ABI across 1.x/2.x, so kcat runs unchanged with a newer library through
# LD_LIBRARY_PATH. PyPI's confluent-kafka wheel ships one, self-contained (static OpenSSL and SASL);
# only that library is taken from the wheel, nothing is installed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VERSION="${ANOMALYD_CONFLUENT_KAFKA_VERSION:-2.16.1}"
DEST="$ROOT/.cache/librdkafka/confluent-kafka-$VERSION"

if [[ -f "$DEST/librdkafka.so.1" ]]; then
  echo "$DEST"
  exit 0
fi
command -v python3 >/dev/null || { echo "fetch-librdkafka: python3 is needed (apt-get install -y python3 python3-pip)" >&2; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: "confluent-kafka==$VERSION" -d "$tmp" >&2 \
  || { echo "fetch-librdkafka: pip download confluent-kafka==$VERSION failed (PyPI reachable? python3-pip installed?)" >&2; exit 2; }
mkdir -p "$DEST"
python3 - "$tmp" "$DEST" <<'PY'
import glob, shutil, sys, zipfile
src, dest = sys.argv[1], sys.argv[2]
wheel = zipfile.ZipFile(glob.glob(f"{src}/confluent_kafka-*.whl")[0])
libs = [n for n in wheel.namelist() if n.startswith("confluent_kafka.libs/librdkafka") and ".so" in n]
if not libs:
    sys.exit("fetch-librdkafka: no librdkafka in the confluent-kafka wheel")
with wheel.open(libs[0]) as f, open(f"{dest}/librdkafka.so.1.part", "wb") as out:
    shutil.copyfileobj(f, out)
PY
mv "$DEST/librdkafka.so.1.part" "$DEST/librdkafka.so.1"
echo "$DEST"
