package protect

import (
	"context"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"github.com/exposure-research/exposure/internal/synth"
	"github.com/exposure-research/exposure/pipeline/ingest"
)

var synthPeriods = flag.Int("protect.periods", 4, "weekly periods of the synthetic dataset of BenchmarkProtectSynthetic (63 gives about 1,000,000 rows)")

// BenchmarkProtectSynthetic protects every table of a synthetic dataset (exposure synth: all 249
// countries, every organization type and metric) one after another and reports the time per table
// and the primary and secondary suppressions over the whole dataset. With -protect.periods=63 it is
// the 1,000,000-row dataset of the issue.
func BenchmarkProtectSynthetic(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "synth")
	if _, err := synth.Generate(dir, synth.Options{Periods: *synthPeriods, Countries: 249, Seed: 1, Sources: 2, Density: 1}); err != nil {
		b.Fatal(err)
	}
	ds, err := ingest.Load(context.Background(), dir, ingest.Options{})
	if err != nil {
		b.Fatal(err)
	}
	r, err := newRules(ds.Config.Protection, ds.Vocab)
	if err != nil {
		b.Fatal(err)
	}
	pr := newProtector(newLayout(ds.Vocab), r)
	var primary, secondary, cells int
	var busy time.Duration
	for b.Loop() {
		primary, secondary, cells, busy = 0, 0, 0, 0
		for _, table := range ds.Tables {
			start := time.Now()
			p, pat := protectAudited(b, pr, table)
			busy += time.Since(start)
			cells += len(p.cells)
			tablePrimary, tableSecondary, _ := countPattern(p, pat)
			primary += tablePrimary
			secondary += tableSecondary
		}
	}
	b.ReportMetric(float64(len(ds.Tables)), "tables")
	b.ReportMetric(float64(busy.Milliseconds())/float64(len(ds.Tables)), "ms/table")
	b.ReportMetric(float64(cells), "cells")
	b.ReportMetric(float64(primary), "primary")
	b.ReportMetric(float64(secondary), "secondary")
}

// TestSyntheticDataset protects the synthetic dataset that `exposure synth --periods 10` writes
// (its defaults: organizations simulated period by period, new and offline systems beside the
// stock); Protect proves the pattern (every witness re-found and checked independently). It is the dataset on which a recorded swap once moved cells that
// its sensitive cell's support did not list: republication then published them, and the proof found
// no swap for four cells.
func TestSyntheticDataset(t *testing.T) {
	if testing.Short() {
		t.Skip("protects a 10-period synthetic dataset; skipped with -short")
	}
	dir := filepath.Join(t.TempDir(), "synth")
	opts := synth.DefaultOptions()
	opts.Periods = 10
	if _, err := synth.Generate(dir, opts); err != nil {
		t.Fatal(err)
	}
	ds, err := ingest.Load(context.Background(), dir, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Protect(context.Background(), ds, Options{}); err != nil {
		t.Fatal(err)
	}
}
