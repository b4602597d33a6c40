package signing

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"google.golang.org/protobuf/encoding/protojson"
)

// BundleMediaType is the media type of the sigstore bundles gocli writes,
// the version `cosign sign-blob --new-bundle-format` writes.
const BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// NewMessageBundle returns a sigstore bundle for a signature over a file's
// SHA-256 digest, with the signing key's hint as verification material and
// no transparency-log entry: the offline form of
// `cosign sign-blob --new-bundle-format --tlog-upload=false`.
func NewMessageBundle(pub *ecdsa.PublicKey, digest Digest, sig []byte) ([]byte, error) {
	b, err := newBundle(pub)
	if err != nil {
		return nil, err
	}
	b.Content = &protobundle.Bundle_MessageSignature{
		MessageSignature: &protocommon.MessageSignature{
			MessageDigest: &protocommon.HashOutput{
				Algorithm: protocommon.HashAlgorithm_SHA2_256,
				Digest:    bytes.Clone(digest.SHA256[:]),
			},
			Signature: sig,
		},
	}
	return marshalBundle(b)
}

// NewDSSEBundle returns a sigstore bundle holding a DSSE envelope with one
// signature, as `cosign attest-blob --new-bundle-format` writes it.
func NewDSSEBundle(pub *ecdsa.PublicKey, payloadType string, payload, sig []byte) ([]byte, error) {
	b, err := newBundle(pub)
	if err != nil {
		return nil, err
	}
	b.Content = &protobundle.Bundle_DsseEnvelope{
		DsseEnvelope: &protodsse.Envelope{
			Payload:     payload,
			PayloadType: payloadType,
			Signatures:  []*protodsse.Signature{{Sig: sig}},
		},
	}
	return marshalBundle(b)
}

func newBundle(pub *ecdsa.PublicKey) (*protobundle.Bundle, error) {
	hint, err := KeyHint(pub)
	if err != nil {
		return nil, err
	}
	return &protobundle.Bundle{
		MediaType: BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_PublicKey{
				PublicKey: &protocommon.PublicKeyIdentifier{Hint: hint},
			},
		},
	}, nil
}

func marshalBundle(b *protobundle.Bundle) ([]byte, error) {
	out, err := protojson.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("encode bundle: %w", err)
	}
	return out, nil
}

// Bundle is a parsed and validated sigstore bundle.
type Bundle struct {
	*sgbundle.Bundle
	// Warnings lists parts of the bundle that were not checked offline,
	// such as transparency-log entries.
	Warnings []string
}

// ParseBundle decodes a sigstore bundle and validates its structure with
// sigstore-go. It also requires the JSON to be exactly what the decoded
// bundle encodes to (modulo whitespace, key order and default values), so
// that no byte of a bundle can change without the change being detected:
// protojson alone would accept, for example, non-canonical base64. Errors
// wrap ErrVerification.
func ParseBundle(data []byte) (*Bundle, error) {
	var b sgbundle.Bundle
	if err := b.UnmarshalJSON(data); err != nil {
		return nil, verificationErrorf("bundle is malformed: %v", err)
	}
	canonical, err := protojson.Marshal(b.Bundle)
	if err != nil {
		return nil, verificationErrorf("bundle is malformed: %v", err)
	}
	if err := sameJSON(data, canonical); err != nil {
		return nil, verificationErrorf("bundle is malformed: %v", err)
	}
	// Versions before 0.3 cannot be told apart from a v0.3 bundle without
	// a transparency-log entry, so accepting them would let the media type
	// change unnoticed; every cosign that writes key-only bundles writes 0.3.
	if v, _ := b.Version(); v != "v0.3" {
		return nil, verificationErrorf("bundle media type %q: gocli verifies sigstore bundles v0.3", b.GetMediaType())
	}
	out := &Bundle{Bundle: &b}
	vm := b.GetVerificationMaterial()
	if n := len(vm.GetTlogEntries()); n > 0 {
		out.Warnings = append(out.Warnings, fmt.Sprintf("%d transparency-log entr%s not verified (offline verification with a key)", n, plural(n, "y", "ies")))
	}
	if n := len(vm.GetTimestampVerificationData().GetRfc3161Timestamps()); n > 0 {
		out.Warnings = append(out.Warnings, fmt.Sprintf("%d RFC 3161 timestamp%s not verified (offline verification with a key)", n, plural(n, "", "s")))
	}
	return out, nil
}

