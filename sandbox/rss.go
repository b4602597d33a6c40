package sandbox

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
)

// Memory is a process's resident memory in bytes.
type Memory struct {
	// RSS is the resident set size (VmRSS, what ps and top show). It
	// counts the pages of the gocli executable the process has touched,
	// which the page cache shares between every process running it.
	RSS int64
	// Anon is the anonymous part of RSS (RssAnon): the process's own heap
	// and stacks, the memory a node really adds.
	Anon int64
}

// processMemory reads the resident memory of process pid from
// /proc/PID/status. Where /proc does not exist (not Linux) it returns an
// error and status reports leave the fields out.
func processMemory(pid int) (Memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, err
	}
	return parseMemory(b)
}

// parseMemory reads the "VmRSS:" and "RssAnon:" lines (in kB) of a /proc
// status file. RssAnon is missing before Linux 4.5: Anon is then 0.
func parseMemory(status []byte) (Memory, error) {
	var m Memory
	found := false
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		name, rest, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok || (string(name) != "VmRSS" && string(name) != "RssAnon") {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return Memory{}, fmt.Errorf("%s line %q: want a number of kB", name, sc.Text())
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return Memory{}, fmt.Errorf("%s line %q: %w", name, sc.Text(), err)
		}
		if string(name) == "VmRSS" {
			m.RSS, found = kb<<10, true
		} else {
			m.Anon = kb << 10
		}
	}
	if !found {
		return Memory{}, errors.New("no VmRSS line (a zombie or kernel thread)")
	}
	return m, nil
}
