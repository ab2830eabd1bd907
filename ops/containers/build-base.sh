#!/usr/bin/env bash
# Build the base image from Debian packages with debootstrap, because no container registry is reachable here
# (and so that the base is made of the same signed Debian packages as the host). Cached: does nothing when the
# image exists, unless --force.
#   ops/containers/build-base.sh [--force]
set -euo pipefail
BASE_IMAGE=${BASE_IMAGE:-localhost/mailagent-base:bookworm-2}
SUITE=bookworm
# The Debian mirror this machine's apt uses (first URIs:/deb line), so the image builds wherever apt works.
MIRROR=${DEBIAN_MIRROR:-$(grep -rhoE '^(URIs:[[:space:]]*|deb[[:space:]]+)https?://[^[:space:]]+/debian' \
  /etc/apt/sources.list.d/ /etc/apt/sources.list 2>/dev/null | head -n1 | grep -oE 'https?://[^[:space:]]+' || true)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
# python3 (3.11, the version the app is tested on) with venv for the build stage; tini as PID 1; CA roots for
# TLS to AWS, Google and LLM APIs; tzdata for scheduled sends. No compilers: every wheel in uv.lock is binary.
PACKAGES=python3,python3-venv,ca-certificates,tini,tzdata,libmagic1  # libmagic1: attachment types sniffed from bytes

if [ "${1:-}" != "--force" ] && podman image exists "$BASE_IMAGE"; then
  echo "base image $BASE_IMAGE is cached"
  exit 0
fi
work=$(mktemp -d /var/tmp/mailagent-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "debootstrap $SUITE from $MIRROR (a minute or two)"
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log"; exit 1; }
# Keep the image small and free of apt state: no package lists, caches, docs or man pages.
chroot "$work/rootfs" apt-get clean
rm -rf "$work/rootfs"/var/lib/apt/lists/* "$work/rootfs"/usr/share/doc/* "$work/rootfs"/usr/share/man/* \
  "$work/rootfs"/usr/share/locale/* "$work/rootfs"/var/cache/debconf/*-old "$work/rootfs"/var/log/*.log
tar --numeric-owner -C "$work/rootfs" -c . | podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  - "$BASE_IMAGE" >/dev/null
echo "built $BASE_IMAGE"
