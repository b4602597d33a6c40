package sandbox

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// releaseExecutablePages drops this process's mappings of its own
// executable's read-only pages (MADV_DONTNEED) and returns how many bytes
// of mappings it released. The pages it uses afterwards fault back in from
// the page cache; the rest stay cached for other processes but leave this
// one's resident set.
//
// A node process is the whole gocli executable, and initialising its
// packages (about 900, for every command gocli has) touches pages all over
// its 150 MB: with the kernel mapping 64 KB around each fault, an idle
// node held about 100 MB of it. Only mappings that are read-only and
// hold no private (copy-on-write) pages are released: dropping a private
// page, such as relocations the dynamic loader wrote before protecting
// them, would revert it to the file's contents.
func releaseExecutablePages() (int64, error) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0, err
	}
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return 0, err
	}
	var released int64
	for _, m := range parseSmaps(smaps) {
		if m.path != exe || m.writable || m.anonKB != 0 {
			continue
		}
		if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, uintptr(m.start), uintptr(m.end-m.start), syscall.MADV_DONTNEED); e != 0 {
			return released, fmt.Errorf("madvise %x-%x of %s: %w", m.start, m.end, exe, e)
		}
		released += int64(m.end - m.start)
	}
	return released, nil
}

// mapping is one entry of /proc/PID/smaps.
type mapping struct {
	start, end uint64
	writable   bool
	path       string
	anonKB     int64 // private anonymous pages in the mapping ("Anonymous:")
}

// parseSmaps reads the mappings of a /proc/PID/smaps file. A header line is
// "start-end perms offset dev inode [path]"; the field lines that follow
// it ("Rss:", "Anonymous:", ...) end with a colon in their first word.
func parseSmaps(b []byte) []mapping {
	var ms []mapping
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if strings.HasSuffix(f[0], ":") {
			if f[0] == "Anonymous:" && len(ms) > 0 && len(f) >= 2 {
				if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
					ms[len(ms)-1].anonKB = kb
				} else {
					ms[len(ms)-1].anonKB = -1 // unknown: not releasable
				}
			}
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		if !ok || len(f) < 5 {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		m := mapping{start: start, end: end, writable: strings.Contains(f[1], "w"), anonKB: -1}
		if len(f) >= 6 {
			m.path = strings.Join(f[5:], " ")
		}
		ms = append(ms, m)
	}
	return ms
}
