package synth

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/exposure-research/exposure/schemas"
)

// Shape is the layout of a synthetic dataset: which cells it holds, which source sends which
// countries, in which files, and how the model's constants are tuned.
type Shape string

const (
	// ShapeStandard takes the first Options.Countries countries of CountryOrder, shares them among
	// Options.Sources sources country by country (so that every source spans the world), writes one
	// file per source and keeps Options.Density of the cells.
	ShapeStandard Shape = "standard"
	// ShapeFullGrid writes every cell of every table: all 249 countries x 8 organization types x the
	// metrics, four sources that each cover whole M49 regions, one file per source and calendar year,
	// tuned to the benchmark dataset of issue 16: about 24 % of the leaves non-zero with fewer than 3
	// contributors, 11 % zeros, largest and second_largest on 46 % of the rows.
	ShapeFullGrid Shape = "full-grid"
)

// Cadence is the spacing of a dataset's periods.
type Cadence string

const (
	// Weekly periods are Mondays, from FirstPeriod (2019-01-07): the cadence of a scanner that
	// re-measures the internet every week.
	Weekly Cadence = "weekly"
	// Monthly periods are the first day of each month, from FirstMonth (2019-01-01).
	Monthly Cadence = "monthly"
)

// Relations says which relations between the system metrics a synthetic dataset satisfies and
// declares. Every mode satisfies the vocabulary's two inequalities (SPEC 3.3): new_systems <=
// exposed_systems and offline_systems <= the previous period's exposed_systems.
type Relations string

const (
	// RelationsInequalities lets a system that went offline come back later. new_systems counts the
	// systems seen for the first time, so a returning system is counted neither new nor offline and
	// the stock-flow identity does not hold; dataset.yaml declares no relation.
	RelationsInequalities Relations = "inequalities"
	// RelationsIdentity counts as new every system that the previous period did not see, a returning
	// one too, so that exposed_systems = prev(exposed_systems) + new_systems - offline_systems holds
	// exactly for every country and organization type, and dataset.yaml declares it.
	RelationsIdentity Relations = "identity"
)

// StockFlowIdentity is the relation that RelationsIdentity declares in dataset.yaml (SPEC 6).
const StockFlowIdentity = "exposed_systems = prev(exposed_systems) + new_systems - offline_systems"

// FirstMonth is the first period of a monthly dataset.
const FirstMonth = "2019-01-01"

// ParseShape reads a shape name, as `exposure synth --shape` takes it: standard or full-grid.
func ParseShape(s string) (Shape, error) {
	return parseName(s, "shape", ShapeStandard, ShapeFullGrid)
}

// ParseCadence reads a cadence name: weekly or monthly.
func ParseCadence(s string) (Cadence, error) {
	return parseName(s, "cadence", Weekly, Monthly)
}

// ParseRelations reads a relations mode: inequalities or identity.
func ParseRelations(s string) (Relations, error) {
	return parseName(s, "relations", RelationsInequalities, RelationsIdentity)
}

func parseName[T ~string](s, what string, names ...T) (T, error) {
	var known []string
	for _, n := range names {
		if string(n) == s {
			return n, nil
		}
		known = append(known, string(n))
	}
	return "", fmt.Errorf("%s %q: want one of %s", what, s, strings.Join(known, ", "))
}

// periodDates returns the n period dates of a cadence.
func periodDates(c Cadence, n int) ([]schemas.Date, error) {
	var dates []schemas.Date
	switch c {
	case Weekly:
		first, err := schemas.ParseDate(FirstPeriod)
		if err != nil {
			return nil, fmt.Errorf("first period: %w", err)
		}
		for t := 0; t < n; t++ {
			dates = append(dates, first+schemas.Date(7*t))
		}
	case Monthly:
		first, err := schemas.ParseDate(FirstMonth)
		if err != nil {
			return nil, fmt.Errorf("first period: %w", err)
		}
		start := first.Time()
		for t := 0; t < n; t++ {
			dates = append(dates, schemas.DateOf(start.AddDate(0, t, 0)))
		}
	default:
		return nil, fmt.Errorf("cadence %q", c)
	}
	return dates, nil
}

// regionSource assigns the M49 regions to the four sources of the full grid: Africa, the Americas,
// Asia with Oceania and the countries that have no region (AQ, TW), and Europe; 60, 57, 81 and 51
// countries.
var regionSource = map[string]int{"002": 0, "019": 1, "142": 2, "009": 2, "": 2, "150": 3}

// fullGridSources is the number of sources of ShapeFullGrid.
const fullGridSources = 4

// regionNames names the regions each full-grid source covers, for dataset.yaml and README.md.
var regionNames = [fullGridSources]string{"Africa", "Americas", "Asia, Oceania and the countries without a region", "Europe"}

// assignSources returns, per source, the positions in g.countries of the countries it sends, sorted
// by country code (the sort order of its rows).
func assignSources(vocab *schemas.Vocabulary, countries []country, opts Options) ([][]int, error) {
	bySource := make([][]int, opts.Sources)
	for i, c := range countries {
		s := i % opts.Sources
		if opts.Shape == ShapeFullGrid {
			region, err := regionOf(vocab, c.code)
			if err != nil {
				return nil, err
			}
			var ok bool
			if s, ok = regionSource[region]; !ok {
				return nil, fmt.Errorf("country %s: region %q has no full-grid source", c.code, region)
			}
		}
		bySource[s] = append(bySource[s], i)
	}
	for s := range bySource {
		sort.Slice(bySource[s], func(a, b int) bool { return countries[bySource[s][a]].code < countries[bySource[s][b]].code })
	}
	return bySource, nil
}

// regionOf returns the M49 code of a country's region, or "" for a country that has none.
func regionOf(vocab *schemas.Vocabulary, code string) (string, error) {
	geo := vocab.Geo
	id, ok := geo.CountryByCode(code)
	if !ok {
		return "", fmt.Errorf("country %q is not in the vocabulary", code)
	}
	if up := geo.Ancestors(id); len(up) >= 2 {
		return geo.Node(up[len(up)-2]).Code, nil
	}
	return "", nil
}

// dataFile is one signed submission of a synthetic dataset: a source's rows over a range of periods.
type dataFile struct {
	source      int
	name        string // path below the dataset folder, "data/lab01.csv"
	first, last int    // period indexes, inclusive
}

// dataFiles lists the files of a dataset in source order, then period order: one per source, or
// for the full grid one per source and calendar year.
func dataFiles(opts Options, periods []schemas.Date) []dataFile {
	var files []dataFile
	for s := 0; s < opts.Sources; s++ {
		id := sourceID(s, opts.Sources)
		if opts.Shape != ShapeFullGrid {
			files = append(files, dataFile{source: s, name: "data/" + id + ".csv", first: 0, last: len(periods) - 1})
			continue
		}
		for t := 0; t < len(periods); {
			year := periods[t].Time().Year()
			end := t
			for end+1 < len(periods) && periods[end+1].Time().Year() == year {
				end++
			}
			files = append(files, dataFile{source: s, name: "data/" + id + "-" + strconv.Itoa(year) + ".csv", first: t, last: end})
			t = end + 1
		}
	}
	return files
}
