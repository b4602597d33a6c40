#!/usr/bin/env bash
# Interop and end-to-end checks of gocli's supply-chain commands against the
# real cosign CLI and openssl. Called by test.sh as
#   supplychain/testdata/interop.sh GOCLI COSIGN
# Every gocli command runs offline: HTTP(S)_PROXY point at a closed loopback
# port, HOME and TUF_ROOT are empty directories, and the command runs under
# strace, which fails the test on any connect() to an IP address.
set -euo pipefail

GOCLI=$(realpath "$1")
COSIGN=$(realpath "$2")
REPO=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

pass=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { pass=$((pass + 1)); }

mkdir -p home tuf
# A port that nothing listens on: any proxied request would show up as a
# connect() to it in the strace log.
export HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 ALL_PROXY=http://127.0.0.1:9 NO_PROXY=
export HOME=$work/home TUF_ROOT=$work/tuf SIGSTORE_NO_CACHE=1
export COSIGN_PASSWORD=interop-pw

# gocli ARGS...: run gocli offline under strace; fails on any network connect.
# Sets $rc, $out and $err.
gocli() {
	local log=$work/strace.$RANDOM
	set +e
	strace -f -qq -e trace=connect -o "$log" "$GOCLI" "$@" >"$work/out" 2>"$work/err" </dev/null
	rc=$?
	set -e
	out=$(cat "$work/out")
	err=$(cat "$work/err")
	if grep -E 'AF_INET6?' "$log" >/dev/null 2>&1; then
		cat "$log" >&2
		fail "gocli $* attempted a network connection"
	fi
	rm -f "$log"
}
expect_ok() { gocli "$@"; [ "$rc" -eq 0 ] || fail "gocli $* exited $rc: $err"; ok; }
# expect_exit CODE PATTERN ARGS...: exit code and a stderr message.
expect_exit() {
	local code=$1 pattern=$2
	shift 2
	gocli "$@"
	[ "$rc" -eq "$code" ] || fail "gocli $* exited $rc, want $code: $err"
	grep -qE -- "$pattern" <<<"$err" || fail "gocli $* stderr lacks /$pattern/: $err"
	ok
}
# cosign runs without the offline guard and with its own HOME and TUF_ROOT
# (it caches TUF metadata there): only gocli is under test here.
mkdir -p cosign-home cosign-tuf
# COSIGN_MAX_ATTACHMENT_SIZE: cosign refuses blobs over 128 MiB by default,
# and an unstripped gocli binary is larger.
cosign() {
	env -u HTTP_PROXY -u HTTPS_PROXY -u ALL_PROXY HOME="$work/cosign-home" TUF_ROOT="$work/cosign-tuf" \
		COSIGN_MAX_ATTACHMENT_SIZE=1073741824 "$COSIGN" "$@"
}

# cosign 2.x wants a trusted root for new-format bundles and would fetch one
# with TUF; with a key and no transparency log an empty one is all it needs.
printf '{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}' >trusted_root.json

head -c 3000000 /dev/urandom >payload.bin
printf 'small payload\n' >small.txt

echo "-- keys: gocli keygen, cosign generate-key-pair"
expect_ok keygen --output-key-prefix g
[ "$(stat -c %a g.key)" = 600 ] || fail "g.key mode is $(stat -c %a g.key)"
grep -q "BEGIN ENCRYPTED SIGSTORE PRIVATE KEY" g.key || fail "g.key is not a cosign key"
expect_exit 2 "already exists" keygen --output-key-prefix g
cp g.key g.key.before
expect_ok keygen --output-key-prefix g --force
cmp -s g.key g.key.before && fail "--force did not replace the key"
cosign generate-key-pair --output-key-prefix c >/dev/null 2>&1
ok

echo "-- gocli signs, cosign verifies (both key pairs)"
for k in g c; do
	expect_ok sign payload.bin --key $k.key --output-signature payload.$k.sig --bundle payload.$k.sigstore.json
	cosign verify-blob --key $k.pub --signature payload.$k.sig --insecure-ignore-tlog payload.bin >/dev/null 2>&1 ||
		fail "cosign rejects gocli's signature made with the $k key"
	ok
	cosign verify-blob --key $k.pub --bundle payload.$k.sigstore.json --new-bundle-format --insecure-ignore-tlog --trusted-root trusted_root.json payload.bin >/dev/null 2>&1 ||
		fail "cosign rejects gocli's bundle made with the $k key"
	ok
