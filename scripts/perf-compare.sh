#!/usr/bin/env bash
# Compares gocli perf with wrk and vegeta against one local HTTP server and
# prints the Markdown tables of docs/perf.md:
#   1. maximum requests/s with 64 connections (VUs) for $DUR;
#   2. latency percentiles of vegeta and gocli at the same fixed rate of
#      $RATE requests/s for $DUR, of the trivial handler and of one that
#      takes $WORK (default 2ms) to answer: with the trivial handler the
#      clients' own overheads are much of what they measure;
#   3. memory per VU: peak RSS with 1000 VUs minus peak RSS with 1 VU.
# With tcpdump installed and permission to capture on lo, step 2 also
# records every latency run's packets and reports the wire latency (from
# a request's first packet to its response's first packet, as the
# loopback device saw them) of the same requests: a reference that neither
# client's own overhead is part of.
# Steps 1 and 2 run $ROUNDS rounds, the tools one after another in an order
# that rotates each round, and report medians: on a machine shared with
# other work, ratios of runs taken side by side are what can be compared.
# The load average is printed before and after.
# BASE=REV (a git revision, e.g. main) also builds gocli at that revision
# and measures it as a fourth tool, "base", in the same rotation, so that
# a change can be judged by ratios taken side by side.
# Needs wrk (apt-get install wrk), vegeta (go install
# github.com/tsenart/vegeta/v12@v12.13.0) and python3; tcpdump (apt-get
# install tcpdump) is optional. Traffic goes to
# 127.0.0.1 only, and every run is bounded by $DUR.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${DUR:-10s}
RATE=${RATE:-1000}
WORK=${WORK:-2ms}
ROUNDS=${ROUNDS:-3}
CONNS=64
export PATH="$(go env GOPATH)/bin:$PATH"
for tool in wrk vegeta python3; do
	command -v "$tool" >/dev/null || { echo "perf-compare: $tool is not installed" >&2; exit 2; }
done

