#!/usr/bin/env bash
# Compares gocli perf with wrk and vegeta against one local HTTP server and
# prints the Markdown table of docs/perf.md:
#   1. maximum requests/s with 64 connections (VUs) for $DUR;
#   2. latency percentiles at a fixed rate of $RATE requests/s;
#   3. memory per VU: peak RSS with 1000 VUs minus peak RSS with 1 VU.
# Needs wrk (apt-get install wrk), vegeta (go install
# github.com/tsenart/vegeta/v12@v12.13.0) and python3. Traffic goes to
# 127.0.0.1 only, and every run is bounded by $DUR.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${DUR:-10s}
RATE=${RATE:-1000}
CONNS=64
export PATH="$(go env GOPATH)/bin:$PATH"
for tool in wrk vegeta python3; do
	command -v "$tool" >/dev/null || { echo "perf-compare: $tool is not installed" >&2; exit 2; }
done

tmp=$(mktemp -d)
srv_pid=
cleanup() {
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/gocli" ./cmd/gocli
go build -o "$tmp/benchserver" ./perf/testdata/benchserver
"$tmp/benchserver" >"$tmp/addr" &
srv_pid=$!
for _ in $(seq 100); do [ -s "$tmp/addr" ] && break; sleep 0.1; done
URL="http://$(cat "$tmp/addr")"
echo "server $URL, duration $DUR, $CONNS connections, fixed rate $RATE/s" >&2

json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# cpu FILE: user+system seconds recorded by /usr/bin/time -f '%U %S'.
cpu() { tail -1 "$1" | awk '{print $1 + $2}'; }
per_req() { python3 -c "print('%.0f' % ($1 * 1e6 / $2))"; }

# 1. Maximum throughput, and CPU time per request (which depends less on
# other load on the machine than requests/s).
/usr/bin/time -o "$tmp/wrk.cpu" -f '%U %S' wrk -t2 -c"$CONNS" -d"$DUR" "$URL/" >"$tmp/wrk.txt"
wrk_rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$tmp/wrk.txt")
wrk_n=$(awk '/requests in/ {print $1}' "$tmp/wrk.txt")
echo "GET $URL/" | /usr/bin/time -o "$tmp/veg.cpu" -f '%U %S' vegeta attack -rate=0 -max-workers="$CONNS" -workers="$CONNS" -duration="$DUR" >"$tmp/v.bin"
vegeta report -type=json "$tmp/v.bin" >"$tmp/v.json"
veg_rps=$(json "$tmp/v.json" 'round(d["throughput"])')
veg_n=$(json "$tmp/v.json" 'd["requests"]')
/usr/bin/time -o "$tmp/g.cpu" -f '%U %S' "$tmp/gocli" perf run perf/testdata/trivial.js --url "$URL" --vus "$CONNS" --duration "$DUR" -q --no-summary --summary-export "$tmp/g.json" --include-system-env-vars=false
gocli_rps=$(json "$tmp/g.json" 'round(d["sli"]["rps"])')
gocli_n=$(json "$tmp/g.json" 'd["sli"]["requests"]')

# 2. Latency at a fixed rate (milliseconds).
echo "GET $URL/" | vegeta attack -rate="$RATE" -duration="$DUR" >"$tmp/vf.bin"
vegeta report -type=json "$tmp/vf.bin" >"$tmp/vf.json"
veg_lat=$(json "$tmp/vf.json" '" / ".join("%.2f" % (d["latencies"][k]/1e6) for k in ["50th","90th","95th","99th"])')
"$tmp/gocli" perf run perf/testdata/fixed_rate.js --url "$URL" -e RATE="$RATE" -e DURATION="$DUR" -q --no-summary --summary-export "$tmp/gf.json" --include-system-env-vars=false
gocli_lat=$(json "$tmp/gf.json" '" / ".join("%.2f" % d["sli"][k] for k in ["p50","p90","p95","p99"])')

# 3. Memory per VU from peak RSS.
rss() {
	/usr/bin/time -f %M "$tmp/gocli" perf run perf/testdata/idle_vus.js --url "$URL" --vus "$1" --duration "$DUR" -q --no-summary --include-system-env-vars=false 2>&1 >/dev/null | tail -1
}
rss1=$(rss 1)
rss1000=$(rss 1000)
per_vu=$(python3 -c "print('%.3f' % (($rss1000 - $rss1) / 999 / 1024))")

cat <<TABLE
| measure | wrk | vegeta | gocli perf |
|---|---|---|---|
| max requests/s, $CONNS connections/VUs, $DUR | $wrk_rps | $veg_rps | $gocli_rps |
| gocli requests/s ÷ tool's | $(python3 -c "print('%.2fx' % ($gocli_rps / $wrk_rps))") | $(python3 -c "print('%.2fx' % ($gocli_rps / $veg_rps))") | |
| CPU µs per request (user+system) | $(per_req "$(cpu "$tmp/wrk.cpu")" "$wrk_n") | $(per_req "$(cpu "$tmp/veg.cpu")" "$veg_n") | $(per_req "$(cpu "$tmp/g.cpu")" "$gocli_n") |
| latency p50 / p90 / p95 / p99 (ms) at $RATE/s | | $veg_lat | $gocli_lat |
| peak RSS 1 VU / 1000 VUs (MB) | | | $((rss1 / 1024)) / $((rss1000 / 1024)) |
| memory per VU (MB) | | | $per_vu |
TABLE
