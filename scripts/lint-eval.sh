#!/usr/bin/env bash
# Re-run the goroutine-leak evaluation behind the figures in docs/lint.md:
#  - static and dynamic recall on the kernels Go ships in
#    $(go env GOROOT)/src/runtime/testdata/testgoroutineleakprofile
#    (GoKer real-bug kernels, micro tests, common patterns), judged by the
#    runtime's own test;
#  - gocli lint against go vet wall time on this module and, when present in
#    the module cache, on golang.org/x/tools.
# Usage: scripts/lint-eval.sh [-reps N] [-static-only]
set -euo pipefail
cd "$(dirname "$0")/.."

echo "## Recall on Go's goroutine-leak kernels"
go run ./lint/internal/gokereval "$@"

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/gocli" ./cmd/gocli

time_it() { # label dir cmd...
	local label=$1 dir=$2; shift 2
	local start end
	start=$(date +%s.%N)
	(cd "$dir" && "$@" >/dev/null 2>&1) || true
	end=$(date +%s.%N)
	printf '%-40s %6.2fs\n' "$label" "$(echo "$end - $start" | bc)"
}

# side_by_side dir vet-pattern: go vet against gocli lint (cached results,
# and --no-cache) in one run; hyperfine when installed, else time_it after
# a warm-up run of each.
side_by_side() {
	local dir=$1 pat=$2
	uptime
	if command -v hyperfine >/dev/null; then
		(cd "$dir" && hyperfine -w 1 -r 5 -N -i "go vet $pat" "$bin/gocli lint $pat" "$bin/gocli lint --no-cache $pat")
		return
	fi
	(cd "$dir" && go vet "$pat" >/dev/null 2>&1; "$bin/gocli" lint "$pat" >/dev/null 2>&1) || true
	time_it "go vet $pat" "$dir" go vet "$pat"
	time_it "gocli lint $pat" "$dir" "$bin/gocli" lint "$pat"
	time_it "gocli lint --no-cache $pat" "$dir" "$bin/gocli" lint --no-cache "$pat"
}

echo
echo "## Speed (wall time, warm build cache, side by side)"
side_by_side . ./...
tools=$(go env GOMODCACHE)/golang.org/x/tools@v0.52.0
if [ -d "$tools" ]; then
	work=$(mktemp -d)
	cp -r "$tools"/. "$work"/ && chmod -R u+w "$work"
	side_by_side "$work" ./go/...
	echo
	echo "## Findings on x/tools ./go/... (review by hand)"
	(cd "$work" && "$bin/gocli" lint ./go/... || true) | grep -v '^\s' | tail -40
	rm -rf "$work"
fi
