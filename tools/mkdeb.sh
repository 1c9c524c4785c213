#!/bin/sh
# Builds the Debian package with dpkg-deb, without debhelper: `make install`
# into a staging root with Debian's paths (the preload under
# /usr/lib/<multiarch>/stsenv) and Debian's build flags (dpkg-buildflags:
# fortify, stack protector, relro), then the control files.
# Usage: tools/mkdeb.sh VERSION BUILD-DIR; prints the package's path.
set -e
VERSION=$1
OUT=$2
REV=1
ARCH=$(dpkg --print-architecture)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
STAGE=$OUT/deb
ROOTD=$(mkdir -p "$STAGE" && cd "$STAGE" && pwd)/root
LIBDIR=/usr/lib/$MA/stsenv
DOC=$ROOTD/usr/share/doc/stsenv
DEB=$OUT/stsenv_${VERSION}-${REV}_${ARCH}.deb

rm -rf "$ROOTD" "$STAGE/obj"
# bindnow too: the GOT read-only after load; the preload's few imports are
# resolved once per exec either way.
eval "$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh)"
make -s BUILD="$STAGE/obj" PREFIX=/usr LIBDIR="$LIBDIR" ZSHCOMPDIR=/usr/share/zsh/vendor-completions \
	CFLAGS="$CFLAGS $CPPFLAGS" LDFLAGS="$LDFLAGS" DESTDIR="$ROOTD" install >"$STAGE/build.log" 2>&1 ||
	{ cat "$STAGE/build.log" >&2; exit 1; }

strip --strip-unneeded --remove-section=.comment --remove-section=.note \
	"$ROOTD/usr/bin/stsenv" "$ROOTD$LIBDIR/libstsenv.so"
gzip -9n "$ROOTD"/usr/share/man/man*/*
gzip -9n "$DOC/README.md"
cp packaging/copyright "$DOC/copyright"
sed "s/@VERSION@/$VERSION-$REV/" packaging/changelog | gzip -9n >"$DOC/changelog.Debian.gz"
mkdir -p "$ROOTD/usr/share/lintian/overrides"
cp packaging/lintian-overrides "$ROOTD/usr/share/lintian/overrides/stsenv"
find "$ROOTD" -type d -exec chmod 0755 {} +
find "$ROOTD" -type f -exec chmod go-w {} +

# The libraries it links: dpkg-shlibdeps wants a debian/control to read.
mkdir -p "$STAGE/shlibs/debian"
printf 'Source: stsenv\n\nPackage: stsenv\nArchitecture: any\n' >"$STAGE/shlibs/debian/control"
depends=$(cd "$STAGE/shlibs" && dpkg-shlibdeps -O "$ROOTD/usr/bin/stsenv" "$ROOTD$LIBDIR/libstsenv.so" 2>/dev/null |
	sed -n 's/^shlibs:Depends=//p')
# libcurl is loaded with dlopen, only when an HTTP source is used, and
# libcrypto only when a role is assumed (it signs AssumeRole).
curl=$(dpkg-query -W -f='${Package}\n' 'libcurl4*' 2>/dev/null | grep -E '^libcurl4(t64)?$' | head -1)
ssl=$(dpkg-query -W -f='${Package}\n' 'libssl3*' 2>/dev/null | grep -E '^libssl3(t64)?$' | head -1)

mkdir -p "$ROOTD/DEBIAN"
{
	echo "Package: stsenv"
	echo "Version: $VERSION-$REV"
	echo "Architecture: $ARCH"
	echo "Maintainer: stsenv developers <stsenv@users.noreply.github.com>"
	echo "Installed-Size: $(du -sk --exclude=DEBIAN "$ROOTD" | cut -f1)"
	echo "Depends: ${depends:-libc6}"
	echo "Recommends: ${curl:-libcurl4}, ${ssl:-libssl3}"
	echo "Section: utils"
	echo "Priority: optional"
	sed 's/^/ /; s/^ $/ ./; 1s/^ /Description: /' packaging/description
} >"$ROOTD/DEBIAN/control"
(cd "$ROOTD" && find usr -type f -exec md5sum {} + | sort -k2) >"$ROOTD/DEBIAN/md5sums"
chmod 0644 "$ROOTD/DEBIAN/control" "$ROOTD/DEBIAN/md5sums"
dpkg-deb --root-owner-group -Zxz --build "$ROOTD" "$DEB" >/dev/null
echo "$DEB"
