package synth

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/exposure-research/exposure/schemas"
)

// generator holds what every file of a dataset shares: the vocabulary, the periods, the countries and
// their parameters, the sources and their files.
type generator struct {
	opts      Options
	model     shapeModel
	periods   []schemas.Date
	countries []country // the first opts.Countries of CountryOrder
	sources   [][]int   // per source, the positions in countries of its countries, by code
	files     []dataFile
	orgCodes  []string // organization types in code order (the sort order of rows)
	metrics   []string // the chosen metric codes in code order
	quantity  []int    // the model quantity of each of metrics
	has       [numQuantities]bool
	// Seeds of the streams: the systems and other quantities, the split of flows into seen and
	// unseen systems, the draws that depend on what is observed, and the choice of cells.
	latentSeed, splitSeed, observeSeed, pickSeed [2]uint64
}

func newGenerator(vocab *schemas.Vocabulary, opts Options) (*generator, error) {
	order, err := CountryOrder()
	if err != nil {
		return nil, err
	}
	g := &generator{opts: opts, model: models[opts.Shape]}
	if g.periods, err = periodDates(opts.Cadence, opts.Periods); err != nil {
		return nil, err
	}
	for id := 1; id <= vocab.NumOrgs(); id++ {
		g.orgCodes = append(g.orgCodes, vocab.Org(schemas.OrgID(id)).Code)
	}
	if len(g.orgCodes) != len(country{}.orgShare) {
		return nil, fmt.Errorf("the model knows %d organization types, the vocabulary has %d", len(country{}.orgShare), len(g.orgCodes))
	}
	chosen := map[string]bool{}
	for _, m := range opts.Metrics {
		chosen[m] = true
	}
	for id := 0; id < vocab.NumMetrics(); id++ {
		code := vocab.Metric(schemas.MetricID(id)).Code
		q, ok := quantityOfMetric[code]
		if !ok {
			return nil, fmt.Errorf("the model has no rule for metric %q", code)
		}
		if len(chosen) > 0 && !chosen[code] {
			continue
		}
		g.metrics = append(g.metrics, code)
		g.quantity = append(g.quantity, q)
		g.has[q] = true
	}
	g.latentSeed = streamSeed(opts.Seed, "values")
	g.splitSeed = streamSeed(opts.Seed, "splits")
	g.observeSeed = streamSeed(opts.Seed, "observed")
	g.pickSeed = streamSeed(opts.Seed, "cells")
	seed := streamSeed(opts.Seed, "countries")
	params := rand.New(rand.NewPCG(seed[0], seed[1]))
	slots := params.Perm(len(order))
	for i, code := range order {
		c := drawCountry(params, code, slots[i], g.orgCodes, &g.model)
		if i < opts.Countries {
			g.countries = append(g.countries, c)
		}
	}
	if g.sources, err = assignSources(vocab, g.countries, opts); err != nil {
		return nil, err
	}
	g.files = dataFiles(opts, g.periods)
	return g, nil
}

// unitSize returns how many rows a kept unit of period t writes. The unit of (period t, country,
// org type) is its exposed_systems at t, its new_systems at t and its offline_systems at t+1: the
// flows that need that stock cell. Density keeps or leaves out whole units, so a flow is never
// written without the stock it is bounded by (SPEC 3.3), and there are no flows at the first period.
func (g *generator) unitSize(t int) int64 {
	var n int64
	if g.has[qSystems] {
		n++
	}
	if g.has[qNew] && t >= 1 {
		n++
	}
	if g.has[qOffline] && t+1 < len(g.periods) {
		n++
	}
	return n
}

// otherMetrics is how many of the chosen metrics no relation links: those selected cell by cell.
func (g *generator) otherMetrics() int64 {
	var n int64
	for _, q := range g.quantity {
		if !linked(q) {
			n++
		}
	}
	return n
}

// linked reports whether a quantity is one of the stock and flows of systems that the vocabulary's
// relations link.
func linked(q int) bool { return q == qSystems || q == qNew || q == qOffline }

// selector picks exactly want of n items in one pass, each equally likely: selection sampling
// (Knuth, TAOCP vol. 2, 3.4.2, algorithm S). It draws nothing when it keeps every item.
type selector struct{ n, want, seen, taken int64 }

func (s *selector) next(r *rand.Rand) bool {
	keep := s.want >= s.n || r.Float64()*float64(s.n-s.seen) < float64(s.want-s.taken)
	s.seen++
	if keep {
		s.taken++
	}
	return keep
}

// sourceWriter writes the rows of one source, period after period, carrying every series' state
// from one period (and one file) to the next.
type sourceWriter struct {
	g         *generator
	s         int
	countries []int    // positions in g.countries, by code
	series    []series // per country (in that order) and organization type
	written   int64
	buf       []byte
	changes   []change // per organization type, of the current country
	others    []counts // per organization type: the quantities that no relation links
	latent    *rand.Rand
	latentSrc *rand.PCG
	split     *rand.Rand
	splitSrc  *rand.PCG
	observe   *rand.Rand
	obsSrc    *rand.PCG
	pick      *rand.Rand
	pickSrc   *rand.PCG
}

