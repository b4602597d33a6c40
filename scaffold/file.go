package scaffold

import (
	"embed"
	"io/fs"
	"slices"
)

// templateFS holds every template. Files under templates/ are rendered
// with text/template using "[[" and "]]" as delimiters, so Helm's and
// GitHub Actions' "{{ }}" pass through untouched.
//
//go:embed all:templates
var templateFS embed.FS

// IfExists says what happens when a generated file is already on disk
// (only possible with --force).
type IfExists int

const (
	// Overwrite replaces the file: gocli owns it.
	Overwrite IfExists = iota
	// Skip keeps the user's file: it was theirs to edit.
	Skip
	// Error refuses the whole run, before anything is written.
	Error
)

func (i IfExists) String() string {
	switch i {
	case Skip:
		return "skip"
	case Error:
		return "error"
	}
	return "overwrite"
}

// File is one generated file: where it goes and what produces it.
type File struct {
	// Path is the destination relative to the project root; it is itself
	// a template ("cmd/[[.Service]]/main.go").
	Path string
	// Template names the source under templates/. A name ending in
	// ".tmpl" is rendered; anything else is copied verbatim.
	Template string
	// IfExists decides what to do when Path already exists.
	IfExists IfExists
	// Mode is the file's permission bits; zero means 0644.
	Mode fs.FileMode
}

// TemplateInfo describes a template for `gocli scaffold templates`.
type TemplateInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Files       int    `json:"files"`
}

const chartDir = "deploy/helm/[[.Service]]/"

// serviceFiles are common to every template.
var serviceFiles = []File{
	{Path: "go.mod", Template: "go.mod.tmpl"},
	{Path: "go.sum", Template: "go.sum"},
	{Path: "README.md", Template: "README.md.tmpl", IfExists: Skip},
	{Path: "Makefile", Template: "Makefile.tmpl"},
	{Path: "Dockerfile", Template: "Dockerfile.tmpl"},
	{Path: ".dockerignore", Template: "dockerignore"},
	{Path: ".gitignore", Template: "gitignore", IfExists: Skip},
	{Path: ".github/workflows/ci.yaml", Template: "ci.yaml.tmpl"},
	{Path: "perf/smoke.js", Template: "smoke.js.tmpl", IfExists: Skip},
	{Path: "cmd/[[.Service]]/main.go", Template: "go/main.go.tmpl"},
	{Path: "cmd/[[.Service]]/smoke.go", Template: "go/smoke.go.tmpl"},
	{Path: "internal/model/model.go", Template: "go/model.go.tmpl"},
	{Path: "internal/model/model_test.go", Template: "go/model_test.go.tmpl"},
	{Path: "internal/config/config.go", Template: "go/config.go.tmpl"},
	{Path: "internal/config/config_test.go", Template: "go/config_test.go.tmpl"},
	{Path: "internal/store/store.go", Template: "go/store.go.tmpl"},
	{Path: "internal/store/store_test.go", Template: "go/store_test.go.tmpl"},
	{Path: "internal/api/api.go", Template: "go/api.go.tmpl"},
	{Path: "internal/api/api_test.go", Template: "go/api_test.go.tmpl"},
	{Path: "internal/server/server.go", Template: "go/server.go.tmpl"},
	{Path: "internal/server/status.go", Template: "go/status.go.tmpl"},
	{Path: "internal/server/cluster_test.go", Template: "go/cluster_test.go.tmpl"},
	{Path: "internal/telemetry/telemetry.go", Template: "go/telemetry.go.tmpl"},
}

var chartFiles = []File{
	{Path: chartDir + "Chart.yaml", Template: "chart/Chart.yaml.tmpl"},
	{Path: chartDir + "values.yaml", Template: "chart/values.yaml.tmpl"},
	{Path: chartDir + "values.schema.json", Template: "chart/values.schema.json.tmpl"},
	{Path: chartDir + ".helmignore", Template: "chart/helmignore"},
	{Path: chartDir + "templates/_helpers.tpl", Template: "chart/templates/_helpers.tpl.tmpl"},
	{Path: chartDir + "templates/NOTES.txt", Template: "chart/templates/NOTES.txt.tmpl"},
	{Path: chartDir + "templates/serviceaccount.yaml", Template: "chart/templates/serviceaccount.yaml.tmpl"},
	{Path: chartDir + "templates/service.yaml", Template: "chart/templates/service.yaml.tmpl"},
	{Path: chartDir + "templates/service-peers.yaml", Template: "chart/templates/service-peers.yaml.tmpl"},
	{Path: chartDir + "templates/statefulset.yaml", Template: "chart/templates/statefulset.yaml.tmpl"},
	{Path: chartDir + "templates/pdb.yaml", Template: "chart/templates/pdb.yaml.tmpl"},
	{Path: chartDir + "templates/networkpolicy.yaml", Template: "chart/templates/networkpolicy.yaml.tmpl"},
	{Path: chartDir + "templates/tests/test-api.yaml", Template: "chart/templates/tests/test-api.yaml.tmpl"},
}

var istioFiles = []File{
	{Path: chartDir + "templates/istio-virtualservice.yaml", Template: "chart/istio/virtualservice.yaml.tmpl"},
	{Path: chartDir + "templates/istio-destinationrule.yaml", Template: "chart/istio/destinationrule.yaml.tmpl"},
	{Path: chartDir + "templates/istio-peerauthentication.yaml", Template: "chart/istio/peerauthentication.yaml.tmpl"},
	{Path: chartDir + "templates/istio-authorizationpolicy.yaml", Template: "chart/istio/authorizationpolicy.yaml.tmpl"},
}

type templateSet struct {
	description string
	files       []File
}

var templateSets = map[string]templateSet{
	TemplatePlain: {
		description: "consensus-backed Go service with Dockerfile, Makefile, CI, perf script and a Helm chart (StatefulSet, PDB, NetworkPolicy)",
		files:       slices.Concat(serviceFiles, chartFiles),
	},
	TemplateIstio: {
		description: "plain plus Istio: sidecar injection, VirtualService, DestinationRule, PeerAuthentication STRICT, AuthorizationPolicy",
		files:       slices.Concat(serviceFiles, chartFiles, istioFiles),
	},
}

// TemplateNames lists the template names in a stable order.
func TemplateNames() []string { return []string{TemplatePlain, TemplateIstio} }

// Templates describes every template.
func Templates() []TemplateInfo {
	var out []TemplateInfo
	for _, name := range TemplateNames() {
		set := templateSets[name]
		out = append(out, TemplateInfo{Name: name, Description: set.description, Files: len(set.files)})
	}
	return out
}

// Files returns the files a template generates, excluding the copied
// consensus engine.
func Files(template string) ([]File, bool) {
	set, ok := templateSets[template]
	return slices.Clone(set.files), ok
}
