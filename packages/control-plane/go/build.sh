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

# shellcheck source=go-tool.sh
source "$here/go-tool.sh"
go_tool_setup

k8s_version="$(go list -m -f '{{.Version}}' k8s.io/kubernetes)"
hash="$(go_tool_key go.mod go.sum cmd/etcd/main.go)"
cache_root="$(go_tool_cache_root "$repo")"
out="$cache_root/${k8s_version}-${hash}"
bins=(etcd kube-apiserver kube-controller-manager)

complete=1
for b in "${bins[@]}"; do [ -x "$out/$b" ] || complete=0; done
if [ "$complete" = 1 ]; then
  echo "control plane binaries up to date in $out" >&2
  echo "$out"; exit 0
fi

go_tool_tmp "$cache_root" control-plane
jobs="${CLUSTER_BUILD_JOBS:-2}"
flags=(-p "$jobs" -trimpath -ldflags='-s -w')

echo "building control plane ${k8s_version} into $out (first build takes a while)" >&2
start=$(date +%s)
go mod download
go build "${flags[@]}" -o "$tmp/etcd" ./cmd/etcd
go build "${flags[@]}" -o "$tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
go build "${flags[@]}" -o "$tmp/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager
# Into place last, so an interrupted build never looks complete.
go_tool_install "$tmp" "$out" "${bins[@]}"
echo "built in $(( $(date +%s) - start ))s" >&2
echo "$out"
