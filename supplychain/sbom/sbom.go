package sbom

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/CycloneDX/cyclonedx-go"
	"github.com/anchore/syft/syft"
	"github.com/anchore/syft/syft/format/common/cyclonedxhelpers"
	"github.com/anchore/syft/syft/format/common/spdxhelpers"
	"github.com/anchore/syft/syft/format/syftjson"
	"github.com/anchore/syft/syft/format/table"
	syftsbom "github.com/anchore/syft/syft/sbom"
	"github.com/spdx/tools-golang/convert"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/gocli/gocli/internal/atomicfile"
)

// Format is an SBOM output format.
type Format string

// Output formats.
const (
	FormatSPDXJSON      Format = "spdx-json"
	FormatCycloneDXJSON Format = "cyclonedx-json"
	FormatSyftJSON      Format = "syft-json"
	FormatTable         Format = "table"
)

// Formats lists the supported output formats.
func Formats() []Format {
	return []Format{FormatSPDXJSON, FormatCycloneDXJSON, FormatSyftJSON, FormatTable}
}

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown SBOM format %q: use spdx-json, cyclonedx-json, syft-json or table", s)
}

// Options configures Generate.
type Options struct {
	// Target is what to catalogue.
	Target Target
	// Name names the SBOM's subject; the target path when empty.
	Name string
	// AllowNetwork permits registry targets and lets the Go cataloger run
	// the go command, which may download modules. Off, nothing connects.
	AllowNetwork bool
	// ToolName and ToolVersion are recorded as the SBOM's creator.
	ToolName, ToolVersion string
}

// Document is a catalogued SBOM, ready to encode.
type Document struct {
	sbom syftsbom.SBOM
}

// Generate catalogues the target with syft's default catalogers for its
// kind.
func Generate(ctx context.Context, opts Options) (*Document, error) {
	name := opts.Name
	if name == "" {
		name = opts.Target.Path
	}
	src, cleanup, err := openSource(ctx, opts.Target, opts.AllowNetwork, name)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	defer src.Close()

	cfg := syft.DefaultCreateSBOMConfig()
	if opts.ToolName != "" {
		cfg = cfg.WithTool(opts.ToolName, opts.ToolVersion)
	}
	pkgs := cfg.Packages
	// The packages library runs `go list`, which may download modules;
	// offline, syft reads go.mod and go.sum instead.
	pkgs.Golang = pkgs.Golang.WithUsePackagesLib(opts.AllowNetwork)
	cfg = cfg.WithPackagesConfig(pkgs)

	s, err := syft.CreateSBOM(ctx, src, cfg)
	if err != nil {
		return nil, fmt.Errorf("catalogue %s: %w", opts.Target.Path, err)
	}
	return &Document{sbom: *s}, nil
}

// Package is one catalogued package, for summaries.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Type    string `json:"type"`
	PURL    string `json:"purl,omitempty"`
}

// Packages lists the catalogued packages sorted by name and version.
func (d *Document) Packages() []Package {
	var out []Package
	for p := range d.sbom.Artifacts.Packages.Enumerate() {
		out = append(out, Package{Name: p.Name, Version: p.Version, Type: string(p.Type), PURL: p.PURL})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Version < out[j].Version
	})
	return out
}

// EncodeOptions configures Encode.
type EncodeOptions struct {
	Format Format
	// Reproducible derives the SPDX namespace and CycloneDX serial number
	// from the content and sets every timestamp to Created.
	Reproducible bool
	// Created is the creation time in reproducible mode (from
	// SOURCE_DATE_EPOCH); the zero value means the Unix epoch.
	Created time.Time
}

// Encode writes the SBOM in the requested format.
func (d *Document) Encode(w io.Writer, opts EncodeOptions) error {
	switch opts.Format {
	case FormatSPDXJSON:
		return d.encodeSPDX(w, opts)
	case FormatCycloneDXJSON:
		return d.encodeCycloneDX(w, opts)
	case FormatSyftJSON:
		enc, err := syftjson.NewFormatEncoderWithConfig(syftjson.EncoderConfig{Pretty: true})
		if err != nil {
			return err
		}
		return enc.Encode(w, d.sbom)
	case FormatTable:
		return table.NewFormatEncoder().Encode(w, d.sbom)
	default:
		return fmt.Errorf("unknown SBOM format %q", opts.Format)
	}
}

// WriteFile encodes the SBOM into path atomically: the file appears
// complete or not at all.
func (d *Document) WriteFile(path string, opts EncodeOptions) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { return d.Encode(w, opts) })
}

func createdTime(opts EncodeOptions) string {
	t := opts.Created
	if t.IsZero() {
		t = time.Unix(0, 0)
	}
	return t.UTC().Format(time.RFC3339)
}

func (d *Document) encodeSPDX(w io.Writer, opts EncodeOptions) error {
	doc := spdxhelpers.ToFormatModel(d.sbom)
	if doc == nil {
		return errors.New("convert SBOM to SPDX")
	}
	var out v2_3.Document
	if err := convert.Document(doc, &out); err != nil {
		return fmt.Errorf("convert SBOM to SPDX 2.3: %w", err)
	}
	if opts.Reproducible {
		out.CreationInfo.Created = createdTime(opts)
		ns := out.DocumentNamespace
		out.DocumentNamespace = ""
		id, err := contentUUID(func(w io.Writer) error { return writeJSON(w, out) })
		if err != nil {
			return err
		}
		out.DocumentNamespace = replaceUUID(ns, id)
	}
	return writeJSON(w, out)
}

func (d *Document) encodeCycloneDX(w io.Writer, opts EncodeOptions) error {
	bom := cyclonedxhelpers.ToFormatModel(d.sbom)
	encode := func(w io.Writer) error {
		enc := cyclonedx.NewBOMEncoder(w, cyclonedx.BOMFileFormatJSON)
		enc.SetPretty(true)
		enc.SetEscapeHTML(false)
		return enc.EncodeVersion(bom, cyclonedx.SpecVersion1_6)
	}
	if opts.Reproducible {
		if bom.Metadata != nil {
			bom.Metadata.Timestamp = createdTime(opts)
		}
		bom.SerialNumber = ""
		id, err := contentUUID(encode)
		if err != nil {
			return err
		}
		bom.SerialNumber = "urn:uuid:" + id
	}
	return encode(w)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	return enc.Encode(v)
}

// contentUUID hashes what encode writes into a UUID (version 8, RFC 9562:
// custom, here SHA-256 based), so the same content gets the same ID.
func contentUUID(encode func(io.Writer) error) (string, error) {
	h := sha256.New()
	if err := encode(h); err != nil {
		return "", err
	}
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x80 // version 8
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16]), nil
}

// replaceUUID swaps the random UUID that ends syft's document namespace
// (https://anchore.com/syft/dir/NAME-UUID) for id.
func replaceUUID(ns, id string) string {
	const uuidLen = 36
	if len(ns) > uuidLen && bytes.Count([]byte(ns[len(ns)-uuidLen:]), []byte("-")) == 4 {
		return ns[:len(ns)-uuidLen] + id
	}
	return ns + "-" + id
}
