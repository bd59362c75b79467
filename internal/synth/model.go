package synth

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"

	"github.com/exposure-research/exposure/schemas"
)

// The quantities the model draws for one (period, country, organization type), one per default metric.
const (
	qSystems = iota
	qStudies
	qImages
	qPatients
	qNew
	qOffline
	qHigh
	qCritical
	numQuantities
)

// quantityOfMetric maps the default metric codes to the model's quantities.
var quantityOfMetric = map[string]int{
	"exposed_systems":          qSystems,
	"exposed_studies":          qStudies,
	"exposed_images":           qImages,
	"affected_patients":        qPatients,
	"new_systems":              qNew,
	"offline_systems":          qOffline,
	"high_vulnerabilities":     qHigh,
	"critical_vulnerabilities": qCritical,
}

// orgWeight is the expected share of a country's exposed systems per organization type. Published
// scans name mostly small practices and imaging centres, fewer large hospitals and almost no research
// or government operators; the shares below follow that picture and are otherwise made up.
var orgWeight = map[string]float64{
	"hospital":           0.20,
	"clinic":             0.22,
	"radiology_provider": 0.18,
	"imaging_center":     0.16,
	"research":           0.04,
	"government":         0.03,
	"other":              0.07,
	"unknown":            0.10,
}

// Model constants. They are tuned so that about a quarter of the non-zero leaves have fewer than three
// contributors (the share that makes suppression matter, as in published exposure counts, where most
// countries have a handful of open archives) and a fifth of the leaves are zero.
const (
	sizeScale        = 80.0 // systems of the smallest country, all organization types together
	sizeParetoAlpha  = 1.1  // tail index of country sizes: a few countries hold most systems
	growthMean       = 0.0  // mean weekly log growth of a country's systems
	growthSD         = 0.01 // spread of the weekly log growth between countries
	growthWeeks      = 104  // weeks of growth; a country's expected systems stay flat after that
	periodNoiseSD    = 0.15 // week-to-week log noise of the expected systems
	dominanceShare   = 0.4  // share of non-zero rows that give largest and second_largest
	smallArchiveProb = 0.06 // share of (period, country, org) groups that are small archives
)

// country holds the parameters of one synthetic country, drawn once from the seed.
type country struct {
	code          string
	size          float64    // expected systems at the first period, all organization types
	growth        float64    // weekly log growth of the expected systems
	orgShare      [8]float64 // share of the systems per organization type, in vocabulary code order
	orgsPerSystem float64    // chance that a further system belongs to a further organization
	studies       float64    // median studies per system
	images        float64    // median images per study
	patients      float64    // patients per study
	newRate       float64    // weekly share of systems that are new
	offlineRate   float64    // weekly share of systems that went offline
	vulns         float64    // high-severity vulnerabilities per system
	critical      float64    // critical vulnerabilities per high-severity one
}

// generator holds what every file of a dataset shares: the vocabulary, the periods, the countries and
// their parameters.
type generator struct {
	opts      Options
	vocab     *schemas.Vocabulary
	periods   []schemas.Date
	countries []country // the first opts.Countries of CountryOrder
	orgCodes  []string  // organization types in code order (the sort order of rows)
	metrics   []string  // metric codes in code order
	quantity  []int     // the model quantity of each of metrics
	valueSeed [2]uint64 // seed of the value streams
	pickSeed  [2]uint64 // seed of the cell selection streams
}

