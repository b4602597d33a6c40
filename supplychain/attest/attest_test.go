package attest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocli/gocli/supplychain/signing"
)

func setup(t *testing.T) (file, bundle string, key *ecdsa.PrivateKey, content []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	content = []byte("binary contents\n")
	file = filepath.Join(dir, "app")
	if err := os.WriteFile(file, content, 0o644); err != nil {
		t.Fatal(err)
	}
	bundle = filepath.Join(dir, "app.att.json")
	res, err := Attest(context.Background(), Options{
		File: file, Predicate: []byte(`{"spdxVersion": "SPDX-2.3", "name": "app"}`),
		PredicateType: "spdxjson", Key: key, BundlePath: bundle,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.PredicateType != "https://spdx.dev/Document" {
		t.Fatalf("predicate type = %q", res.PredicateType)
	}
	return file, bundle, key, content
}

func TestAttestVerify(t *testing.T) {
	file, bundle, key, content := setup(t)
	data, _ := os.ReadFile(bundle)
	res, err := Verify(context.Background(), VerifyOptions{File: file, Key: &key.PublicKey, Bundle: data, PredicateType: "spdxjson"})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	if res.SHA256 != hex.EncodeToString(sum[:]) || res.StatementType != StatementTypeV1 ||
		len(res.Subjects) != 1 || res.Subjects[0].Name != "app" {
		t.Fatalf("result = %+v", res)
	}
	var pred map[string]string
	if err := json.Unmarshal(res.Predicate, &pred); err != nil || pred["spdxVersion"] != "SPDX-2.3" {
		t.Fatalf("predicate = %s (%v)", res.Predicate, err)
	}

	// Independent check of the DSSE signature: PAE by hand, crypto/ecdsa.
	var raw struct {
		DsseEnvelope struct {
			Payload     []byte `json:"payload"`
			PayloadType string `json:"payloadType"`
			Signatures  []struct {
				Sig []byte `json:"sig"`
			} `json:"signatures"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	env := raw.DsseEnvelope
	pae := "DSSEv1 " + itoa(len(env.PayloadType)) + " " + env.PayloadType + " " + itoa(len(env.Payload)) + " " + string(env.Payload)
	h := sha256.Sum256([]byte(pae))
	if len(env.Signatures) != 1 || !ecdsa.VerifyASN1(&key.PublicKey, h[:], env.Signatures[0].Sig) {
		t.Fatal("independent DSSE check rejects the envelope")
	}
}

func itoa(n int) string { return jsonNumber(n) }

func jsonNumber(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestVerifyFailures(t *testing.T) {
	file, bundle, key, content := setup(t)
	data, _ := os.ReadFile(bundle)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ctx := context.Background()
	tests := []struct {
		name string
		opts VerifyOptions
		want string
	}{
		{"wrong type", VerifyOptions{File: file, Key: &key.PublicKey, Bundle: data, PredicateType: "cyclonedx"}, "predicate type"},
		{"wrong key", VerifyOptions{File: file, Key: &other.PublicKey, Bundle: data}, "key hint"},
		{"wrong file", VerifyOptions{File: bundle, Key: &key.PublicKey, Bundle: data}, "no subject"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Verify(ctx, tt.opts)
			if !errors.Is(err, signing.ErrVerification) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrVerification with %q", err, tt.want)
			}
		})
	}

	// Every single-byte change of the bundle or the file is rejected.
	for i := range data {
		for _, mask := range []byte{0x01, 0x20} {
			tampered := bytes.Clone(data)
			tampered[i] ^= mask
			if _, err := Verify(ctx, VerifyOptions{File: file, Key: &key.PublicKey, Bundle: tampered}); !errors.Is(err, signing.ErrVerification) {
				t.Fatalf("bundle byte %d ^%#x: err = %v", i, mask, err)
			}
		}
	}
	for i := range content {
		tampered := bytes.Clone(content)
		tampered[i] ^= 0x01
		if err := os.WriteFile(file, tampered, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(ctx, VerifyOptions{File: file, Key: &key.PublicKey, Bundle: data}); !errors.Is(err, signing.ErrVerification) {
			t.Fatalf("file byte %d: err = %v", i, err)
		}
	}
}

func TestResolvePredicateType(t *testing.T) {
	for in, want := range map[string]string{
		"spdxjson":                 "https://spdx.dev/Document",
		"cyclonedx":                "https://cyclonedx.org/bom",
		"slsaprovenance":           "https://slsa.dev/provenance/v0.2",
		"https://example.com/p/v1": "https://example.com/p/v1",
	} {
		if got, err := ResolvePredicateType(in); err != nil || got != want {
			t.Errorf("ResolvePredicateType(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "nope", "example.com/x"} {
		if _, err := ResolvePredicateType(bad); err == nil {
			t.Errorf("ResolvePredicateType(%q) succeeded", bad)
		}
	}
}
