package sandbox

import (
	"os"
	"testing"
)

func TestParseSmaps(t *testing.T) {
	in := `00400000-00402000 r--p 00000000 fe:00 123 /usr/bin/gocli
Rss:                   8 kB
Anonymous:             0 kB
064e9000-064ea000 r--p 060e9000 fe:00 123 /usr/bin/gocli
Anonymous:             4 kB
064ea000-069f5000 rw-p 060ea000 fe:00 123 /usr/bin/gocli
Anonymous:          1564 kB
7f0000000000-7f0000001000 r--p 00000000 fe:00 456 /tmp/a file with spaces
Anonymous:             0 kB
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0
Anonymous:           132 kB
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
`
	got := parseSmaps([]byte(in))
	want := []mapping{
		{start: 0x400000, end: 0x402000, path: "/usr/bin/gocli", anonKB: 0},
		{start: 0x64e9000, end: 0x64ea000, path: "/usr/bin/gocli", anonKB: 4},
		{start: 0x64ea000, end: 0x69f5000, writable: true, path: "/usr/bin/gocli", anonKB: 1564},
		{start: 0x7f0000000000, end: 0x7f0000001000, path: "/tmp/a file with spaces", anonKB: 0},
		{start: 0x7ffd00000000, end: 0x7ffd00021000, writable: true, anonKB: 132},
		{start: 0xffffffffff600000, end: 0xffffffffff601000, path: "[vsyscall]", anonKB: -1},
	}
	if len(got) != len(want) {
		t.Fatalf("parsed %d mappings, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("mapping %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

var survivor = []string{"set at start"}

// TestReleaseExecutablePages runs the release in this test process: its
// resident pages of the executable drop, and it goes on running with its
// written data intact (writable and copy-on-write mappings are kept).
func TestReleaseExecutablePages(t *testing.T) {
	survivor = append(survivor[:1], "written before the release")
	before := fileRSS(t)
	released, err := releaseExecutablePages()
	if err != nil {
		t.Fatal(err)
	}
	after := fileRSS(t)
	if released == 0 || after >= before {
		t.Fatalf("released %d bytes of mappings; file-backed RSS %d kB before, %d kB after", released, before, after)
	}
	if len(survivor) != 2 || survivor[1] != "written before the release" {
		t.Fatalf("data written before the release changed: %q", survivor)
	}
	t.Logf("released %d MB of mappings; RssFile %d kB -> %d kB", released>>20, before, after)
}

// fileRSS is the process's resident memory that is not anonymous, in kB.
func fileRSS(t *testing.T) int64 {
	t.Helper()
	m, err := processMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	return (m.RSS - m.Anon) >> 10
}