func newGenerator(vocab *schemas.Vocabulary, opts Options) (*generator, error) {
	order, err := CountryOrder()
	if err != nil {
		return nil, err
	}
	g := &generator{opts: opts, vocab: vocab}
	first, err := schemas.ParseDate(FirstPeriod)
	if err != nil {
		return nil, fmt.Errorf("first period: %w", err)
	}
	for t := 0; t < opts.Periods; t++ {
		g.periods = append(g.periods, first+schemas.Date(t*periodDays))
	}
	for id := 1; id <= vocab.NumOrgs(); id++ {
		g.orgCodes = append(g.orgCodes, vocab.Org(schemas.OrgID(id)).Code)
	}
	if len(g.orgCodes) != len(country{}.orgShare) {
		return nil, fmt.Errorf("the model knows %d organization types, the vocabulary has %d", len(country{}.orgShare), len(g.orgCodes))
	}
	for id := 0; id < vocab.NumMetrics(); id++ {
		code := vocab.Metric(schemas.MetricID(id)).Code
		q, ok := quantityOfMetric[code]
		if !ok {
			return nil, fmt.Errorf("the model has no rule for metric %q", code)
		}
		g.metrics = append(g.metrics, code)
		g.quantity = append(g.quantity, q)
	}
	g.valueSeed = streamSeed(opts.Seed, "values")
	g.pickSeed = streamSeed(opts.Seed, "cells")
	params := rand.New(rand.NewPCG(streamSeed(opts.Seed, "countries")[0], streamSeed(opts.Seed, "countries")[1]))
	for i, code := range order {
		c := drawCountry(params, code, g.orgCodes)
		if i < opts.Countries {
			g.countries = append(g.countries, c)
		}
	}
	return g, nil
}

// streamSeed derives the two words of a PCG seed from the dataset seed and the name of a stream, so
// that the streams are independent and adding a draw to one does not shift another.
func streamSeed(seed int64, stream string) [2]uint64 {
	h := uint64(seed)*0x9E3779B97F4A7C15 ^ 0xD1B54A32D192ED03
	for _, c := range []byte(stream) {
		h = (h ^ uint64(c)) * 0x100000001B3
	}
	return [2]uint64{splitmix(h), splitmix(h + 0x9E3779B97F4A7C15)}
}

// splitmix is SplitMix64's finalizer, a bijective mix of 64 bits.
func splitmix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	return x ^ x>>31
}

// drawCountry draws the parameters of one country. Every country takes the same number of draws in
// the same order, so a country's parameters do not depend on how many countries are generated.
func drawCountry(r *rand.Rand, code string, orgCodes []string) country {
	c := country{code: code}
	// Pareto(alpha) by inversion: a heavy tail of country sizes, as in every published scan.
	c.size = sizeScale / math.Pow(1-r.Float64(), 1/sizeParetoAlpha)
	c.growth = growthMean + growthSD*r.NormFloat64()
	var total float64
	for i, o := range orgCodes {
		c.orgShare[i] = orgWeight[o] * r.ExpFloat64()
		total += c.orgShare[i]
	}
	for i := range c.orgShare {
		c.orgShare[i] /= total
	}
	c.orgsPerSystem = 0.3 + 0.5*r.Float64()
	c.studies = math.Exp(math.Log(2000) + r.NormFloat64())
	c.images = math.Exp(math.Log(25) + 0.4*r.NormFloat64())
	c.patients = 0.3 + 0.5*r.Float64()
	c.newRate = 0.02 + 0.08*r.Float64()
	c.offlineRate = 0.02 + 0.08*r.Float64()
	c.vulns = math.Exp(math.Log(3) + 0.5*r.NormFloat64())
	c.critical = 0.05 + 0.25*r.Float64()
	return c
}

// CountryOrder returns every country of the vocabulary in the fixed order in which the generator
// takes them: one country of each region in turn (regions by M49 code, countries with no region last,
// each region's countries by alpha-2 code), so that the first few countries already span the world
// and every geographic level of a table has several members.
func CountryOrder() ([]string, error) {
	vocab, err := schemas.Default()
	if err != nil {
		return nil, err
	}
	geo := vocab.Geo
	groups := map[schemas.GeoID][]string{}
	var keys []schemas.GeoID
	var countries []string
	for id := 0; id < geo.Len(); id++ {
		n := geo.Node(schemas.GeoID(id))
		if n.Level != schemas.Country {
			continue
		}
		group := geo.WorldID()
		if up := geo.Ancestors(schemas.GeoID(id)); len(up) >= 2 {
			group = up[len(up)-2] // the region, just below the world
		}
		if _, ok := groups[group]; !ok {
			keys = append(keys, group)
		}
		groups[group] = append(groups[group], n.Code)
		countries = append(countries, n.Code)
	}
	// The world (no region) is GeoID 0; put it last rather than first.
	sort.Slice(keys, func(i, j int) bool {
		if (keys[i] == geo.WorldID()) != (keys[j] == geo.WorldID()) {
			return keys[j] == geo.WorldID()
		}
		return geo.Node(keys[i]).Code < geo.Node(keys[j]).Code
	})
	var order []string
	for round := 0; len(order) < len(countries); round++ {
		for _, k := range keys {
			if round < len(groups[k]) {
				order = append(order, groups[k][round])
			}
		}
	}
	return order, nil
}