tmp=$(mktemp -d)
srv_pid=
cap_pid=
cleanup() {
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null || true
	[ -n "$cap_pid" ] && kill "$cap_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/gocli" ./cmd/gocli
if [ -n "${BASE:-}" ]; then
	mkdir "$tmp/base-src"
	git archive "$BASE" | tar -x -C "$tmp/base-src"
	(cd "$tmp/base-src" && go build -o "$tmp/base" ./cmd/gocli)
fi
go build -o "$tmp/benchserver" ./perf/testdata/benchserver
"$tmp/benchserver" >"$tmp/addr" &
srv_pid=$!
for _ in $(seq 100); do [ -s "$tmp/addr" ] && break; sleep 0.1; done
URL="http://$(cat "$tmp/addr")"
PORT=${URL##*:}
# Capture only when tcpdump can: a short trial run on lo.
wire=
if command -v tcpdump >/dev/null && timeout 2 tcpdump -i lo -c 1 -w /dev/null "tcp port $PORT" >/dev/null 2>&1 </dev/null || [ $? = 124 ]; then
	wire=1
fi
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "server $URL, duration $DUR, $CONNS connections, fixed rate $RATE/s, $ROUNDS rounds, load average $load_before" >&2

# Each run appends one line to $tmp/results: KIND TOOL ROUND values...
#   tput TOOL R req/s cpu-µs/req
#   lat  TOOL R p50 p90 p95 p99 (ms)
# cpu FILE: user+system seconds recorded by /usr/bin/time -f '%U %S'.
cpu() { tail -1 "$1" | awk '{print $1 + $2}'; }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

tput_wrk() {
	/usr/bin/time -o "$tmp/cpu" -f '%U %S' wrk -t2 -c"$CONNS" -d"$DUR" "$URL/" >"$tmp/wrk.txt"
	local rps n
	rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.txt")
	n=$(awk '/requests in/ {print $1}' "$tmp/wrk.txt")
	echo "tput wrk $1 $rps $(python3 -c "print($(cpu "$tmp/cpu") * 1e6 / $n)")" >>"$tmp/results"
}
tput_vegeta() {
	echo "GET $URL/" | /usr/bin/time -o "$tmp/cpu" -f '%U %S' vegeta attack -rate=0 -max-workers="$CONNS" -workers="$CONNS" -duration="$DUR" >"$tmp/v.bin"
	vegeta report -type=json "$tmp/v.bin" >"$tmp/v.json"
	echo "tput vegeta $1 $(json "$tmp/v.json" 'd["throughput"]') $(json "$tmp/v.json" "$(cpu "$tmp/cpu") * 1e6 / d['requests']")" >>"$tmp/results"
}
# tput_gocli ROUND [BINARY-NAME]: gocli, or the base build.
tput_gocli() {
	local bin=${2:-gocli}
	/usr/bin/time -o "$tmp/cpu" -f '%U %S' "$tmp/$bin" perf run perf/testdata/trivial.js --url "$URL" --vus "$CONNS" --duration "$DUR" -q --no-summary --summary-export "$tmp/g.json" --include-system-env-vars=false
	echo "tput $bin $1 $(json "$tmp/g.json" 'd["sli"]["rps"]') $(json "$tmp/g.json" "$(cpu "$tmp/cpu") * 1e6 / d['sli']['requests']")" >>"$tmp/results"
}
tput_base() { tput_gocli "$1" base; }
# lat_TOOL ROUND PATH [BINARY-NAME]: the tool at $RATE/s against $URL$PATH;
# results for the slow handler are filed under TOOL+work.
lat_vegeta() {
	capture_start
	echo "GET $URL$2" | vegeta attack -rate="$RATE" -duration="$DUR" >"$tmp/vf.bin"
	capture_stop "vegeta$(work_tag "$2")" "$1"
	vegeta report -type=json "$tmp/vf.bin" >"$tmp/vf.json"
	echo "lat vegeta$(work_tag "$2") $1 $(json "$tmp/vf.json" '" ".join(str(d["latencies"][k] / 1e6) for k in ["50th", "90th", "95th", "99th"])')" >>"$tmp/results"
}
lat_gocli() {
	local bin=${3:-gocli}
	capture_start
	"$tmp/$bin" perf run perf/testdata/fixed_rate.js --url "$URL" -e RATE="$RATE" -e DURATION="$DUR" -e URL_PATH="$2" -q --no-summary --summary-export "$tmp/gf.json" --include-system-env-vars=false
	capture_stop "$bin$(work_tag "$2")" "$1"
	echo "lat $bin$(work_tag "$2") $1 $(json "$tmp/gf.json" '" ".join(str(d["sli"][k]) for k in ["p50", "p90", "p95", "p99"])')" >>"$tmp/results"
}
# capture_start, capture_stop TAG ROUND: the packets of one latency run,
# filed as "wire TAG ROUND p50 p90 p95 p99" (ms).
capture_start() {
	[ -n "$wire" ] || return 0
	tcpdump -i lo -n -s 128 -B 16384 -w "$tmp/cap.pcap" "tcp port $PORT" 2>"$tmp/cap.err" &
	cap_pid=$!
	# Listening once it has said so.
	for _ in $(seq 50); do grep -q listening "$tmp/cap.err" && break; sleep 0.1; done
}
capture_stop() {
	[ -n "$wire" ] || return 0
	sleep 0.2
	kill -INT "$cap_pid"
	wait "$cap_pid" || true
	cap_pid=
	echo "wire $1 $2 $(tcpdump -n -tt -r "$tmp/cap.pcap" 2>/dev/null | python3 -c "$wire_py" "$PORT")" >>"$tmp/results"
}
# Pairs each connection's request packet with its response's first
# packet (HTTP/1.1 without pipelining: one request in flight per
# connection) and prints the percentiles of the differences.
wire_py='
import re, sys
port = sys.argv[1]
pat = re.compile(r"^(\d+\.\d+) IP 127\.0\.0\.1\.(\d+) > 127\.0\.0\.1\.(\d+): .* length (\d+)")
sent, lat = {}, []
for line in sys.stdin:
    m = pat.match(line)
    if not m or m.group(4) == "0":
        continue
    t, src, dst = float(m.group(1)), m.group(2), m.group(3)
    if dst == port and src not in sent:
        sent[src] = t
    elif src == port and dst in sent:
        lat.append(t - sent.pop(dst))
lat.sort()
print(" ".join("%.4f" % (lat[min(len(lat) - 1, int(p * len(lat)))] * 1e3) for p in (0.5, 0.9, 0.95, 0.99)))
'
work_tag() { [ "$1" = / ] || echo +work; }
lat_base() { lat_gocli "$1" "$2" base; }

: >"$tmp/results"
tput=(wrk vegeta gocli)
lat=(vegeta gocli)
if [ -n "${BASE:-}" ]; then
	tput+=(base)
	lat+=(base)
fi
for r in $(seq "$ROUNDS"); do
	for i in "${!tput[@]}"; do
		t=${tput[(i + r) % ${#tput[@]}]}
		echo "round $r: $t, maximum rate" >&2
		"tput_$t" "$r"
	done
done
for path in / "/sleep/$WORK"; do
	for r in $(seq "$ROUNDS"); do
		for i in "${!lat[@]}"; do
			t=${lat[(i + r) % ${#lat[@]}]}
			echo "round $r: $t, $RATE/s, GET $path" >&2
			"lat_$t" "$r" "$path"
		done
	done
done

# Memory per VU from peak RSS.
rss() {
	/usr/bin/time -f %M "$tmp/gocli" perf run perf/testdata/idle_vus.js --url "$URL" --vus "$1" --duration "$DUR" -q --no-summary --include-system-env-vars=false 2>&1 >/dev/null | tail -1
}
rss1=$(rss 1)
rss1000=$(rss 1000)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$tmp/results" "$CONNS" "$DUR" "$RATE" "$ROUNDS" "$rss1" "$rss1000" "$load_before" "$load_after" "${BASE:-}" "$WORK" <<'PY'
import statistics as st, sys
path, conns, dur, rate, rounds, rss1, rss1000, before, after, base, work = sys.argv[1:]
tput, lat = {}, {}
for line in open(path):
    kind, tool, rnd, *vals = line.split()
    if kind == "wire":
        tool = "wire:" + tool
    (tput if kind == "tput" else lat).setdefault(tool, {})[int(rnd)] = [float(v) for v in vals]
med = lambda xs: st.median(xs)
def col(d, tool, i):
    return [v[i] for v in d[tool].values()]
def ratio(num, den, i=0):
    return med([tput[num][r][i] / tput[den][r][i] for r in tput[num]])
print(f"load average {before} before, {after} after; medians of {rounds} rounds\n")
tools = ["wrk", "vegeta", "gocli"] + (["base"] if base else [])
heads = {"wrk": "wrk", "vegeta": "vegeta", "gocli": "gocli perf", "base": f"gocli perf at {base}"}
print("| measure | " + " | ".join(heads[t] for t in tools) + " |")
print("|---|" + "---|" * len(tools))
print(f"| max requests/s, {conns} connections/VUs, {dur} | " + " | ".join("%.0f" % med(col(tput, t, 0)) for t in tools) + " |")
print("| requests/s of every round | " + " | ".join(" / ".join("%.0f" % v for v in col(tput, t, 0)) for t in tools) + " |")
print("| gocli requests/s ÷ tool's (median of the rounds' ratios) | " + " | ".join("%.2fx" % ratio("gocli", t) if t != "gocli" else "" for t in tools) + " |")
print("| CPU µs per request (user+system) | " + " | ".join("%.0f" % med(col(tput, t, 1)) for t in tools) + " |")
print()
names = ["p50", "p90", "p95", "p99"]
for tag, what in [("", "GET / (answers at once)"), ("+work", f"GET /sleep/{work} (answers after {work})")]:
    print(f"| latency at {rate}/s for {dur} (ms), {what} | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for t in ["vegeta", "gocli"] + (["base"] if base else []):
        print(f"| {heads[t]} | " + " | ".join("%.3f" % med(col(lat, t + tag, i)) for i in range(4)) + " |")
    print("| gocli ÷ vegeta | " + " | ".join("%.2f" % (med(col(lat, "gocli" + tag, i)) / med(col(lat, "vegeta" + tag, i))) for i in range(4)) + " |")
    if "wire:gocli" + tag in lat:
        for t in ["vegeta", "gocli"]:
            w = "wire:" + t + tag
            print(f"| on the wire, {heads[t]}'s requests | " + " | ".join("%.3f" % med(col(lat, w, i)) for i in range(4)) + " |")
            print(f"| {heads[t]} − wire (client's own share) | " + " | ".join("%+.3f" % (med(col(lat, t + tag, i)) - med(col(lat, w, i))) for i in range(4)) + " |")
    print()
r1, r1000 = int(rss1), int(rss1000)
print("| memory | gocli perf |")
print("|---|---|")
print(f"| peak RSS 1 VU / 1000 VUs (MB) | {r1 // 1024} / {r1000 // 1024} |")
print(f"| memory per VU (MB) | {(r1000 - r1) / 999 / 1024:.3f} |")
PY
