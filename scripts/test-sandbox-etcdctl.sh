#!/usr/bin/env bash
# Drives Debian's etcdctl against a detached --processes sandbox cluster:
# put/get/del, txn, watch, lease grant/keep-alive/revoke, lock, elect,
# member list/add/remove, endpoint status/health and move-leader. Every step checks
# its output. Usage: scripts/test-sandbox-etcdctl.sh path/to/gocli
set -euo pipefail
GOCLI=${1:?usage: $0 path/to/gocli}
work=$(mktemp -d)
export XDG_STATE_HOME=$work/state
name=etcdctl-test
cleanup() {
	"$GOCLI" sandbox down --purge --name "$name" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# has DESCRIPTION PATTERN COMMAND...: COMMAND succeeds and its output
# matches PATTERN. Not `COMMAND | grep -q`: under pipefail that fails
# whenever grep exits before COMMAND has written all of its output.
has() {
	local what=$1 pattern=$2 out
	shift 2
	out=$("$@" 2>&1) || fail "$what: $out"
	grep -q -- "$pattern" <<<"$out" || fail "$what: want $pattern in: $out"
}
expect() { # expect DESCRIPTION WANT GOT
	[ "$2" = "$3" ] || fail "$1: want $(printf %q "$2"), got $(printf %q "$3")"
}

"$GOCLI" sandbox up --detach --processes --port 0 --tick 50ms --name "$name" >"$work/up.txt"
# up prints a ready-to-paste etcdctl line; take the endpoints from it.
eps=$(sed -n 's/.*etcdctl --endpoints=\([^ ]*\) .*/\1/p' "$work/up.txt")
[ -n "$eps" ] || fail "up did not print an etcdctl line: $(cat "$work/up.txt")"
# status lists the same endpoints (column 7 of the text table).
expect "status endpoints" "$eps" "$("$GOCLI" sandbox status --name "$name" | awk 'NR>2 && NF>=8 {print $7}' | paste -sd, -)"
E=(etcdctl --endpoints="$eps" --command-timeout=10s)

expect "put" OK "$("${E[@]}" put greeting hello)"
expect "get" $'greeting\nhello' "$("${E[@]}" get greeting)"
"${E[@]}" put dir/a 1 >/dev/null
"${E[@]}" put dir/b 2 >/dev/null
expect "get --prefix --keys-only" $'dir/a\n\ndir/b' "$("${E[@]}" get dir/ --prefix --keys-only)"
has "get -w json: want the base64 key" '"key":"Z3JlZXRpbmc="' "${E[@]}" get greeting -w json
expect "del --prefix" 2 "$("${E[@]}" del dir/ --prefix)"

# txn: etcdctl's stdin syntax; the compare holds, so the success branch runs.
out=$(printf 'value("greeting") = "hello"\n\nput greeting bonjour\nget greeting\n\nput greeting never\n\n' | "${E[@]}" txn)
expect "txn" $'SUCCESS\n\nOK\n\ngreeting\nbonjour' "$out"
out=$(printf 'value("greeting") = "hello"\n\nput greeting never\n\nget greeting\n\n' | "${E[@]}" txn)
expect "txn failure branch" $'FAILURE\n\ngreeting\nbonjour' "$out"

# watch: start it, write, expect the event.
"${E[@]}" watch w/ --prefix >"$work/watch.txt" &
wpid=$!
for _ in $(seq 50); do
	"${E[@]}" put w/k seen >/dev/null
	grep -q seen "$work/watch.txt" 2>/dev/null && break
	sleep 0.1
done
kill $wpid 2>/dev/null || true
wait $wpid 2>/dev/null || true
grep -q '^PUT$' "$work/watch.txt" || fail "watch printed no PUT event: $(cat "$work/watch.txt")"

# lease: grant, attach, keep alive, revoke deletes the key.
lease=$("${E[@]}" lease grant 30 | awk '{print $2}')
[ -n "$lease" ] || fail "lease grant printed no ID"
"${E[@]}" put leased v --lease="$lease" >/dev/null
has "lease keep-alive" "keepalived with TTL(30)" "${E[@]}" lease keep-alive --once "$lease"
has "lease timetolive" "attached keys(\[leased\])" "${E[@]}" lease timetolive "$lease" --keys
has "lease revoke" revoked "${E[@]}" lease revoke "$lease"
expect "key of a revoked lease" "" "$("${E[@]}" get leased)"

# lock and elect use clientv3/concurrency (sessions, leases, txns, watches).
expect "lock" "held" "$(timeout 20 "${E[@]}" lock mylock echo held)"
timeout 20 "${E[@]}" elect myelection candidate-1 >"$work/elect.txt" &
epid=$!
for _ in $(seq 100); do grep -q candidate-1 "$work/elect.txt" 2>/dev/null && break; sleep 0.1; done
grep -q candidate-1 "$work/elect.txt" || fail "elect did not win: $(cat "$work/elect.txt")"
expect "elect --listen sees the leader" "candidate-1" "$(timeout 5 "${E[@]}" elect -l myelection | sed -n 2p || true)"
kill $epid 2>/dev/null || true
wait $epid 2>/dev/null || true

# cluster and maintenance calls.
expect "member list" 3 "$("${E[@]}" member list | wc -l | tr -d ' ')"
# member add starts the node at once (etcd would wait for you to start it);
# the child node forwards it to the cluster's control API. Pick a free port.
for _ in $(seq 50); do
	peer_port=$(( 20000 + RANDOM % 20000 ))
	(exec 3<>"/dev/tcp/127.0.0.1/$peer_port") 2>/dev/null || break
done
has "member add" "added to cluster" "${E[@]}" member add node4 --peer-urls="http://127.0.0.1:$peer_port"
expect "member list after add" 4 "$("${E[@]}" member list | wc -l | tr -d ' ')"
out=$("${E[@]}" member add node5 --peer-urls=http://10.0.0.5:2380 2>&1 || true)
grep -q "listen on 127.0.0.1 only" <<<"$out" || fail "member add at another host should say why: $out"
new_id=$("${E[@]}" member list | awk -F', ' -v u="http://127.0.0.1:$peer_port" '$4 == u {print $1}')
has "member remove" "removed from cluster" "${E[@]}" member remove "$new_id"
expect "member list after remove" 3 "$("${E[@]}" member list | wc -l | tr -d ' ')"
"${E[@]}" endpoint health 2>&1 | grep -c "is healthy" | grep -qx 3 || fail "endpoint health"
expect "endpoint status: leaders" 1 "$("${E[@]}" endpoint status | awk -F', ' '$5 == "true"' | wc -l | tr -d ' ')"
read -r leader leader_ep < <("$GOCLI" sandbox status --name "$name" | awk '$2 == "leader" {print $1, $7}')
[ -n "$leader" ] || fail "status shows no leader"
target=$(( leader % 3 + 1 ))
has "move-leader" "Leadership transferred" etcdctl --endpoints="$leader_ep" move-leader "$(printf %x "$target")"
out=$(etcdctl --endpoints="$eps" defrag 2>&1 || true)
grep -q "gocli sandbox does not implement" <<<"$out" || fail "defrag should explain it is unsupported: $out"
echo "etcdctl against the sandbox: all checks passed"
