package scaffold

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/gocli/gocli"
)

// BenchmarkGenerate measures a full run (validate, render, copy the real
// engine, gofmt, write atomically) for each template. Goal: < 100 ms.
func BenchmarkGenerate(b *testing.B) {
	for _, tmpl := range TemplateNames() {
		b.Run(tmpl, func(b *testing.B) {
			parent := b.TempDir()
			var files int
			i := 0
			start := time.Now()
			for b.Loop() {
				g := &Generator{Spec: Spec{Service: "user", Template: tmpl}, Dir: filepath.Join(parent, fmt.Sprint(i)), Engine: gocli.Source, Version: "bench"}
				i++
				plan, err := g.Run(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				files = len(plan.Files)
			}
			b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/project")
			b.ReportMetric(float64(files), "files")
		})
	}
}

// BenchmarkRender is the in-memory part alone (what --dry-run costs).
func BenchmarkRender(b *testing.B) {
	g := &Generator{Engine: gocli.Source, Version: "bench"}
	spec := Spec{Service: "user", Template: TemplateIstio}
	spec.Defaults()
	for b.Loop() {
		if _, err := g.Render(spec); err != nil {
			b.Fatal(err)
		}
	}
}
