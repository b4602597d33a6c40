package signing

import (
	"encoding/pem"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
)

func encryptForTest(t *testing.T, der []byte, pass string) []byte {
	t.Helper()
	enc, err := encrypted.Encrypt(der, []byte(pass))
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: SigstorePrivateKeyPEMType, Bytes: enc})
}
