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

# shellcheck source=../../../../packages/control-plane/go/go-tool.sh
source "$repo/packages/control-plane/go/go-tool.sh"
go_tool_setup

hash="$(go_tool_key go.mod main.go)"
cache_root="$(go_tool_cache_root "$repo")"
out="$cache_root/x509-oracle-${hash}"
if [ -x "$out/x509-oracle" ]; then
  echo "$out/x509-oracle"; exit 0
fi

go_tool_tmp "$cache_root" x509-oracle
echo "building x509-oracle ($(go version | cut -d' ' -f3)) into $out" >&2
go build -trimpath -ldflags='-s -w' -o "$tmp/x509-oracle" .
# Into place last, so an interrupted build never looks complete.
go_tool_install "$tmp" "$out" x509-oracle
echo "$out/x509-oracle"
