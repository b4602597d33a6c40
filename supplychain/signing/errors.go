package signing

import (
	"errors"
	"fmt"
)

// ErrVerification is wrapped by every error that means "the signature,
// bundle or file does not check out", as opposed to errors reading input.
var ErrVerification = errors.New("verification failed")

func verificationErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrVerification, fmt.Sprintf(format, args...))
}
