package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/exposure-research/exposure/internal/buildinfo"
)

// TestVersionText checks `exposure --version` for a binary with and without VCS information: the
// part every manifest records comes first, and the revision (with "modified" when the work tree
// was dirty) is shown as not recorded.
func TestVersionText(t *testing.T) {
	modules := []buildinfo.Module{{Path: "github.com/apache/arrow/go/v15", Version: "v15.0.2"}, {Path: "gonum.org/v1/plot", Version: "v0.17.0"}}
	recorded := "exposure 0.1.0 (go1.26.8)\n" +
		"recorded in every manifest.json:\n" +
		"  release   exposure 0.1.0\n" +
		"  go        go1.26.8\n" +
		"  modules   github.com/apache/arrow/go/v15 v15.0.2\n" +
		"            gonum.org/v1/plot v0.17.0\n" +
		"this binary, not recorded (it depends on how the tool was built or started):\n"
	tests := []struct {
		name string
		info buildinfo.Info
		want string
	}{
		{"go build in a modified clone", buildinfo.Info{Go: "go1.26.8", Modules: modules,
			Path: "github.com/exposure-research/exposure", Version: "v0.0.0-20261123110501-27b772bfe510+dirty",
			Revision: "27b772bfe510d0e35b85c14351e734c013cd2aef", Time: "2026-11-23T11:05:01Z", Modified: true},
			recorded + "  module    github.com/exposure-research/exposure v0.0.0-20261123110501-27b772bfe510+dirty\n" +
				"  revision  27b772bfe510d0e35b85c14351e734c013cd2aef (2026-11-23T11:05:01Z), modified\n"},
		{"go run", buildinfo.Info{Go: "go1.26.8", Modules: modules, Path: "github.com/exposure-research/exposure", Version: "(devel)"},
			recorded + "  module    github.com/exposure-research/exposure (devel)\n" +
				"  revision  unknown: the binary has no VCS information (go run, go test, -buildvcs=false, or not built in a clone)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionText(tt.info); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// repoRoot is the module's root folder, where the committed dataset and report are.
const repoRoot = "../.."

// TestBuiltBinaries builds the tool the ways a user gets it (go build with and without VCS
// stamping, go install, go run) and checks, for each, that --version names the real versions of the
// output modules and that the committed report verifies against a rebuild of the bundled dataset:
// the bytes of a report must not depend on how the tool was built or started. Skipped with -short.
func TestBuiltBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary several ways; skipped with -short")
	}
	if _, err := os.Stat(filepath.Join(repoRoot, "reports", "pacs-2019", "manifest.json")); err != nil {
		t.Skip("no committed report here")
	}
	bin := t.TempDir()
	goCmd := func(args ...string) *exec.Cmd {
		cmd := exec.Command("go", args...)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "GOBIN="+bin)
		return cmd
	}
	ways := []struct {
		name  string
		build []string // how the binary is made; none for go run
		run   []string // the command that runs it
	}{
		{"go build", []string{"build", "-o", filepath.Join(bin, "built"), "./cmd/exposure"}, []string{filepath.Join(bin, "built")}},
		{"go build -buildvcs=true", []string{"build", "-buildvcs=true", "-o", filepath.Join(bin, "stamped"), "./cmd/exposure"}, []string{filepath.Join(bin, "stamped")}},
		{"go install", []string{"install", "./cmd/exposure"}, []string{filepath.Join(bin, "exposure")}},
		{"go run", nil, []string{"go", "run", "./cmd/exposure"}},
	}
	moduleLine := regexp.MustCompile(`(?m)^ {2}(modules| {7}) {3}(\S+) (\S+)$`)
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			if w.build != nil {
				if out, err := goCmd(w.build...).CombinedOutput(); err != nil {
					if strings.Contains(string(out), "buildvcs") || strings.Contains(string(out), "VCS") {
						t.Skipf("cannot stamp VCS information here: %s", out)
					}
					t.Fatalf("go %s: %v\n%s", strings.Join(w.build, " "), err, out)
				}
			}
			run := func(args ...string) (string, error) {
				cmd := exec.Command(w.run[0], append(w.run[1:], args...)...)
				cmd.Dir = repoRoot
				out, err := cmd.CombinedOutput()
				return string(out), err
			}
			version, err := run("--version")
			if err != nil {
				t.Fatalf("--version: %v\n%s", err, version)
			}
			found := moduleLine.FindAllStringSubmatch(version, -1)
			if len(found) != len(buildinfo.OutputModules) {
				t.Errorf("--version lists %d modules, want %d:\n%s", len(found), len(buildinfo.OutputModules), version)
			}
			for _, m := range found {
				if m[3] == buildinfo.Unknown {
					t.Errorf("--version does not know the version of %s:\n%s", m[2], version)
				}
			}
			if out, err := run("verify", "--quiet", "datasets/pacs-2019", "reports/pacs-2019"); err != nil {
				t.Errorf("verify of the committed report: %v\n%s", err, out)
			}
		})
	}
}
