package synth

import (
	"math"
	"math/rand/v2"
	"sort"

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

// Model constants that every shape shares.
const (
	growthSD = 0.01 // spread of the weekly log growth of the systems between countries
	// growthDays is how long the expected systems grow; they stay flat after that. Compounded over
	// the 628 weeks of a 10,000,000-row benchmark, the fastest-growing countries pushed world totals
	// of exposed_images past 2^50, the largest count protected exactly, and the build refused the
	// dataset.
	growthDays       = 104 * 7
	targetNoiseSD    = 0.08 // stationary log deviation of a series' target from its trend
	targetNoiseCorr  = 0.8  // week-to-week autocorrelation of that deviation
	birthFloor       = 0.3  // share of the systems' replacement that is born even above the target
	smallArchiveProb = 0.06 // share of (period, country, org) groups that are small archives
)

// shapeModel holds the constants that a shape tunes: how big the cells are, how many organizations
// share them, how fast systems churn and how often the dominance pair is given.
type shapeModel struct {
	sizeScale      float64 // systems of the smallest country, all organization types together
	sizeAlpha      float64 // Pareto tail index of country sizes: a few countries hold most systems
	orgsLo, orgsHi float64 // range of a country's chance that a further system is a further organization
	offLo, offHi   float64 // range of a country's weekly chance that a system goes offline
	returnWeekly   float64 // weekly chance that an offline system comes back
	lossWeekly     float64 // weekly chance that an offline system is gone for good
	dominanceShare float64 // share of non-zero rows that give largest and second_largest
}

// models are the constants of each shape. The standard shape keeps about a quarter of the non-zero
// leaves below three contributors (the share that makes suppression matter, as in published
// exposure counts, where most countries have a handful of open archives); the full grid is tuned to
// the shares of issue 16 (TestFullGridShares measures them).
var models = map[Shape]shapeModel{
	ShapeStandard: {sizeScale: 80, sizeAlpha: 1.1, orgsLo: 0.3, orgsHi: 0.8, offLo: 0.02, offHi: 0.10,
		returnWeekly: 0.10, lossWeekly: 0.30, dominanceShare: 0.4},
	ShapeFullGrid: {sizeScale: 120, sizeAlpha: 1.1, orgsLo: 0.17, orgsHi: 0.62, offLo: 0.03, offHi: 0.12,
		returnWeekly: 0.10, lossWeekly: 0.30, dominanceShare: 0.52},
}

// country holds the parameters of one synthetic country, drawn once from the seed.
type country struct {
	code          string
	size          float64    // expected systems at the first period, all organization types
	growth        float64    // weekly log growth of the expected systems
	orgShare      [8]float64 // share of the systems per organization type, in vocabulary code order
	orgsPerSystem float64    // chance that a further system belongs to a further organization
	offlineRate   float64    // weekly chance that an exposed system goes offline
	studies       float64    // median studies per system
	images        float64    // median images per study
	patients      float64    // patients per study
	vulns         float64    // high-severity vulnerabilities per system
	critical      float64    // critical vulnerabilities per high-severity one
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

// seedAt derives the seed of one part of a stream (a period and a country, a source and a period)
// by mixing the part's two indexes into the stream's seed.
func seedAt(stream [2]uint64, a, b int) (uint64, uint64) {
	k := splitmix(stream[0] ^ splitmix(uint64(a)<<32^uint64(b)))
	return k, splitmix(stream[1] ^ k)
}

// splitmix is SplitMix64's finalizer, a bijective mix of 64 bits.
func splitmix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	return x ^ x>>31
}

// drawCountry draws the parameters of one country, whose size is the given quantile slot of
// maxCountries. Every country takes the same number of draws in the same order, so a country's
// parameters do not depend on how many countries are generated.
func drawCountry(r *rand.Rand, code string, slot int, orgCodes []string, m *shapeModel) country {
	c := country{code: code}
	// Pareto(alpha) by inversion, a heavy tail of country sizes as in every published scan, of a
	// uniform stratified over the countries (one draw in each of maxCountries equal slots): the
	// countries' sizes then spread over the whole distribution whatever the seed, so the shares of
	// small cells and zeros of a full grid vary little between seeds.
	u := (float64(slot) + r.Float64()) / maxCountries
	c.size = m.sizeScale / math.Pow(1-u, 1/m.sizeAlpha)
	c.growth = growthSD * r.NormFloat64()
	var total float64
	for i, o := range orgCodes {
		c.orgShare[i] = orgWeight[o] * r.ExpFloat64()
		total += c.orgShare[i]
	}
	for i := range c.orgShare {
		c.orgShare[i] /= total
	}
	c.orgsPerSystem = m.orgsLo + (m.orgsHi-m.orgsLo)*r.Float64()
	c.offlineRate = m.offLo + (m.offHi-m.offLo)*r.Float64()
	c.studies = math.Exp(math.Log(2000) + r.NormFloat64())
	c.images = math.Exp(math.Log(25) + 0.4*r.NormFloat64())
	c.patients = 0.3 + 0.5*r.Float64()
	c.vulns = math.Exp(math.Log(3) + 0.5*r.NormFloat64())
	c.critical = 0.05 + 0.25*r.Float64()
	return c
}

// expected returns the trend of a series' systems: the country's size times the organization
// type's share, grown for the days since the first period.
func (c *country) expected(o int, days float64) float64 {
	return c.size * c.orgShare[o] * math.Exp(c.growth*min(days, growthDays)/7)
}

// hazard turns a weekly chance into the chance over a period of the given days: the chance that an
// event with a constant hazard happens at least once.
func hazard(weekly, days float64) float64 { return 1 - math.Pow(1-weekly, days/7) }

// series is one (country, organization type) through time. Its systems are simulated one period
// after the other: some go offline into a pool, some of the pool come back, some of the pool are
// gone for good, and new ones are born so that the stock follows the country's trend. The model
// knows every system; a period whose unit Options.Density leaves out observes none of them.
type series struct {
	active     int64   // systems exposed now
	unseen     int64   // of active, those that no observed period has seen
	pool       int64   // systems offline that may come back
	poolUnseen int64   // of pool, those never seen
	orgs       int64   // organizations behind the active systems
	noise      float64 // log deviation of the target from the trend, an AR(1) process

	// What the previous period published: whether its unit was written, its exposed_systems and the
	// organizations behind them (both 0 when the unit was left out).
	observed  bool
	prevStock int64
	prevOrgs  int64
}

// change is one period's movement of a series' systems.
type change struct {
	offline  int64 // active systems that went offline
	returned int64 // pool systems that came back
	born     int64 // systems exposed for the first time
}

// start draws the systems of a series at the first period.
func (s *series) start(r *rand.Rand, c *country, o int) {
	s.noise = targetNoiseSD * r.NormFloat64()
	s.active = poisson(r, c.expected(o, 0)*math.Exp(s.noise))
	s.unseen = s.active
	s.drawOrgs(r, c)
}

// advance moves a series on to a period days after the first, gap days after the previous one. The
// latent draws come from r; the split of each flow into seen and never-seen systems, which only
// matters when Density leaves periods out, comes from split, so that the systems do not depend on
// the density.
func (s *series) advance(r, split *rand.Rand, c *country, o int, days, gap float64, m *shapeModel) change {
	phi := math.Pow(targetNoiseCorr, gap/7)
	s.noise = phi*s.noise + math.Sqrt(1-phi*phi)*targetNoiseSD*r.NormFloat64()
	offRate := hazard(c.offlineRate, gap)
	var ch change
	ch.offline = binomial(r, s.active, offRate)
	ch.returned = binomial(r, s.pool, hazard(m.returnWeekly, gap))
	lost := binomial(r, s.pool-ch.returned, hazard(m.lossWeekly, gap))
	trend := c.expected(o, days)
	// Births fill the gap between the target and the systems that stayed or came back, so the stock
	// follows the trend; a floor keeps systems appearing when the stock is above its target.
	deficit := trend*math.Exp(s.noise) - float64(s.active-ch.offline+ch.returned)
	ch.born = poisson(r, max(birthFloor*offRate*trend, deficit))

	offUnseen := splitDraw(split, ch.offline, s.unseen, s.active)
	retUnseen := splitDraw(split, ch.returned, s.poolUnseen, s.pool)
	lostUnseen := splitDraw(split, lost, s.poolUnseen-retUnseen, s.pool-ch.returned)
	s.active += ch.born + ch.returned - ch.offline
	s.unseen += ch.born + retUnseen - offUnseen
	s.pool += ch.offline - ch.returned - lost
	s.poolUnseen += offUnseen - retUnseen - lostUnseen
	s.drawOrgs(r, c)
	return ch
}

// drawOrgs draws the organizations behind the active systems: the first system is one organization,
// each further one a further organization with the country's chance.
func (s *series) drawOrgs(r *rand.Rand, c *country) {
	s.orgs = 0
	if s.active > 0 {
		s.orgs = 1 + binomial(r, s.active-1, c.orgsPerSystem)
	}
}

// flows is what one period publishes of a series' systems: the stock and the two flows, each with
// the organizations behind it.
type flows struct {
	stock, stockOrgs     int64
	newSys, newOrgs      int64
	offline, offlineOrgs int64
}

// observe returns what a period publishes of the series after ch, when its unit is kept or not, and
// records it for the next period. A left-out unit is a structural zero: no system is observed, so the
// previous period's systems all count as offline and the next period's as not seen before. With
// RelationsIdentity a system is new when the previous period did not see it; with
// RelationsInequalities only when no period saw it, so a returning system is neither new nor offline.
func (s *series) observe(r *rand.Rand, ch change, kept bool, mode Relations, c *country) flows {
	var f flows
	if s.observed {
		if kept {
			f.offline = ch.offline
			f.offlineOrgs = flowOrgs(r, f.offline, s.prevStock, s.prevOrgs, c.orgsPerSystem)
		} else {
			f.offline, f.offlineOrgs = s.prevStock, s.prevOrgs
		}
	}
	if kept {
		f.stock, f.stockOrgs = s.active, s.orgs
		switch {
		case mode == RelationsInequalities:
			f.newSys = s.unseen
		case s.observed:
			f.newSys = ch.born + ch.returned
		default:
			f.newSys = s.active
		}
		f.newOrgs = flowOrgs(r, f.newSys, s.active, s.orgs, c.orgsPerSystem)
		s.unseen = 0
	}
	s.observed, s.prevStock, s.prevOrgs = kept, f.stock, f.stockOrgs
	return f
}

// flowOrgs draws the organizations behind a flow of n of the whole systems of a stock that orgs
// organizations run: all of them when the flow is the whole stock, else as the stock's own are
// drawn, but never more than the stock's.
func flowOrgs(r *rand.Rand, n, whole, orgs int64, orgsPerSystem float64) int64 {
	switch {
	case n <= 0:
		return 0
	case n >= whole:
		return orgs
	}
	return min(orgs, 1+binomial(r, n-1, orgsPerSystem))
}

// splitDraw returns how many of k systems drawn at random from whole lie in a part of it, as a
// binomial with the part's share clamped to what is possible (an approximation of the
// hypergeometric that is exact at the ends: none or all of whole in the part).
func splitDraw(r *rand.Rand, k, part, whole int64) int64 {
	switch {
	case k <= 0 || part <= 0:
		return 0
	case part >= whole:
		return k
	}
	n := binomial(r, k, float64(part)/float64(whole))
	return min(k, part, max(n, k-(whole-part)))
}

// counts are the values and contributors of one (period, country, organization type), per quantity.
type counts struct {
	value, contributors [numQuantities]int64
}

// others draws the quantities that no relation links, from the systems the model knows at the
// period (observed or not): studies, images and patients on them, and their vulnerabilities. Each
// contributing organization accounts for at least one unit of a count.
func (s *series) others(r *rand.Rand, c *country, out *counts) {
	value, contributors := &out.value, &out.contributors
	small := r.Float64() < smallArchiveProb
	systems := s.active
	if systems == 0 {
		for _, q := range []int{qStudies, qImages, qPatients, qHigh, qCritical} {
			value[q], contributors[q] = 0, 0
		}
		return
	}
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
	value[qStudies], value[qImages], value[qPatients] = studies, images, patients
	value[qHigh], value[qCritical] = high, binomial(r, high, c.critical)
	for _, q := range []int{qStudies, qImages, qPatients, qHigh, qCritical} {
		contributors[q] = min(s.orgs, value[q])
	}
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
	if n <= 0 || p <= 0 {
		return 0
	}
	if p >= 1 {
		return n
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