done

echo "-- independent check with openssl"
base64 -d payload.g.sig >payload.g.der
openssl dgst -sha256 -verify g.pub -signature payload.g.der payload.bin >/dev/null || fail "openssl rejects gocli's signature"
ok
# And openssl rejects it for another file, so the check above means something.
openssl dgst -sha256 -verify g.pub -signature payload.g.der small.txt >/dev/null 2>&1 && fail "openssl accepts a wrong file"
ok

echo "-- cosign signs, gocli verifies (both key pairs, all formats)"
for k in g c; do
	cosign sign-blob --yes --key $k.key --tlog-upload=false --output-signature small.$k.sig small.txt >/dev/null 2>&1
	expect_ok verify small.txt --key $k.pub --signature small.$k.sig
	cosign sign-blob --yes --key $k.key --tlog-upload=false --new-bundle-format --bundle small.$k.sigstore.json small.txt >/dev/null 2>&1
	expect_ok verify small.txt --key $k.pub --bundle small.$k.sigstore.json
	grep -q sigstore-bundle <<<"$out" || fail "not reported as a sigstore bundle: $out"
	cosign sign-blob --yes --key $k.key --tlog-upload=false --bundle small.$k.cosign.json small.txt >/dev/null 2>&1
	expect_ok verify small.txt --key $k.pub --bundle small.$k.cosign.json
	grep -q cosign-bundle <<<"$out" || fail "not reported as a cosign bundle: $out"
done
expect_exit 1 "signature does not match" verify small.txt --key g.pub --signature small.c.sig

echo "-- attestations both ways"
expect_ok sbom "$REPO/supplychain/sbom/testdata/project" --format spdx-json --output project.spdx.json
expect_ok attest payload.bin --predicate project.spdx.json --type spdxjson --key g.key --bundle payload.att.json
cosign verify-blob-attestation --key g.pub --bundle payload.att.json --new-bundle-format --insecure-ignore-tlog --trusted-root trusted_root.json --type spdxjson payload.bin >/dev/null 2>&1 ||
	fail "cosign rejects gocli's attestation"
ok
expect_ok verify-attestation payload.bin --key g.pub --bundle payload.att.json --type spdxjson
expect_exit 1 "predicate type" verify-attestation payload.bin --key g.pub --bundle payload.att.json --type cyclonedx
expect_exit 1 "no subject" verify-attestation small.txt --key g.pub --bundle payload.att.json
cosign attest-blob --yes --key c.key --tlog-upload=false --new-bundle-format --bundle small.c.att.json --predicate project.spdx.json --type spdxjson small.txt >/dev/null 2>&1
expect_ok verify-attestation small.txt --key c.pub --bundle small.c.att.json --type spdxjson

echo "-- tamper: sampled single-byte changes are rejected with exit 1"
# flip FILE OFFSET: xor one byte with 0x01.
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
sample() { # sample SIZE N: N offsets spread over SIZE bytes, first and last included
	local size=$1 n=$2 i
	for ((i = 0; i < n; i++)); do echo $(((size - 1) * i / (n - 1))); done
}
for off in $(sample "$(stat -c %s payload.bin)" 8); do
	cp payload.bin t.bin && flip t.bin "$off"
	expect_exit 1 "signature does not match" verify t.bin --key g.pub --signature payload.g.sig
	expect_exit 1 "does not match the bundle's message digest" verify t.bin --key g.pub --bundle payload.g.sigstore.json
	expect_exit 1 "no subject" verify-attestation t.bin --key g.pub --bundle payload.att.json
done
for off in $(sample "$(stat -c %s payload.g.sig)" 12); do
	cp payload.g.sig t.sig && flip t.sig "$off"
	expect_exit 1 "verification failed: signature" verify payload.bin --key g.pub --signature t.sig
done
for off in $(sample "$(stat -c %s payload.g.sigstore.json)" 24); do
	cp payload.g.sigstore.json t.json && flip t.json "$off"
	expect_exit 1 "verification failed: (bundle|SHA-256)" verify payload.bin --key g.pub --bundle t.json
