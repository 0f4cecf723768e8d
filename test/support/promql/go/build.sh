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

# shellcheck source=../../../../packages/control-plane/go/go-tool.sh
source "$repo/packages/control-plane/go/go-tool.sh"
go_tool_setup

version="$(go list -m -f '{{.Version}}' github.com/prometheus/prometheus)"
hash="$(go_tool_key go.mod go.sum main.go)"
cache_root="$(go_tool_cache_root "$repo")"
out="$cache_root/promql-${version}-${hash}"
if [ -x "$out/promql-check" ]; then
  echo "$out/promql-check"; exit 0
fi

go_tool_tmp "$cache_root" promql
echo "building promql-check (Prometheus ${version}'s PromQL parser) into $out" >&2
go build -trimpath -ldflags='-s -w' -o "$tmp/promql-check" .
# Into place last, so an interrupted build never looks complete.
go_tool_install "$tmp" "$out" promql-check
echo "$out/promql-check"
