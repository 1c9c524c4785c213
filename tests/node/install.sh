#!/usr/bin/env bash
# Install the Node client used by tests/node/cred_chain.js into build/node
# (build/ is not committed). Idempotent: does nothing when a 2.x version is
# already there. Works from any directory; paths are relative to the repo root.
# Afterwards: NODE_PATH=build/node/node_modules node tests/node/cred_chain.js
set -euo pipefail

PKG='@alicloud/credentials'
SPEC='@alicloud/credentials@2.4.7'

src="${BASH_SOURCE[0]}"
case "$src" in */*) here="${src%/*}" ;; *) here="." ;; esac
root="$(cd "$here/../.." && pwd)"
cd "$root"
prefix="build/node"
pkgjson="$prefix/node_modules/$PKG/package.json"

if [ -f "$pkgjson" ]; then
    ver="$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$pkgjson" | head -n1)"
    case "$ver" in
        2.*) echo "install.sh: $PKG $ver already in $prefix, skipping"; exit 0 ;;
        *)   echo "install.sh: found $PKG '${ver:-?}' in $prefix, want 2.x: reinstalling" ;;
    esac
fi

if ! command -v npm >/dev/null 2>&1; then
    echo "install.sh: ERROR: npm not found in PATH (install Node.js and npm, e.g. 'apt-get install nodejs npm')" >&2
    exit 1
fi

mkdir -p "$prefix"
if ! npm install --prefix "$prefix" --no-audit --no-fund "$SPEC"; then
    echo "install.sh: ERROR: 'npm install --prefix $prefix $SPEC' failed" >&2
    exit 1
fi
if [ ! -f "$pkgjson" ]; then
    echo "install.sh: ERROR: npm reported success but $pkgjson is missing" >&2
    exit 1
fi
echo "install.sh: installed $PKG $(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$pkgjson" | head -n1) into $prefix"
