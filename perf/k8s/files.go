package k8s

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gocli/gocli/perf/js"
	"github.com/gocli/gocli/perf/metrics"
)

// ScriptFiles loads a script's init context once to find the local modules
// and files it uses, and returns them keyed by their path relative to the
// script's directory. Files outside that directory are an error, since the
// pods only get the ConfigMap.
func ScriptFiles(script string, env map[string]string) (map[string][]byte, string, error) {
	prg, err := js.CompileFile(script)
	if err != nil {
		return nil, "", err
	}
	reg := metrics.NewRegistry()
	vu, err := js.NewVU(prg, &js.Env{Registry: reg, Store: metrics.NewStore(reg, time.Now()), Vars: env}, 0)
	if err != nil {
		return nil, "", err
	}
	vu.Close()
	abs, err := filepath.Abs(script)
	if err != nil {
		return nil, "", err
	}
	dir := filepath.Dir(abs)
	files := map[string][]byte{}
	for _, p := range append([]string{abs}, prg.Files()...) {
		rel, err := filepath.Rel(dir, p)
		if err != nil || strings.HasPrefix(rel, "..") {
			return nil, "", fmt.Errorf("%s is outside the script's directory %s: move it next to the script", p, dir)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, "", err
		}
		files[filepath.ToSlash(rel)] = b
	}
	return files, filepath.Base(abs), nil
}