// sourceCountries returns the positions in CountryOrder of the countries that source s sends:
// every Sources-th country, starting at s, so that each source covers every region.
func sourceCountries(opts Options, s int) []int {
	var idx []int
	for i := s; i < opts.Countries; i += opts.Sources {
		idx = append(idx, i)
	}
	return idx
}

// cellGroup is the model's draw for one (period, country, organization type): a value and a number
// of contributors per quantity.
type cellGroup struct {
	value        [numQuantities]int64
	contributors [numQuantities]int64
}

// draw fills the group for country c, organization type o, at period index t.
func (cg *cellGroup) draw(r *rand.Rand, c *country, o int, t int) {
	*cg = cellGroup{}
	// Growth stops after growthWeeks: compounded over the 628 weeks of a 10,000,000-row benchmark,
	// the fastest-growing countries pushed world totals of exposed_images past 2^50, the largest count
	// protected exactly, and the build refused the dataset. Shorter datasets are unchanged.
	expected := c.size * c.orgShare[o] * math.Exp(c.growth*float64(min(t, growthWeeks))+periodNoiseSD*r.NormFloat64())
	systems := poisson(r, expected)
	small := r.Float64() < smallArchiveProb
	if systems == 0 {
		return
	}
	orgs := 1 + binomial(r, systems-1, c.orgsPerSystem)
	studiesPerSystem := c.studies * math.Exp(0.3*r.NormFloat64())
	if small {
		// A small archive (a single practice's test server, a teaching set): few studies, which is
		// where small patient counts come from.
		studiesPerSystem = 1 + 20*r.Float64()
	}
	studies := max(systems, int64(math.Round(float64(systems)*studiesPerSystem)))
	images := max(studies, int64(math.Round(float64(studies)*c.images*math.Exp(0.2*r.NormFloat64()))))
	patients := max(1, int64(math.Round(float64(studies)*c.patients*(0.8+0.2*r.Float64()))))
	high := poisson(r, float64(systems)*c.vulns)
	cg.value = [numQuantities]int64{
		qSystems:  systems,
		qStudies:  studies,
		qImages:   images,
		qPatients: patients,
		qNew:      binomial(r, systems, c.newRate),
		qOffline:  binomial(r, systems, c.offlineRate),
		qHigh:     high,
		qCritical: binomial(r, high, c.critical),
	}
	for q, v := range cg.value {
		// Each contributing organization accounts for at least one unit of the count.
		cg.contributors[q] = min(orgs, v)
	}
}

// poisson draws a Poisson variate with the given mean: by multiplication of uniforms for small means,
// by the normal approximation above 30, where it is close enough for synthetic counts.
func poisson(r *rand.Rand, mean float64) int64 {
	if mean <= 0 {
		return 0
	}
	if mean > 30 {
		return max(0, int64(math.Round(mean+math.Sqrt(mean)*r.NormFloat64())))
	}
	limit := math.Exp(-mean)
	var k int64
	for p := r.Float64(); p > limit; p *= r.Float64() {
		k++
	}
	return k
}

// binomial draws a binomial variate: by Bernoulli trials for small n, by the normal approximation
// (clamped to [0, n]) above.
func binomial(r *rand.Rand, n int64, p float64) int64 {
	if n <= 0 {
		return 0
	}
	if n <= 40 {
		var k int64
		for i := int64(0); i < n; i++ {
			if r.Float64() < p {
				k++
			}
		}
		return k
	}
	mean := float64(n) * p
	k := int64(math.Round(mean + math.Sqrt(mean*(1-p))*r.NormFloat64()))
	return min(n, max(0, k))
}

