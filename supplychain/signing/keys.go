package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sigstore/cosign/v2/pkg/cosign"

	"github.com/gocli/gocli/internal/atomicfile"
)

// PEM block types of cosign's encrypted private keys. cosign writes the
// SIGSTORE type since v2 and still reads the older COSIGN one.
const (
	SigstorePrivateKeyPEMType = "ENCRYPTED SIGSTORE PRIVATE KEY"
	CosignPrivateKeyPEMType   = "ENCRYPTED COSIGN PRIVATE KEY"
	publicKeyPEMType          = "PUBLIC KEY"
)

var (
	// ErrWrongPassword reports that a private key could not be decrypted
	// with the password given.
	ErrWrongPassword = errors.New("wrong password for private key")
	// ErrKeyType reports a key that is not ECDSA P-256 or a PEM block of an
	// unexpected type.
	ErrKeyType = errors.New("unsupported key type")
)

// PasswordFunc returns the password that protects a private key. confirm is
// true when a new key is being created, so an interactive implementation can
// ask twice.
type PasswordFunc func(confirm bool) ([]byte, error)

// KeyPair is a PEM-encoded key pair in cosign's format.
type KeyPair struct {
	// PrivatePEM is the encrypted PKCS #8 private key
	// (ENCRYPTED SIGSTORE PRIVATE KEY).
	PrivatePEM []byte
	// PublicPEM is the PKIX public key (PUBLIC KEY).
	PublicPEM []byte
}

// GenerateKeyPair creates an ECDSA P-256 key pair with cosign's own key
// code (cosign generate-key-pair's format: PKCS #8 encrypted with scrypt
// and NaCl secretbox, in an ENCRYPTED SIGSTORE PRIVATE KEY block).
func GenerateKeyPair(pass PasswordFunc) (*KeyPair, error) {
	kb, err := cosign.GenerateKeyPair(cosign.PassFunc(pass))
	if err != nil {
		return nil, fmt.Errorf("generate key pair: %w", err)
	}
	return &KeyPair{PrivatePEM: kb.PrivateBytes, PublicPEM: kb.PublicBytes}, nil
}

// KeyFiles names the files a key pair was written to.
type KeyFiles struct {
	PrivateKey string `json:"privateKey"`
	PublicKey  string `json:"publicKey"`
}

// WriteKeyPair writes prefix.key (mode 0600) and prefix.pub (mode 0644).
// Without force it fails with an error wrapping atomicfile.ErrExists when
// either file exists, and leaves both untouched. Either both files are
// written or neither is.
func WriteKeyPair(kp *KeyPair, prefix string, force bool) (*KeyFiles, error) {
	files := &KeyFiles{PrivateKey: prefix + ".key", PublicKey: prefix + ".pub"}
	priv, err := atomicfile.Prepare(files.PrivateKey, 0o600, writeBytes(kp.PrivatePEM))
	if err != nil {
		return nil, err
	}
	pub, err := atomicfile.Prepare(files.PublicKey, 0o644, writeBytes(kp.PublicPEM))
	if err != nil {
		priv.Discard()
		return nil, err
	}
	if err := pub.Commit(force); err != nil {
		priv.Discard()
		return nil, err
	}
	if err := priv.Commit(force); err != nil {
		// Take back the public key this call just published, so a failed
		// keygen leaves no half pair behind.
		_ = removeFile(files.PublicKey)
		return nil, err
	}
	return files, nil
}

func writeBytes(b []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	}
}

// LoadPrivateKey decrypts a cosign private key with cosign's key code and
// returns its signer. pass is called only when the PEM block is a cosign
// encrypted key. Errors wrap ErrWrongPassword or ErrKeyType where they
// apply.
func LoadPrivateKey(pemBytes []byte, pass PasswordFunc) (crypto.Signer, error) {
	block, rest := pem.Decode(pemBytes)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block found", ErrKeyType)
	}
	if len(trimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%w: unexpected data after the PEM block", ErrKeyType)
	}
	switch block.Type {
	case SigstorePrivateKeyPEMType, CosignPrivateKeyPEMType:
	case publicKeyPEMType:
		return nil, fmt.Errorf("%w: this is a public key; signing needs the private key (cosign.key)", ErrKeyType)
	default:
		return nil, fmt.Errorf("%w: PEM block %q; expected %q as written by gocli keygen or cosign generate-key-pair", ErrKeyType, block.Type, SigstorePrivateKeyPEMType)
	}
	password, err := pass(false)
	if err != nil {
		return nil, err
	}
	sv, err := cosign.LoadPrivateKey(pemBytes, password, nil)
	if err != nil {
		if strings.Contains(err.Error(), "encrypted: decryption failed") {
			return nil, ErrWrongPassword
		}
		return nil, fmt.Errorf("load private key: %w", err)
	}
	signer, ok := sv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %T cannot sign digests", ErrKeyType, sv)
	}
	if ec, ok := signer.Public().(*ecdsa.PublicKey); !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: %s; gocli signs with ECDSA P-256 keys", ErrKeyType, describeKey(signer.Public()))
	}
	return signer, nil
}

// PublicKeyOf returns the ECDSA public key of a signer LoadPrivateKey
// accepted (or of an *ecdsa.PrivateKey).
func PublicKeyOf(key crypto.Signer) (*ecdsa.PublicKey, error) {
	pub, ok := key.Public().(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: %s; gocli signs with ECDSA P-256 keys", ErrKeyType, describeKey(key.Public()))
	}
	return pub, nil
}

// LoadPublicKey parses a PEM PKIX public key and checks that it is ECDSA
// P-256.
func LoadPublicKey(pemBytes []byte) (*ecdsa.PublicKey, error) {
	block, rest := pem.Decode(pemBytes)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block found", ErrKeyType)
	}
	if len(trimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%w: unexpected data after the PEM block", ErrKeyType)
	}
	if block.Type != publicKeyPEMType {
		if block.Type == SigstorePrivateKeyPEMType || block.Type == CosignPrivateKeyPEMType {
			return nil, fmt.Errorf("%w: this is a private key; verification needs the public key (cosign.pub)", ErrKeyType)
		}
		return nil, fmt.Errorf("%w: PEM block %q; expected %q", ErrKeyType, block.Type, publicKeyPEMType)
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: parse public key: %v", ErrKeyType, err)
	}
	ec, ok := key.(*ecdsa.PublicKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: %s; gocli verifies ECDSA P-256 keys", ErrKeyType, describeKey(key))
	}
	return ec, nil
}

// MarshalPublicKey encodes pub as a PEM PKIX public key.
func MarshalPublicKey(pub *ecdsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: publicKeyPEMType, Bytes: der}), nil
}

// KeyHint is the identifier cosign puts in a bundle's public-key
// verification material: the base64 SHA-256 of the PKIX-encoded key.
func KeyHint(pub *ecdsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("encode public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

func describeKey(key any) string {
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		return "ECDSA " + k.Curve.Params().Name
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case *rsa.PrivateKey, *rsa.PublicKey:
		return "RSA"
	case ed25519.PrivateKey, ed25519.PublicKey:
		return "Ed25519"
	default:
		return fmt.Sprintf("%T", key)
	}
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

func removeFile(path string) error { return os.Remove(path) }

// ErrExists reports that a key file exists and overwriting was not asked
// for.
var ErrExists = atomicfile.ErrExists
