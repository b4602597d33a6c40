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

# --- scaffold ----------------------------------------------------------------
# Generated projects must build offline: warm the module cache with a
# generated project's dependencies (the one network step), then the scaffold
# tests build, vet and test generated projects with GOPROXY=off, and
# gocli lint must be clean on one. The chart's server-side dry run needs
# kube-apiserver with the Istio CRDs from shared/tools/kube-testenv (beside
# the repository); build it once per machine here so its build is not
# charged to a test timeout. Helm is a test-only dependency and must never
# link into the gocli binary.
step "scaffold: helm stays out of the gocli binary"
if go list -deps ./cmd/gocli | grep -q '^helm.sh/'; then
	echo "helm.sh/helm is linked into ./cmd/gocli: keep it in _test.go files"; exit 1
fi
step "scaffold: warm the module cache for generated projects, gocli lint on one"
scaffold_tmp=$(mktemp -d)
go build -o "$scaffold_tmp/gocli" ./cmd/gocli
"$scaffold_tmp/gocli" scaffold --service user --template istio --dir "$scaffold_tmp/user" >/dev/null
(cd "$scaffold_tmp/user" && GOFLAGS=-mod=mod go mod download && "$scaffold_tmp/gocli" lint ./...)
rm -rf "$scaffold_tmp"
# --- kube-apiserver for manifest validation ---------------------------------
# scaffold's chart and perf's Job are checked by server-side dry-run against a
# real kube-apiserver with the Istio CRDs (shared/tools/kube-testenv, beside
# the repository). Build it once per machine here so the build is not charged
# to a test timeout; tests find it through the absolute KUBE_TESTENV path.
# GOCLI_SKIP_KUBE=1 skips those tests on a machine without it (never in CI).
if [ "${GOCLI_SKIP_KUBE:-}" != "1" ]; then
	KUBE_TESTENV_SCRIPT=""
	for cand in "${KUBE_TESTENV:-}" ../shared/tools/kube-testenv shared/tools/kube-testenv; do
		if [ -n "$cand" ] && [ -f "$cand" ]; then
			KUBE_TESTENV_SCRIPT="$(cd "$(dirname "$cand")" && pwd)/$(basename "$cand")"
			break
		fi
	done
	if [ -z "$KUBE_TESTENV_SCRIPT" ]; then
		echo "kube-testenv not found: expected ../shared/tools/kube-testenv beside the repository"
		echo "(set GOCLI_SKIP_KUBE=1 to skip the tests that need kube-apiserver)"; exit 1
	fi
	export KUBE_TESTENV="$KUBE_TESTENV_SCRIPT" GOCLI_KUBE_TESTENV="$KUBE_TESTENV_SCRIPT"
	apt_tool kubectl kubectl
	apt_tool openssl openssl
	step "kube-testenv build (once per machine)"
	bash "$KUBE_TESTENV" build
fi

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

# --- sandbox: etcdctl against a live cluster --------------------------------
# Debian's etcdctl (a real etcd client, not ours) drives a detached
# --processes sandbox: put/get/del, txn, watch, lease, lock, elect, member
# list/add/remove, endpoint status/health, move-leader. The Go tests above
# cover clientv3, concurrency, sandbox check (porcupine) and kill -9
# durability.
apt_tool etcdctl etcd-client
step "sandbox: etcdctl against a --processes cluster"
sbxdir=$(mktemp -d)
go build -o "$sbxdir/gocli" ./cmd/gocli
scripts/test-sandbox-etcdctl.sh "$sbxdir/gocli"
rm -rf "$sbxdir"
# The 10-node latency goal (p99 < 8.3 ms at 200 puts/s of 256 bytes) is a
# benchmark: run it briefly so it cannot rot and its figures show in the
# log (no pass/fail on speed; scripts/bench-10node.sh measures properly).
step "sandbox: 10-node 50 KB/s latency benchmark (smoke, 400 puts)"
go test ./sandbox/bench -run '^$' -bench 'Rate10Nodes' -benchtime 400x | grep Benchmark
# --- consensus/kv: replicated command encoding, CPU per put ----------------
# The decoder's fuzz seeds ran with the package tests above; a short fuzzing
# run looks for log entries that would panic the decoder or Apply (every
# node applies whatever the log holds). The put and range benchmarks run
# briefly so their CPU-per-operation figures cannot rot (no pass/fail on
# speed; docs/sandbox-performance.md says how to measure).
step "consensus/kv: fuzz the command decoder (10 s); apply, put and range CPU benchmarks (smoke)"
go test ./consensus/kv -run '^$' -fuzz '^FuzzDecodeCommand$' -fuzztime 10s
go test ./consensus/kv -run '^$' -bench 'ApplyPut' -benchtime 20000x | grep Benchmark
go test ./sandbox/bench -run '^$' -bench 'BenchmarkPut$|BenchmarkRange$' -benchtime 2000x | grep Benchmark
# --- lint: goroutine-leak analyzers (lint/, internal/cli/lint) -------------
# The analyzer tests and the SARIF 2.1.0 schema check ran above with the
# other packages; run them by name so a rename cannot drop them silently
# (cached, so this costs nothing when they already passed).
step "lint: analyzer tests, SARIF schema check, dynamic mode on a real leak, vet-mode //nolint, result cache, --output"
go test -run 'TestAnalyzer|TestSARIFValidatesAgainstSchema|TestRunFindsRealLeak|TestVetAnalyzersHonourNolint|TestCache' ./lint/...
go test -run 'TestOutputFlagThroughRoot|TestNewCmdLint' ./internal/cli/lint/
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
# //nolint as in gocli lint: line 20 has a reason (suppressed), line 32 has
# none (reported, and so is the directive), line 41 suppresses nothing.
if grep -q '^leaky.go:20:' <<<"$vetout" || ! grep -q 'leaky.go:32:26: //nolint:goroutine-leak needs a reason' <<<"$vetout" ||
	! grep -q 'leaky.go:41:1: //nolint:abandonedsend suppresses nothing' <<<"$vetout"; then
	echo "go vet -vettool=gocli: //nolint not honoured:"; echo "$vetout"; exit 1
