# shellcheck shell=bash
# Sourced by scripts/test-all.sh: makes sure the node first on PATH is at least the Node.js major
# version the suite runs on (ANOMALYD_NODE_MAJOR, default 24). When the machine's node is older,
# the official Node.js binary is taken from the npm registry — it publishes each release as the
# package node-linux-<arch> (bin/node plus include/node, the headers node-gyp needs for the native
# backend) — and unpacked into .cache/node (ANOMALYD_NODE_PREFIX). npm itself stays the machine's
# npm; it is plain JavaScript and runs on the node it finds first on PATH.

anomalyd_node_setup() {
  local root major prefix have arch spec dir tmp tarball
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  major="${ANOMALYD_NODE_MAJOR:-24}"
  prefix="${ANOMALYD_NODE_PREFIX:-$root/.cache/node}"

  have="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$have" -ge "$major" ]; then
    echo "node $(node --version) on PATH is new enough (>= $major)"
    return 0
  fi
  command -v npm >/dev/null || { echo "node setup: npm is needed to fetch Node.js $major from the npm registry" >&2; return 1; }

  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "node setup: no node-linux package for $(uname -m)" >&2; return 1 ;;
  esac
  spec="node-linux-$arch@^$major"

  # An already unpacked release of that major is reused; otherwise the newest one is fetched.
  dir="$(find "$prefix" -mindepth 1 -maxdepth 1 -type d -name "node-v$major.*" 2>/dev/null | sort -V | tail -n1 || true)"
  if [ -z "$dir" ] || [ ! -x "$dir/bin/node" ]; then
    mkdir -p "$prefix"
    tmp="$(mktemp -d)"
    echo "fetching $spec from the npm registry"
    tarball="$(cd "$tmp" && npm pack --silent "$spec" | tail -n1)" || { rm -rf "$tmp"; echo "node setup: npm pack $spec failed" >&2; return 1; }
    mkdir -p "$tmp/unpacked"
    tar -xzf "$tmp/$tarball" -C "$tmp/unpacked" --strip-components=1
    dir="$prefix/node-v$("$tmp/unpacked/bin/node" -p process.versions.node)"
    rm -rf "$dir"
    mv "$tmp/unpacked" "$dir"
    rm -rf "$tmp"
  fi
  [ -f "$dir/include/node/node_api.h" ] || { echo "node setup: $dir has no include/node headers" >&2; return 1; }
  export PATH="$dir/bin:$PATH"
  hash -r
  echo "node $(node --version) from $dir (the machine's node is v$have)"
}

anomalyd_node_setup
