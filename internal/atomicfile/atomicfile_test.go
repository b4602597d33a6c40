package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestWriteReplaces(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "out.json")
	if err := WriteBytes(dest, 0o600, []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(dest, 0o644, []byte("new")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(dest)
	if err != nil || string(b) != "new" {
		t.Fatalf("content = %q, %v", b, err)
	}
	if st, _ := os.Stat(dest); st.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, want 0644", st.Mode().Perm())
	}
}

func TestFailedWriteLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "out")
	if err := WriteBytes(dest, 0o644, []byte("keep")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(dest, 0o644, func(w io.Writer) error {
		_, _ = w.Write([]byte("half"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if b, _ := os.ReadFile(dest); string(b) != "keep" {
		t.Errorf("destination changed to %q by a failed write", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only the destination (temporary file left behind?)", len(ents))
	}
}

func TestCommitWithoutOverwrite(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "key")
	for i, want := range []error{nil, ErrExists} {
		p, err := Prepare(dest, 0o600, func(w io.Writer) error { _, err := w.Write([]byte{byte(i)}); return err })
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Commit(false); !errors.Is(err, want) {
			t.Fatalf("commit %d: err = %v, want %v", i, err, want)
		}
	}
	if b, _ := os.ReadFile(dest); len(b) != 1 || b[0] != 0 {
		t.Errorf("content = %v, want the first write kept", b)
	}
}

// A device or pipe is written in place: renaming over it would replace
// the node itself (for /dev/null, for everyone).
func TestSpecialFileWrittenInPlace(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- b
	}()
	if err := WriteBytes(fifo, 0o644, []byte("through the pipe")); err != nil {
		t.Fatal(err)
	}
	if b := <-got; string(b) != "through the pipe" {
		t.Errorf("reader got %q", b)
	}
	st, err := os.Lstat(fifo)
	if err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("after the write %s is %v (%v), want it still a named pipe", fifo, st.Mode(), err)
	}
}
