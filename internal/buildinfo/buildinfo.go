// Package buildinfo tells which build of the tool is running, from what the Go toolchain recorded
// in the binary (runtime/debug.ReadBuildInfo): the Go release, the versions of the modules whose
// code writes or shapes the bytes of a report, and the binary's own module version and VCS revision.
//
// Only the first two go into a report (see Info): they are the same whether the tool was built with
// go build, installed with go install or started with go run, while the module version and the VCS
// revision are recorded by go build and go install only, and not at all under -buildvcs=false.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Unknown is the version of a module that the binary does not record (a test binary records none).
const Unknown = "unknown"

// OutputModule is a dependency whose code writes or shapes the bytes of a report, and what it does.
type OutputModule struct {
	Path string
	Role string
}

// OutputModules are the modules that write the outputs, in the order of their paths: a release of
// any of them can change the bytes of a report, so a manifest records their versions.
var OutputModules = []OutputModule{
	{"codeberg.org/go-fonts/liberation", "the fonts whose metrics lay out the charts' text"},
	{"github.com/ajstarks/svgo", "writes the charts' SVG (through gonum/plot)"},
	{"github.com/apache/arrow/go/v15", "writes the Parquet files (pqarrow)"},
	{"github.com/klauspost/compress", "compresses the Parquet pages (zstd)"},
	{"github.com/parquet-go/parquet-go", "reads Parquet submissions, whose values the report publishes"},
	{"gonum.org/v1/plot", "draws the charts"},
}

// Module is a module path and the version the binary was built with.
type Module struct {
	Path    string
	Version string // a module version, "=> replacement" when replaced, or Unknown
}

// Info describes the running binary.
type Info struct {
	// Go and Modules are what every manifest records: the Go release that built the binary and the
	// versions of OutputModules.
	Go      string
	Modules []Module

	// The rest describes this binary only and is not recorded in a report, since it depends on how
	// the tool was built or started.
	Path     string // the main module's path
	Version  string // its version: a tag or pseudo-version from go build or go install, "(devel)" otherwise
	Revision string // the VCS revision, "" when not recorded
	Time     string // the revision's commit time (RFC 3339), "" when not recorded
	Modified bool   // the work tree had uncommitted changes
}

// Read describes the running binary.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return FromBuildInfo(bi, runtime.Version())
}

// FromBuildInfo describes a binary from its build information (nil when it has none) and the Go
// release that built it.
func FromBuildInfo(bi *debug.BuildInfo, goVersion string) Info {
	info := Info{Go: goVersion}
	deps := map[string]*debug.Module{}
	if bi != nil {
		info.Path, info.Version = bi.Main.Path, bi.Main.Version
		for _, d := range bi.Deps {
			deps[d.Path] = d
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Revision = s.Value
			case "vcs.time":
				info.Time = s.Value
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	for _, m := range OutputModules {
		version := Unknown
		if d := deps[m.Path]; d != nil {
			version = d.Version
			if r := d.Replace; r != nil {
				version = "=> " + r.Path
				if r.Version != "" {
					version += " " + r.Version
				}
			}
		}
		info.Modules = append(info.Modules, Module{Path: m.Path, Version: version})
	}
	return info
}
