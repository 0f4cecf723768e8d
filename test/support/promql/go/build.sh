#!/usr/bin/env bash
# Builds promql-check (Prometheus's PromQL parser, see main.go) into
# <cache>/promql-<prometheus version>-<hash>/ unless already there, and prints
# its path on stdout (logs go to stderr). The cache is the control plane's
# (CLUSTER_BIN_CACHE, default <repo>/.cache/cluster-bin): the same tests need
# both, and CI keeps that directory between runs. The first build downloads
# the parser's modules (a few MB) and takes about 20 s.
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

version="$(go list -m -f '{{.Version}}' github.com/prometheus/prometheus)"
hash="$( { cat go.mod go.sum main.go; go version; } | sha256sum | cut -c1-12)"
cache_root="${CLUSTER_BIN_CACHE:-$repo/.cache/cluster-bin}"
out="$cache_root/promql-${version}-${hash}"
if [ -x "$out/promql-check" ]; then
  echo "$out/promql-check"; exit 0
fi

mkdir -p "$out"
tmp="$(mktemp -d "$cache_root/.build-promql-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
echo "building promql-check (Prometheus ${version}'s PromQL parser) into $out" >&2
go build -trimpath -ldflags='-s -w' -o "$tmp/promql-check" .
# Move into place last so an interrupted build never looks complete.
mv "$tmp/promql-check" "$out/promql-check"
echo "$out/promql-check"
