#!/usr/bin/env bash
# Measures the supply-chain commands on this machine (docs/supplychain.md
# keeps the latest table):
#   - `gocli sbom` vs `syft scan` on the same directory and the same binary
#     (hyperfine, both writing SPDX JSON to /dev/null);
#   - sign and verify of a 1 GiB file: time, throughput, peak RSS and peak
#     private memory (RssAnon: RSS without the executable's own file pages,
#     which are shared and clean), beside sha256sum of the same file.
# Needs hyperfine (apt) and syft:
#   go install github.com/anchore/syft/cmd/syft@v1.57.1
# Usage: scripts/supplychain-bench.sh [DIR_TARGET]   (default: this repository)
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=${1:-.}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
syft=$(command -v syft || echo "$(go env GOPATH)/bin/syft")
[ -x "$syft" ] || { echo "syft not found: go install github.com/anchore/syft/cmd/syft@v1.57.1" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "hyperfine not found: apt-get install hyperfine" >&2; exit 2; }

go build -trimpath -ldflags "-s -w" -o "$work/gocli" ./cmd/gocli
gocli=$work/gocli
export SYFT_CHECK_FOR_APP_UPDATE=false

echo "## sbom: gocli vs syft (SPDX JSON)"
for t in "dir:$target_dir" "file:$gocli"; do
	hyperfine -N --warmup 1 --runs 5 \
		"$gocli sbom $t --format spdx-json --output /dev/null" \
		"$syft scan $t -o spdx-json=/dev/null -q"
done

# peak KB of a /proc/PID/status field while CMD runs (sampled every 20 ms)
peak() {
	local field=$1
	shift
	"$@" >/dev/null 2>&1 &
	local pid=$! m=0 v
	while kill -0 "$pid" 2>/dev/null; do
		v=$(awk -v f="$field:" '$1 == f {print $2}' "/proc/$pid/status" 2>/dev/null || true)
		[ -n "$v" ] && [ "$v" -gt "$m" ] && m=$v
		sleep 0.02
	done
	wait "$pid"
	echo "$m"
}

echo "## sign and verify a 1 GiB file"
head -c 1073741824 /dev/urandom >"$work/big"
export COSIGN_PASSWORD=bench
(cd "$work" && "$gocli" keygen >/dev/null 2>&1)
t0=$(date +%s.%N)
anon=$(peak RssAnon "$gocli" sign "$work/big" --key "$work/cosign.key" --output-signature "$work/big.sig")
t1=$(date +%s.%N)
hwm=$(/usr/bin/time -f %M "$gocli" sign "$work/big" --key "$work/cosign.key" --output-signature "$work/big.sig" 2>&1 >/dev/null | tail -1)
echo "sign:   $(echo "$t1 - $t0" | bc) s, peak RSS $((hwm / 1024)) MiB, peak private (RssAnon) $((anon / 1024)) MiB"
t0=$(date +%s.%N)
anon=$(peak RssAnon "$gocli" verify "$work/big" --key "$work/cosign.pub" --signature "$work/big.sig")
t1=$(date +%s.%N)
hwm=$(/usr/bin/time -f %M "$gocli" verify "$work/big" --key "$work/cosign.pub" --signature "$work/big.sig" 2>&1 >/dev/null | tail -1)
echo "verify: $(echo "$t1 - $t0" | bc) s, peak RSS $((hwm / 1024)) MiB, peak private (RssAnon) $((anon / 1024)) MiB"
t0=$(date +%s.%N)
sha256sum "$work/big" >/dev/null
t1=$(date +%s.%N)
echo "sha256sum: $(echo "$t1 - $t0" | bc) s"
