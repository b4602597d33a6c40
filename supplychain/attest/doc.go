// Package attest makes and checks in-toto attestations about files: an
// in-toto statement whose subject is the file's SHA-256, signed as a DSSE
// envelope and stored in a sigstore bundle v0.3, the format of
// `cosign attest-blob --new-bundle-format`. Everything runs offline with a
// key pair from supplychain/signing.
package attest
