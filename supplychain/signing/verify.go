package signing

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
)

// Signature formats VerifyResult.Format reports.
const (
	FormatSignature      = "signature"
	FormatSigstoreBundle = "sigstore-bundle"
	FormatCosignBundle   = "cosign-bundle"
)

// VerifyResult describes a file whose signature checked out.
type VerifyResult struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// Format is FormatSignature, FormatSigstoreBundle or FormatCosignBundle.
	Format string `json:"format"`
	// KeyHint is the bundle's public-key hint, when it has one.
	KeyHint string `json:"keyHint,omitempty"`
	// Warnings lists what was present but not checked offline.
	Warnings []string `json:"warnings,omitempty"`
}

// VerifySignature checks a detached signature over the file at path. sig is
// the content of a signature file: base64 as cosign writes it (surrounding
// whitespace allowed), or raw DER.
func VerifySignature(ctx context.Context, path string, pub *ecdsa.PublicKey, sig []byte) (*VerifyResult, error) {
	raw, err := decodeSignature(sig)
	if err != nil {
		return nil, err
	}
	digest, err := DigestFile(ctx, path)
	if err != nil {
		return nil, err
	}
	if !ecdsa.VerifyASN1(pub, digest.SHA256[:], raw) {
		return nil, verificationErrorf("signature does not match %s and the public key", path)
	}
	return &VerifyResult{File: path, SHA256: digest.Hex(), Size: digest.Size, Format: FormatSignature}, nil
}

// decodeSignature accepts strict base64 (cosign's default) and falls back
// to raw DER, which cosign sign-blob writes with --b64=false.
func decodeSignature(sig []byte) ([]byte, error) {
	text := bytes.TrimSpace(sig)
	if len(text) == 0 {
		return nil, verificationErrorf("signature is empty")
	}
	if raw, err := base64.StdEncoding.Strict().DecodeString(string(text)); err == nil {
		return raw, nil
	} else if sig[0] != 0x30 { // not an ASN.1 SEQUENCE either
		return nil, verificationErrorf("signature is neither base64 nor DER: %v", err)
	}
	return sig, nil
}

// VerifyBundle checks a bundle over the file at path: a sigstore bundle
// with a message signature (cosign sign-blob --new-bundle-format) or
// cosign's older bundle format (cosign sign-blob --bundle).
func VerifyBundle(ctx context.Context, path string, pub *ecdsa.PublicKey, bundleJSON []byte) (*VerifyResult, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(bundleJSON, &probe); err != nil {
		return nil, verificationErrorf("bundle is not a JSON object: %v", err)
	}
	if _, ok := probe["base64Signature"]; ok {
		return verifyLegacyBundle(ctx, path, pub, bundleJSON)
	}
	b, err := ParseBundle(bundleJSON)
	if err != nil {
		return nil, err
	}
	hint, err := b.CheckKey(pub)
	if err != nil {
		return nil, err
	}
	msg := b.GetMessageSignature()
	if msg == nil {
		return nil, verificationErrorf("bundle holds a DSSE envelope (an attestation), not a file signature; check it with gocli verify-attestation")
	}
	md := msg.GetMessageDigest()
	if md.GetAlgorithm() != protocommon.HashAlgorithm_SHA2_256 {
		return nil, verificationErrorf("bundle message digest uses %s; gocli verifies SHA2_256", md.GetAlgorithm())
	}
	digest, err := DigestFile(ctx, path)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(md.GetDigest(), digest.SHA256[:]) {
		return nil, verificationErrorf("SHA-256 of %s (%s) does not match the bundle's message digest (%x)", path, digest.Hex(), md.GetDigest())
	}
	if !ecdsa.VerifyASN1(pub, digest.SHA256[:], msg.GetSignature()) {
		return nil, verificationErrorf("bundle signature does not match %s and the public key", path)
	}
	return &VerifyResult{
		File: path, SHA256: digest.Hex(), Size: digest.Size,
		Format: FormatSigstoreBundle, KeyHint: hint, Warnings: b.Warnings,
	}, nil
}

func verifyLegacyBundle(ctx context.Context, path string, pub *ecdsa.PublicKey, data []byte) (*VerifyResult, error) {
	lb, sig, err := parseLegacyBundle(data)
	if err != nil {
		return nil, err
	}
	digest, err := DigestFile(ctx, path)
	if err != nil {
		return nil, err
	}
	if !ecdsa.VerifyASN1(pub, digest.SHA256[:], sig) {
		return nil, verificationErrorf("cosign bundle signature does not match %s and the public key", path)
	}
	res := &VerifyResult{File: path, SHA256: digest.Hex(), Size: digest.Size, Format: FormatCosignBundle}
	if len(lb.RekorBundle) > 0 {
		res.Warnings = append(res.Warnings, "transparency-log entry not verified (offline verification with a key)")
	}
	return res, nil
}