// dominance draws the two largest organizations' parts of a non-zero value with the given number of
// contributors. The parts always satisfy SPEC 3.1: largest <= value, second <= largest,
// largest + second <= value, and they leave at least one unit to every other contributor.
func dominance(r *rand.Rand, value, contributors int64) (largest, second int64) {
	if contributors <= 1 {
		return value, 0
	}
	// The largest part lies between an even split and everything but one unit per other contributor.
	lo := (value + contributors - 1) / contributors
	hi := value - (contributors - 1)
	largest = lo + int64(r.Float64()*r.Float64()*float64(hi-lo+1))
	largest = min(hi, largest)
	rest := value - largest
	if contributors == 2 {
		return largest, rest
	}
	lo = (rest + contributors - 2) / (contributors - 1)
	hi = min(largest, rest-(contributors-2))
	second = lo + int64(r.Float64()*float64(hi-lo+1))
	return largest, min(hi, second)
}

// writeRows writes the header and every selected row of source s.
func (g *generator) writeRows(w *bufio.Writer, s int, progress *progressCounter) (int64, error) {
	positions := sourceCountries(g.opts, s)
	cs := make([]*country, len(positions))
	index := make([]int, len(positions))
	for i, p := range positions {
		cs[i], index[i] = &g.countries[p], p
	}
	perm := make([]int, len(cs))
	for i := range perm {
		perm[i] = i
	}
	sort.Slice(perm, func(a, b int) bool { return cs[perm[a]].code < cs[perm[b]].code })

	if _, err := w.WriteString("period,country,org_type,metric,value,contributors,largest,second_largest\n"); err != nil {
		return 0, err
	}
	total := int64(len(g.periods)) * int64(len(cs)) * int64(len(g.orgCodes)) * int64(len(g.metrics))
	want := selectedCells(total, g.opts.Density)
	pick := rand.New(rand.NewPCG(g.pickSeed[0]^uint64(s), g.pickSeed[1]))
	valueSource := rand.NewPCG(0, 0)
	values := rand.New(valueSource)
	var seen, written int64
	var groups [8]cellGroup
	buf := make([]byte, 0, 256)
	for t, period := range g.periods {
		periodText := period.String()
		for _, i := range perm {
			c := cs[i]
			// One value stream per (period, country): values do not depend on density, sources or
			// the number of countries.
			valueSource.Seed(g.valueSeed[0]^uint64(t)<<32^uint64(index[i]), g.valueSeed[1])
			for o := range g.orgCodes {
				groups[o].draw(values, c, o, t)
			}
			for o, org := range g.orgCodes {
				for m, metric := range g.metrics {
					seen++
					if want < total {
						// Selection sampling (Knuth, TAOCP vol. 2, algorithm S): exactly want cells,
						// each equally likely, in one pass.
						if pick.Float64()*float64(total-seen+1) >= float64(want-written) {
							continue
						}
					}
					q := g.quantity[m]
					value, contributors := groups[o].value[q], groups[o].contributors[q]
					buf = append(buf[:0], periodText...)
					buf = append(buf, ',')
					buf = append(buf, c.code...)
					buf = append(buf, ',')
					buf = append(buf, org...)
					buf = append(buf, ',')
					buf = append(buf, metric...)
					buf = append(buf, ',')
					buf = strconv.AppendInt(buf, value, 10)
					buf = append(buf, ',')
					buf = strconv.AppendInt(buf, contributors, 10)
					buf = append(buf, ',')
					if value > 0 && values.Float64() < dominanceShare {
						largest, second := dominance(values, value, contributors)
						buf = strconv.AppendInt(buf, largest, 10)
						buf = append(buf, ',')
						buf = strconv.AppendInt(buf, second, 10)
					} else {
						buf = append(buf, ',')
					}
					buf = append(buf, '\n')
					if _, err := w.Write(buf); err != nil {
						return written, err
					}
					written++
					if written&1023 == 0 {
						progress.add(1024)
					}
				}
			}
		}
	}
	progress.add(written & 1023)
	return written, nil
}
