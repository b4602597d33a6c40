package attest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/gocli/gocli/internal/atomicfile"
	"github.com/gocli/gocli/supplychain/signing"
)

// Statement types and the DSSE payload type of in-toto statements.
const (
	StatementTypeV1       = "https://in-toto.io/Statement/v1"
	statementTypeV01      = "https://in-toto.io/Statement/v0.1"
	InTotoPayloadType     = "application/vnd.in-toto+json"
	maxSubjects           = 1024
	maxPredicateTypeBytes = 2048
)

// Statement is an in-toto statement (v1; v0.1 is read too).
type Statement struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate,omitempty"`
}

// Subject names an artefact and its digests (algorithm → lower-case hex).
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// Options configures Attest.
type Options struct {
	// File is the subject: its SHA-256 goes into the statement.
	File string
	// SubjectName is the subject's name; the file's base name when empty
	// (what cosign attest-blob uses).
	SubjectName string
	// Predicate is the predicate document (JSON).
	Predicate []byte
	// PredicateType is a short name (see ResolvePredicateType) or a URI.
	PredicateType string
	// Key signs the envelope.
	Key crypto.Signer
	// BundlePath receives the sigstore bundle, written atomically.
	BundlePath string
}

// Result describes a written attestation.
type Result struct {
	File          string `json:"file"`
	SHA256        string `json:"sha256"`
	PredicateType string `json:"predicateType"`
	BundlePath    string `json:"bundlePath"`
}

// Attest builds the statement for opts.File, signs it as a DSSE envelope
// and writes the bundle. The file is streamed, the predicate is held in
// memory.
func Attest(ctx context.Context, opts Options) (*Result, error) {
	if opts.Key == nil {
		return nil, errors.New("no signing key")
	}
	pub, err := signing.PublicKeyOf(opts.Key)
	if err != nil {
		return nil, err
	}
	if opts.BundlePath == "" {
		return nil, errors.New("no bundle path")
	}
	predType, err := ResolvePredicateType(opts.PredicateType)
	if err != nil {
		return nil, err
	}
	var pred bytes.Buffer
	if err := json.Compact(&pred, opts.Predicate); err != nil {
		return nil, fmt.Errorf("predicate is not valid JSON: %w", err)
	}
	if pred.Len() == 0 || pred.Bytes()[0] != '{' {
		return nil, errors.New("predicate must be a JSON object")
	}
	digest, err := signing.DigestFile(ctx, opts.File)
	if err != nil {
		return nil, err
	}
	name := opts.SubjectName
	if name == "" {
		name = filepath.Base(opts.File)
	}
	payload, err := json.Marshal(Statement{
		Type:          StatementTypeV1,
		Subject:       []Subject{{Name: name, Digest: map[string]string{"sha256": digest.Hex()}}},
		PredicateType: predType,
		Predicate:     pred.Bytes(),
	})
	if err != nil {
		return nil, fmt.Errorf("encode statement: %w", err)
	}
	pae := sha256.Sum256(dsse.PAE(InTotoPayloadType, payload))
	sig, err := opts.Key.Sign(rand.Reader, pae[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("sign statement: %w", err)
	}
	bundle, err := signing.NewDSSEBundle(pub, InTotoPayloadType, payload, sig)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteBytes(opts.BundlePath, 0o644, bundle); err != nil {
		return nil, err
	}
	return &Result{File: opts.File, SHA256: digest.Hex(), PredicateType: predType, BundlePath: opts.BundlePath}, nil
}