func (g *generator) newSourceWriter(s int) *sourceWriter {
	w := &sourceWriter{g: g, s: s, countries: g.sources[s], buf: make([]byte, 0, 256)}
	w.series = make([]series, len(w.countries)*len(g.orgCodes))
	w.changes = make([]change, len(g.orgCodes))
	w.others = make([]counts, len(g.orgCodes))
	w.latentSrc, w.splitSrc, w.obsSrc, w.pickSrc = rand.NewPCG(0, 0), rand.NewPCG(0, 0), rand.NewPCG(0, 0), rand.NewPCG(0, 0)
	w.latent, w.split, w.observe, w.pick = rand.New(w.latentSrc), rand.New(w.splitSrc), rand.New(w.obsSrc), rand.New(w.pickSrc)
	return w
}

// writePeriod writes every selected row of period t, sorted by (country, org_type, metric).
func (w *sourceWriter) writePeriod(out *bufio.Writer, t int, progress *progressCounter) error {
	g := w.g
	orgs := len(g.orgCodes)
	units := &selector{n: int64(len(w.countries) * orgs)}
	units.want = selectedCells(units.n, g.opts.Density)
	cells := &selector{n: units.n * g.otherMetrics()}
	cells.want = selectedCells(cells.n, g.opts.Density)
	w.pickSrc.Seed(seedAt(g.pickSeed, w.s, t))
	var days, gap float64
	if t > 0 {
		days, gap = float64(g.periods[t]-g.periods[0]), float64(g.periods[t]-g.periods[t-1])
	}
	periodText := g.periods[t].String()
	for ci, p := range w.countries {
		c := &g.countries[p]
		// One stream per (period, country) and purpose: the systems do not depend on the density,
		// the sources, the relations mode or the number of countries.
		w.latentSrc.Seed(seedAt(g.latentSeed, t, p))
		w.splitSrc.Seed(seedAt(g.splitSeed, t, p))
		w.obsSrc.Seed(seedAt(g.observeSeed, t, p))
		group := w.series[ci*orgs : (ci+1)*orgs]
		changes, others := w.changes, w.others
		for o := range group {
			if t == 0 {
				changes[o] = change{}
				group[o].start(w.latent, c, o)
			} else {
				changes[o] = group[o].advance(w.latent, w.split, c, o, days, gap, &g.model)
			}
			group[o].others(w.latent, c, &others[o])
		}
		for o, org := range g.orgCodes {
			prevKept := group[o].observed
			kept := units.next(w.pick)
			f := group[o].observe(w.observe, changes[o], kept, g.opts.Relations, c)
			cell := others[o]
			cell.value[qSystems], cell.contributors[qSystems] = f.stock, f.stockOrgs
			cell.value[qNew], cell.contributors[qNew] = f.newSys, f.newOrgs
			cell.value[qOffline], cell.contributors[qOffline] = f.offline, f.offlineOrgs
			for m, metric := range g.metrics {
				q := g.quantity[m]
				var write bool
				switch q {
				case qSystems:
					write = kept
				case qNew:
					write = kept && t >= 1
				case qOffline:
					write = prevKept && t >= 1
				default:
					write = cells.next(w.pick)
				}
				if !write {
					continue
				}
				if err := w.writeRow(out, periodText, c.code, org, metric, cell.value[q], cell.contributors[q]); err != nil {
					return err
				}
				progress.add(1)
			}
		}
	}
	return nil
}

// writeRow writes one row, with the dominance pair on a share of the non-zero rows.
func (w *sourceWriter) writeRow(out *bufio.Writer, period, countryCode, org, metric string, value, contributors int64) error {
	buf := append(w.buf[:0], period...)
	buf = append(buf, ',')
	buf = append(buf, countryCode...)
	buf = append(buf, ',')
	buf = append(buf, org...)
	buf = append(buf, ',')
	buf = append(buf, metric...)
	buf = append(buf, ',')
	buf = strconv.AppendInt(buf, value, 10)
	buf = append(buf, ',')
	buf = strconv.AppendInt(buf, contributors, 10)
	buf = append(buf, ',')
	if value > 0 && w.observe.Float64() < w.g.model.dominanceShare {
		largest, second := dominance(w.observe, value, contributors)
		buf = strconv.AppendInt(buf, largest, 10)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, second, 10)
	} else {
		buf = append(buf, ',')
	}
	buf = append(buf, '\n')
	w.buf = buf
	if _, err := out.Write(buf); err != nil {
		return err
	}
	w.written++
	return nil
}

// writeFile writes the header and the rows of the file's periods.
func (w *sourceWriter) writeFile(out *bufio.Writer, f dataFile, progress *progressCounter) (int64, error) {
	if _, err := out.WriteString("period,country,org_type,metric,value,contributors,largest,second_largest\n"); err != nil {
		return 0, err
	}
	before := w.written
	for t := f.first; t <= f.last; t++ {
		if err := w.writePeriod(out, t, progress); err != nil {
			return w.written - before, err
		}
	}
	return w.written - before, nil
}
