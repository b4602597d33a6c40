// Package sbom makes software bills of materials with syft as a library,
// from explicit sources only: a directory, a file (a Go binary yields the
// modules of its build info), an OCI layout directory, a docker or OCI
// archive, and a registry reference only when the caller allows the
// network. There is never a fall-back to a container daemon.
//
// Output formats are SPDX 2.3 JSON, CycloneDX 1.6 JSON, syft JSON and a
// table. In reproducible mode the SPDX document namespace and the
// CycloneDX serial number are derived from the document's content and the
// timestamps are fixed, so the same input gives the same bytes.
package sbom

// The rpm database cataloger opens sqlite databases through database/sql
// and expects a pure-Go driver to be registered.
import _ "modernc.org/sqlite"
