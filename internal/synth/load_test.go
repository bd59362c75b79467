package synth

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exposure-research/exposure/pipeline/ingest"
)

// TestIngestAcceptsOutput checks the generator against the pipeline's own reader: signatures, rows,
// scopes and dataset.yaml must all pass ingest.Load, with every row read.
func TestIngestAcceptsOutput(t *testing.T) {
	cases := []struct {
		name string
		opts Options
	}{
		{"defaults, two periods", Options{Periods: 2}},
		{"sparse, four sources", Options{Periods: 3, Countries: 50, Seed: 9, Sources: 4, Density: 0.6}},
		{"country whose code YAML reads as a boolean", Options{Periods: 1, Countries: 249, Seed: 4, Sources: 1}},
		{"monthly, four metrics", Options{Periods: 4, Countries: 20, Cadence: Monthly,
			Metrics: []string{"exposed_systems", "new_systems", "offline_systems", "exposed_studies"}}},
		{"full grid, monthly", Options{Shape: ShapeFullGrid, Periods: 2, Cadence: Monthly, Seed: 2}},
		{"identity declared", Options{Periods: 3, Countries: 10, Relations: RelationsIdentity}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "d")
			sum, err := Generate(dir, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := ingest.Load(context.Background(), dir, ingest.Options{Env: []string{}})
			if err != nil && tc.opts.Relations == RelationsIdentity && strings.Contains(err.Error(), "relations: unknown key") {
				t.Skip("this ingest does not read dataset.yaml's relations yet (issue 12)")
			}
			if err != nil {
				t.Fatalf("ingest.Load refused the synthetic dataset: %v", err)
			}
			var rows int64
			for _, in := range ds.Inputs {
				rows += in.Rows
			}
			if rows != sum.Rows || len(ds.Inputs) != sum.Files {
				t.Errorf("ingest read %d rows in %d files, the generator wrote %d in %d", rows, len(ds.Inputs), sum.Rows, sum.Files)
			}
			if ds.Config.ID != sum.ID {
				t.Errorf("dataset id %q, want %q", ds.Config.ID, sum.ID)
			}
			want := ingest.DefaultProtection()
			got := ds.Config.Protection
			if got.MinContributors != want.MinContributors || got.PPercent != want.PPercent || got.Interval != want.Interval ||
				got.MinValue["affected_patients"] != want.MinValue["affected_patients"] {
				t.Errorf("protection %+v, want the defaults %+v", got, want)
			}
		})
	}
}