fi
rm -rf "$lintbin"
# --- perf: arrival-rate accuracy -------------------------------------------
# constant-arrival-rate must start iterations within 2% of the requested
# rate over 10 s (a benchmark, so it runs once here rather than in go test).
step "perf: arrival-rate accuracy benchmark (10 s)"
perf_bench=$(go test -run '^$' -bench 'ConstantArrivalRateAccuracy' -benchtime 1x ./perf/executor/)
echo "$perf_bench" | grep Benchmark
perf_err=$(echo "$perf_bench" | awk '/Benchmark/ { for (i = 2; i <= NF; i++) if ($i == "rate-error-%") print $(i-1) }')
if [ -z "$perf_err" ] || awk -v e="$perf_err" 'BEGIN { exit !(e > 2 || e < -2) }'; then
	echo "perf: arrival rate off by ${perf_err:-?}% (limit 2%)"; exit 1
fi
# --- perf: throughput and memory per VU --------------------------------------
# The throughput benchmark (64 VUs, 5 s, trivial script against an
# in-process server) runs so it cannot rot; its req/s is printed, not
# judged (the machine is shared). Memory per VU with 1000 VUs is judged:
# the issue's limit is 2 MB.
step "perf: throughput benchmark (5 s) and memory per VU"
perf_bench=$(go test -run '^$' -bench 'HTTPGet64VUs|MemoryPerVU' -benchtime 1x ./perf/)
echo "$perf_bench" | grep Benchmark
perf_mem=$(echo "$perf_bench" | awk '/BenchmarkMemoryPerVU/ { for (i = 2; i <= NF; i++) if ($i == "MB/VU") print $(i-1) }')
if [ -z "$perf_mem" ] || awk -v m="$perf_mem" 'BEGIN { exit !(m > 2) }'; then
	echo "perf: ${perf_mem:-?} MB per VU (limit 2 MB)"; exit 1
fi
if ! echo "$perf_bench" | grep -q 'BenchmarkHTTPGet64VUs.* req/s'; then
	echo "perf: the throughput benchmark reported no req/s"; exit 1
fi
# --- perf: Job manifests against kube-apiserver ----------------------------
# gocli perf k8s writes a ConfigMap and an indexed Job; both must pass
# `kubectl apply --dry-run=server` against the kube-testenv API server, and a
# broken Job must be refused. Run by name with -v so that a skip (for
# instance GOCLI_SKIP_KUBE=1) or a rename cannot pass unnoticed.
if [ "${GOCLI_SKIP_KUBE:-}" != "1" ]; then
	step "perf: Job manifests, server-side dry run"
	perf_k8s=$(go test -run 'TestServerSideDryRun' -v ./perf/k8s/ 2>&1) || { echo "$perf_k8s"; exit 1; }
	for t in TestServerSideDryRun TestServerSideDryRunRejectsInvalid; do
		if ! grep -q -- "--- PASS: $t " <<<"$perf_k8s"; then
			echo "perf: $t did not pass:"; echo "$perf_k8s"; exit 1
		fi
	done
	grep -- '--- PASS' <<<"$perf_k8s"
fi
# --- dashboard -------------------------------------------------------------
# Its unit, golden-screen and end-to-end tests ran above under -race. Here the
# render benchmark runs briefly so it cannot rot; docs/dashboard.md has the
# figures and how they were measured.
step "dashboard render benchmark (smoke)"
go test ./dashboard -run '^$' -bench 'Render' -benchtime 20x

# --- supplychain: interop with the real cosign and openssl, offline ---------
# supplychain/testdata/interop.sh drives the gocli binary: cosign v2.6.5
# verifies gocli's signatures, bundles and attestations and the reverse, key
# pairs work both ways, openssl checks the raw signature, sampled tamper and
# bad-input cases exit 1/2 with clear messages, and every gocli command runs
# under strace with HTTP(S)_PROXY on a closed port: any connect() to an IP
# address fails the run. SBOM schema, module and reproducibility checks are
# Go tests (supplychain/sbom) and ran above.
go_tool cosign github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5
apt_tool strace strace
apt_tool openssl openssl
apt_tool jq jq
step "supplychain: gocli vs cosign v2.6.5 and openssl, offline"
scdir=$(mktemp -d)
go build -o "$scdir/gocli" ./cmd/gocli
supplychain/testdata/interop.sh "$scdir/gocli" "$GOBIN_DIR/cosign"
rm -rf "$scdir"

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
