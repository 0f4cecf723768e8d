#!/usr/bin/env bash
# Builds etcd, kube-apiserver and kube-controller-manager into
# <repo>/.cache/cluster-bin/<k8s-version>-<hash>/ unless already there, and
# prints that directory on stdout (logs go to stderr).
#
# The hash covers go.mod, go.sum, the etcd main and the Go version, so a pin
# change rebuilds and an unchanged checkout reuses the cache.
# Env: CLUSTER_BIN_CACHE overrides the cache root; CLUSTER_BUILD_JOBS (default
# 2) bounds parallel compiles, which bounds peak memory.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
cd "$here"

if ! command -v go >/dev/null 2>&1; then
  if [ -x /usr/local/go/bin/go ]; then export PATH="/usr/local/go/bin:$PATH"; else
    echo "Go is not installed. Install Go >= 1.26 from https://go.dev/dl/ (e.g. tar -C /usr/local -xzf go1.26.*.linux-amd64.tar.gz; export PATH=/usr/local/go/bin:\$PATH)" >&2
    exit 3
  fi
fi

# Never let go switch toolchains or rewrite the pins behind our back.
export GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0

k8s_version="$(go list -m -f '{{.Version}}' k8s.io/kubernetes)"
hash="$( { cat go.mod go.sum cmd/etcd/main.go; go version; } | sha256sum | cut -c1-12)"
cache_root="${CLUSTER_BIN_CACHE:-$repo/.cache/cluster-bin}"
out="$cache_root/${k8s_version}-${hash}"
bins=(etcd kube-apiserver kube-controller-manager)

complete=1
for b in "${bins[@]}"; do [ -x "$out/$b" ] || complete=0; done
if [ "$complete" = 1 ]; then
  echo "control plane binaries up to date in $out" >&2
  echo "$out"; exit 0
fi

mkdir -p "$out"
tmp="$(mktemp -d "$cache_root/.build-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
jobs="${CLUSTER_BUILD_JOBS:-2}"
flags=(-p "$jobs" -trimpath -ldflags='-s -w')

echo "building control plane ${k8s_version} into $out (first build takes a while)" >&2
start=$(date +%s)
go mod download
go build "${flags[@]}" -o "$tmp/etcd" ./cmd/etcd
go build "${flags[@]}" -o "$tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
go build "${flags[@]}" -o "$tmp/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager
# Move into place last so an interrupted build never looks complete.
for b in "${bins[@]}"; do mv "$tmp/$b" "$out/$b"; done
echo "built in $(( $(date +%s) - start ))s" >&2
echo "$out"
