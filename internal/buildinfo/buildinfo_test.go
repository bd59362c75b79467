package buildinfo

import (
	"os"
	"reflect"
	"runtime/debug"
	"strings"
	"testing"
)

// TestFromBuildInfo checks what is read from the build information of each kind of binary: one
// built by go build in a clean or a modified work tree, one started by go run (no VCS information,
// main module "(devel)"), a test binary (no dependencies at all), and one with a replaced module.
func TestFromBuildInfo(t *testing.T) {
	deps := func(replaced *debug.Module) []*debug.Module {
		var ds []*debug.Module
		for i, m := range OutputModules {
			d := &debug.Module{Path: m.Path, Version: "v1." + string(rune('0'+i)) + ".0"}
			if i == 2 {
				d.Replace = replaced
			}
			ds = append(ds, d)
		}
		return append(ds, &debug.Module{Path: "github.com/spf13/cobra", Version: "v1.10.2"})
	}
	versions := func(vs ...string) []Module {
		var ms []Module
		for i, m := range OutputModules {
			ms = append(ms, Module{Path: m.Path, Version: vs[i]})
		}
		return ms
	}
	all := versions("v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0", "v1.4.0", "v1.5.0")
	main := debug.Module{Path: "github.com/exposure-research/exposure", Version: "v0.0.0-20261123110501-27b772bfe510"}
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want Info
	}{
		{"go build, clean", &debug.BuildInfo{Main: main, Deps: deps(nil), Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "27b772bfe510d0e35b85c14351e734c013cd2aef"},
			{Key: "vcs.time", Value: "2026-11-23T11:05:01Z"}, {Key: "vcs.modified", Value: "false"}}},
			Info{Go: "go1.26.8", Modules: all, Path: main.Path, Version: main.Version,
				Revision: "27b772bfe510d0e35b85c14351e734c013cd2aef", Time: "2026-11-23T11:05:01Z"}},
		{"go build, modified", &debug.BuildInfo{Main: main, Deps: deps(nil), Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "27b772bfe510d0e35b85c14351e734c013cd2aef"}, {Key: "vcs.modified", Value: "true"}}},
			Info{Go: "go1.26.8", Modules: all, Path: main.Path, Version: main.Version,
				Revision: "27b772bfe510d0e35b85c14351e734c013cd2aef", Modified: true}},
		{"go run", &debug.BuildInfo{Main: debug.Module{Path: main.Path, Version: "(devel)"}, Deps: deps(nil)},
			Info{Go: "go1.26.8", Modules: all, Path: main.Path, Version: "(devel)"}},
		{"test binary", &debug.BuildInfo{Main: debug.Module{Path: main.Path, Version: "(devel)"}},
			Info{Go: "go1.26.8", Modules: versions(Unknown, Unknown, Unknown, Unknown, Unknown, Unknown), Path: main.Path, Version: "(devel)"}},
		{"no build information", nil,
			Info{Go: "go1.26.8", Modules: versions(Unknown, Unknown, Unknown, Unknown, Unknown, Unknown)}},
		{"replaced module", &debug.BuildInfo{Main: main, Deps: deps(&debug.Module{Path: "example.com/fork", Version: "v1.2.1"})},
			Info{Go: "go1.26.8", Modules: versions("v1.0.0", "v1.1.0", "=> example.com/fork v1.2.1", "v1.3.0", "v1.4.0", "v1.5.0"), Path: main.Path, Version: main.Version}},
		{"module replaced by a folder", &debug.BuildInfo{Main: main, Deps: deps(&debug.Module{Path: "../arrow"})},
			Info{Go: "go1.26.8", Modules: versions("v1.0.0", "v1.1.0", "=> ../arrow", "v1.3.0", "v1.4.0", "v1.5.0"), Path: main.Path, Version: main.Version}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FromBuildInfo(tt.bi, "go1.26.8"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// TestOutputModulesSorted keeps the list in the order the manifest writes it.
func TestOutputModulesSorted(t *testing.T) {
	for i := 1; i < len(OutputModules); i++ {
		if OutputModules[i-1].Path >= OutputModules[i].Path {
			t.Errorf("%s is listed after %s", OutputModules[i].Path, OutputModules[i-1].Path)
		}
	}
}

// TestOutputModulesRequired checks that every output module is a requirement of go.mod, so that a
// module renamed or dropped there is not recorded as "unknown" in every manifest.
func TestOutputModulesRequired(t *testing.T) {
	data, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	required := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if fields := strings.Fields(line); len(fields) >= 2 && strings.HasPrefix(fields[1], "v") {
			required[strings.TrimPrefix(fields[0], "require ")] = true
			if fields[0] == "require" && len(fields) >= 3 {
				required[fields[1]] = true
			}
		}
	}
	for _, m := range OutputModules {
		if !required[m.Path] {
			t.Errorf("%s is not required by go.mod", m.Path)
		}
	}
}
