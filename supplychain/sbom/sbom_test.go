package sbom

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func compileSchema(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	dir, _ := filepath.Abs("testdata/schema")
	// The CycloneDX schema refers to its siblings by relative URL; load
	// them from testdata, never from the network.
	for _, name := range []string{"bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json", "spdx-schema-2.3.json"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource("http://cyclonedx.org/schema/"+name, doc); err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource("file://"+filepath.Join(dir, name), doc); err != nil {
			t.Fatal(err)
		}
	}
	s, err := c.Compile("file://" + filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, doc []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(v); err != nil {
		t.Fatalf("document does not validate: %v", err)
	}
}

func encode(t *testing.T, d *Document, opts EncodeOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := d.Encode(&buf, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func generate(t *testing.T, target string) *Document {
	t.Helper()
	tgt, err := ParseTarget(target)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Generate(context.Background(), Options{Target: tgt, ToolName: "gocli", ToolVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// spdxPackages maps name → version of an SPDX document's packages.
func spdxPackages(t *testing.T, doc []byte) map[string]string {
	t.Helper()
	var d struct {
		Packages []struct {
			Name        string `json:"name"`
			VersionInfo string `json:"versionInfo"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range d.Packages {
		out[p.Name] = p.VersionInfo
	}
	return out
}

func cdxComponents(t *testing.T, doc []byte) map[string]string {
	t.Helper()
	var d struct {
		Components []struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range d.Components {
		out[c.Name] = c.Version
	}
	return out
}

// checkModules encodes d as SPDX and CycloneDX, validates both against
// their schemas and checks that each lists every module of want.
func checkModules(t *testing.T, d *Document, want map[string]string) {
	t.Helper()
	spdx := encode(t, d, EncodeOptions{Format: FormatSPDXJSON})
	validate(t, compileSchema(t, "spdx-schema-2.3.json"), spdx)
	cdx := encode(t, d, EncodeOptions{Format: FormatCycloneDXJSON})
	validate(t, compileSchema(t, "bom-1.6.schema.json"), cdx)
	gotSPDX, gotCDX := spdxPackages(t, spdx), cdxComponents(t, cdx)
	for name, version := range want {
		if gotSPDX[name] != version {
			t.Errorf("SPDX: %s = %q, want %q", name, gotSPDX[name], version)
		}
		if gotCDX[name] != version {
			t.Errorf("CycloneDX: %s = %q, want %q", name, gotCDX[name], version)
		}
	}
}

func TestDirectory(t *testing.T) {
	d := generate(t, "testdata/project")
	want := map[string]string{
		"github.com/google/uuid":               "v1.6.0",
		"github.com/spf13/cobra":               "v1.8.1",
		"github.com/spf13/pflag":               "v1.0.5",
		"github.com/inconshreveable/mousetrap": "v1.1.0",
	}
	spdx := encode(t, d, EncodeOptions{Format: FormatSPDXJSON})
	validate(t, compileSchema(t, "spdx-schema-2.3.json"), spdx)
	cdx := encode(t, d, EncodeOptions{Format: FormatCycloneDXJSON})
	validate(t, compileSchema(t, "bom-1.6.schema.json"), cdx)
	if !bytes.Contains(cdx, []byte(`"specVersion": "1.6"`)) {
		t.Error("CycloneDX document is not version 1.6")
	}
	if !bytes.Contains(spdx, []byte(`"spdxVersion": "SPDX-2.3"`)) {
		t.Error("SPDX document is not version 2.3")
	}
	checkModules(t, d, want)
}

// buildFixture builds the fixture project (uuid, cobra, pflag) and reads
// the modules of its build info with the standard library, independently
// of syft.
func buildFixture(t *testing.T) (exe string, want map[string]string) {
	t.Helper()
	exe = filepath.Join(t.TempDir(), "project")
	build := exec.Command("go", "build", "-o", exe, ".")
	build.Dir = "testdata/project"
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build fixture: %v\n%s", err, out)
	}
	info, err := buildinfo.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]string{}
	for _, dep := range info.Deps {
		want[dep.Path] = dep.Version
	}
	if want["github.com/spf13/cobra"] != "v1.8.1" || want["github.com/google/uuid"] != "v1.6.0" {
		t.Fatalf("fixture build info = %v", want)
	}
	return exe, want
}

func TestGoBinary(t *testing.T) {
	exe, want := buildFixture(t)
	d := generate(t, exe)
	checkModules(t, d, want)
	if pk := d.Packages(); len(pk) < len(want) {
		t.Errorf("Packages() lists %d, want at least %d", len(pk), len(want))
	}
}

func TestReproducible(t *testing.T) {
	created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, f := range []Format{FormatSPDXJSON, FormatCycloneDXJSON} {
		t.Run(string(f), func(t *testing.T) {
			opts := EncodeOptions{Format: f, Reproducible: true, Created: created}
			// Two separate catalogue runs, not one document encoded twice.
			a := encode(t, generate(t, "testdata/project"), opts)
			b := encode(t, generate(t, "testdata/project"), opts)
			if !bytes.Equal(a, b) {
				t.Fatalf("two reproducible runs differ:\n%s\n---\n%s", a, b)
			}
			if !bytes.Contains(a, []byte("2025-01-02T03:04:05Z")) {
				t.Error("timestamp does not come from Created")
			}
			// The ID changes with the content.
			c := encode(t, generate(t, "testdata"), opts)
			idA, idC := documentID(t, a), documentID(t, c)
			if idA == "" || idA == idC {
				t.Errorf("document IDs %q and %q: want distinct, non-empty", idA, idC)
			}
		})
	}
	// Without --reproducible the IDs are random, as syft makes them.
	a := encode(t, generate(t, "testdata/project"), EncodeOptions{Format: FormatCycloneDXJSON})
	b := encode(t, generate(t, "testdata/project"), EncodeOptions{Format: FormatCycloneDXJSON})
	if documentID(t, a) == documentID(t, b) {
		t.Error("non-reproducible serial numbers are equal")
	}
}

func documentID(t *testing.T, doc []byte) string {
	t.Helper()
	var d struct {
		DocumentNamespace string `json:"documentNamespace"`
		SerialNumber      string `json:"serialNumber"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	return d.DocumentNamespace + d.SerialNumber
}

func TestParseTarget(t *testing.T) {
	dir := t.TempDir()
	layout := filepath.Join(dir, "layout")
	if err := os.MkdirAll(layout, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(layout, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   string
		want Target
	}{
		{"testdata/project", Target{KindDirectory, "testdata/project"}},
		{"testdata/project/go.mod", Target{KindFile, "testdata/project/go.mod"}},
		{layout, Target{KindOCILayout, layout}},
		{"registry:alpine:3.20", Target{KindRegistry, "alpine:3.20"}},
		{"docker-archive:img.tar", Target{KindDockerArchive, "img.tar"}},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	if _, err := ParseTarget(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing target accepted")
	}
	_, err := Generate(context.Background(), Options{Target: Target{KindRegistry, "alpine"}})
	if err == nil || !strings.Contains(err.Error(), "--allow-network") {
		t.Errorf("registry without network: err = %v", err)
	}
}
