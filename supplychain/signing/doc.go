// Package signing creates and checks signatures that the cosign CLI
// accepts: ECDSA P-256 key pairs in cosign's encrypted PEM format, detached
// base64 signatures as `cosign sign-blob` writes them, and sigstore bundles
// (v0.3, message signature or DSSE envelope, public-key verification
// material).
//
// Verification runs entirely offline with a public key. Files are hashed as
// streams, so memory stays bounded whatever their size. Any check that fails
// returns an error wrapping ErrVerification, whose message names the part
// that failed (digest, signature, key hint, bundle encoding...).
package signing
