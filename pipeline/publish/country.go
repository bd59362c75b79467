package publish

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/pipeline/publish/chart"
	"github.com/exposure-research/exposure/pipeline/trend"
	"github.com/exposure-research/exposure/schemas"
)

// countryDirectory is the folder of the country pages in a report folder.
const countryDirectory = "countries"

// countryPage is the path of a country's page in the report folder: countries/DE.md.
func (f *reportFacts) countryPage(geo schemas.GeoID) string {
	return countryDirectory + "/" + f.vocab.Geo.Node(geo).Code + ".md"
}

// hasPage reports whether a country has a page (it has a published cell).
func (f *reportFacts) hasPage(geo schemas.GeoID) bool {
	_, ok := slices.BinarySearch(f.pages, geo)
	return ok
}

// flagged is a cell as the country pages and the index show it: its value or x, followed by its
// observation status (B, E or P) unless it is a normal value, as cells.parquet's obs_status gives it.
func flagged(c protect.Cell) string {
	text := cellText(c)
	if code := c.Flags.Code(); code != schemas.ObsCodeNormal {
		text += " " + code
	}
	return text
}

// cellsOf returns the cells of an area in a table: they are contiguous, since cells are sorted by
// area first.
func cellsOf(t *protect.Table, geo schemas.GeoID) []protect.Cell {
	start, _ := slices.BinarySearchFunc(t.Cells, geo, func(c protect.Cell, g schemas.GeoID) int { return cmp.Compare(c.Geo, g) })
	end := start
	for end < len(t.Cells) && t.Cells[end].Geo == geo {
		end++
	}
	return t.Cells[start:end]
}

// cellAt returns the cell (geo, all types) of a metric's period, if the table has it.
func (f *reportFacts) cellAt(m schemas.MetricID, period schemas.Date, geo schemas.GeoID) (protect.Cell, bool) {
	t := f.tables[periodMetric{period, m}]
	if t == nil {
		return protect.Cell{}, false
	}
	return findCell(t, geo, schemas.OrgAll)
}

// lastPublished returns the last period in which the area's total of a metric is published.
func (f *reportFacts) lastPublished(m schemas.MetricID, geo schemas.GeoID) (protect.Cell, schemas.Date, bool) {
	tables := f.byMetric[m]
	for i := len(tables) - 1; i >= 0; i-- {
		if c, ok := findCell(tables[i], geo, schemas.OrgAll); ok {
			if _, published := c.Value(); published {
				return c, tables[i].Period, true
			}
		}
	}
	return protect.Cell{}, 0, false
}

// writeCountryIndex writes the index of the country pages: each country with its first metric at
// the period of widest coverage (where every country is measured alike), its last published value
// when that is of a later period, and its trend.
func (f *reportFacts) writeCountryIndex(b *strings.Builder) {
	b.WriteString("## Countries\n\n")
	m, ok := f.firstMetric()
	if !ok || len(f.pages) == 0 {
		b.WriteString("No country has a published figure, so there is no country page.\n\n")
		return
	}
	words := escapeText(f.vocab.Metric(m).Code)
	widest := f.widest[m]
	fmt.Fprintf(b, "A page for each of the %s with a published figure: its history for every metric and period with its flags, its trends, "+
		"its comparison with its sub-region, region and the other countries of its sub-region, a chart, its sources and what is withheld. "+
		"The value is %s over all organization types at %s, the most recent period that covers the most countries (%s), where the countries "+
		"are measured alike; Later is a country's last published value when it is of a later period; Trend is that of its series since its "+
		"last break, with n and p.\n\n",
		plural(len(f.pages), "country", "countries"), words, widest.Period, formatCount(int64(len(chart.CountriesCovered(f.vocab, widest)))))
	pages := slices.Clone(f.pages)
	slices.SortStableFunc(pages, func(a, b schemas.GeoID) int {
		return strings.Compare(f.vocab.Geo.Node(a).Name, f.vocab.Geo.Node(b).Name)
	})
	var rows [][]string
	for _, geo := range pages {
		node := f.vocab.Geo.Node(geo)
		region := markStructural
		if parent := f.vocab.Geo.Node(node.Parent); parent.Level == schemas.SubRegion {
			region = escapeText(parent.Name)
		}
		value := markStructural
		if c, ok := findCell(widest, geo, schemas.OrgAll); ok {
			value = flagged(c)
		}
		later := ""
		if c, period, ok := f.lastPublished(m, geo); ok && period > widest.Period {
			later = fmt.Sprintf("%s at %s", flagged(c), period)
		}
		rows = append(rows, []string{fmt.Sprintf("[%s](%s)", escapeText(node.Name), f.countryPage(geo)), escapeText(node.Code), region,
			value, later, f.trendText(f.series[seriesKey{m, geo}])})
	}
	writeTable(b, []string{"Country", "Code", "Sub-region", fmt.Sprintf("%s, %s", words, widest.Period), "Later", "Trend"}, "lllrll", rows)
	f.writeSuppressedNote(b, rows)
	b.WriteString(flagNote + "\n\n")
	var without []string
	for _, geo := range f.coveredCountries() {
		if !f.hasPage(geo) {
			without = append(without, fmt.Sprintf("%s (%s)", f.areaName(geo), escapeText(f.vocab.Geo.Node(geo).Code)))
		}
	}
	if len(without) > 0 {
		fmt.Fprintf(b, "Every figure of %s is withheld, so %s no page: %s.\n\n", plural(len(without), "country", "countries"),
			word(len(without), "it has", "they have"), strings.Join(without, ", "))
	}
}

