// Package supplychain implements gocli's supply-chain commands: sbom,
// keygen, sign, verify, attest and verify-attestation. The work happens in
// the domain packages under supplychain/; this package binds flags, reads
// passwords and renders results.
package supplychain
