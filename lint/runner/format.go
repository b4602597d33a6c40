package runner

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/gocli/gocli/lint"
)

// Formats lists the output formats Write accepts.
var Formats = []string{"text", "json", "sarif", "github"}

// Write renders the result in the named format.
func Write(w io.Writer, format string, res *Result, tool ToolInfo) error {
	switch format {
	case "", "text":
		return WriteText(w, res)
	case "json":
		return WriteJSON(w, res)
	case "sarif":
		return WriteSARIF(w, res, tool)
	case "github":
		return WriteGitHub(w, res)
	}
	return fmt.Errorf("unknown format %q: use one of %s", format, strings.Join(Formats, ", "))
}

// WriteText writes one line per finding, file:line:col: message [rule],
// followed by related locations and a summary line.
func WriteText(w io.Writer, res *Result) error {
	for _, f := range res.Findings {
		tag := f.Rule
		if f.Confirmed {
			tag += ", confirmed by the dynamic mode"
		} else if f.Source == "dynamic" {
			tag += ", dynamic"
		}
		if _, err := fmt.Fprintf(w, "%s: %s [%s]\n", f.Location, f.Message, tag); err != nil {
			return err
		}
		for _, r := range f.Related {
			if _, err := fmt.Fprintf(w, "\t%s: %s\n", r.Location, r.Message); err != nil {
				return err
			}
		}
		for _, fix := range f.Fixes {
			if _, err := fmt.Fprintf(w, "\tfix: %s (gocli lint --fix)\n", fix.Message); err != nil {
				return err
			}
		}
	}
	_, err := fmt.Fprintln(w, Summary(res))
	return err
}

// Summary is the one-line outcome of a run.
func Summary(res *Result) string {
	n := len(res.Findings)
	s := fmt.Sprintf("%d finding%s in %d package%s", n, plural(n), res.Packages, plural(res.Packages))
	var extra []string
	if res.Suppressed > 0 {
		extra = append(extra, fmt.Sprintf("%d suppressed by //nolint", res.Suppressed))
	}
	if res.Baselined > 0 {
		extra = append(extra, fmt.Sprintf("%d in the baseline", res.Baselined))
	}
	if res.Excluded > 0 {
		extra = append(extra, fmt.Sprintf("%d in excluded paths", res.Excluded))
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// WriteJSON writes the result as indented JSON.
func WriteJSON(w io.Writer, res *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

// WriteGitHub writes GitHub Actions workflow commands, one ::error per
// finding, which the runner turns into annotations on the pull request.
func WriteGitHub(w io.Writer, res *Result) error {
	for _, f := range res.Findings {
		l := f.Location
		props := fmt.Sprintf("file=%s,line=%d,col=%d", ghProp(l.File), l.Line, l.Column)
		if l.EndLine > 0 {
			props += fmt.Sprintf(",endLine=%d,endColumn=%d", l.EndLine, l.EndColumn)
		}
		props += ",title=" + ghProp("gocli lint: "+f.Rule)
		if _, err := fmt.Fprintf(w, "::error %s::%s\n", props, ghData(f.Message)); err != nil {
			return err
		}
	}
	return nil
}

// ghData escapes a workflow command's message.
func ghData(s string) string {
	r := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	return r.Replace(s)
}

// ghProp escapes a workflow command's property value.
func ghProp(s string) string {
	r := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
	return r.Replace(s)
}

// ToolInfo names the tool in SARIF output.
type ToolInfo struct {
	Name    string
	Version string
	URI     string
}

// WriteSARIF writes a SARIF 2.1.0 log with one run. Paths are relative to
// the run's directory under the %SRCROOT% base, which is what GitHub code
// scanning expects for a checkout.
func WriteSARIF(w io.Writer, res *Result, tool ToolInfo) error {
	if tool.Name == "" {
		tool.Name = "gocli"
	}
	if tool.URI == "" {
		tool.URI = "https://github.com/gocli/gocli"
	}
	rep := sarif.NewReport()
	run := sarif.NewRunWithInformationURI(tool.Name, tool.URI)
	if tool.Version != "" {
		run.Tool.Driver.WithVersion(tool.Version)
	}
	rules := map[string]bool{}
	for _, f := range res.Findings {
		rules[f.Rule] = true
	}
	var ruleIDs []string
	for id := range rules {
		ruleIDs = append(ruleIDs, id)
	}
	sort.Strings(ruleIDs)
	for _, id := range ruleIDs {
		r := run.AddRule(id).WithDescription(ruleDoc(id)).WithHelpURI("https://github.com/gocli/gocli/blob/main/docs/lint.md#" + id)
		r.WithName(id)
	}
	for _, f := range res.Findings {
		run.AddDistinctArtifact(uri(f.Location.File))
		result := run.CreateResultForRule(f.Rule).
			WithLevel("error").
			WithMessage(sarif.NewTextMessage(f.Message)).
			AddLocation(sarifLocation(f.Location)).
			WithPartialFingerprints(map[string]string{"gocliFingerprint/v1": f.Fingerprint})
		for _, r := range f.Related {
			result.AddRelatedLocation(sarifLocation(r.Location).WithMessage(sarif.NewTextMessage(r.Message)))
		}
		for _, fix := range f.Fixes {
			sf := sarif.NewFix().WithDescription(sarif.NewTextMessage(fix.Message))
			byFile := map[string]*sarif.ArtifactChange{}
			var files []string
			for _, e := range fix.Edits {
				ch, ok := byFile[e.File]
				if !ok {
					ch = sarif.NewArtifactChange().WithArtifactLocation(artifact(e.File))
					byFile[e.File] = ch
					files = append(files, e.File)
				}
				ch.AddReplacement(sarif.NewReplacement().
					WithDeletedRegion(sarif.NewRegion().WithByteOffset(e.Start).WithByteLength(e.End - e.Start)).
					WithInsertedContent(sarif.NewArtifactContent().WithText(e.NewText)))
			}
			for _, file := range files {
				sf.AddArtifactChange(byFile[file])
			}
			result.AddFixe(sf)
		}
		if f.Confirmed {
			result.WithProperties(sarif.NewPropertyBag().Add("confirmedByDynamicMode", true))
		}
	}
	rep.AddRun(run)
	return rep.PrettyWrite(w)
}

func sarifLocation(l Location) *sarif.Location {
	region := sarif.NewRegion().WithStartLine(l.Line).WithStartColumn(l.Column)
	if l.EndLine > 0 {
		region.WithEndLine(l.EndLine).WithEndColumn(l.EndColumn)
	}
	return sarif.NewLocationWithPhysicalLocation(
		sarif.NewPhysicalLocation().WithArtifactLocation(artifact(l.File)).WithRegion(region))
}

func artifact(file string) *sarif.ArtifactLocation {
	a := sarif.NewSimpleArtifactLocation(uri(file))
	if !path.IsAbs(file) {
		a.WithURIBaseID("%SRCROOT%")
	}
	return a
}

// uri turns a slash path into a relative URI reference (escaping spaces and
// the like) or a file URI for absolute paths.
func uri(file string) string {
	u := url.URL{Path: file}
	if path.IsAbs(file) {
		u.Scheme = "file"
	}
	return u.String()
}

func ruleDoc(id string) string {
	if id == NolintRule {
		return "//nolint directives for goroutine-leak rules need a reason and must suppress something"
	}
	for _, a := range lint.Analyzers() {
		if a.Name == id {
			return a.Doc
		}
	}
	if id == "leakprofile" {
		return "goroutines reported leaked by Go's goroutineleak profile while running tests"
	}
	return id
}
