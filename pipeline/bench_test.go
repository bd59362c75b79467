package pipeline

import (
	"context"
	"flag"
	"path/filepath"
	"testing"

	"github.com/exposure-research/exposure/internal/synth"
	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/pipeline/publish"
	"github.com/exposure-research/exposure/pipeline/trend"
)

var benchPeriods = flag.Int("bench.periods", 6, "weekly periods of the full-grid synthetic dataset of the stage benchmarks (63 gives 999,984 rows, bench/run.sh's 1,000,000)")

// BenchmarkStages times each stage of a build on a full-grid synthetic dataset (exposure synth
// --shape full-grid: all 249 countries, every organization type and metric, the shape bench/run.sh
// measures), and reports the cost per input row. Run with
// -bench.periods=63 for about 1,000,000 rows; add -cpuprofile to see where the time goes.
func BenchmarkStages(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "synth")
	opts := synth.DefaultOptions()
	opts.Shape, opts.Periods, opts.Sources = synth.ShapeFullGrid, *benchPeriods, 4
	summary, err := synth.Generate(dir, opts)
	if err != nil {
		b.Fatal(err)
	}
	rows := float64(summary.Rows)
	ctx := context.Background()
	ds, err := ingest.Load(ctx, dir, ingest.Options{})
	if err != nil {
		b.Fatal(err)
	}
	pr, err := protect.Protect(ctx, ds, protect.Options{})
	if err != nil {
		b.Fatal(err)
	}
	tr, err := trend.Compute(ctx, pr)
	if err != nil {
		b.Fatal(err)
	}
	perRow := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
	}
	b.Run("ingest", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ingest.Load(ctx, dir, ingest.Options{}); err != nil {
				b.Fatal(err)
			}
		}
		perRow(b)
	})
	b.Run("protect", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := protect.Protect(ctx, ds, protect.Options{}); err != nil {
				b.Fatal(err)
			}
		}
		perRow(b)
	})
	b.Run("trend", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, err := trend.Compute(ctx, pr)
			if err != nil {
				b.Fatal(err)
			}
			if err := r.Trends(func(trend.TrendRow) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
		perRow(b)
	})
	b.Run("publish", func(b *testing.B) {
		b.ReportAllocs()
		out := filepath.Join(b.TempDir(), "report")
		for b.Loop() {
			if _, err := publish.Publish(ctx, tr, publish.Options{Out: out, Tool: publish.ToolInfo{Name: ToolName, Version: Version}}); err != nil {
				b.Fatal(err)
			}
		}
		perRow(b)
	})
}
