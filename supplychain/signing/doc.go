// Package signing creates and checks signatures that the cosign CLI
// accepts: ECDSA P-256 key pairs in cosign's encrypted PEM format, detached
// base64 signatures as `cosign sign-blob` writes them, and sigstore bundles
// (v0.3, message signature or DSSE envelope, public-key verification
// material).
//
// Keys are generated and decrypted by cosign's own key code
// (github.com/sigstore/cosign/v2/pkg/cosign), so the files are exactly
// cosign's; bundles are built and parsed with sigstore-go's types. cosign's
// high-level verify-blob is not used: it reaches for a TUF root even with
// a key.
//
// Verification runs entirely offline with a public key. Files are hashed as
// streams, so memory stays bounded whatever their size. Any check that fails
// returns an error wrapping ErrVerification, whose message names the part
// that failed (digest, signature, key hint, bundle encoding...).
package signing
