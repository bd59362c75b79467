package ingest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/exposure-research/exposure/schemas"
)

// This file is the one home of the leaves' observation flags (SPEC 5, honest statistics: flags).
// A leaf is
//   - a break (B) when dataset.yaml declares a break at its period for its country and metric, or
//     when the source that covers it differs from the one that covered it in its previous period
//     (the latest earlier table of the same metric that has the leaf): a change of source is a
//     break by itself, because two sources never count quite the same thing;
//   - an estimate (E) when dataset.yaml marks its input, or the part of it that holds the leaf, as
//     an estimate or illustrative allocation.
// A leaf without a previous period is never a break: there is nothing it could be compared with.
// Totals take their flags from their leaves in pipeline/protect.

// partFilter restricts a break or an estimate to some countries and metrics; an empty set is every
// one.
type partFilter struct {
	countries []schemas.GeoID    // sorted
	metrics   []schemas.MetricID // sorted
}

func newPartFilter(vocab *schemas.Vocabulary, countries, metrics []string) partFilter {
	var f partFilter
	for _, code := range countries {
		if id, ok := vocab.Geo.CountryByCode(code); ok {
			f.countries = append(f.countries, id)
		}
	}
	for _, code := range metrics {
		if id, ok := vocab.MetricByCode(code); ok {
			f.metrics = append(f.metrics, id)
		}
	}
	slices.Sort(f.countries)
	slices.Sort(f.metrics)
	return f
}

func (f partFilter) covers(geo schemas.GeoID, metric schemas.MetricID) bool {
	if len(f.countries) > 0 {
		if _, ok := slices.BinarySearch(f.countries, geo); !ok {
			return false
		}
	}
	if len(f.metrics) > 0 {
		if _, ok := slices.BinarySearch(f.metrics, metric); !ok {
			return false
		}
	}
	return true
}

// declaredBreak is a break of dataset.yaml, ready to match leaves.
type declaredBreak struct {
	period  schemas.Date
	filter  partFilter
	matched int // leaves of the period it names
	applied int // of those, leaves that have a previous period: the break takes effect there
}

// declaredEstimate is an estimate of dataset.yaml, ready to match leaves.
type declaredEstimate struct {
	input   int // index in Config.Inputs
	filter  partFilter
	matched int
}

// markFlags sets the flags of every leaf of tables, which are sorted by period then metric as
// builder.finish returns them. Every declared break must take effect at some leaf, and every
// declared estimate must mark some leaf: one that does not is a mistake in dataset.yaml (a wrong
// date, country or file), reported at its place.
func markFlags(lc *loadedConfig, tables []*Table, errs *collector) {
	cfg, vocab := lc.cfg, lc.vocab
	breaks := make([]declaredBreak, len(cfg.Breaks))
	for i, b := range cfg.Breaks {
		period, _ := schemas.ParseDate(b.Period) // checked with the configuration
		breaks[i] = declaredBreak{period: period, filter: newPartFilter(vocab, b.Countries, b.Metrics)}
	}
	estimates := make([]declaredEstimate, len(cfg.Estimates))
	byInput := make([][]int, len(cfg.Inputs)) // the estimates of each input
	for i, e := range cfg.Estimates {
		input := slices.IndexFunc(cfg.Inputs, func(in Input) bool { return in.File == e.File })
		estimates[i] = declaredEstimate{input: input, filter: newPartFilter(vocab, e.Countries, e.Metrics)}
		if input >= 0 {
			byInput[input] = append(byInput[input], i)
		}
	}
	// The source of each input, as an index in Config.Sources.
	sourceOf := make([]int, len(cfg.Inputs))
	for i, in := range cfg.Inputs {
		sourceOf[i] = slices.IndexFunc(cfg.Sources, func(s Source) bool { return s.ID == in.Source })
	}
	width := vocab.NumOrgs() + 1
	// lastSource[metric][geo*width+org] is 1 + the source of the leaf in its latest table so far,
	// 0 when no earlier table of the metric has it.
	lastSource := make([][]int32, vocab.NumMetrics())
	var periodBreaks []int
	for ti, t := range tables {
		if ti == 0 || tables[ti-1].Period != t.Period {
			periodBreaks = periodBreaks[:0]
			for i := range breaks {
				if breaks[i].period == t.Period {
					periodBreaks = append(periodBreaks, i)
				}
			}
		}
		last := lastSource[t.Metric]
		if last == nil {
			last = make([]int32, vocab.Geo.Len()*width)
			lastSource[t.Metric] = last
		}
		for li := range t.Leaves {
			leaf := &t.Leaves[li]
			slot := int(leaf.Geo)*width + int(leaf.Org)
			input := int(leaf.Input)
			src := int32(-1)
			if input < len(sourceOf) {
				src = int32(sourceOf[input])
			}
			prev := last[slot]
			if prev != 0 && prev-1 != src {
				leaf.Flags |= schemas.ObsBreak | schemas.BreakSource
			}
			for _, i := range periodBreaks {
				b := &breaks[i]
				if !b.filter.covers(leaf.Geo, t.Metric) {
					continue
				}
				b.matched++
				if prev != 0 {
					b.applied++
					leaf.Flags |= schemas.ObsBreak | schemas.BreakDeclared
				}
			}
			if input < len(byInput) {
				for _, i := range byInput[input] {
					e := &estimates[i]
					if e.filter.covers(leaf.Geo, t.Metric) {
						e.matched++
						leaf.Flags |= schemas.ObsEstimated
					}
				}
			}
			last[slot] = src + 1
		}
	}
	for i, b := range breaks {
		p := fmt.Sprintf("breaks[%d]", i)
		what := describeParts(cfg.Breaks[i].Countries, cfg.Breaks[i].Metrics)
		switch {
		case b.matched == 0:
			errs.add(lc.errAt(p+".period", p, fail(ErrConfig, "no submitted cell of %s%s is at %s: the break names no period of the data",
				what, orEvery(what), cfg.Breaks[i].Period)))
		case b.applied == 0:
			errs.add(lc.errAt(p+".period", p, fail(ErrConfig, "no cell of %s%s at %s has an earlier period: a break there changes nothing",
				what, orEvery(what), cfg.Breaks[i].Period)))
		}
	}
	for i, e := range estimates {
		if e.input >= 0 && e.matched == 0 {
			p := fmt.Sprintf("estimates[%d]", i)
			what := describeParts(cfg.Estimates[i].Countries, cfg.Estimates[i].Metrics)
			errs.add(lc.errAt(p+".file", p, fail(ErrConfig, "%s has no cell of %s%s: the estimate marks nothing",
				cfg.Estimates[i].File, what, orEvery(what))))
		}
	}
}

// describeParts names the countries and metrics of a filter for a message: "US, exposed_systems".
func describeParts(countries, metrics []string) string {
	return strings.Join(append(slices.Clone(countries), metrics...), ", ")
}

// orEvery names an empty filter.
func orEvery(what string) string {
	if what == "" {
		return "any country"
	}
	return ""
}

// errAt places an error at key path p of dataset.yaml, or at parent when p has no position.
func (lc *loadedConfig) errAt(p, parent string, err error) error {
	at, ok := lc.pos[p]
	if !ok {
		at = lc.pos[parent]
	}
	return &Error{File: ConfigFile, Line: at.line, Column: at.column, Field: p, Err: err}
}