// flagNote explains the flags after a value.
const flagNote = "B after a value: a break in series (its source, definition or coverage differs from the period before), not comparable with earlier periods; " +
	"E: an estimate or illustrative allocation that the dataset declares, not a measurement; P: provisional. A figure that is both a break and an estimate shows B, as obs_status does. " +
	markStructural + ": no submission covers it."

// coveredCountries returns every country that some table covers, in GeoID order.
func (f *reportFacts) coveredCountries() []schemas.GeoID {
	seen := map[schemas.GeoID]bool{}
	for _, t := range f.r.Protected.Tables {
		for _, c := range chart.CountriesCovered(f.vocab, t) {
			seen[c] = true
		}
	}
	out := make([]schemas.GeoID, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// renderCountryPage writes countries/<CC>.md: a short summary, the history of every metric over all
// periods with its flags and their notes, the chart, the trends, the comparisons, the latest figures
// by organization type, the sources and what is withheld.
func renderCountryPage(f *reportFacts, geo schemas.GeoID) []byte {
	var b strings.Builder
	node := f.vocab.Geo.Node(geo)
	prov := f.r.Protected.Provenance
	fmt.Fprintf(&b, "# %s (%s)\n\n", escapeText(node.Name), escapeText(node.Code))
	var path []string
	for _, up := range f.vocab.Geo.Ancestors(geo) {
		n := f.vocab.Geo.Node(up)
		level := map[schemas.GeoLevel]string{schemas.Region: "region", schemas.SubRegion: "sub-region"}[n.Level]
		if level != "" {
			path = append([]string{fmt.Sprintf("%s: %s (%s)", level, escapeText(n.Name), escapeText(n.Code))}, path...)
		}
	}
	where := "The M49 hierarchy puts it in no region: it adds up to the world directly."
	if len(path) > 0 {
		where = capitalize(strings.Join(path, "; ")) + "."
	}
	title := prov.Title
	if title == "" {
		title = prov.DatasetID
	}
	fmt.Fprintf(&b, "[Back to the briefing](../%s) · %s %s, dataset %s. Figures are over all organization types unless a table says otherwise.\n\n",
		ReportFile, where, escapeText(title), escapeText(prov.DatasetID))
	f.writeCountrySummary(&b, geo)
	f.writeCountryHistory(&b, geo)
	if c, ok := f.countryCharts[geo]; ok {
		b.WriteString("## Chart\n\n")
		writeChartFile(&b, c, "../")
	}
	f.writeCountryTrends(&b, geo)
	f.writeCountryComparisons(&b, geo)
	f.writeCountryByType(&b, geo)
	f.writeCountrySources(&b, geo)
	f.writeCountryWithheld(&b, geo)
	return []byte(b.String())
}

// countryPeriods returns the periods at which some table covers the country, ascending.
func (f *reportFacts) countryPeriods(geo schemas.GeoID) []schemas.Date {
	var out []schemas.Date
	for _, t := range f.r.Protected.Tables {
		if _, ok := findCell(t, geo, schemas.OrgAll); ok {
			if n := len(out); n == 0 || out[n-1] != t.Period {
				out = append(out, t.Period)
			}
		}
	}
	return out
}

// countryMetrics returns the metrics, in display order, that have a cell of the country.
func (f *reportFacts) countryMetrics(geo schemas.GeoID) []schemas.MetricID {
	var out []schemas.MetricID
	for _, m := range f.vocab.MetricOrder() {
		if slices.ContainsFunc(f.byMetric[m], func(t *protect.Table) bool { _, ok := findCell(t, geo, schemas.OrgAll); return ok }) {
			out = append(out, m)
		}
	}
	return out
}

// writeCountrySummary writes what the page shows, in a few sentences with their figures and periods.
func (f *reportFacts) writeCountrySummary(b *strings.Builder, geo schemas.GeoID) {
	b.WriteString("## Summary\n\n")
	name := f.areaName(geo)
	periods := f.countryPeriods(geo)
	var sources []string
	for i, id := range f.sourceIDs {
		if slices.ContainsFunc(f.r.Protected.Tables, func(t *protect.Table) bool {
			c, ok := findCell(t, geo, schemas.OrgAll)
			return ok && c.Sources.Has(i)
		}) {
			sources = append(sources, escapeText(id))
		}
	}
	var dates []string
	for _, d := range periods {
		dates = append(dates, d.String())
	}
	span := joinAnd(dates)
	if len(periods) > 4 {
		span = fmt.Sprintf("from %s to %s", periods[0], periods[len(periods)-1])
	}
	fmt.Fprintf(b, "- **Covered.** %s is covered at %s of the %s reporting periods (%s), by %s.\n", name,
		formatCount(int64(len(periods))), formatCount(int64(len(f.periods))), span, joinAnd(sources))
	if m, ok := f.firstMetric(); ok {
		f.writeCountryHeadline(b, geo, m)
	}
	var cells, withheld int64
	for _, t := range f.r.Protected.Tables {
		for _, c := range cellsOf(t, geo) {
			cells++
			if c.Suppressed() {
				withheld++
			}
		}
	}
	if withheld == 0 {
		fmt.Fprintf(b, "- **Withheld.** None of the %s cells of %s (every metric, period and organization type) is withheld.\n\n", formatCount(cells), name)
		return
	}
	fmt.Fprintf(b, "- **Withheld.** %s of the %s cells of %s (%s; every metric, period and organization type) are withheld (%s): see Withheld below.\n\n",
		formatCount(withheld), formatCount(cells), name, share(withheld, cells), markSuppressed)
}

// writeCountryHeadline writes the country's first metric: its last published value, its comparable
// change into that period, its value and rank at the period of widest coverage, and its trend.
func (f *reportFacts) writeCountryHeadline(b *strings.Builder, geo schemas.GeoID, m schemas.MetricID) {
	metric := f.vocab.Metric(m)
	words := metricWords(metric.Code)
	lead := strings.ToUpper(words[:1]) + words[1:]
	c, period, ok := f.lastPublished(m, geo)
	if !ok {
		fmt.Fprintf(b, "- **%s.** No total of %s is published for %s.\n", lead, words, f.areaName(geo))
		return
	}
	text := fmt.Sprintf("%s at %s, the last published value", flagged(c), period)
	if row, ok := f.breakRows[cellRef{m, geo, period}]; ok {
		text += fmt.Sprintf(", which is not comparable with %s (%s)", row.PrevPeriod, f.breakCause(f.breakText(row)))
	} else if row, ok := f.countryRow(geo, period); ok {
		switch {
		case row.AbsChange.Valid:
			pct := ""
			if row.PctChange.Valid {
				pct = ", " + formatPercent(row.PctChange.V, true)
			}
			text += fmt.Sprintf(", against %s at %s: a change of %s%s, comparable (both values published and no break between them)",
				formatCount(row.PrevValue.V), row.PrevPeriod, formatSignedCount(row.AbsChange.V), pct)
		case !row.PrevValue.Valid:
			text += fmt.Sprintf("; its change since %s cannot be derived, since the value then is withheld", row.PrevPeriod)
		}
	}
	text += "."
	if widest := f.widest[m]; widest.Period != period {
		if wc, ok := findCell(widest, geo, schemas.OrgAll); ok {
			text += fmt.Sprintf(" At %s, the period of widest coverage: %s", widest.Period, flagged(wc))
			if row, ok := f.countryRow(geo, widest.Period); ok && row.Rank.Valid {
				text += fmt.Sprintf(", rank %s of the %s countries covered", formatCount(row.Rank.V), formatCount(int64(len(chart.CountriesCovered(f.vocab, widest)))))
			}
			text += "."
		}
	} else if row, ok := f.countryRow(geo, period); ok && row.Rank.Valid {
		text += fmt.Sprintf(" Rank %s of the %s countries covered then.", formatCount(row.Rank.V), formatCount(int64(len(chart.CountriesCovered(f.vocab, f.tables[periodMetric{period, m}])))))
	}
	if s := f.series[seriesKey{m, geo}]; s != nil {
		if s.NPeriods >= int64(trend.MinTrendPeriods) {
			text += " Since " + s.SegmentStart.String() + ", it " + f.trendClause(s) + "."
		} else {
			text += fmt.Sprintf(" Too few published periods since its last break for a trend test (n = %d; a test at 5 %% needs %d).", s.NPeriods, trend.MinTrendPeriods)
		}
	}
	fmt.Fprintf(b, "- **%s.** %s\n", lead, text)
}

// writeCountryHistory writes the history table of every metric over every period of the dataset
// (a period that does not cover the country shows –), with the notes on the flags it shows.
func (f *reportFacts) writeCountryHistory(b *strings.Builder, geo schemas.GeoID) {
	b.WriteString("## History\n\n")
	metrics := f.countryMetrics(geo)
	header := []string{"Period", "Source"}
	align := "ll"
	for _, m := range metrics {
		header = append(header, escapeText(f.vocab.Metric(m).Code))
		align += "r"
	}
	type breakNote struct {
		period  schemas.Date
		text    string
		metrics []string
	}
	var breaks []breakNote
	estimated := map[schemas.MetricID]bool{}
	var rows [][]string
	for _, period := range f.periods {
		var sources protect.SourceSet
		row := []string{period.String(), ""}
		for _, m := range metrics {
			c, ok := f.cellAt(m, period, geo)
			if !ok {
				row = append(row, markStructural)
				continue
			}
			sources |= c.Sources
			row = append(row, flagged(c))
			if c.Flags.Code() == schemas.ObsCodeEstimated {
				estimated[m] = true
			}
			if r, ok := f.breakRows[cellRef{m, geo, period}]; ok {
				text := f.breakText(r)
				i := slices.IndexFunc(breaks, func(n breakNote) bool { return n.period == period && n.text == text })
				if i < 0 {
					breaks = append(breaks, breakNote{period: period, text: text})
					i = len(breaks) - 1
				}
				breaks[i].metrics = append(breaks[i].metrics, escapeText(f.vocab.Metric(m).Code))
			}
		}
		row[1] = markStructural
		if sources != 0 {
			row[1] = strings.ReplaceAll(f.sourceText(sources), ", ", ",")
		}
		rows = append(rows, row)
	}
	if len(rows) <= maxPeriodColumns {
		// Few periods read best as columns, the metrics as rows, as a statistical table of a
		// country's history is set; many periods need a row each.
		header, align, rows = transpose(header, rows)
	}
	writeTable(b, header, align, rows)
	f.writeSuppressedNote(b, rows)
	for _, n := range breaks {
		fmt.Fprintf(b, "B at %s (%s): %s.\n\n", n.period, strings.Join(n.metrics, ", "), f.breakCause(n.text))
	}
	if len(estimated) > 0 {
		code := f.vocab.Geo.Node(geo).Code
		var reasons []string
		for _, e := range f.r.Protected.Provenance.Estimates {
			if len(e.Countries) > 0 && !slices.Contains(e.Countries, code) {
				continue
			}
			if len(e.Metrics) > 0 && !slices.ContainsFunc(e.Metrics, func(mc string) bool {
				id, ok := f.vocab.MetricByCode(mc)
				return ok && estimated[id]
			}) {
				continue
			}
			if r := sentence(capitalize(escapeText(e.Reason))); !slices.Contains(reasons, r) {
				reasons = append(reasons, r)
			}
		}
		fmt.Fprintf(b, "E: the dataset declares these figures estimates or illustrative allocations. %s\n\n", strings.Join(reasons, " "))
	}
	b.WriteString(flagNote + "\n\n")
}

// maxPeriodColumns is how many periods a country's history shows as columns; with more, each
// period is a row.
const maxPeriodColumns = 8

// transpose turns a history table with a row per period (period, source, then a column per metric)
// into one with a row per metric, the source as the first row and a column per period.
func transpose(header []string, rows [][]string) ([]string, string, [][]string) {
	out := []string{"Metric"}
	align := "l"
	for _, row := range rows {
		out = append(out, row[0])
		align += "r"
	}
	cells := make([][]string, len(header)-1)
	for i := range cells {
		cells[i] = []string{header[i+1]}
		for _, row := range rows {
			cells[i] = append(cells[i], row[i+1])
		}
	}
	cells[0][0] = "Source"
	return out, align, cells
}

// capitalize puts the first letter of a sentence in upper case.
func capitalize(s string) string {
	for i, r := range s {
		return s[:i] + strings.ToUpper(string(r)) + s[i+len(string(r)):]
	}
	return s
}

// breakCause is a break's text without its lead, for a note that already says B.
func (f *reportFacts) breakCause(text string) string {
	return strings.TrimPrefix(text, "break in series: ")
}

// writeCountryTrends writes the trend of every metric of the country since its last break.
func (f *reportFacts) writeCountryTrends(b *strings.Builder, geo schemas.GeoID) {
	b.WriteString("## Trends\n\n")
	var rows [][]string
	for _, m := range f.countryMetrics(geo) {
		s := f.series[seriesKey{m, geo}]
		if s == nil {
			continue
		}
		periods := "none published"
		if s.FirstPeriod.Valid {
			periods = s.FirstPeriod.V.String()
			if s.LastPeriod.V != s.FirstPeriod.V {
				periods += " to " + s.LastPeriod.V.String()
			}
		}
		slope := ""
		if s.NPeriods >= int64(trend.MinTrendPeriods) && s.SenSlope.Valid {
			slope = formatRate(s.SenSlope.V)
			if s.SenLower.Valid && s.SenUpper.Valid {
				slope += fmt.Sprintf(" (%s to %s)", formatRate(s.SenLower.V), formatRate(s.SenUpper.V))
			}
		}
		rows = append(rows, []string{escapeText(f.vocab.Metric(m).Code), escapeText(f.vocab.Metric(m).Unit), s.SegmentStart.String(), periods,
			f.trendText(s), slope})
	}
	writeTable(b, []string{"Metric", "Unit", "Segment from", "Published periods", "Trend", "Sen's slope a year (95 % CI)"}, "llllll", rows)
	fmt.Fprintf(b, "Over the published periods since the series' last break in series (its segment): rising or falling when the two-sided "+
		"Mann-Kendall test rejects no trend at the 5 %% level, no significant trend when it does not (which is not evidence of stability), "+
		"too few periods below %d published values; n is the number of published periods, p the test's p-value. Sen's slope, in the metric's "+
		"unit a year with its 95 %% confidence interval, is given where a test is possible (series.parquet has it for every series).\n\n",
		trend.MinTrendPeriods)
}

// relationOrder is the order of the comparisons on a country page.
var relationOrder = []string{trend.RelationSubRegion, trend.RelationRegion, trend.RelationWorld, trend.RelationPeer, trend.RelationDeclared}

// relationText names what the other area is to the country.
var relationText = map[string]string{
	trend.RelationSubRegion: "its sub-region",
	trend.RelationRegion:    "its region",
	trend.RelationWorld:     "the world",
	trend.RelationPeer:      "same sub-region",
	trend.RelationDeclared:  "named by the dataset",
}

// writeCountryComparisons writes the comparisons of the country's trends with its sub-region's,
// region's and the world's, and with the other countries of its sub-region, from comparisons.parquet.
func (f *reportFacts) writeCountryComparisons(b *strings.Builder, geo schemas.GeoID) {
	b.WriteString("## Compared with its sub-region, region and neighbours\n\n")
	var rows []trend.ComparisonRow
	for _, i := range f.comparisons[geo] {
		rows = append(rows, f.r.Comparisons[i])
	}
	if len(rows) == 0 {
		b.WriteString("No comparison: no other area has a series of the same metrics.\n\n")
		return
	}
	order := map[schemas.MetricID]int{}
	for i, m := range f.vocab.MetricOrder() {
		order[m] = i
	}
	slices.SortStableFunc(rows, func(x, y trend.ComparisonRow) int {
		return cmp.Or(cmp.Compare(order[x.Metric], order[y.Metric]),
			cmp.Compare(slices.Index(relationOrder, x.Relation), slices.Index(relationOrder, y.Relation)),
			strings.Compare(f.vocab.Geo.Node(x.Other).Name, f.vocab.Geo.Node(y.Other).Name))
	})
	// The first metric's comparisons are all shown, so that every relation appears; of the other
	// metrics, those that can be tested.
	first, _ := f.firstMetric()
	var cells [][]string
	tested, untested := 0, 0
	for _, c := range rows {
		testable := c.Slope.Valid && c.NPeriods >= int64(trend.MinTrendPeriods)
		if !testable && c.Metric != first {
			untested++
			continue
		}
		other := f.vocab.Geo.Node(c.Other)
		name := escapeText(other.Name)
		if other.Level == schemas.Country && f.hasPage(c.Other) {
			name = fmt.Sprintf("[%s](%s.md)", name, escapeText(other.Code))
		}
		periods := "none in common"
		switch {
		case c.FirstPeriod.Valid && c.FirstPeriod == c.LastPeriod:
			periods = c.FirstPeriod.V.String()
		case c.FirstPeriod.Valid:
			periods = fmt.Sprintf("%s to %s", c.FirstPeriod.V, c.LastPeriod.V)
		}
		gain := ""
		if testable {
			tested++
			gain = formatPercent(100*(math.Exp(c.Slope.V)-1), true)
		}
		cells = append(cells, []string{escapeText(f.vocab.Metric(c.Metric).Code), name, relationText[c.Relation], periods,
			trendLabelText(c.Trend, c.NPeriods, c.P, false, 0), gain})
	}
	if tested == 0 {
		fmt.Fprintf(b, "No comparison has enough common published periods for a test (at least %d), so none says that %s gains or loses ground.\n\n",
			trend.MinTrendPeriods, f.areaName(geo))
	}
	writeTable(b, []string{"Metric", "Compared with", "Relation", "Common periods", "Trend of the ratio", "Gain a year"}, "llllll", cells)
	if untested > 0 {
		fmt.Fprintf(b, "Not shown: %s of the other metrics, with too few common published periods for a test (fewer than %d); "+
			"%s has every comparison.\n\n", plural(untested, "comparison", "comparisons"), trend.MinTrendPeriods, schemas.Comparisons.File)
	}
	fmt.Fprintf(b, "Trend of the ratio of %s's series to the other's, over their common published periods since both series' last breaks: "+
		"rising when %s gains on the other, falling when it loses ground (a Mann-Kendall test of the log-ratio, per comparison, not adjusted "+
		"for the many made); n is the number of common periods. Gain a year: exp(Sen's slope of the log-ratio) - 1, given from %d common periods.\n\n",
		f.areaName(geo), f.areaName(geo), trend.MinTrendPeriods)
}

// writeCountryByType writes the country's latest figures by organization type, one row per metric.
func (f *reportFacts) writeCountryByType(b *strings.Builder, geo schemas.GeoID) {
	b.WriteString("## By organization type\n\n")
	b.WriteString("Each metric in the latest period that covers the country.\n\n")
	var orgs []schemas.OrgID
	type latest struct {
		m schemas.MetricID
		t *protect.Table
	}
	var tables []latest
	for _, m := range f.countryMetrics(geo) {
		ts := f.byMetric[m]
		for i := len(ts) - 1; i >= 0; i-- {
			if _, ok := findCell(ts[i], geo, schemas.OrgAll); ok {
				tables = append(tables, latest{m, ts[i]})
				break
			}
		}
	}
	for _, o := range f.vocab.OrgOrder() {
		if slices.ContainsFunc(tables, func(l latest) bool { _, ok := findCell(l.t, geo, o); return ok }) {
			orgs = append(orgs, o)
		}
	}
	header := []string{"Metric", "Period"}
	align := "ll"
	for _, o := range orgs {
		header = append(header, escapeText(f.vocab.Org(o).Name))
		align += "r"
	}
	header = append(header, "All types")
	align += "r"
	var rows [][]string
	for _, l := range tables {
		row := []string{escapeText(f.vocab.Metric(l.m).Code), l.t.Period.String()}
		for _, o := range append(slices.Clone(orgs), schemas.OrgAll) {
			text := markStructural
			if c, ok := findCell(l.t, geo, o); ok {
				text = flagged(c)
			}
			row = append(row, text)
		}
		rows = append(rows, row)
	}
	writeTable(b, header, align, rows)
	f.writeSuppressedNote(b, rows)
}

// writeCountrySources writes the sources that cover the country, with their periods and metrics.
func (f *reportFacts) writeCountrySources(b *strings.Builder, geo schemas.GeoID) {
	b.WriteString("## Sources\n\n")
	var rows [][]string
	for i, src := range f.r.Protected.Provenance.Sources {
		var periods []schemas.Date
		var metrics []schemas.MetricID
		for _, t := range f.r.Protected.Tables {
			c, ok := findCell(t, geo, schemas.OrgAll)
			if !ok || !c.Sources.Has(i) {
				continue
			}
			if n := len(periods); n == 0 || periods[n-1] != t.Period {
				periods = append(periods, t.Period)
			}
			if !slices.Contains(metrics, t.Metric) {
				metrics = append(metrics, t.Metric)
			}
		}
		if len(periods) == 0 {
			continue
		}
		var when string
		if len(periods) <= 6 {
			var texts []string
			for _, p := range periods {
				texts = append(texts, p.String())
			}
			when = strings.Join(texts, ", ")
		} else {
			when = fmt.Sprintf("%d periods, %s to %s", len(periods), periods[0], periods[len(periods)-1])
		}
		var codes []string
		for _, m := range f.vocab.MetricOrder() {
			if slices.Contains(metrics, m) {
				codes = append(codes, escapeText(f.vocab.Metric(m).Code))
			}
		}
		rows = append(rows, []string{escapeText(src.ID), escapeText(src.Name), when, strings.Join(codes, ", ")})
	}
	writeTable(b, []string{"Source", "Name", "Periods", "Metrics"}, "llll", rows)
	b.WriteString("Each submission was verified against its source's minisign signature before use (see Provenance in the briefing).\n\n")
}

// writeCountryWithheld writes what is withheld of the country: per metric, the periods whose total
// is withheld and how many cells by organization type are.
func (f *reportFacts) writeCountryWithheld(b *strings.Builder, geo schemas.GeoID) {
	b.WriteString("## Withheld\n\n")
	var rows [][]string
	for _, m := range f.countryMetrics(geo) {
		var totals []string
		var parts, partCells int64
		for _, t := range f.byMetric[m] {
			for _, c := range cellsOf(t, geo) {
				switch {
				case c.Org == schemas.OrgAll && c.Suppressed():
					totals = append(totals, t.Period.String())
				case c.Org != schemas.OrgAll:
					partCells++
					if c.Suppressed() {
						parts++
					}
				}
			}
		}
		if len(totals) == 0 && parts == 0 {
			continue
		}
		total := "none"
		switch {
		case len(totals) > 6:
			total = fmt.Sprintf("%d periods, %s to %s", len(totals), totals[0], totals[len(totals)-1])
		case len(totals) > 0:
			total = strings.Join(totals, ", ")
		}
		rows = append(rows, []string{escapeText(f.vocab.Metric(m).Code), total, fmt.Sprintf("%s of %s", formatCount(parts), formatCount(partCells))})
	}
	if len(rows) == 0 {
		fmt.Fprintf(b, "Nothing of %s is withheld.\n\n", f.areaName(geo))
		return
	}
	writeTable(b, []string{"Metric", "Total withheld at", "Cells by organization type withheld"}, "llr", rows)
	b.WriteString(f.suppressedNote() + " Which withheld cells are which is not published.\n\n")
}
