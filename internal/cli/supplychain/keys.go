package supplychain

import (
	"crypto"
	"crypto/ecdsa"
	"fmt"
	"os"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/supplychain/signing"
)

// loadPrivateKey reads and decrypts a cosign private key file.
func loadPrivateKey(what, path string, pw Passwords, ios *iostreams.IOStreams) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, command.InputErrorf("%s: read key: %w", what, err)
	}
	key, err := signing.LoadPrivateKey(data, pw.source(ios))
	if err != nil {
		return nil, classify(fmt.Sprintf("%s: key %s", what, path), err)
	}
	return key, nil
}

// loadPublicKey reads a PEM public key file.
func loadPublicKey(what, path string) (*ecdsa.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, command.InputErrorf("%s: read key: %w", what, err)
	}
	key, err := signing.LoadPublicKey(data)
	if err != nil {
		return nil, classify(fmt.Sprintf("%s: key %s", what, path), err)
	}
	return key, nil
}

// readInput reads a small input file (signature, bundle, predicate); a
// failure is an input error (exit 2).
func readInput(what, kind, path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, command.InputErrorf("%s: read %s: %w", what, kind, err)
	}
	return data, nil
}

// checkReadable fails early with an input error when the artefact cannot
// be opened, so that errors reading it are never reported as failed checks.
func checkReadable(what, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return command.InputErrorf("%s: %w", what, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return command.InputErrorf("%s: %w", what, err)
	}
	if st.IsDir() {
		return command.InputErrorf("%s: %s is a directory", what, path)
	}
	return nil
}
