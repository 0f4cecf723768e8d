#!/usr/bin/env bash
# Builds x509-oracle (see main.go) into <cache>/x509-oracle-<hash>/ unless
# already there, and prints its path on stdout (logs go to stderr). Its own
# cache key (main.go, go.mod, the Go version), in the same cache root as the
# control plane (CLUSTER_BIN_CACHE, which CI keeps) but outside the control
# plane's key: changing the oracle never rebuilds kube-apiserver. Standard
# library only, so the build downloads nothing and takes a few seconds.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
cd "$here"

if ! command -v go >/dev/null 2>&1; then
  if [ -x /usr/local/go/bin/go ]; then export PATH="/usr/local/go/bin:$PATH"; else
    echo "Go is not installed. Install Go >= 1.26 from https://go.dev/dl/ (e.g. tar -C /usr/local -xzf go1.26.*.linux-amd64.tar.gz; export PATH=/usr/local/go/bin:\$PATH)" >&2
    exit 3
  fi
fi

export GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0

hash="$( { cat go.mod main.go; go version; } | sha256sum | cut -c1-12)"
cache_root="${CLUSTER_BIN_CACHE:-$repo/.cache/cluster-bin}"
out="$cache_root/x509-oracle-${hash}"
if [ -x "$out/x509-oracle" ]; then
  echo "$out/x509-oracle"; exit 0
fi

mkdir -p "$out"
tmp="$(mktemp -d "$cache_root/.build-x509-oracle-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
echo "building x509-oracle ($(go version | cut -d' ' -f3)) into $out" >&2
go build -trimpath -ldflags='-s -w' -o "$tmp/x509-oracle" .
# Move into place last so an interrupted build never looks complete.
mv "$tmp/x509-oracle" "$out/x509-oracle"
echo "$out/x509-oracle"
