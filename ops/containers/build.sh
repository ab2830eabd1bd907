#!/usr/bin/env bash
# Build every image with podman: the Debian base (cached), mailagent (API + worker) and the backing services.
# `make images` runs this after building the web app. Prints the tags it made.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/ops/containers/containers.conf}
BASE_IMAGE=${BASE_IMAGE:-localhost/mailagent-base:bookworm-2}
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -n1)
COMMIT=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
TAG="$VERSION-$COMMIT"
[ -f frontend/dist/index.html ] || { echo "build the web app first: make web" >&2; exit 1; }

BASE_IMAGE=$BASE_IMAGE ops/containers/build-base.sh
# The build steps trust what this host trusts (a TLS-inspecting proxy's CA, say): the host's CA bundle is mounted
# over the image's for RUN steps only, and never stored in an image layer.
HOST_CA=${HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
CA_MOUNT=()
[ -f "$HOST_CA" ] && CA_MOUNT=(--volume "$HOST_CA:/etc/ssl/certs/ca-certificates.crt:ro")
# --network=host: the build stage fetches the locked wheels from PyPI, the services image Debian packages.
podman build --network=host --pull=never "${CA_MOUNT[@]}" --build-arg BASE_IMAGE="$BASE_IMAGE" \
  --build-arg VERSION="$VERSION" --build-arg COMMIT="$COMMIT" \
  -f ops/containers/Containerfile -t "localhost/mailagent:$TAG" -t localhost/mailagent:latest .
podman build --network=host --pull=never "${CA_MOUNT[@]}" --build-arg BASE_IMAGE="$BASE_IMAGE" \
  -f ops/containers/Containerfile.services -t localhost/mailagent-services:1 .
echo "built localhost/mailagent:$TAG (and :latest), localhost/mailagent-services:1"