// CheckKey checks that the bundle's verification material is a public-key
// hint naming pub. An empty hint is accepted: the signature check decides.
func (b *Bundle) CheckKey(pub *ecdsa.PublicKey) (string, error) {
	vm := b.GetVerificationMaterial()
	switch {
	case vm.GetPublicKey() != nil:
	case vm.GetCertificate() != nil, vm.GetX509CertificateChain() != nil:
		return "", verificationErrorf("bundle was signed keyless (it carries a certificate); gocli verifies bundles signed with a key")
	default:
		return "", verificationErrorf("bundle has no public-key verification material")
	}
	hint := vm.GetPublicKey().GetHint()
	if hint == "" {
		return "", nil
	}
	want, err := KeyHint(pub)
	if err != nil {
		return "", err
	}
	if hint != want {
		return "", verificationErrorf("bundle key hint %s does not match the public key (hint %s)", hint, want)
	}
	return hint, nil
}

// sameJSON reports whether two JSON documents have the same content once
// default values (which protojson omits) are dropped.
func sameJSON(raw, canonical []byte) error {
	a, err := decodeJSON(raw)
	if err != nil {
		return err
	}
	b, err := decodeJSON(canonical)
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(normalizeJSON(a), normalizeJSON(b)) {
		return errors.New("content is not in canonical form (an encoded field differs from the value it decodes to)")
	}
	return nil
}

func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// normalizeJSON drops the zero values protojson leaves out and turns
// numbers into their text, as protojson writes 64-bit integers as strings.
func normalizeJSON(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			if n := normalizeJSON(e); n != nil {
				out[k] = n
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		if len(t) == 0 {
			return nil
		}
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = normalizeJSON(e)
		}
		return out
	case json.Number:
		if t.String() == "0" {
			return nil
		}
		return t.String()
	case string:
		if t == "" || t == "0" {
			return nil
		}
		return t
	case bool:
		if !t {
			return nil
		}
		return t
	default:
		return v
	}
}

// legacyBundle is the bundle `cosign sign-blob --bundle` writes without
// --new-bundle-format.
type legacyBundle struct {
	Base64Signature string          `json:"base64Signature"`
	Cert            string          `json:"cert,omitempty"`
	RekorBundle     json.RawMessage `json:"rekorBundle,omitempty"`
}

// parseLegacyBundle decodes cosign's older bundle format, as strictly as
// ParseBundle does the sigstore one.
func parseLegacyBundle(data []byte) (*legacyBundle, []byte, error) {
	var lb legacyBundle
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&lb); err != nil {
		return nil, nil, verificationErrorf("cosign bundle is malformed: %v", err)
	}
	if dec.More() {
		return nil, nil, verificationErrorf("cosign bundle is malformed: data after the JSON object")
	}
	canonical, err := json.Marshal(lb)
	if err != nil {
		return nil, nil, verificationErrorf("cosign bundle is malformed: %v", err)
	}
	if err := sameJSON(data, canonical); err != nil {
		return nil, nil, verificationErrorf("cosign bundle is malformed: %v", err)
	}
	if lb.Cert != "" {
		return nil, nil, verificationErrorf("cosign bundle was signed keyless (it carries a certificate); gocli verifies bundles signed with a key")
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(lb.Base64Signature)
	if err != nil {
		return nil, nil, verificationErrorf("cosign bundle signature is not valid base64: %v", err)
	}
	return &lb, sig, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
