#!/usr/bin/env bash
# Compares `gocli sandbox bench` against a 3-node sandbox (--processes) and a
# 3-member etcd 3.6 built from the Go module proxy, on the same machine, with
# the same data-disk location and the same workloads. Prints a Markdown table
# (docs/sandbox-performance.md keeps the latest one).
#
# etcd is built by a tiny wrapper main around etcdmain.Main in a temporary
# module: it never becomes part of gocli.
#
# Latency tails on a shared machine move by half from one run to the next,
# for etcd as much as for the sandbox, so one run decides nothing about a
# p99. ROUNDS > 1 measures the workloads that many times, each round on two
# new, empty clusters that have sat idle as long as the first ones, the
# order of the two alternating from round to round; the table then gives
# each figure's median over the rounds, and a second table every round's
# ratios.
#
# Usage: scripts/bench-etcd.sh [TOTAL]   (TOTAL puts/ranges per run, default 20000)
# Env:   ETCD_VERSION (default v3.6.16), BENCH_DIR (default: a temp dir),
#        ROUNDS (default 1), IDLE_WAIT (seconds idle before measuring, default 15)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/etcd-cluster.sh
. scripts/lib/etcd-cluster.sh
TOTAL=${1:-20000}
ROUNDS=${ROUNDS:-1}
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

start_clusters() { # new, empty clusters; sets pids, etcd_eps and sbx_eps
	echo "==> starting a 3-member etcd" >&2
	start_etcd_cluster "$work/etcd" "$work"
	echo "==> starting a 3-node sandbox (--processes)" >&2
	rm -rf "$work/data/sandbox"
	"$work/gocli" sandbox up --detach --processes --port 0 --name bench --data-dir "$work/data/sandbox" >/dev/null
	sbx_eps=$("$work/gocli" sandbox status --name bench -o json | python3 -c 'import json,sys; print(",".join(n["endpoint"] for n in json.load(sys.stdin)["nodes"]))')
	# Wait for etcd to serve.
	for _ in $(seq 100); do
		"$work/gocli" sandbox bench put --endpoints "$etcd_eps" --clients 1 --conns 1 --total 1 -o json >/dev/null 2>&1 && break
		sleep 0.2
	done
}
stop_clusters() {
	"$work/gocli" sandbox down --purge --name bench >/dev/null
	kill "${pids[@]}" 2>/dev/null || true
	wait "${pids[@]}" 2>/dev/null || true
	pids=()
}
export XDG_STATE_HOME="$work/state"
start_clusters
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
for round in $(seq "$ROUNDS"); do
	if [ "$round" -gt 1 ]; then
		stop_clusters
		start_clusters
		sleep "$idle_wait"
	fi
	order="sandbox etcd"
	[ $((round % 2)) -eq 0 ] && order="etcd sandbox"
	for target in $order; do
		echo "==> round $round of $ROUNDS, $target: put, 64 clients" >&2
		run "$target" "put64-$round" put --clients 64 --conns 8 --total "$TOTAL" --val-size 256
		echo "==> round $round of $ROUNDS, $target: put, 1 client" >&2
		run "$target" "put1-$round" put --clients 1 --conns 1 --total "$one_total" --val-size 256
		echo "==> round $round of $ROUNDS, $target: linearizable range, 64 clients" >&2
		run "$target" "rangel-$round" range --clients 64 --conns 8 --total "$TOTAL" --consistency l
		echo "==> round $round of $ROUNDS, $target: serializable range, 64 clients" >&2
		run "$target" "ranges-$round" range --clients 64 --conns 8 --total "$TOTAL" --consistency s
	done
done

python3 - "$work" "$idle_sbx" "$idle_etcd" "$ETCD_VERSION" "$TOTAL" "$anon_sbx" "$anon_etcd" "$pss_sbx" "$pss_etcd" "$inproc_node" "$ROUNDS" <<'PY'
import json, statistics, sys
work, idle_sbx, idle_etcd, ver, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
anon_sbx, anon_etcd = int(sys.argv[6]), int(sys.argv[7])
pss_sbx, pss_etcd, inproc_node = int(sys.argv[8]), int(sys.argv[9]), int(sys.argv[10])
rounds = int(sys.argv[11])
def figure(t, run, keys, k):  # one round's figure
    v = json.load(open(f"{work}/{t}-{run}-{k}.json"))
    for key in keys:
        v = v[key]
    return v
load = [
    ("put, 64 clients / 8 conns: throughput (req/s)", "put64", ["requests_per_sec"], "higher"),
    ("put, 64 clients: p99 latency (ms)", "put64", ["latency", "p99_ms"], "lower"),
    ("put, 1 client: p50 latency (ms)", "put1", ["latency", "p50_ms"], "lower"),
    ("put, 1 client: p99 latency (ms)", "put1", ["latency", "p99_ms"], "lower"),
    ("linearizable range, 64 clients: throughput (req/s)", "rangel", ["requests_per_sec"], "higher"),
    ("serializable range, 64 clients: throughput (req/s)", "ranges", ["requests_per_sec"], "higher"),
]
idle = [
    ("idle node RSS (MB, max of 3)", idle_sbx, idle_etcd),
    ("idle node private memory, RssAnon (MB, max of 3)", anon_sbx, anon_etcd),
    ("idle node PSS (MB, max of 3)", pss_sbx, pss_etcd),
]
def row(name, s, e, better):
    ratio = s / e if e else float("nan")
    print(f"| {name} | {s:.1f} | {e:.1f} | {ratio:.2f}× ({better} is better) |")
med = f", median of {rounds} rounds" if rounds > 1 else ""
print(f"| workload ({total} requests, 256-byte values{med}) | gocli sandbox | etcd {ver} | sandbox / etcd |")
print("|---|---:|---:|---:|")
for name, run, keys, better in load:
    s, e = (statistics.median(figure(t, run, keys, k) for k in range(1, rounds + 1)) for t in ("sandbox", "etcd"))
    row(name, s, e, better)
for name, s, e in idle:
    row(name, s, e, "lower")
print(f"| idle node RSS, in-process cluster (MB: process RSS / 3 nodes) | {inproc_node} | — | — |")
if rounds > 1:
    print()
    print("| sandbox / etcd, round by round | " + " | ".join(str(k) for k in range(1, rounds + 1)) + " |")
    print("|---|" + "---:|" * rounds)
    for name, run, keys, better in load:
        cells = [f"{figure('sandbox', run, keys, k) / figure('etcd', run, keys, k):.2f}×" for k in range(1, rounds + 1)]
        print(f"| {name} | " + " | ".join(cells) + " |")
PY
