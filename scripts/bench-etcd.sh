#!/usr/bin/env bash
# Compares `gocli sandbox bench` against a 3-node sandbox (--processes) and a
# 3-member etcd 3.6 built from the Go module proxy, on the same machine, with
# the same data-disk location and the same workloads. Prints a Markdown table
# (docs/sandbox.md keeps the latest one).
#
# etcd is built by a tiny wrapper main around etcdmain.Main in a temporary
# module: it never becomes part of gocli.
#
# Usage: scripts/bench-etcd.sh [TOTAL]   (TOTAL puts/ranges per run, default 20000)
# Env:   ETCD_VERSION (default v3.6.16), BENCH_DIR (default: a temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/etcd-cluster.sh
. scripts/lib/etcd-cluster.sh
TOTAL=${1:-20000}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
work=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work/data"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	XDG_STATE_HOME="$work/state" "$work/gocli" sandbox down --purge --name bench >/dev/null 2>&1 || true
	wait 2>/dev/null || true
	[ -n "${BENCH_DIR:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

echo "==> building etcd $ETCD_VERSION from the module proxy" >&2
if [ ! -x "$work/etcd" ]; then
	mkdir -p "$work/etcdwrap"
	cat >"$work/etcdwrap/main.go" <<'GO'
// Command etcd is etcd's server, built from its module for benchmarks.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
	(cd "$work/etcdwrap" && go mod init etcdwrap >/dev/null 2>&1 &&
		go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null 2>&1 &&
		go mod tidy >/dev/null 2>&1 && go build -o "$work/etcd" .)
fi
echo "==> building gocli" >&2
go build -o "$work/gocli" ./cmd/gocli

echo "==> starting a 3-member etcd" >&2
start_etcd_cluster "$work/etcd" "$work"

echo "==> starting a 3-node sandbox (--processes)" >&2
export XDG_STATE_HOME="$work/state"
"$work/gocli" sandbox up --detach --processes --port 0 --name bench --data-dir "$work/data/sandbox" >/dev/null
sbx_eps=$("$work/gocli" sandbox status --name bench -o json | python3 -c 'import json,sys; print(",".join(n["endpoint"] for n in json.load(sys.stdin)["nodes"]))')

# Wait for etcd to serve.
for _ in $(seq 100); do
	"$work/gocli" sandbox bench put --endpoints "$etcd_eps" --clients 1 --conns 1 --total 1 -o json >/dev/null 2>&1 && break
	sleep 0.2
done

rss_mb() { # max RSS in MB over pids; FIELD=RssAnon counts private memory only
	local m=0 r
	for p in "$@"; do
		r=$(awk -v f="${FIELD:-VmRSS}:" '$1 == f {print $2}' "/proc/$p/status" 2>/dev/null)
		[ -n "$r" ] && [ "$r" -gt "$m" ] && m=$r
	done
	echo $((m / 1024))
}
pss_mb() { # max PSS in MB over pids: shared pages split between their users
	local m=0 r
	for p in "$@"; do
		r=$(awk '$1 == "Pss:" {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
		[ -n "$r" ] && [ "$r" -gt "$m" ] && m=$r
	done
	echo $((m / 1024))
}
sbx_pids=$("$work/gocli" sandbox status --name bench -o json | python3 -c 'import json,sys; print(" ".join(str(n["pid"]) for n in json.load(sys.stdin)["nodes"]))')
# Idle means settled: a sandbox process releases the executable pages its
# start-up touched once 10 s have passed since start and 10 s since its
# last garbage collection (sandbox.ReleaseStartupPages), 8-10 s after
# start when idle, and both clusters get the same wait.
idle_wait=${IDLE_WAIT:-15}
sleep "$idle_wait"
# shellcheck disable=SC2086
idle_sbx=$(rss_mb $sbx_pids)
idle_etcd=$(rss_mb "${pids[@]}")
# shellcheck disable=SC2086
anon_sbx=$(FIELD=RssAnon rss_mb $sbx_pids)
anon_etcd=$(FIELD=RssAnon rss_mb "${pids[@]}")
# shellcheck disable=SC2086
pss_sbx=$(pss_mb $sbx_pids)
pss_etcd=$(pss_mb "${pids[@]}")

# The default, in-process mode runs every node in one process: its RSS
# divided by the node count is what one idle node costs there.
echo "==> idle in-process 3-node sandbox" >&2
"$work/gocli" sandbox up --detach --port 0 --name bench-inproc --data-dir "$work/data/inproc" >/dev/null
inproc_pid=$("$work/gocli" sandbox status --name bench-inproc -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["nodes"][0]["pid"])')
sleep "$idle_wait"
inproc_node=$(( $(rss_mb "$inproc_pid") / 3 ))
"$work/gocli" sandbox down --purge --name bench-inproc >/dev/null

run() { # run TARGET NAME ARGS... -> JSON file
	local target=$1 name=$2
	shift 2
	local eps=$sbx_eps
	[ "$target" = etcd ] && eps=$etcd_eps
	"$work/gocli" sandbox bench --endpoints "$eps" -o json "$@" >"$work/$target-$name.json"
}
one_total=$((TOTAL / 10))
for target in sandbox etcd; do
	echo "==> $target: put, 64 clients" >&2
	run "$target" put64 put --clients 64 --conns 8 --total "$TOTAL" --val-size 256
	echo "==> $target: put, 1 client" >&2
	run "$target" put1 put --clients 1 --conns 1 --total "$one_total" --val-size 256
	echo "==> $target: linearizable range, 64 clients" >&2
	run "$target" rangel range --clients 64 --conns 8 --total "$TOTAL" --consistency l
	echo "==> $target: serializable range, 64 clients" >&2
	run "$target" ranges range --clients 64 --conns 8 --total "$TOTAL" --consistency s
done

python3 - "$work" "$idle_sbx" "$idle_etcd" "$ETCD_VERSION" "$TOTAL" "$anon_sbx" "$anon_etcd" "$pss_sbx" "$pss_etcd" "$inproc_node" <<'PY'
import json, sys
work, idle_sbx, idle_etcd, ver, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
anon_sbx, anon_etcd = int(sys.argv[6]), int(sys.argv[7])
pss_sbx, pss_etcd, inproc_node = int(sys.argv[8]), int(sys.argv[9]), int(sys.argv[10])
def r(t, n): return json.load(open(f"{work}/{t}-{n}.json"))
rows = [
    ("put, 64 clients / 8 conns: throughput (req/s)", lambda t: r(t, "put64")["requests_per_sec"], "higher"),
    ("put, 64 clients: p99 latency (ms)", lambda t: r(t, "put64")["latency"]["p99_ms"], "lower"),
    ("put, 1 client: p50 latency (ms)", lambda t: r(t, "put1")["latency"]["p50_ms"], "lower"),
    ("put, 1 client: p99 latency (ms)", lambda t: r(t, "put1")["latency"]["p99_ms"], "lower"),
    ("linearizable range, 64 clients: throughput (req/s)", lambda t: r(t, "rangel")["requests_per_sec"], "higher"),
    ("serializable range, 64 clients: throughput (req/s)", lambda t: r(t, "ranges")["requests_per_sec"], "higher"),
    ("idle node RSS (MB, max of 3)", lambda t: idle_sbx if t == "sandbox" else idle_etcd, "lower"),
    ("idle node private memory, RssAnon (MB, max of 3)", lambda t: anon_sbx if t == "sandbox" else anon_etcd, "lower"),
    ("idle node PSS (MB, max of 3)", lambda t: pss_sbx if t == "sandbox" else pss_etcd, "lower"),
]
print(f"| workload ({total} requests, 256-byte values) | gocli sandbox | etcd {ver} | sandbox / etcd |")
print("|---|---:|---:|---:|")
for name, f, better in rows:
    s, e = f("sandbox"), f("etcd")
    ratio = s / e if e else float("nan")
    print(f"| {name} | {s:.1f} | {e:.1f} | {ratio:.2f}× ({better} is better) |")
PY
echo "| idle node RSS, in-process cluster (MB: process RSS / 3 nodes) | $inproc_node | — | — |"
