package attest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/gocli/gocli/supplychain/signing"
)

// VerifyOptions configures Verify.
type VerifyOptions struct {
	// File is the artefact the attestation must be about.
	File string
	// Key is the public key that must have signed the envelope.
	Key *ecdsa.PublicKey
	// Bundle is the sigstore bundle JSON.
	Bundle []byte
	// PredicateType, when set, is the short name or URI the statement's
	// predicate type must equal.
	PredicateType string
}

// VerifyResult describes an attestation that checked out.
type VerifyResult struct {
	File          string    `json:"file"`
	SHA256        string    `json:"sha256"`
	PredicateType string    `json:"predicateType"`
	StatementType string    `json:"statementType"`
	Subjects      []Subject `json:"subjects"`
	KeyHint       string    `json:"keyHint,omitempty"`
	Warnings      []string  `json:"warnings,omitempty"`
	// Predicate is the attested predicate document.
	Predicate json.RawMessage `json:"predicate"`
}

// Verify checks, in order: the bundle's form and key hint, the DSSE
// signature, the statement, that one subject has the file's SHA-256, and
// the predicate type. Failures wrap signing.ErrVerification and say which
// check failed.
func Verify(ctx context.Context, opts VerifyOptions) (*VerifyResult, error) {
	var wantType string
	if opts.PredicateType != "" {
		t, err := ResolvePredicateType(opts.PredicateType)
		if err != nil {
			return nil, err
		}
		wantType = t
	}
	b, err := signing.ParseBundle(opts.Bundle)
	if err != nil {
		return nil, err
	}
	hint, err := b.CheckKey(opts.Key)
	if err != nil {
		return nil, err
	}
	env := b.GetDsseEnvelope()
	if env == nil {
		return nil, failf("bundle holds a message signature, not an attestation; check it with gocli verify")
	}
	if env.GetPayloadType() != InTotoPayloadType {
		return nil, failf("envelope payload type is %q, want %q", env.GetPayloadType(), InTotoPayloadType)
	}
	if n := len(env.GetSignatures()); n != 1 {
		return nil, failf("envelope has %d signatures, want exactly 1", n)
	}
	if env.GetSignatures()[0].GetKeyid() != "" {
		return nil, failf("envelope signature has key ID %q; gocli and cosign write none", env.GetSignatures()[0].GetKeyid())
	}
	pae := sha256.Sum256(dsse.PAE(env.GetPayloadType(), env.GetPayload()))
	if !ecdsa.VerifyASN1(opts.Key, pae[:], env.GetSignatures()[0].GetSig()) {
		return nil, failf("envelope signature does not match the statement and the public key")
	}

	st, err := parseStatement(env.GetPayload())
	if err != nil {
		return nil, err
	}
	digest, err := signing.DigestFile(ctx, opts.File)
	if err != nil {
		return nil, err
	}
	if !hasSubject(st.Subject, digest.Hex()) {
		return nil, failf("no subject of the statement has the SHA-256 of %s (%s)", opts.File, digest.Hex())
	}
	if wantType != "" && st.PredicateType != wantType {
		return nil, failf("predicate type is %q, want %q", st.PredicateType, wantType)
	}
	return &VerifyResult{
		File: opts.File, SHA256: digest.Hex(),
		PredicateType: st.PredicateType, StatementType: st.Type,
		Subjects: st.Subject, KeyHint: hint, Warnings: b.Warnings,
		Predicate: st.Predicate,
	}, nil
}

func parseStatement(payload []byte) (*Statement, error) {
	var st Statement
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, failf("statement is not valid in-toto JSON: %v", err)
	}
	if st.Type != StatementTypeV1 && st.Type != statementTypeV01 {
		return nil, failf("statement type is %q, want %q", st.Type, StatementTypeV1)
	}
	if len(st.Subject) == 0 || len(st.Subject) > maxSubjects {
		return nil, failf("statement has %d subjects, want 1 to %d", len(st.Subject), maxSubjects)
	}
	if st.PredicateType == "" || len(st.PredicateType) > maxPredicateTypeBytes {
		return nil, failf("statement has no valid predicate type")
	}
	return &st, nil
}

func hasSubject(subjects []Subject, sha256Hex string) bool {
	for _, s := range subjects {
		if s.Digest["sha256"] == sha256Hex {
			return true
		}
	}
	return false
}

func failf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", signing.ErrVerification, fmt.Sprintf(format, args...))
}
