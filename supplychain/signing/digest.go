package signing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// readBufferSize is the chunk size used to stream files through SHA-256:
// large enough to keep syscalls rare, small enough that memory stays flat.
const readBufferSize = 1 << 20

// Digest is the SHA-256 and size of a stream.
type Digest struct {
	SHA256 [sha256.Size]byte
	Size   int64
}

// Hex returns the digest as lower-case hex, the form in-toto subjects use.
func (d Digest) Hex() string { return hex.EncodeToString(d.SHA256[:]) }

// DigestFile streams the file at path through SHA-256.
func DigestFile(ctx context.Context, path string) (Digest, error) {
	f, err := os.Open(path)
	if err != nil {
		return Digest{}, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	d, err := DigestReader(ctx, f)
	if err != nil {
		return Digest{}, fmt.Errorf("read %s: %w", path, err)
	}
	return d, nil
}

// DigestReader streams r through SHA-256, stopping early when ctx ends.
func DigestReader(ctx context.Context, r io.Reader) (Digest, error) {
	h := sha256.New()
	n, err := io.CopyBuffer(h, &ctxReader{ctx: ctx, r: r}, make([]byte, readBufferSize))
	if err != nil {
		return Digest{}, err
	}
	var d Digest
	h.Sum(d.SHA256[:0])
	d.Size = n
	return d, nil
}

// ctxReader makes a long copy cancellable between reads.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
