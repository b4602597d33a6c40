package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gocli/gocli/internal/atomicfile"
)

func password(p string) PasswordFunc {
	return func(bool) ([]byte, error) { return []byte(p), nil }
}

type testKey struct {
	kp   *KeyPair
	priv crypto.Signer
	pub  *ecdsa.PublicKey
	err  error
}

// testKeys caches two key pairs: scrypt makes each one cost a second or
// more on a loaded machine.
var testKeys = sync.OnceValue(func() [2]testKey {
	var out [2]testKey
	for i := range out {
		k := &out[i]
		if k.kp, k.err = GenerateKeyPair(password("s3cret")); k.err != nil {
			continue
		}
		if k.priv, k.err = LoadPrivateKey(k.kp.PrivatePEM, password("s3cret")); k.err != nil {
			continue
		}
		k.pub, k.err = LoadPublicKey(k.kp.PublicPEM)
	}
	return out
})

// newKey returns the first (or, with other, the second) cached key pair.
func newKey(t *testing.T, other ...bool) (*KeyPair, crypto.Signer, *ecdsa.PublicKey) {
	t.Helper()
	k := testKeys()[0]
	if len(other) > 0 && other[0] {
		k = testKeys()[1]
	}
	if k.err != nil {
		t.Fatal(k.err)
	}
	if !k.pub.Equal(k.priv.Public()) {
		t.Fatal("public key does not belong to the private key")
	}
	return k.kp, k.priv, k.pub
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestKeyPairFormat(t *testing.T) {
	kp, _, _ := newKey(t)
	block, _ := pem.Decode(kp.PrivatePEM)
	if block == nil || block.Type != SigstorePrivateKeyPEMType {
		t.Fatalf("private key PEM type = %v, want %q", block, SigstorePrivateKeyPEMType)
	}
	// The payload is go-securesystemslib's JSON: scrypt KDF + secretbox.
	for _, want := range []string{`"kdf"`, `"scrypt"`, `"nacl/secretbox"`} {
		if !bytes.Contains(block.Bytes, []byte(want)) {
			t.Errorf("encrypted key lacks %s: %s", want, block.Bytes)
		}
	}
	if !bytes.HasPrefix(kp.PublicPEM, []byte("-----BEGIN PUBLIC KEY-----\n")) {
		t.Errorf("public key PEM = %q", kp.PublicPEM)
	}
}

func TestLoadPrivateKeyErrors(t *testing.T) {
	kp, _, _ := newKey(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaDER, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384Pub, _ := x509.MarshalPKIXPublicKey(&p384.PublicKey)

	tests := []struct {
		name    string
		pem     []byte
		pass    string
		wantErr error
		wantMsg string
	}{
		{"wrong password", kp.PrivatePEM, "nope", ErrWrongPassword, "wrong password"},
		{"public key given", kp.PublicPEM, "s3cret", ErrKeyType, "this is a public key"},
		{"plain PKCS8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: rsaDER}), "", ErrKeyType, `PEM block "PRIVATE KEY"`},
		{"not PEM", []byte("hello"), "", ErrKeyType, "no PEM block"},
		{"P-384 public key", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: p384Pub}), "", ErrKeyType, "this is a public key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadPrivateKey(tt.pem, password(tt.pass))
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err = %v, want %v containing %q", err, tt.wantErr, tt.wantMsg)
			}
		})
	}

	t.Run("encrypted RSA key", func(t *testing.T) {
		// A cosign-format key whose content is RSA: right container, wrong type.
		enc := encryptForTest(t, rsaDER, "pw")
		_, err := LoadPrivateKey(enc, password("pw"))
		if !errors.Is(err, ErrKeyType) || !strings.Contains(err.Error(), "RSA") {
			t.Fatalf("err = %v, want ErrKeyType naming RSA", err)
		}
	})
	t.Run("P-384 public key for verify", func(t *testing.T) {
		_, err := LoadPublicKey(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: p384Pub}))
		if !errors.Is(err, ErrKeyType) || !strings.Contains(err.Error(), "P-384") {
			t.Fatalf("err = %v, want ErrKeyType naming P-384", err)
		}
	})
	t.Run("private key for verify", func(t *testing.T) {
		_, err := LoadPublicKey(kp.PrivatePEM)
		if !errors.Is(err, ErrKeyType) || !strings.Contains(err.Error(), "this is a private key") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestWriteKeyPairNoOverwrite(t *testing.T) {
	kp, _, _ := newKey(t)
	dir := t.TempDir()
	prefix := filepath.Join(dir, "cosign")
	files, err := WriteKeyPair(kp, prefix, false)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(files.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("private key mode = %v, want 0600", st.Mode().Perm())
	}
	kp2, _, _ := newKey(t, true)
	if _, err := WriteKeyPair(kp2, prefix, false); !errors.Is(err, atomicfile.ErrExists) {
		t.Fatalf("second write err = %v, want ErrExists", err)
	}
	got, _ := os.ReadFile(files.PrivateKey)
	if !bytes.Equal(got, kp.PrivatePEM) {
		t.Fatal("private key was overwritten without force")
	}
	// Only the private key exists: the public key must not be left behind.
	if err := os.Remove(files.PublicKey); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteKeyPair(kp2, prefix, false); !errors.Is(err, atomicfile.ErrExists) {
		t.Fatalf("err = %v, want ErrExists", err)
	}
	if _, err := os.Stat(files.PublicKey); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("public key left behind after a failed write: %v", err)
	}
	if _, err := WriteKeyPair(kp2, prefix, true); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(files.PrivateKey)
	if !bytes.Equal(got, kp2.PrivatePEM) {
		t.Fatal("force did not overwrite")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("directory holds %d entries, want 2 (no temporary files)", len(entries))
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	_, priv, pub := newKey(t)
	dir := t.TempDir()
	payload := bytes.Repeat([]byte("gocli "), 300000) // spans several read buffers
	file := writeFile(t, dir, "app.bin", payload)
	ctx := context.Background()
	res, err := SignFile(ctx, file, priv, SignOptions{
		SignaturePath: file + ".sig",
		BundlePath:    file + ".sigstore.json",
	})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(payload)
	if res.SHA256 != string(hexOf(sum[:])) || res.Size != int64(len(payload)) {
		t.Fatalf("result = %+v", res)
	}

	// Independent check with crypto/ecdsa on the raw signature file.
	sigText, _ := os.ReadFile(file + ".sig")
	if bytes.HasSuffix(sigText, []byte("\n")) {
		t.Error("signature file ends with a newline; cosign writes none")
	}
	der, err := base64.StdEncoding.DecodeString(string(sigText))
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(pub, sum[:], der) {
		t.Fatal("independent ECDSA check rejects the signature")
	}

	if _, err := VerifySignature(ctx, file, pub, sigText); err != nil {
		t.Fatalf("verify signature: %v", err)
	}
	// Raw DER and a trailing newline are accepted too.
	if _, err := VerifySignature(ctx, file, pub, der); err != nil {
		t.Fatalf("verify DER signature: %v", err)
	}
	if _, err := VerifySignature(ctx, file, pub, append(sigText, '\n')); err != nil {
		t.Fatalf("verify signature with newline: %v", err)
	}
	bundleJSON, _ := os.ReadFile(file + ".sigstore.json")
	vr, err := VerifyBundle(ctx, file, pub, bundleJSON)
	if err != nil {
		t.Fatalf("verify bundle: %v", err)
	}
	if vr.Format != FormatSigstoreBundle || vr.KeyHint == "" {
		t.Fatalf("result = %+v", vr)
	}

	// Another key must not verify.
	_, _, other := newKey(t, true)
	if _, err := VerifySignature(ctx, file, other, sigText); !errors.Is(err, ErrVerification) {
		t.Fatalf("other key: err = %v", err)
	}
	if _, err := VerifyBundle(ctx, file, other, bundleJSON); !errors.Is(err, ErrVerification) || !strings.Contains(err.Error(), "key hint") {
		t.Fatalf("other key bundle: err = %v", err)
	}
}

func TestTamper(t *testing.T) {
	_, priv, pub := newKey(t)
	dir := t.TempDir()
	payload := []byte("release artefact v1.2.3\n")
	file := writeFile(t, dir, "app.bin", payload)
	ctx := context.Background()
	if _, err := SignFile(ctx, file, priv, SignOptions{SignaturePath: file + ".sig", BundlePath: file + ".json"}); err != nil {
		t.Fatal(err)
	}
	sig, _ := os.ReadFile(file + ".sig")
	bundleJSON, _ := os.ReadFile(file + ".json")

	// Every single-byte change of the payload, the signature and the bundle
	// is rejected.
	for i := range payload {
		tampered := flip(payload, i)
		writeFile(t, dir, "app.bin", tampered)
		if _, err := VerifySignature(ctx, file, pub, sig); !errors.Is(err, ErrVerification) {
			t.Fatalf("payload byte %d: err = %v", i, err)
		}
		if _, err := VerifyBundle(ctx, file, pub, bundleJSON); !errors.Is(err, ErrVerification) {
			t.Fatalf("payload byte %d (bundle): err = %v", i, err)
		}
	}
	writeFile(t, dir, "app.bin", payload)
	for i := range sig {
		for _, mask := range []byte{0x01, 0x02, 0x20} {
			if _, err := VerifySignature(ctx, file, pub, flipWith(sig, i, mask)); !errors.Is(err, ErrVerification) {
				t.Fatalf("signature byte %d ^%#x: err = %v", i, mask, err)
			}
		}
	}
	for i := range bundleJSON {
		for _, mask := range []byte{0x01, 0x02, 0x20} {
			if _, err := VerifyBundle(ctx, file, pub, flipWith(bundleJSON, i, mask)); !errors.Is(err, ErrVerification) {
				t.Fatalf("bundle byte %d (%q ^%#x): err = %v\n%s", i, bundleJSON[i], mask, err, flipWith(bundleJSON, i, mask))
			}
		}
	}
}

func TestVerifyBundleMalformed(t *testing.T) {
	_, _, pub := newKey(t)
	file := writeFile(t, t.TempDir(), "f", []byte("x"))
	for name, data := range map[string]string{
		"empty":          ``,
		"not json":       `hello`,
		"array":          `[]`,
		"no media type":  `{"verificationMaterial":{}}`,
		"bad media type": `{"mediaType":"application/json"}`,
		"no content":     `{"mediaType":"` + BundleMediaType + `","verificationMaterial":{"publicKey":{"hint":"x"}}}`,
		"legacy bad b64": `{"base64Signature":"!!"}`,
		"legacy extra":   `{"base64Signature":"","extra":1}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := VerifyBundle(context.Background(), file, pub, []byte(data))
			if !errors.Is(err, ErrVerification) {
				t.Fatalf("err = %v, want ErrVerification", err)
			}
		})
	}
}

func flip(b []byte, i int) []byte { return flipWith(b, i, 0x01) }

func flipWith(b []byte, i int, mask byte) []byte {
	out := bytes.Clone(b)
	out[i] ^= mask
	return out
}

func hexOf(b []byte) []byte {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return out
}
