package sbom

import (
	"archive/tar"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// fixtureImage is a one-layer image holding the fixture binary at
// /usr/local/bin/project, as a release image would.
func fixtureImage(t *testing.T, exe string) v1.Image {
	t.Helper()
	bin, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, d := range []string{"usr/", "usr/local/", "usr/local/bin/"} {
		if err := tw.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.WriteHeader(&tar.Header{Name: "usr/local/bin/project", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bin))}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(bin); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(buf.Bytes())), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// tarDir writes the files under dir into a tar at path (an OCI archive is
// an OCI layout in a tar).
func tarDir(t *testing.T, dir, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b))}); err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestImageTargets catalogues the same image as an OCI layout directory,
// a docker archive and an OCI archive: each SBOM lists the Go modules of
// the binary inside, validates against the schemas, and the target kind
// is detected from the files alone.
func TestImageTargets(t *testing.T) {
	exe, want := buildFixture(t)
	img := fixtureImage(t, exe)
	dir := t.TempDir()

	ociDir := filepath.Join(dir, "oci")
	p, err := layout.Write(ociDir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	ociTar := filepath.Join(dir, "image.oci.tar")
	tarDir(t, ociDir, ociTar)
	dockerTar := filepath.Join(dir, "image.docker.tar")
	ref, err := name.ParseReference("example.com/project:test")
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteToFile(dockerTar, ref, img); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		path string
		kind Kind
	}{
		{ociDir, KindOCILayout},
		{dockerTar, KindDockerArchive},
		{ociTar, KindOCIArchive},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			tgt, err := ParseTarget(tc.path)
			if err != nil || tgt.Kind != tc.kind {
				t.Fatalf("ParseTarget(%s) = %+v, %v; want kind %s", tc.path, tgt, err, tc.kind)
			}
			checkModules(t, generate(t, tc.path), want)
		})
	}
}
