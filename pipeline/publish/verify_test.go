package publish

import (
	"strings"
	"testing"
)

// TestRebuildCause checks the one-line summary that verify prints before the differences: each case
// changes what a rebuild found and expects the cause named first.
func TestRebuildCause(t *testing.T) {
	dir, base := publishFixture(t, computed(t, fixture(t)))
	tests := []struct {
		name   string
		change func(rebuilt *Manifest, files *fileDiffs)
		want   string
	}{
		{"another release", func(m *Manifest, _ *fileDiffs) { m.Tool.Version = "0.2.0" },
			"the tool differs: the report was built by exposure 0.0.0-test, this is exposure 0.2.0; rebuild with the release and Go release the manifest names"},
		{"another Go release", func(m *Manifest, _ *fileDiffs) { m.Tool.Go = "go1.27.0" },
			"the tool differs: the report was built by exposure 0.0.0-test, this is exposure 0.0.0-test (go1.27.0)"},
		{"another module version", func(m *Manifest, _ *fileDiffs) { m.Tool.Modules = []ModuleInfo{{"gonum.org/v1/plot", "v0.18.0"}} },
			"the modules that write the outputs differ: gonum.org/v1/plot was not recorded in the build of the report, is v0.18.0 in this binary"},
		{"fewer rows", func(m *Manifest, _ *fileDiffs) { m.Inputs[0].Rows -= 27; m.Inputs[0].SHA256 = strings.Repeat("1", 64) },
			"the dataset differs: input data/greenbone-2019.csv has 27 rows, the report was built from 54"},
		{"a changed input", func(m *Manifest, _ *fileDiffs) { m.Inputs[1].SHA256 = strings.Repeat("1", 64) },
			"the dataset differs: input data/tum-2019.csv was changed since the report was built (another SHA-256, the same "},
		{"a dropped input", func(m *Manifest, _ *fileDiffs) { m.Inputs = m.Inputs[:1] },
			"the dataset differs: the report was built from input data/tum-2019.csv, which the dataset no longer lists"},
		{"a new input", func(m *Manifest, _ *fileDiffs) { m.Inputs = append(m.Inputs, InputInfo{File: "data/late.csv"}) },
			"the dataset differs: input data/late.csv is new: the report was built without it"},
		{"two inputs", func(m *Manifest, _ *fileDiffs) { m.Inputs[0].Rows++; m.Inputs[1].Rows++ }, "(and 1 more inputs differ)"},
		{"another configuration", func(m *Manifest, _ *fileDiffs) { m.Dataset.ConfigSHA256 = strings.Repeat("2", 64) },
			"the configuration differs: dataset.yaml as applied (overrides and EXPOSURE_* variables included) has digest 2222"},
		{"an edited report", func(_ *Manifest, f *fileDiffs) { f.changed = []string{"report.md"} },
			"the published files differ from a rebuild of the same inputs by the same tool: 1 changed (report.md); they were changed after the build"},
		{"only the manifest", func(m *Manifest, f *fileDiffs) { f.changed = []string{ManifestFile} },
			"the same tool, inputs and configuration give another manifest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rebuilt := mustManifest(t, dir)
			files := &fileDiffs{}
			tt.change(rebuilt, files)
			if got := rebuildCause(base, rebuilt, files); !strings.Contains(got, tt.want) {
				t.Errorf("cause %q, want it to contain %q", got, tt.want)
			}
		})
	}
}
