#!/usr/bin/env bash
# The whole gocli test suite. CI runs exactly this (.ci/run); so do developers.
# It installs what it needs, idempotently, so a fresh machine passes too.
set -euo pipefail
cd "$(dirname "$0")"

GOBIN_DIR="$(go env GOPATH)/bin"
export PATH="$GOBIN_DIR:$PATH"
START=$SECONDS

step() { printf '\n==> %s (%ds)\n' "$*" "$((SECONDS - START))"; }

# go_tool NAME MODULE@VERSION: install a Go tool unless that version is there.
go_tool() {
	local name=$1 pkg=$2 version=${2##*@}
	if [ -x "$GOBIN_DIR/$name" ] && go version -m "$GOBIN_DIR/$name" 2>/dev/null | grep -q "mod.*$version"; then
		return
	fi
	step "install $name $version"
	go install "$pkg"
}

# apt_tool CMD PACKAGE: install a Debian package unless CMD is on PATH.
apt_tool() {
	command -v "$1" >/dev/null 2>&1 && return
	step "apt-get install $2"
	if [ -z "${APT_UPDATED:-}" ]; then
		apt-get update -qq
		APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' | grep -v '/testdata/') 2>&1 || true)
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

step "go vet"
go vet ./...

# Packages with concurrency run under the race detector; the rest run plain
# because -race multiplies their time for nothing.
RACE_PATTERN='/(consensus|sandbox|perf|dashboard|internal/cli)(/|$)'
mapfile -t all_pkgs < <(go list ./...)
race_pkgs=(); plain_pkgs=()
for p in "${all_pkgs[@]}"; do
	if [[ $p =~ $RACE_PATTERN ]]; then race_pkgs+=("$p"); else plain_pkgs+=("$p"); fi
done

step "go test -race (${#race_pkgs[@]} packages)"
go test -race -timeout 25m "${race_pkgs[@]}"

step "go test (${#plain_pkgs[@]} packages)"
go test -timeout 25m "${plain_pkgs[@]}"

# --- lint: goroutine-leak analyzers (lint/, internal/cli/lint) -------------
# The analyzer tests and the SARIF 2.1.0 schema check ran above with the
# other packages; run them by name so a rename cannot drop them silently
# (cached, so this costs nothing when they already passed).
step "lint: analyzer tests, SARIF schema check, dynamic mode on a real leak"
go test -run 'TestAnalyzer|TestSARIFValidatesAgainstSchema|TestRunFindsRealLeak' ./lint/...
step "lint: gocli lint ./... on the project (must be clean)"
go run ./cmd/gocli lint ./...
# go vet runs a custom tool over every dependency without its result cache,
# so the vet-tool mode is checked on a small module with a known leak (gocli
# lint above already covers the whole project with the same analyzers).
step "lint: go vet -vettool=gocli finds a known leak"
lintbin=$(mktemp -d)
go build -o "$lintbin/gocli" ./cmd/gocli
if vetout=$(cd lint/runner/testdata/leaky && go vet -vettool="$lintbin/gocli" ./... 2>&1); then
	echo "go vet -vettool=gocli reported nothing on a leaking package"; exit 1
fi
if ! grep -q 'leaky.go:8:17: goroutine started at leaky.go:8 can block forever sending' <<<"$vetout"; then
	echo "go vet -vettool=gocli: unexpected output:"; echo "$vetout"; exit 1
fi
rm -rf "$lintbin"

# --- sandbox: etcdctl against a live cluster --------------------------------
# Debian's etcdctl (a real etcd client, not ours) drives a detached
# --processes sandbox: put/get/del, txn, watch, lease, lock, elect, member
# list, endpoint status/health, move-leader. The Go tests above cover
# clientv3, concurrency, sandbox check (porcupine) and kill -9 durability.
apt_tool etcdctl etcd-client
step "sandbox: etcdctl against a --processes cluster"
sbxdir=$(mktemp -d)
go build -o "$sbxdir/gocli" ./cmd/gocli
scripts/test-sandbox-etcdctl.sh "$sbxdir/gocli"
rm -rf "$sbxdir"

# --- release configuration -------------------------------------------------
go_tool goreleaser github.com/goreleaser/goreleaser/v2@v2.15.1
step "goreleaser check"
goreleaser check
step "goreleaser snapshot build (this platform)"
snapdir=$(mktemp -d)
trap 'rm -rf "$snapdir"' EXIT
goreleaser build --snapshot --single-target --clean --output "$snapdir/gocli" >/dev/null
# The snapshot must carry goreleaser's version stamp, proving the ldflags
# reach internal/buildinfo.
"$snapdir/gocli" version --short | grep -q -- '-next' || { echo "snapshot binary lacks its version stamp"; exit 1; }

printf '\n==> all checks passed (%ds)\n' "$((SECONDS - START))"
