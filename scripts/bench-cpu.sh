#!/usr/bin/env bash
# Compares the cost per request of a 3-node sandbox (--processes) and a
# 3-member etcd, side by side: requests/s, the servers' CPU (user+system
# from /proc/PID/stat, summed over the three processes) and context
# switches per request, the bench client's CPU and switches per request
# (/usr/bin/time), p99, and, when perf is installed, the servers' write,
# read, futex and epoll_pwait calls per request. Whole-process CPU per
# request moves much less than requests/s when other work shares the
# machine, so it is the figure to compare builds by.
#
# Usage: scripts/bench-cpu.sh ROUNDS TOTAL OPS [NAME=GOCLI[:ENV]]...
#   OPS: comma-separated workloads of 64 clients on 8 connections
#        ("range l", "range s", "put"), each run against etcd and then
#        every sandbox variant, ROUNDS times.
#   NAME=GOCLI[:ENV]: a sandbox variant, started with that gocli binary and
#        that environment (e.g. base=/tmp/gocli-old new=/tmp/gocli
#        onep=/tmp/gocli:GOMAXPROCS=1); default: this tree's gocli.
# Env: BENCH_DIR (default a temp dir; an etcd binary there is reused, see
#      scripts/bench-etcd.sh), ETCD (an etcd binary), CLIENTS, CONNS.
# Example: scripts/bench-cpu.sh 3 20000 "range l,put" old=/tmp/gocli-old new=/tmp/gocli-new
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/etcd-cluster.sh
. scripts/lib/etcd-cluster.sh
ROUNDS=${1:?rounds}
TOTAL=${2:?total}
OPS=${3:?ops}
shift 3
work=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work"
etcd=${ETCD:-$work/etcd}
if [ ! -x "$etcd" ]; then
	echo "no etcd binary at $etcd: run scripts/bench-etcd.sh with the same BENCH_DIR first, or set ETCD" >&2
	exit 2
fi
go build -o "$work/gocli" ./cmd/gocli || exit 1
G=$work/gocli
[ $# -gt 0 ] || set -- "sandbox=$G"
rm -rf "$work/data" "$work/state"
mkdir -p "$work/data"
export XDG_STATE_HOME="$work/state"
pids=()
names=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for n in "${names[@]}"; do "$G" sandbox down --purge --name "$n" >/dev/null 2>&1 || true; done
	wait 2>/dev/null || true
	[ -n "${BENCH_DIR:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

start_etcd_cluster "$etcd" "$work"
declare -A EPS PIDS
EPS[etcd]=$etcd_eps
PIDS[etcd]="${pids[*]}"
order=(etcd)
for v in "$@"; do
	name=${v%%=*} rest=${v#*=} env=""
	bin=${rest%%:*}
	[[ $rest == *:* ]] && env=${rest#*:}
	names+=("$name")
	# shellcheck disable=SC2086
	env $env "$bin" sandbox up --detach --processes --port 0 --name "$name" --data-dir "$work/data/$name" >/dev/null || exit 1
	st=$("$bin" sandbox status --name "$name" -o json)
	EPS[$name]=$(echo "$st" | python3 -c 'import json,sys; print(",".join(n["endpoint"] for n in json.load(sys.stdin)["nodes"]))')
	PIDS[$name]=$(echo "$st" | python3 -c 'import json,sys; print(" ".join(str(n["pid"]) for n in json.load(sys.stdin)["nodes"]))')
	order+=("$name")
done
for _ in $(seq 100); do
	"$G" sandbox bench put --endpoints "${EPS[etcd]}" --clients 1 --conns 1 --total 1 -o json >/dev/null 2>&1 && break
	sleep 0.2
done
# Settle (a sandbox process releases its start-up pages after 10 s), then warm up.
sleep 12
for t in "${order[@]}"; do "$G" sandbox bench range --endpoints "${EPS[$t]}" --total 3000 >/dev/null; done

snap() { # PIDS... -> "cpu_ticks context_switches", summed over processes and threads
	local c=0 v=0 p u s
	for p in "$@"; do
		read -r u s < <(awk '{print $14, $15}' "/proc/$p/stat")
		c=$((c + u + s))
		v=$((v + $(cat /proc/"$p"/task/*/status | awk '/ctxt_switches/ {s += $2} END {print s}')))
	done
	echo "$c $v"
}
hz=$(getconf CLK_TCK)
have_perf=0
command -v perf >/dev/null && perf stat -e syscalls:sys_enter_write true >/dev/null 2>&1 && have_perf=1
echo "$OPS; $TOTAL requests, ${CLIENTS:-64} clients / ${CONNS:-8} conns; uptime: $(uptime)"
printf "%-7s %-8s %8s %10s %9s %10s %9s %8s  %s\n" op target req/s srv-µs/rq srv-cs/rq cli-µs/rq cli-cs/rq p99-ms "server calls per request"
IFS=, read -ra ops <<<"$OPS"
for _ in $(seq "$ROUNDS"); do
	for op in "${ops[@]}"; do
		# shellcheck disable=SC2206
		args=($op)
		if [ "${args[0]}" = range ]; then args=(range --consistency "${args[1]}"); else args=(put --val-size 256); fi
		for t in "${order[@]}"; do
			alive=1
			for p in ${PIDS[$t]}; do [ -d "/proc/$p" ] || alive=0; done
			if [ $alive = 0 ]; then echo "$t: a server process is gone" >&2; continue; fi
			ps=""
			if [ $have_perf = 1 ]; then
				perf stat -x, -e syscalls:sys_enter_write,syscalls:sys_enter_read,syscalls:sys_enter_futex,syscalls:sys_enter_epoll_pwait \
					-p "$(echo ${PIDS[$t]} | tr ' ' ,)" -o "$work/perf.txt" &
				ps=$!
				sleep 0.2
			fi
			# shellcheck disable=SC2086
			read -r c0 v0 < <(snap ${PIDS[$t]})
			/usr/bin/time -f "%U %S %w %c" -o "$work/time.out" "$G" sandbox bench "${args[@]}" --endpoints "${EPS[$t]}" \
				--clients "${CLIENTS:-64}" --conns "${CONNS:-8}" --total "$TOTAL" -o json >"$work/out.json"
			# shellcheck disable=SC2086
			read -r c1 v1 < <(snap ${PIDS[$t]})
			if [ -n "$ps" ]; then kill -INT "$ps"; wait "$ps"; else : >"$work/perf.txt"; fi
			python3 - "$op" "$t" "$TOTAL" "$hz" "$c0" "$c1" "$v0" "$v1" "$work" <<'PY'
import json, sys
op, t, total, hz = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
c0, c1, v0, v1 = map(int, sys.argv[5:9])
work = sys.argv[9]
cu, cs, cv, cn = open(f"{work}/time.out").read().split()
r = json.load(open(f"{work}/out.json"))
calls = {}
for line in open(f"{work}/perf.txt"):
    f = line.strip().split(",")
    if len(f) > 3 and f[0].isdigit():
        calls[f[2].rsplit("_", 1)[-1]] = int(f[0]) / total
pc = " ".join(f"{k} {v:.2f}" for k, v in calls.items())
print(f"{op:7s} {t:8s} {r['requests_per_sec']:8.0f} {(c1-c0)*1e6/hz/total:10.1f} {(v1-v0)/total:9.2f} "
      f"{(float(cu)+float(cs))*1e6/total:10.1f} {(int(cv)+int(cn))/total:9.2f} {r['latency']['p99_ms']:8.1f}  {pc}", flush=True)
PY
		done
	done
	echo "uptime: $(uptime)"
done
