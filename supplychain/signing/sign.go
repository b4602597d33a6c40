package signing

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/gocli/gocli/internal/atomicfile"
)

// SignOptions says where SignFile writes its outputs; at least one path is
// required.
type SignOptions struct {
	// SignaturePath receives the base64 signature, as cosign sign-blob
	// --output-signature writes it (no trailing newline).
	SignaturePath string
	// BundlePath receives a sigstore bundle v0.3.
	BundlePath string
}

// SignResult describes a signed file.
type SignResult struct {
	File          string `json:"file"`
	SHA256        string `json:"sha256"`
	Size          int64  `json:"size"`
	Signature     string `json:"signature"`
	SignaturePath string `json:"signaturePath,omitempty"`
	BundlePath    string `json:"bundlePath,omitempty"`
}

// SignFile streams the file at path through SHA-256 and signs the digest
// with key (ECDSA, ASN.1 DER signature), which is what cosign sign-blob does
// for an ECDSA P-256 key. Outputs are written atomically: on error nothing
// new is left on disk.
func SignFile(ctx context.Context, path string, key crypto.Signer, opts SignOptions) (*SignResult, error) {
	if opts.SignaturePath == "" && opts.BundlePath == "" {
		return nil, errors.New("no output: set a signature path, a bundle path or both")
	}
	pub, err := PublicKeyOf(key)
	if err != nil {
		return nil, err
	}
	digest, err := DigestFile(ctx, path)
	if err != nil {
		return nil, err
	}
	sig, err := key.Sign(rand.Reader, digest.SHA256[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", path, err)
	}
	res := &SignResult{
		File:          path,
		SHA256:        digest.Hex(),
		Size:          digest.Size,
		Signature:     base64.StdEncoding.EncodeToString(sig),
		SignaturePath: opts.SignaturePath,
		BundlePath:    opts.BundlePath,
	}

	var pending []*atomicfile.Pending
	discard := func() {
		for _, p := range pending {
			p.Discard()
		}
	}
	if opts.SignaturePath != "" {
		p, err := atomicfile.Prepare(opts.SignaturePath, 0o644, writeBytes([]byte(res.Signature)))
		if err != nil {
			return nil, err
		}
		pending = append(pending, p)
	}
	if opts.BundlePath != "" {
		b, err := NewMessageBundle(pub, digest, sig)
		if err != nil {
			discard()
			return nil, err
		}
		p, err := atomicfile.Prepare(opts.BundlePath, 0o644, writeBytes(b))
		if err != nil {
			discard()
			return nil, err
		}
		pending = append(pending, p)
	}
	for i, p := range pending {
		if err := p.Commit(true); err != nil {
			for _, rest := range pending[i+1:] {
				rest.Discard()
			}
			return nil, err
		}
	}
	return res, nil
}
