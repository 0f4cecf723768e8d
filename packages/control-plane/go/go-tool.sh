# Sourced by every script that builds a Go helper into the shared binary cache
# (the control plane here, the PromQL checker and the x509 oracle in test/):
# one place for finding Go, pinning its behaviour, keying the cache and
# installing a build so an interrupted one never looks complete.
#
#   source "$repo/packages/control-plane/go/go-tool.sh"
#   go_tool_setup                        # Go on PATH (or exit 3 saying how to get it), env pinned
#   key="$(go_tool_key file...)"         # 12 hex chars over the files and `go version`
#   root="$(go_tool_cache_root "$repo")" # CLUSTER_BIN_CACHE, default <repo>/.cache/cluster-bin
#   go_tool_tmp "$root" name             # sets $tmp: a build dir in the cache root, removed on exit
#   go_tool_install "$tmp" "$out" bin... # move the built binaries into place, last

go_tool_setup() {
  if ! command -v go >/dev/null 2>&1; then
    if [ -x /usr/local/go/bin/go ]; then export PATH="/usr/local/go/bin:$PATH"; else
      echo "Go is not installed. Install Go >= 1.26 from https://go.dev/dl/ (e.g. tar -C /usr/local -xzf go1.26.*.linux-amd64.tar.gz; export PATH=/usr/local/go/bin:\$PATH)" >&2
      exit 3
    fi
  fi
  # Never let go switch toolchains or rewrite the pins behind our back.
  export GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0
}

go_tool_key() {
  { cat "$@"; go version; } | sha256sum | cut -c1-12
}

go_tool_cache_root() {
  echo "${CLUSTER_BIN_CACHE:-$1/.cache/cluster-bin}"
}

# Not in $(...): the EXIT trap must belong to the calling script, not a subshell.
go_tool_tmp() {
  mkdir -p "$1"
  tmp="$(mktemp -d "$1/.build-$2-XXXXXX")"
  # shellcheck disable=SC2064 # expand now: the trap must remove this very directory
  trap "rm -rf '$tmp'" EXIT
}

go_tool_install() {
  local tmp="$1" out="$2"
  shift 2
  mkdir -p "$out"
  for b in "$@"; do mv "$tmp/$b" "$out/$b"; done
}
