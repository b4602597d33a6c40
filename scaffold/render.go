package scaffold

import (
	"bytes"
	"fmt"
	"go/format"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"text/template"
)

// RenderedFile is a generated file held in memory.
type RenderedFile struct {
	// Path is slash-separated and relative to the project root.
	Path     string
	Content  []byte
	Mode     fs.FileMode
	IfExists IfExists
}

// templateData is what templates see.
type templateData struct {
	Spec
	// Package is the Go package name derived from the service name.
	Package string
	// Type is the exported Go type of the resource ("User").
	Type string
	// Resource is the resource's plural, lower-case URL segment ("users").
	Resource string
	// Fields are the resource's fields besides its ID.
	Fields []resourceField
	// Istio is true for the istio template.
	Istio bool
	// GocliVersion names the generator in headers and CI.
	GocliVersion string
	// GoVersion is the go directive of the generated go.mod.
	GoVersion string
	// EngineImport is the import path of the copied consensus engine.
	EngineImport string
}

type resourceField struct {
	// Name is the Go field name, JSON the JSON key.
	Name, JSON string
	// Example is a value for README snippets and the perf script.
	Example string
}

func newTemplateData(s Spec, gocliVersion string) templateData {
	typ := goTypeName(strings.TrimSuffix(s.Service, "s"))
	if typ == "" {
		typ = goTypeName(s.Service)
	}
	resource := strings.TrimSuffix(s.Service, "s") + "s"
	fields := []resourceField{{Name: "Name", JSON: "name", Example: "Ada Lovelace"}}
	switch strings.TrimSuffix(s.Service, "s") {
	case "user", "account", "customer", "member":
		fields = append(fields, resourceField{Name: "Email", JSON: "email", Example: "ada@example.com"})
	default:
		fields = append(fields, resourceField{Name: "Description", JSON: "description", Example: "first of its kind"})
	}
	return templateData{
		Spec:         s,
		Package:      goPackageName(s.Service),
		Type:         typ,
		Resource:     resource,
		Fields:       fields,
		Istio:        s.Template == TemplateIstio,
		GocliVersion: gocliVersion,
		GoVersion:    GoVersion,
		EngineImport: s.Module + "/internal/consensus",
	}
}

// GoVersion is the go directive written into generated go.mod files.
const GoVersion = "1.26.0"

var funcs = template.FuncMap{
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
	"replace": func(old, new, s string) string {
		return strings.ReplaceAll(s, old, new)
	},
	"add":    func(a, b int) int { return a + b },
	"sub":    func(a, b int) int { return a - b },
	"quorum": func(n int) int { return n/2 + 1 },
	// seq returns 0..n-1 for ranging over replicas.
	"seq": func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	},
}

// renderTemplates renders files against data. Nothing touches the disk.
func renderTemplates(files []File, data templateData) ([]RenderedFile, error) {
	out := make([]RenderedFile, 0, len(files))
	for _, f := range files {
		p, err := execute("path "+f.Path, f.Path, data)
		if err != nil {
			return nil, err
		}
		rel := string(p)
		if err := checkLocal(rel); err != nil {
			return nil, err
		}
		src, err := fs.ReadFile(templateFS, path.Join("templates", f.Template))
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", f.Template, err)
		}
		content := src
		if strings.HasSuffix(f.Template, ".tmpl") {
			if content, err = execute(f.Template, string(src), data); err != nil {
				return nil, err
			}
		}
		if strings.HasSuffix(rel, ".go") {
			formatted, err := format.Source(content)
			if err != nil {
				return nil, fmt.Errorf("template %s renders Go that does not parse: %w", f.Template, err)
			}
			content = formatted
		}
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		out = append(out, RenderedFile{Path: rel, Content: content, Mode: mode, IfExists: f.IfExists})
	}
	return out, nil
}

// partials holds the shared snippets of templates/partials.tmpl, parsed
// once; each file's template is a clone of it.
var partials = sync.OnceValues(func() (*template.Template, error) {
	src, err := fs.ReadFile(templateFS, "templates/partials.tmpl")
	if err != nil {
		return nil, err
	}
	return template.New("partials").Delims("[[", "]]").Funcs(funcs).Option("missingkey=error").Parse(string(src))
})

func execute(name, text string, data any) ([]byte, error) {
	base, err := partials()
	if err != nil {
		return nil, fmt.Errorf("parse partials: %w", err)
	}
	t, err := base.Clone()
	if err != nil {
		return nil, err
	}
	t, err = t.New(name).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("parse template %s: %w", name, err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("render template %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// checkLocal rejects a generated path that would leave the project root.
func checkLocal(rel string) error {
	if rel == "" || strings.Contains(rel, "\\") || !filepath.IsLocal(filepath.FromSlash(rel)) || path.Clean(rel) != rel {
		return fmt.Errorf("generated path %q escapes the target directory", rel)
	}
	return nil
}
