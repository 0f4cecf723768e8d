#!/usr/bin/env bash
# Regenerates go.mod/go.sum for a given k8s.io/kubernetes release.
#
# k8s.io/kubernetes requires its staging modules (k8s.io/api, k8s.io/apiserver,
# ...) at v0.0.0 and replaces them with ./staging/src/... paths that do not
# exist outside its own repository. A consumer must replace each one with the
# published tag (v1.X.Y -> v0.X.Y). The list changes between releases, so it is
# read from kubernetes' own go.mod instead of being written by hand.
#
# Usage: packages/control-plane/go/pin-kubernetes.sh [v1.37.2]
# Only needed to change the pin; the build uses the committed go.mod/go.sum.
set -euo pipefail
cd "$(dirname "$0")"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod

K8S_VERSION="${1:-v1.37.2}"
STAGING_VERSION="v0.${K8S_VERSION#v1.}"

gomod="$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" \
  | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
[ -f "$gomod" ] || { echo "could not download k8s.io/kubernetes@${K8S_VERSION}" >&2; exit 1; }

# Every module that kubernetes replaces with a ./staging/ path.
mapfile -t staging < <(go mod edit -json "$gomod" | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    for (const r of JSON.parse(s).Replace ?? [])
      if (r.New.Path.startsWith("./staging/")) console.log(r.Old.Path);
  });')
[ "${#staging[@]}" -gt 0 ] || { echo "no staging replaces found in $gomod" >&2; exit 1; }

# Drop previous replaces so a re-pin never keeps a stale one.
for r in $(go mod edit -json | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    for (const r of JSON.parse(s).Replace ?? []) console.log(r.Old.Path);
  });'); do
  go mod edit -dropreplace="$r"
done

go mod edit -require="k8s.io/kubernetes@${K8S_VERSION}"
for m in "${staging[@]}"; do
  go mod edit -replace="${m}=${m}@${STAGING_VERSION}"
done
echo "replaced ${#staging[@]} staging modules with ${STAGING_VERSION}" >&2
go mod tidy
