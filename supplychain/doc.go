// Package supplychain groups gocli's software supply-chain features: SBOMs
// (supplychain/sbom), cosign-compatible keys and signatures
// (supplychain/signing) and in-toto attestations (supplychain/attest).
//
// Everything here works offline: no package opens a network connection
// unless its caller asks for a registry source explicitly. The heavy
// dependencies (syft, sigstore) live in the sub-packages so that code which
// only needs one of them links only that one.
package supplychain
