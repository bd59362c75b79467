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

// TestSyntheticDataset protects synthetic datasets of `exposure synth` and lets Protect prove the
// pattern (every witness re-found and checked independently):
//   - `--periods 10` (its defaults: organizations simulated period by period, new and offline systems
//     beside the stock): the dataset on which a recorded swap once moved cells that its sensitive
//     cell's support did not list, so that republication published them and the proof found no swap
//     for four cells;
//   - 12 countries, 6 monthly periods, stocks and flows under the stock-flow identity: a stock whose
//     previous period is a structural zero is bounded by its new systems, which a single
//     organization knows, so no pattern meets the literal singleton rule (capSingleton caps it;
//     without the cap three cells cannot be protected).
func TestSyntheticDataset(t *testing.T) {
	if testing.Short() {
		t.Skip("protects synthetic datasets; skipped with -short")
	}
	identity := synth.DefaultOptions()
	identity.Countries, identity.Periods, identity.Cadence, identity.Relations = 12, 6, synth.Monthly, synth.RelationsIdentity
	identity.Metrics = []string{"exposed_systems", "new_systems", "offline_systems"}
	ten := synth.DefaultOptions()
	ten.Periods = 10
	for name, opts := range map[string]synth.Options{"ten periods": ten, "identity": identity} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "synth")
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
		})
	}
}
