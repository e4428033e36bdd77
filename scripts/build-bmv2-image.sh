#!/bin/sh
# Builds a BMv2 image from a simple_switch_grpc built on this machine, for the container
# tier where p4lang/behavioral-model cannot be pulled (docs/testing.md):
#
#   sh scripts/build-bmv2-image.sh [PREFIX]     (default PREFIX /opt/p4; tag talaria-bmv2:local)
#   TALARIA_BMV2_IMAGE=talaria-bmv2:local npx vitest run --project bmv2
#
# The image is $TALARIA_BASE_IMAGE (scripts/build-base-images.sh) plus PREFIX's binaries
# and libraries and every shared library simple_switch_grpc loads (from ldd), so it needs
# nothing installed. Needs a Docker engine.
set -eu

PREFIX=${1:-/opt/p4}
TAG=${TALARIA_BMV2_IMAGE:-talaria-bmv2:local}
BASE_IMAGE=${TALARIA_BASE_IMAGE:-talaria-base:bookworm-node20}
binary="$PREFIX/bin/simple_switch_grpc"
[ -x "$binary" ] || {
  echo "build-bmv2-image: no $binary" >&2
  exit 1
}

work=$(mktemp -d /var/tmp/talaria-bmv2.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/root$PREFIX"
cp -a "$PREFIX/bin" "$work/root$PREFIX/"
[ -d "$PREFIX/lib" ] && cp -a "$PREFIX/lib" "$work/root$PREFIX/"
# Every library the switch loads, but glibc's (the base has the same Debian release's, and
# its loader must match its libc). Directories are resolved: Debian's /lib is a link to
# /usr/lib, and copying into a real /lib would replace that link in the image.
LD_LIBRARY_PATH="$PREFIX/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ldd "$binary" |
  awk '$2 == "=>" && $3 ~ /^\// { print $3 }' |
  grep -Ev '/(libc|libm|libpthread|libdl|librt|libresolv|ld-linux[^/]*)\.so' |
  while read -r lib; do
    dir=$(readlink -f "$(dirname "$lib")")
    case "$dir" in "$PREFIX"/*) continue ;; esac
    mkdir -p "$work/root$dir"
    cp -L "$lib" "$work/root$dir/$(basename "$lib")"
  done

cat >"$work/Dockerfile" <<EOF
FROM $BASE_IMAGE
COPY root/ /
ENV PATH=$PREFIX/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENV LD_LIBRARY_PATH=$PREFIX/lib
CMD ["simple_switch_grpc", "--help"]
EOF
docker build -q -t "$TAG" "$work" >/dev/null
docker run --rm "$TAG" simple_switch_grpc --version
echo "build-bmv2-image: $TAG"
