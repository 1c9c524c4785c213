#!/bin/sh
# Builds the SDK stand-ins and the programs that use them into OUT_DIR:
#   OUT_DIR/chainjob-go                 Go, with the credentials-go stand-in
#   OUT_DIR/namesonce-go                Go, standard library only
#   OUT_DIR/credentials-java-stub.jar   the credentials-java stand-in
#   OUT_DIR/chainjob/ChainJob.class     Java, uses the jar
# Go builds are offline (GOPROXY=off, no external module), static
# (CGO_ENABLED=0), with their caches inside OUT_DIR.  Exits 77 (SKIP) when
# go, javac or a jar tool is missing.  usage: build.sh OUT_DIR
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 OUT_DIR" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)

skip() { echo "build.sh: SKIP: $*" >&2; exit 77; }
command -v go >/dev/null 2>&1 || skip "go is not installed (apt-get install golang-go)"
command -v javac >/dev/null 2>&1 || skip "javac is not installed (a JDK is needed)"
if command -v jar >/dev/null 2>&1; then
    jartool=jar
elif command -v python3 >/dev/null 2>&1; then
    jartool=python3
else
    skip "neither jar nor python3 is installed"
fi

# up_to_date TARGET DIR...: TARGET exists and no file under DIR is newer.
up_to_date() {
    target=$1; shift
    [ -e "$target" ] || return 1
    [ -z "$(find "$@" -type f -newer "$target" 2>/dev/null | head -n 1)" ]
}

# --- Go -------------------------------------------------------------------
GOCACHE=$out/go/cache
GOPATH=$out/go/path
GOMODCACHE=$out/go/path/pkg/mod
GOFLAGS=-mod=mod
GOPROXY=off
GOSUMDB=off
GOWORK=off
GOTOOLCHAIN=local
GOENV=off
CGO_ENABLED=0
export GOCACHE GOPATH GOMODCACHE GOFLAGS GOPROXY GOSUMDB GOWORK GOTOOLCHAIN GOENV CGO_ENABLED
unset GOROOT_FINAL GOOS GOARCH 2>/dev/null || true

gobuild() { # DIR OUTPUT
    if up_to_date "$2" "$1" "$here/go/credentials-go" "$here/build.sh"; then
        return 0
    fi
    (cd "$1" && go build -trimpath -buildvcs=false -ldflags=-s -o "$2.tmp" .)
    mv -f "$2.tmp" "$2"
}
gobuild "$here/go/chainjob" "$out/chainjob-go"
gobuild "$here/go/namesonce" "$out/namesonce-go"

# --- Java -----------------------------------------------------------------
jar=$out/credentials-java-stub.jar
if ! up_to_date "$jar" "$here/java/com" "$here/build.sh"; then
    classes=$out/java-classes
    rm -rf "$classes"
    mkdir -p "$classes"
    find "$here/java/com" -name '*.java' > "$out/java-sources.txt"
    javac -encoding UTF-8 -nowarn -d "$classes" @"$out/java-sources.txt"
    rm -f "$jar.tmp"
    if [ "$jartool" = jar ]; then
        jar cf "$jar.tmp" -C "$classes" com
    else
        python3 - "$classes" "$jar.tmp" <<'PY'
import os, sys, zipfile
root, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nCreated-By: stsenv tests/sdk/build.sh\r\n\r\n")
    for d, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        rel = os.path.relpath(d, root)
        if rel != ".":
            z.writestr(rel.replace(os.sep, "/") + "/", "")
        for f in sorted(files):
            p = os.path.join(d, f)
            z.write(p, os.path.relpath(p, root).replace(os.sep, "/"))
PY
    fi
    mv -f "$jar.tmp" "$jar"
fi

job=$out/chainjob/ChainJob.class
if ! up_to_date "$job" "$here/java/ChainJob.java" "$jar"; then
    mkdir -p "$out/chainjob"
    javac -encoding UTF-8 -nowarn -cp "$jar" -d "$out/chainjob" "$here/java/ChainJob.java"
fi