done
for off in $(sample "$(stat -c %s payload.att.json)" 24); do
	cp payload.att.json t.att && flip t.att "$off"
	expect_exit 1 "verification failed: (bundle|envelope|statement)" verify-attestation payload.bin --key g.pub --bundle t.att
done

echo "-- bad input: clear errors, exit 2, nothing written"
( unset COSIGN_PASSWORD; expect_exit 2 "no password" sign small.txt --key g.key --output-signature none.sig )
COSIGN_PASSWORD=wrong expect_exit 2 "wrong password" sign small.txt --key g.key --output-signature none.sig
openssl genrsa -out rsa.pem 2048 2>/dev/null
expect_exit 2 "unsupported key type" sign small.txt --key rsa.pem --output-signature none.sig
openssl ecparam -name secp384r1 -genkey -noout 2>/dev/null | openssl ec -pubout -out p384.pub 2>/dev/null
expect_exit 2 "P-384" verify small.txt --key p384.pub --signature small.g.sig
expect_exit 2 "this is a public key" sign small.txt --key g.pub --output-signature none.sig
expect_exit 2 "no such file" sign missing.bin --key g.key --output-signature none.sig
expect_exit 2 "is a directory" sign home --key g.key --output-signature none.sig
expect_exit 2 "read bundle" verify small.txt --key g.pub --bundle missing.json
printf '{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"' >truncated.json
expect_exit 1 "bundle is not a JSON object|malformed" verify small.txt --key g.pub --bundle truncated.json
printf 'not json' >garbage.json
expect_exit 1 "bundle" verify-attestation small.txt --key g.pub --bundle garbage.json
expect_exit 1 "not a file signature" verify payload.bin --key g.pub --bundle payload.att.json
[ ! -e none.sig ] || fail "a signature was written despite an error"
ok
ls -a | grep -q '\.tmp-' && fail "temporary files left behind"
[ -z "$(find home tuf -mindepth 1)" ] || fail "something was written to HOME or TUF_ROOT: $(find home tuf -mindepth 1)"
ok

echo "-- sbom: reproducible bytes, offline"
for fmt in spdx-json cyclonedx-json; do
	SOURCE_DATE_EPOCH=1700000000 expect_ok sbom "$GOCLI" --format $fmt --reproducible --output a.$fmt.json
	SOURCE_DATE_EPOCH=1700000000 expect_ok sbom "$GOCLI" --format $fmt --reproducible --output b.$fmt.json
	cmp a.$fmt.json b.$fmt.json || fail "--reproducible $fmt differs between runs"
	grep -q '2023-11-14T22:13:20Z' a.$fmt.json || fail "$fmt timestamp is not SOURCE_DATE_EPOCH"
	ok
done
# The gocli binary's SBOM lists the modules of its build info.
go version -m "$GOCLI" | awk '$1 == "dep" {print $2, $3}' | sort >want.txt
jq -r '.packages[] | select(.name != "stdlib") | "\(.name) \(.versionInfo)"' a.spdx-json.json | sort >got.txt
missing=$(comm -23 want.txt got.txt)
[ -z "$missing" ] || fail "SPDX SBOM of gocli lacks modules: $missing"
ok
expect_exit 2 "allow-network" sbom registry:alpine:3.20

echo "-- a release, end to end: sbom, sign, attest, cosign verifies"
expect_ok sbom "$GOCLI" --format cyclonedx-json --output gocli.cdx.json
expect_ok sign "$GOCLI" --key g.key --output-signature gocli.sig --bundle gocli.sigstore.json
expect_ok attest "$GOCLI" --predicate gocli.cdx.json --type cyclonedx --key g.key --bundle gocli.att.json
cosign verify-blob --key g.pub --signature gocli.sig --insecure-ignore-tlog "$GOCLI" >/dev/null 2>&1 || fail "cosign rejects the release signature"
cosign verify-blob-attestation --key g.pub --bundle gocli.att.json --new-bundle-format --insecure-ignore-tlog --trusted-root trusted_root.json --type cyclonedx "$GOCLI" >/dev/null 2>&1 ||
	fail "cosign rejects the release attestation"
ok

echo "$pass passed, 0 failed"
