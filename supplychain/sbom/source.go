package sbom

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/anchore/stereoscope"
	"github.com/anchore/stereoscope/pkg/image"
	"github.com/anchore/syft/syft/source"
	"github.com/anchore/syft/syft/source/directorysource"
	"github.com/anchore/syft/syft/source/filesource"
	"github.com/anchore/syft/syft/source/stereoscopesource"
)

// Kind is the type of an SBOM target.
type Kind string

// Target kinds. A target string may name its kind with a "kind:" prefix
// (as syft's --from does); otherwise it is detected from the path.
const (
	KindDirectory     Kind = "dir"
	KindFile          Kind = "file"
	KindOCILayout     Kind = "oci-dir"
	KindDockerArchive Kind = "docker-archive"
	KindOCIArchive    Kind = "oci-archive"
	KindRegistry      Kind = "registry"
)

// ErrNetworkNotAllowed reports a registry target without permission to use
// the network.
var ErrNetworkNotAllowed = errors.New("registry targets need the network: pass --allow-network")

// Target is a resolved SBOM input.
type Target struct {
	Kind Kind   `json:"kind"`
	Path string `json:"path"`
}

// ParseTarget resolves a target string: "kind:path" or a bare path whose
// kind is detected (a directory with an oci-layout file is an OCI layout,
// a tar with manifest.json is a docker archive, a tar with oci-layout is an
// OCI archive, another directory or file is itself).
func ParseTarget(s string) (Target, error) {
	if s == "" {
		s = "."
	}
	for _, k := range []Kind{KindDirectory, KindFile, KindOCILayout, KindDockerArchive, KindOCIArchive, KindRegistry} {
		if rest, ok := strings.CutPrefix(s, string(k)+":"); ok {
			if rest == "" {
				return Target{}, fmt.Errorf("target %q names no path", s)
			}
			return Target{Kind: k, Path: rest}, nil
		}
	}
	st, err := os.Stat(s)
	if err != nil {
		return Target{}, fmt.Errorf("target %s: %w", s, err)
	}
	if st.IsDir() {
		if _, err := os.Stat(filepath.Join(s, "oci-layout")); err == nil {
			return Target{Kind: KindOCILayout, Path: s}, nil
		}
		return Target{Kind: KindDirectory, Path: s}, nil
	}
	if k := detectArchive(s); k != "" {
		return Target{Kind: k, Path: s}, nil
	}
	return Target{Kind: KindFile, Path: s}, nil
}

// detectArchive looks at the first entries of an uncompressed tar for the
// files that mark an image archive.
func detectArchive(path string) Kind {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for range 64 {
		h, err := tr.Next()
		if err != nil {
			return ""
		}
		switch strings.TrimPrefix(h.Name, "./") {
		case "manifest.json":
			return KindDockerArchive
		case "oci-layout":
			return KindOCIArchive
		}
		if _, err := io.Copy(io.Discard, tr); err != nil {
			return ""
		}
	}
	return ""
}

// openSource returns the syft source for t. Image sources return a cleanup
// that removes stereoscope's temporary files.
func openSource(ctx context.Context, t Target, allowNetwork bool, name string) (source.Source, func(), error) {
	noop := func() {}
	alias := source.Alias{Name: name}
	switch t.Kind {
	case KindDirectory:
		src, err := directorysource.New(directorysource.Config{Path: t.Path, Base: t.Path, Alias: alias})
		return src, noop, err
	case KindFile:
		// A zip or tar.gz (a release archive) is unpacked into a temporary
		// directory and catalogued like syft does; image archives were
		// recognised by ParseTarget and never get here.
		src, err := filesource.New(filesource.Config{Path: t.Path, Alias: alias})
		return src, noop, err
	case KindOCILayout, KindDockerArchive, KindOCIArchive, KindRegistry:
		var from image.Source
		switch t.Kind {
		case KindOCILayout:
			from = image.OciDirectorySource
		case KindDockerArchive:
			from = image.DockerTarballSource
		case KindOCIArchive:
			from = image.OciTarballSource
		case KindRegistry:
			if !allowNetwork {
				return nil, noop, ErrNetworkNotAllowed
			}
			from = image.OciRegistrySource
		}
		img, err := stereoscope.GetImageFromSource(ctx, t.Path, from)
		if err != nil {
			return nil, noop, fmt.Errorf("read image %s: %w", t.Path, err)
		}
		cleanup := func() { _ = img.Cleanup() }
		return stereoscopesource.New(img, stereoscopesource.ImageConfig{Reference: t.Path, Alias: alias}), cleanup, nil
	default:
		return nil, noop, fmt.Errorf("unknown target kind %q", t.Kind)
	}
}
