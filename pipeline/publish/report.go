package publish

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/pipeline/publish/chart"
	"github.com/exposure-research/exposure/pipeline/trend"
	"github.com/exposure-research/exposure/schemas"
)

// moversShown is how many countries each list of top movers shows.
const moversShown = 5

// Marks in the report's tables for cells without a published number.
const (
	markSuppressed = "x"
	markStructural = "–"
	// markNotComparable replaces a change between periods that cover different countries.
	markNotComparable = "n/c"
)

// reportFacts is what report.md and the country pages say, gathered from the protected tables, the
// series, the comparisons and, as trends.parquet is written, the trend rows the briefing quotes. It
// holds published values only: everything it reads comes through Cell.Value or a trend row's
// null-aware fields.
type reportFacts struct {
	r     *trend.Result
	vocab *schemas.Vocabulary
	// byMetric are the tables of each metric, by MetricID, in period order.
	byMetric [][]*protect.Table
	latest   []*protect.Table // by MetricID: the metric's last table, nil if it has none
	// widest is, by MetricID, the metric's most recent table of widest coverage (the most countries),
	// nil if it has none; it may be the latest.
	widest []*protect.Table
	// worldRows are the world, all-types trend rows, by period and metric.
	worldRows map[periodMetric]trend.TrendRow
	// movers are the country, all-types trend rows of each metric's latest period with a published change.
	movers [][]trend.TrendRow
	// breaks are the country, all-types trend rows of each metric's latest period that break.
	breaks [][]trend.TrendRow
	// changes are, by metric, the country, all-types trend rows with a published change of the most
	// recent period that has any.
	changes [][]trend.TrendRow
	// breakRows are the world and country, all-types trend rows that break, by cell.
	breakRows map[cellRef]trend.TrendRow
	// countryLast and countryWidest are the country, all-types trend rows of the first metric: the
	// last with a published value, and the one of the metric's widest coverage.
	countryLast, countryWidest map[schemas.GeoID]trend.TrendRow
	// series is the series of the total over organization types, by metric and area.
	series  map[seriesKey]*trend.SeriesRow
	periods []schemas.Date // the periods of the dataset, ascending
	// tables are the protected tables by period and metric.
	tables map[periodMetric]*protect.Table
	// sourceIDs are the ids of Provenance.Sources, the bits of a protect.SourceSet.
	sourceIDs []string
	// pages are the countries with a published cell, which get a page, in GeoID order.
	pages []schemas.GeoID
	// comparisons are the indexes in r.Comparisons of each country's comparisons, in their order.
	comparisons map[schemas.GeoID][]int
	// charts are the report's figures, by metric and kind; set before the report is rendered.
	charts map[chartKey]chart.File
	// countryCharts are the country charts, by country.
	countryCharts map[schemas.GeoID]chart.File
	// sincePrevious are the changes since the previous release, when the build was given one; nil
	// otherwise, and report.md then has no section on them.
	sincePrevious *ReleaseDiff
}

// cellRef names a cell of a table over all organization types.
type cellRef struct {
	metric schemas.MetricID
	geo    schemas.GeoID
	period schemas.Date
}

type chartKey struct {
	metric schemas.MetricID
	kind   string
}

// setCharts records the charts the report and the country pages link to.
func (f *reportFacts) setCharts(files []chart.File) {
	f.charts = map[chartKey]chart.File{}
	f.countryCharts = map[schemas.GeoID]chart.File{}
	for _, c := range files {
		if c.Kind == chart.KindCountry {
			f.countryCharts[c.Geo] = c
			continue
		}
		f.charts[chartKey{c.Metric, c.Kind}] = c
	}
}

// writeChart links the chart of a metric and kind, with its caption, if there is one.
func (f *reportFacts) writeChart(b *strings.Builder, metric schemas.MetricID, kind string) {
	if c, ok := f.charts[chartKey{metric, kind}]; ok {
		writeChartFile(b, c, "")
	}
}

// writeChartFile links a chart from a page whose path to the report folder is up ("" or "../"),
// with its caption.
func writeChartFile(b *strings.Builder, c chart.File, up string) {
	fmt.Fprintf(b, "![%s](%s%s)\n\n", escapeText(c.Title), up, c.Name)
	if c.Caption != "" {
		fmt.Fprintf(b, "*%s*\n\n", escapeText(c.Caption))
	}
}

type seriesKey struct {
	metric schemas.MetricID
	geo    schemas.GeoID
}

type periodMetric struct {
	period schemas.Date
	metric schemas.MetricID
}

func newReportFacts(r *trend.Result) *reportFacts {
	v := r.Protected.Vocab
	f := &reportFacts{
		r:             r,
		vocab:         v,
		byMetric:      make([][]*protect.Table, v.NumMetrics()),
		latest:        make([]*protect.Table, v.NumMetrics()),
		widest:        make([]*protect.Table, v.NumMetrics()),
		worldRows:     map[periodMetric]trend.TrendRow{},
		movers:        make([][]trend.TrendRow, v.NumMetrics()),
		breaks:        make([][]trend.TrendRow, v.NumMetrics()),
		changes:       make([][]trend.TrendRow, v.NumMetrics()),
		breakRows:     map[cellRef]trend.TrendRow{},
		countryLast:   map[schemas.GeoID]trend.TrendRow{},
		countryWidest: map[schemas.GeoID]trend.TrendRow{},
		series:        map[seriesKey]*trend.SeriesRow{},
		tables:        map[periodMetric]*protect.Table{},
		comparisons:   map[schemas.GeoID][]int{},
	}
	published := map[schemas.GeoID]bool{}
	for _, t := range r.Protected.Tables {
		f.byMetric[t.Metric] = append(f.byMetric[t.Metric], t)
		f.latest[t.Metric] = t // tables ascend by period
		f.tables[periodMetric{t.Period, t.Metric}] = t
		if n := len(f.periods); n == 0 || f.periods[n-1] != t.Period {
			f.periods = append(f.periods, t.Period)
		}
		for _, c := range t.Cells {
			if _, ok := c.Value(); ok && v.Geo.Node(c.Geo).Level == schemas.Country {
				published[c.Geo] = true
			}
		}
	}
	for m, tables := range f.byMetric {
		f.widest[m] = chart.WidestCoverage(v, tables)
	}
	for geo := range published {
		f.pages = append(f.pages, geo)
	}
	slices.Sort(f.pages)
	for i := range r.Series {
		if s := &r.Series[i]; s.Org == schemas.OrgAll {
			f.series[seriesKey{s.Metric, s.Geo}] = s
		}
	}
	for i, c := range r.Comparisons {
		f.comparisons[c.Geo] = append(f.comparisons[c.Geo], i)
	}
	for _, src := range r.Protected.Provenance.Sources {
		f.sourceIDs = append(f.sourceIDs, src.ID)
	}
	return f
}

// observe keeps the trend rows the briefing needs; writeTrends calls it for every row it writes, in
// the published order (period first).
func (f *reportFacts) observe(row trend.TrendRow) {
	if int(row.Metric) >= len(f.latest) || f.latest[row.Metric] == nil || row.Org != schemas.OrgAll {
		return
	}
	m := row.Metric
	latest := row.Period == f.latest[m].Period
	level := f.vocab.Geo.Node(row.Geo).Level
	if row.Flags.Has(schemas.ObsBreak) && (level == schemas.World || level == schemas.Country) {
		f.breakRows[cellRef{m, row.Geo, row.Period}] = row
	}
	switch level {
	case schemas.World:
		f.worldRows[periodMetric{row.Period, m}] = row
	case schemas.Country:
		if first, ok := f.firstMetric(); ok && m == first {
			if row.Value.Valid {
				f.countryLast[row.Geo] = row
			}
			if row.Period == f.widest[m].Period {
				f.countryWidest[row.Geo] = row
			}
		}
		if row.AbsChange.Valid {
			if len(f.changes[m]) > 0 && f.changes[m][0].Period != row.Period {
				f.changes[m] = f.changes[m][:0] // a later period with published changes
			}
			f.changes[m] = append(f.changes[m], row)
		}
		switch {
		case !latest:
		case row.AbsChange.Valid:
			f.movers[m] = append(f.movers[m], row)
		case row.Flags.Has(schemas.ObsBreak):
			f.breaks[m] = append(f.breaks[m], row)
		}
	}
}

// countryRow returns the trend row of a country's total of the first metric at a period, when the
// briefing kept it: at the country's last published period and at the metric's widest coverage.
func (f *reportFacts) countryRow(geo schemas.GeoID, period schemas.Date) (trend.TrendRow, bool) {
	if row, ok := f.countryLast[geo]; ok && row.Period == period {
		return row, true
	}
	if row, ok := f.countryWidest[geo]; ok && row.Period == period {
		return row, true
	}
	return trend.TrendRow{}, false
}

// worldRow returns the world, all-types trend row of a metric's period, if the period has a
// previous one.
func (f *reportFacts) worldRow(m schemas.MetricID, period schemas.Date) (trend.TrendRow, bool) {
	row, ok := f.worldRows[periodMetric{period, m}]
	return row, ok
}

// renderReport writes report.md: a summary in sentences, headline figures, the index of country
// pages, top movers, comparisons, the tables of every metric at its widest coverage and its latest
// period, methodology, caveats and provenance, in that order, like a statistical office's release.
func renderReport(f *reportFacts, tool ToolInfo) []byte {
	var b strings.Builder
	p := f.r.Protected
	prov := p.Provenance
	title := prov.Title
	if title == "" {
		title = prov.DatasetID
	}
	fmt.Fprintf(&b, "# %s\n\n", escapeText(title))
	f.writeIntro(&b)
	f.writeSummary(&b)
	f.writeHeadlines(&b)
	f.writeCountryIndex(&b)
	f.writeMovers(&b)
	f.writeComparisons(&b)
	f.writeTables(&b)
	f.writeChanges(&b)
	f.writeMethodology(&b)
	f.writeCaveats(&b)
	f.writeProvenance(&b, tool)
	return []byte(b.String())
}

func (f *reportFacts) writeIntro(b *strings.Builder) {
	prov := f.r.Protected.Provenance
	fmt.Fprintf(b, "Dataset %s, licence %s.", escapeText(prov.DatasetID), escapeText(prov.Licence))
	switch len(f.periods) {
	case 0:
		b.WriteString(" The dataset has no figures.")
	case 1:
		fmt.Fprintf(b, " One reporting period: %s.", f.periods[0])
	default:
		fmt.Fprintf(b, " %d reporting periods, from %s to %s.", len(f.periods), f.periods[0], f.periods[len(f.periods)-1])
	}
	fmt.Fprintf(b, " The figures are aggregated counts submitted and signed by %s, protected by cell suppression before publication: "+
		"a cell shown as %s is withheld, and may hide any count, 0 included (see the note under each table, and Methodology).\n\n",
		plural(len(prov.Sources), "source", "sources"), markSuppressed)
}

// writeHeadlines writes the world total of every metric in its latest period, with the change since
// the previous period where both are published and comparable, and, in a section of its own, the
// world total of every metric whose latest period covers fewer countries than its most recent period
// of widest coverage, at that period. A world total that breaks (its source, definition or the
// countries it adds up differ from the previous period, in either direction) is not compared: the
// change shows n/c with a numbered note that says why.
func (f *reportFacts) writeHeadlines(b *strings.Builder) {
	b.WriteString("## Key figures\n\n")
	b.WriteString("World totals over all organization types in the latest period of each metric, the number of countries " +
		"they cover, and the change since the previous period.\n\n")
	if !f.writeWorldTable(b, func(m schemas.MetricID) *protect.Table { return f.latest[m] }) {
		b.WriteString("No figures were published.\n\n")
		return
	}
	if m, ok := f.firstMetric(); ok {
		f.writeChart(b, m, chart.KindOverTime)
	}
	widest := func(m schemas.MetricID) *protect.Table {
		if f.widest[m] == f.latest[m] {
			return nil
		}
		return f.widest[m]
	}
	if !slices.ContainsFunc(f.vocab.MetricOrder(), func(m schemas.MetricID) bool { return widest(m) != nil }) {
		return
	}
	b.WriteString("## The world at its widest coverage\n\n")
	b.WriteString("World totals over all organization types of the metrics whose latest period covers fewer countries than an earlier one, " +
		"at their most recent period of widest coverage (the period that covers the most countries, where the world total adds up the most " +
		"of the world, and every country it covers appears), the number of countries it covers, and the change since the previous period.\n\n")
	f.writeWorldTable(b, widest)
}

// writeWorldTable writes the world total of every metric in the period pick gives (none when it
// gives nil), with its coverage, its change and the notes on the breaks; it reports whether it
// wrote a row.
func (f *reportFacts) writeWorldTable(b *strings.Builder, pick func(m schemas.MetricID) *protect.Table) bool {
	rows := [][]string{}
	var notes []string
	for _, m := range f.vocab.MetricOrder() {
		t := pick(m)
		if t == nil {
			continue
		}
		metric := f.vocab.Metric(m)
		value := markStructural
		if c, ok := findCell(t, f.vocab.Geo.WorldID(), schemas.OrgAll); ok {
			value = cellText(c)
		}
		covered := chart.CountriesCovered(f.vocab, t)
		coverage := formatCount(int64(len(covered)))
		change, pct, since := "", "", "first period"
		if h, ok := f.worldRow(m, t.Period); ok {
			since = h.PrevPeriod.String()
			change, pct = changeText(h.AbsChange), pctText(h.PctChange)
			if prev := f.tables[periodMetric{h.PrevPeriod, m}]; prev != nil {
				if before := chart.CountriesCovered(f.vocab, prev); len(before) != len(covered) {
					coverage = fmt.Sprintf("%s (was %s)", coverage, formatCount(int64(len(before))))
				}
			}
			if h.Flags.Has(schemas.ObsBreak) {
				notes = append(notes, fmt.Sprintf("%s, %s: %s.", escapeText(metric.Code), h.Period, f.breakText(h)))
				change = fmt.Sprintf("%s (%d)", markNotComparable, len(notes))
				pct = change
			}
		}
		rows = append(rows, []string{escapeText(metric.Code), escapeText(metric.Unit), t.Period.String(), value, coverage, change, pct, since})
	}
	if len(rows) == 0 {
		return false
	}
	writeTable(b, []string{"Metric", "Unit", "Period", "World", "Countries", "Change", "% change", "Since"}, "lllrrrrl", rows)
	f.writeSuppressedNote(b, rows)
	if len(notes) > 0 {
		b.WriteString(markNotComparable + " not comparable: the world total breaks in series, so no change, index or growth rate is published across it (see Methodology, flags):\n\n")
		for i, n := range notes {
			fmt.Fprintf(b, "%d. %s\n", i+1, n)
		}
		b.WriteString("\n")
	}
	return true
}

// keyTables returns the tables of a metric that the briefing shows: its most recent table of widest
// coverage, then its latest table when that is another.
func (f *reportFacts) keyTables(m schemas.MetricID) []*protect.Table {
	switch {
	case f.latest[m] == nil:
		return nil
	case f.widest[m] == f.latest[m]:
		return []*protect.Table{f.latest[m]}
	}
	return []*protect.Table{f.widest[m], f.latest[m]}
}

// breakText says why a trend row is a break in series: the declared reason, the sources before and
// after, and the countries the total covers before and after.
func (f *reportFacts) breakText(row trend.TrendRow) string {
	var parts []string
	if row.Flags.Has(schemas.BreakDeclared) {
		var reasons []string
		for _, d := range f.r.Protected.Provenance.Breaks {
			if f.declares(d, row) && !slices.Contains(reasons, d.Reason) {
				reasons = append(reasons, d.Reason)
			}
		}
		text := "a break declared by the dataset"
		if len(reasons) > 0 {
			text += " (" + escapeText(strings.Join(reasons, "; ")) + ")"
		}
		parts = append(parts, text)
	}
	if row.Flags.Has(schemas.BreakSource) {
		if before, now := f.sourceText(row.PrevSources), f.sourceText(row.Sources); before != now {
			parts = append(parts, fmt.Sprintf("source %s before, %s now", before, now))
		} else {
			parts = append(parts, "a change of source of a country it adds up")
		}
	}
	if row.Flags.Has(schemas.BreakCoverage) {
		text := "a change of coverage"
		prev, cur := f.tables[periodMetric{row.PrevPeriod, row.Metric}], f.tables[periodMetric{row.Period, row.Metric}]
		if prev != nil && cur != nil {
			before, now := len(f.countriesUnder(prev, row.Geo)), len(f.countriesUnder(cur, row.Geo))
			if before != now {
				text = fmt.Sprintf("a change of coverage (%s countries before, %s now)", formatCount(int64(before)), formatCount(int64(now)))
			} else {
				text = "a change of coverage (the organization types or countries it adds up changed)"
			}
		}
		parts = append(parts, text)
	}
	if len(parts) == 0 {
		return "a break in series"
	}
	return "break in series: " + strings.Join(parts, "; ")
}

// declares reports whether a declared break applies to the row's cell: its period, its metric,
// and a country at or below its area.
func (f *reportFacts) declares(d ingest.Break, row trend.TrendRow) bool {
	if d.Period != row.Period.String() {
		return false
	}
	if len(d.Metrics) > 0 && !slices.Contains(d.Metrics, f.vocab.Metric(row.Metric).Code) {
		return false
	}
	if len(d.Countries) == 0 {
		return true
	}
	for _, code := range d.Countries {
		if c, ok := f.vocab.Geo.CountryByCode(code); ok && (c == row.Geo || slices.Contains(f.vocab.Geo.Ancestors(c), row.Geo)) {
			return true
		}
	}
	return false
}

// sourceText names the sources of a set, sorted ids joined by ", ".
func (f *reportFacts) sourceText(set protect.SourceSet) string {
	var ids []string
	for i, id := range f.sourceIDs {
		if set.Has(i) {
			ids = append(ids, escapeText(id))
		}
	}
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

// countriesUnder returns the countries at or below area that have a submission in the table.
func (f *reportFacts) countriesUnder(t *protect.Table, area schemas.GeoID) []schemas.GeoID {
	var out []schemas.GeoID
	for _, c := range f.countries(t) {
		if c == area || slices.Contains(f.vocab.Geo.Ancestors(c), area) {
			out = append(out, c)
		}
	}
	return out
}

// firstMetric returns the first metric, in display order, that has a table.
func (f *reportFacts) firstMetric() (schemas.MetricID, bool) {
	for _, m := range f.vocab.MetricOrder() {
		if f.latest[m] != nil {
			return m, true
		}
	}
	return 0, false
}

// countries returns the countries that have submissions in the table, in GeoID order.
func (f *reportFacts) countries(t *protect.Table) []schemas.GeoID {
	return chart.CountriesCovered(f.vocab, t)
}

// writeMovers writes, per metric, the countries with the largest published absolute and percent
// changes since the previous period (all organization types).
func (f *reportFacts) writeMovers(b *strings.Builder) {
	b.WriteString("## Top movers\n\n")
	fmt.Fprintf(b, "The %d countries with the largest published changes since the previous period, all organization types. "+
		"A country whose value is suppressed in either period, or whose series breaks, has no published change and is not ranked.\n\n", moversShown)
	shown := false
	for _, m := range f.vocab.MetricOrder() {
		movers, breaks := f.movers[m], f.breaks[m]
		if len(movers) == 0 && len(breaks) == 0 {
			continue
		}
		shown = true
		metric := f.vocab.Metric(m)
		first := breaks
		if len(movers) > 0 {
			first = movers
		}
		fmt.Fprintf(b, "### %s, %s to %s\n\n", escapeText(metric.Code), first[0].PrevPeriod, first[0].Period)
		if len(breaks) > 0 {
			var names []string
			for _, row := range breaks {
				node := f.vocab.Geo.Node(row.Geo)
				names = append(names, fmt.Sprintf("%s (%s; %s)", escapeText(node.Name), escapeText(node.Code), f.breakText(row)))
			}
			fmt.Fprintf(b, "Not ranked, %s: %s.\n\n", markNotComparable+" (not comparable)", strings.Join(names, ", "))
		}
		if len(movers) == 0 {
			continue
		}
		f.writeChart(b, m, chart.KindTopMovers)
		byAbs := slices.Clone(movers)
		slices.SortStableFunc(byAbs, func(x, y trend.TrendRow) int {
			return cmp.Or(cmp.Compare(abs(y.AbsChange.V), abs(x.AbsChange.V)), cmp.Compare(x.Geo, y.Geo))
		})
		b.WriteString("Largest absolute changes:\n\n")
		f.writeMoverTable(b, byAbs)
		var byPct []trend.TrendRow
		for _, row := range movers {
			if row.PctChange.Valid {
				byPct = append(byPct, row)
			}
		}
		slices.SortStableFunc(byPct, func(x, y trend.TrendRow) int {
			return cmp.Or(cmp.Compare(absF(y.PctChange.V), absF(x.PctChange.V)), cmp.Compare(x.Geo, y.Geo))
		})
		if len(byPct) > 0 {
			b.WriteString("Largest percent changes:\n\n")
			f.writeMoverTable(b, byPct)
		}
	}
	if !shown {
		b.WriteString("No country has a published value in two consecutive periods.\n\n")
	}
}

func (f *reportFacts) writeMoverTable(b *strings.Builder, rows []trend.TrendRow) {
	var cells [][]string
	for _, row := range rows[:min(moversShown, len(rows))] {
		node := f.vocab.Geo.Node(row.Geo)
		cells = append(cells, []string{escapeText(node.Name), escapeText(node.Code),
			nullCount(row.PrevValue), nullCount(row.Value), changeText(row.AbsChange), pctText(row.PctChange)})
	}
	writeTable(b, []string{"Country", "Code", "Previous", "Latest", "Change", "% change"}, "llrrrr", cells)
	f.writeSuppressedNote(b, cells)
}

// writeComparisons writes the comparisons of the pairs of countries dataset.yaml names, per metric,
// and says where the rest are.
func (f *reportFacts) writeComparisons(b *strings.Builder) {
	b.WriteString("## Trend comparisons\n\n")
	fmt.Fprintf(b, "%s compares the trend of every country with its sub-region's, its region's and the world's, and with every other "+
		"country of its sub-region, per metric over all organization types: a Mann-Kendall test of the ratio of the two series over the "+
		"periods since both series' last breaks at which both are published and above 0 (parallel trends on the log scale, Joinpoint's "+
		"null, are a ratio without trend), with Sen's slope of the log-ratio for how fast one gains on the other.\n\n", schemas.Comparisons.File)
	var rows [][]string
	for _, c := range f.r.Comparisons {
		if c.Relation != trend.RelationDeclared || !f.declaredFirst(c.Geo, c.Other) {
			continue
		}
		geo, other := f.vocab.Geo.Node(c.Geo), f.vocab.Geo.Node(c.Other)
		periods := "none in common"
		switch {
		case c.FirstPeriod.Valid && c.FirstPeriod == c.LastPeriod:
			periods = c.FirstPeriod.V.String()
		case c.FirstPeriod.Valid:
			periods = fmt.Sprintf("%s to %s", c.FirstPeriod.V, c.LastPeriod.V)
		}
		gain := ""
		if c.Slope.Valid && c.NPeriods >= int64(trend.MinTrendPeriods) {
			gain = formatPercent(100*(math.Exp(c.Slope.V)-1), true)
		}
		rows = append(rows, []string{escapeText(f.vocab.Metric(c.Metric).Code), escapeText(geo.Name), escapeText(other.Name), periods,
			trendLabelText(c.Trend, c.NPeriods, c.P, false, 0), gain})
	}
	if len(rows) == 0 {
		b.WriteString("The dataset names no pairs of countries to compare here.\n\n")
		return
	}
	b.WriteString("The pairs of countries the dataset names:\n\n")
	writeTable(b, []string{"Metric", "Country", "Compared with", "Common periods", "Trend of the ratio", "Gain a year"}, "llllll", rows)
	b.WriteString("Trend of the ratio: rising when the first country gains on the second, falling when it loses ground; n is the number " +
		"of common periods. Gain a year: exp(Sen's slope of the log-ratio) - 1, how much faster the first grows, given from " +
		fmt.Sprint(trend.MinTrendPeriods) + " common periods.\n\n")
}

// declaredFirst reports whether dataset.yaml names the pair with a first, so that the report shows
// it the way round the dataset asked for (the first such entry decides).
func (f *reportFacts) declaredFirst(a, b schemas.GeoID) bool {
	for _, pair := range f.r.Protected.Provenance.Comparisons {
		if len(pair) != 2 {
			continue
		}
		x, _ := f.vocab.Geo.CountryByCode(pair[0])
		y, _ := f.vocab.Geo.CountryByCode(pair[1])
		switch {
		case x == a && y == b:
			return true
		case x == b && y == a:
			return false
		}
	}
	return true
}

// writeTables writes, per metric, its table of widest coverage and its latest table (one when they
// are the same): areas as rows in the order of the hierarchy (world, then each region with its
// sub-regions and their countries), organization types as columns.
func (f *reportFacts) writeTables(b *strings.Builder) {
	b.WriteString("## Figures by metric\n\n")
	b.WriteString("For each metric, the most recent period of widest coverage (the one that covers the most countries, so that the world " +
		"and every country it covers appear) and the latest period, when that is another.\n\n")
	orgs := f.vocab.OrgOrder()
	header := []string{"Area", "Code"}
	align := "ll"
	for _, o := range orgs {
		header = append(header, escapeText(f.vocab.Org(o).Name))
		align += "r"
	}
	header = append(header, "All types", "Trend")
	align += "rl"
	for _, m := range f.vocab.MetricOrder() {
		metric := f.vocab.Metric(m)
		for i, t := range f.keyTables(m) {
			covered := len(chart.CountriesCovered(f.vocab, t))
			kind, what := chart.KindLatest, "latest period"
			switch {
			case t == f.widest[m] && t == f.latest[m]:
				what = "latest period, widest coverage"
			case t == f.widest[m]:
				kind, what = chart.KindWidest, "widest coverage"
			}
			fmt.Fprintf(b, "### %s, %s (%s: %s)\n\n", escapeText(metric.Code), t.Period, what, plural(covered, "country", "countries"))
			if i == 0 {
				fmt.Fprintf(b, "%s Unit: %s.\n\n", sentence(escapeText(metric.Description)), escapeText(metric.Unit))
			}
			f.writeChart(b, m, kind)
			if first, _ := f.firstMetric(); m != first && t == f.latest[m] {
				f.writeChart(b, m, chart.KindOverTime) // the first metric's is under Key figures
			}
			f.writeFigureTable(b, m, t, header, align, orgs)
		}
	}
}

// writeFigureTable writes one table of a metric by area and organization type, with its notes.
func (f *reportFacts) writeFigureTable(b *strings.Builder, m schemas.MetricID, t *protect.Table, header []string, align string, orgs []schemas.OrgID) {
	byGeo := map[schemas.GeoID][]protect.Cell{}
	for _, c := range t.Cells {
		byGeo[c.Geo] = append(byGeo[c.Geo], c)
	}
	var rows [][]string
	for _, geo := range f.hierarchyOrder(byGeo) {
		node := f.vocab.Geo.Node(geo)
		name := escapeText(node.Name)
		if node.Level != schemas.Country {
			name = "**" + name + "**"
		}
		row := []string{name, escapeText(node.Code)}
		cells := byGeo[geo]
		for _, o := range append(slices.Clone(orgs), schemas.OrgAll) {
			text := markStructural
			if i, ok := slices.BinarySearchFunc(cells, o, func(c protect.Cell, o schemas.OrgID) int { return cmp.Compare(c.Org, o) }); ok {
				text = cellText(cells[i])
			}
			row = append(row, text)
		}
		row = append(row, f.trendText(f.series[seriesKey{m, geo}]))
		rows = append(rows, row)
	}
	writeTable(b, header, align, rows)
	f.writeSuppressedNote(b, rows)
	fmt.Fprintf(b, "%s no submission covers this combination (a structural zero). "+
		"Trend of the total over all types, over its published periods since its last break in series: rising or falling when "+
		"the two-sided Mann-Kendall test rejects no trend at the 5 %% level (the sign of Sen's slope gives the direction), "+
		"no significant trend when it does not (which is not evidence of stability), too few periods below %d published "+
		"values, where no data can be significant; n is the number of published periods, p the test's p-value "+
		"(exact up to 10 periods, ties included; normal approximation above).\n\n", markStructural, trend.MinTrendPeriods)
}

// trendText is a series' trend label with its n and p, and the start of its segment when it broke.
func (f *reportFacts) trendText(s *trend.SeriesRow) string {
	if s == nil {
		return ""
	}
	return trendLabelText(s.Trend, s.NPeriods, s.MannKendallP, s.Breaks > 0, s.SegmentStart)
}

// trendLabelText writes a trend label as the report shows it: "rising (n = 12, p = 0.003)", with
// "since DATE" when the periods counted start at a break.
func trendLabelText(label string, n int64, p trend.Null[float64], broke bool, since schemas.Date) string {
	text := fmt.Sprintf("%s (n = %d, p %s", escapeText(label), n, pText(p))
	if broke {
		text += ", since " + since.String()
	}
	return text + ")"
}

// pText writes a p-value for "p ...": "= 0.333" to three decimals, "< 0.001", or "= –" when the
// series is too short for the test.
func pText(p trend.Null[float64]) string {
	switch {
	case !p.Valid:
		return "= " + markStructural
	case p.V < 0.001:
		return "< 0.001"
	}
	return "= " + strconv.FormatFloat(p.V, 'f', 3, 64)
}

// hierarchyOrder lists the areas of a table depth first from the world: each region followed by its
// sub-regions, each sub-region followed by its countries, siblings in the published order.
func (f *reportFacts) hierarchyOrder(present map[schemas.GeoID][]protect.Cell) []schemas.GeoID {
	var order []schemas.GeoID
	var visit func(id schemas.GeoID)
	visit = func(id schemas.GeoID) {
		if _, ok := present[id]; ok {
			order = append(order, id)
		}
		children := slices.Clone(f.vocab.Geo.Children(id))
		slices.Sort(children)
		for _, c := range children {
			visit(c)
		}
	}
	visit(f.vocab.Geo.WorldID())
	return order
}

// changesShown is how many changes of each kind the section on the previous release quotes.
const changesShown = 3

// writeChanges writes what changed since the previous release, when the build has one: the earlier
// release's configuration digest, then per kind of change its count and its first few changes.
// Everything it quotes was published by one release or the other.
func (f *reportFacts) writeChanges(b *strings.Builder) {
	d := f.sincePrevious
	if d == nil {
		return
	}
	b.WriteString("## Changes since the previous release\n\n")
	fmt.Fprintf(b, "This release is compared with the previous release of the dataset, built from the configuration with digest %s", escapeText(d.Old.ConfigSHA256))
	if d.Old.ConfigSHA256 == d.New.ConfigSHA256 {
		b.WriteString(" (the same as this release's)")
	}
	if d.Old.Tool != "" {
		fmt.Fprintf(b, " by %s", escapeText(d.Old.Tool))
	}
	b.WriteString(". Every figure an earlier release published stays public; `exposure diff` lists every change between two report folders.\n\n")
	if len(d.Changes) == 0 {
		b.WriteString("Nothing changed: the same tables, values, suppressions, flags, rules and inputs.\n\n")
		return
	}
	for _, kind := range ChangeKinds() {
		changes := d.Of(kind)
		if len(changes) == 0 {
			continue
		}
		label := kind.Label()
		fmt.Fprintf(b, "- **%s: %s.** ", strings.ToUpper(label[:1])+label[1:], formatCount(int64(len(changes))))
		var quoted []string
		for i, c := range changes {
			if i == changesShown {
				quoted = append(quoted, fmt.Sprintf("and %s more", formatCount(int64(len(changes)-changesShown))))
				break
			}
			quoted = append(quoted, escapeText(strings.ReplaceAll(c.String(), " -> ", " → ")))
		}
		b.WriteString(strings.Join(quoted, "; ") + ".\n")
	}
	b.WriteString("\n")
}

func (f *reportFacts) writeMethodology(b *strings.Builder) {
	p := f.r.Protected
	params := p.Provenance.Parameters
	b.WriteString("## Methodology\n\n")
	b.WriteString("Each (period, metric) is one table of countries by organization type, with totals along the UN M49 hierarchy " +
		"(country, sub-region, region, world) and over all organization types; every total is the sum of its cells. " +
		"The protection follows Hundepool et al., *Statistical Disclosure Control* (2012), chapter 4.\n\n")
	fmt.Fprintf(b, "- **Threshold rule.** A cell with fewer than %s contributing organizations is sensitive.\n", formatCount(params.MinContributors))
	var minValues []string
	for _, m := range f.vocab.MetricOrder() {
		code := f.vocab.Metric(m).Code
		if v := params.MinValue[code]; v > 0 {
			minValues = append(minValues, fmt.Sprintf("%s for %s", formatCount(v), escapeText(code)))
		}
	}
	if len(minValues) == 0 {
		b.WriteString("- **Minimum value.** No metric has a minimum value.\n")
	} else {
		fmt.Fprintf(b, "- **Minimum value.** A non-zero cell below the metric's minimum is sensitive: %s; 0 for every other metric.\n", strings.Join(minValues, ", "))
	}
	fmt.Fprintf(b, "- **Dominance (p%% rule, p = %s).** Where the two largest contributions are known, a cell is sensitive when what remains after them is less than %s %% of the largest: the second largest contributor could then estimate the largest too closely.\n",
		formatNumber(params.PPercent), formatNumber(params.PPercent))
	known := "the published cells of every table, the totals, the relations between metrics and non-negativity"
	if len(p.Provenance.Previous) > 0 {
		known = "the published cells of every table of this and the earlier releases, the totals, the relations between metrics and non-negativity"
	}
	fmt.Fprintf(b, "- **Secondary suppression (interval q = %s).** Further cells are suppressed until, for every sensitive cell, the range of values that can be derived from %s, all together, reaches at least %s below and above its true value, also for an organization that knows its own contribution.\n",
		formatNumber(params.Interval), known, formatPercent(params.Interval*100, false))
	if rels := p.Provenance.Relations; len(rels) > 0 {
		texts := make([]string, len(rels))
		for i, r := range rels {
			texts[i] = "`" + r.Text + "`"
		}
		fmt.Fprintf(b, "- **Relations between metrics.** The protection holds against what these relations tell anyone (each true by the metrics' definitions or declared by the dataset, and checked against the data): %s. A relation with the previous period does not hold across a break in series.\n", strings.Join(texts, "; "))
	}
	b.WriteString("- **Zeros.** A count of 0 may be withheld as well, where that protects another cell: an x does not tell that the count behind it is at least 1 (as tau-ARGUS can make zero cells unsafe). A cell of 1 that must be able to be 0 is protected so that a withheld zero could stand in its place.\n")
	if n := len(p.Provenance.Previous); n > 0 {
		fmt.Fprintf(b, "- **Earlier releases.** Every cell an earlier release published stays public, so this release was protected together with %s (identified in manifest.json by the SHA-256 of each one's manifest): a table whose inputs and rules did not change keeps its earlier pattern exactly, a changed table was protected jointly with its earlier versions (equal wherever a source's inputs are the same files), and a cell published before with the same value stays published.\n",
			plural(n, "earlier release", "earlier releases"))
	}
	if acc := p.Provenance.Accepted; len(acc) > 0 {
		names := make([]string, len(acc))
		for i, c := range acc {
			names[i] = escapeText(c.String(p.Vocab))
		}
		fmt.Fprintf(b, "- **Accepted disclosures.** Earlier releases already gave these %s away, and the publisher accepted that (`exposure build --accept-disclosed`): they are published or withheld as before, without the guarantee above: %s.\n",
			plural(len(acc), "sensitive cell", "sensitive cells"), strings.Join(names, "; "))
	}
	b.WriteString("- **Audit.** Before publication an exact audit proved the rule above for every sensitive cell in the joint model of everything published (feasible points of the whole system, each checked by code independent of the search, and linear programming where the moves fall short). `exposure audit` computes, from the published files alone, the range each suppressed cell can take (the bounds of the linear program over all tables at once).\n")
	b.WriteString("- **Derived figures.** Changes, shares, ranks and trend statistics use published values only, and the ranges anyone can derive for the suppressed cells from them; where a figure would need a suppressed value it is left blank (see Derived figures below).\n\n")
	s := p.Summary
	fmt.Fprintf(b, "In total %s of %s cells (%s) in %s were suppressed, the sensitive cells and those suppressed to protect them together.\n\n",
		formatCount(int64(s.Suppressed)), formatCount(int64(s.Cells)), share(int64(s.Suppressed), int64(s.Cells)), plural(s.Tables, "table", "tables"))
	type counts struct{ tables, cells, suppressed int64 }
	perMetric := make([]counts, f.vocab.NumMetrics())
	for _, t := range p.Tables {
		c := &perMetric[t.Metric]
		c.tables++
		for _, cell := range t.Cells {
			c.cells++
			if cell.Suppressed() {
				c.suppressed++
			}
		}
	}
	var rows [][]string
	for _, m := range f.vocab.MetricOrder() {
		c := perMetric[m]
		if c.tables == 0 {
			continue
		}
		rows = append(rows, []string{escapeText(f.vocab.Metric(m).Code), formatCount(c.tables), formatCount(c.cells), formatCount(c.suppressed), share(c.suppressed, c.cells)})
	}
	if len(rows) > 0 {
		writeTable(b, []string{"Metric", "Tables", "Cells", "Suppressed", "Share"}, "lrrrr", rows)
	}
	f.writeFlags(b)
	f.writeDerived(b)
}

// writeFlags explains the observation flags of the published files, with the SDMX labels and how
// many cells carry each, and lists the breaks and estimates the dataset declares.
func (f *reportFacts) writeFlags(b *strings.Builder) {
	prov := f.r.Protected.Provenance
	b.WriteString("### Flags and breaks in series\n\n")
	b.WriteString("Every cell of cells.parquet and trends.parquet carries an SDMX observation status (obs_status) and confidentiality status (conf_status), " +
		"the reason of a break (break_reason) and the sources it adds up (source). A cell is a break in series when its source, its definition " +
		"or its coverage differs from its previous period: when the dataset declares a break, when the source covering a country changes, and, " +
		"for a total, when any cell it adds up breaks or the set of cells it adds up changes, in either direction. Across a break no change, " +
		"percent change, index or growth rate is published, and series statistics start again at it.\n\n")
	counts := map[string]int64{}
	var conf [2]int64
	for _, t := range f.r.Protected.Tables {
		for _, c := range t.Cells {
			counts[c.Flags.Code()]++
			if c.Suppressed() {
				conf[1]++
			} else {
				conf[0]++
			}
		}
	}
	var rows [][]string
	if codes, err := schemas.ObsStatusCodes(); err == nil {
		for _, c := range codes {
			rows = append(rows, []string{"obs_status", c.Code, escapeText(c.Label), formatCount(counts[c.Code])})
		}
	}
	if codes, err := schemas.ConfStatusCodes(); err == nil {
		for _, c := range codes {
			n := conf[0]
			if c.Code == schemas.ConfConfidential {
				n = conf[1]
			}
			rows = append(rows, []string{"conf_status", c.Code, escapeText(c.Label), formatCount(n)})
		}
	}
	writeTable(b, []string{"Column", "Code", "Meaning (SDMX)", "Cells"}, "lllr", rows)
	if len(prov.Breaks) == 0 {
		b.WriteString("The dataset declares no break.\n\n")
	} else {
		b.WriteString("Breaks the dataset declares:\n\n")
		for _, d := range prov.Breaks {
			fmt.Fprintf(b, "- %s, %s, %s: %s\n", d.Period, partsText(d.Countries, "every country"), partsText(d.Metrics, "every metric"), escapeText(d.Reason))
		}
		b.WriteString("\n")
	}
	if len(prov.Estimates) == 0 {
		b.WriteString("The dataset marks no input as an estimate.\n\n")
	} else {
		b.WriteString("Inputs, or parts of them, the dataset marks as estimates (E; a total is E when any cell it adds up is):\n\n")
		for _, e := range prov.Estimates {
			fmt.Fprintf(b, "- %s, %s, %s: %s\n", escapeText(e.File), partsText(e.Countries, "every country"), partsText(e.Metrics, "every metric"), escapeText(e.Reason))
		}
		b.WriteString("\n")
	}
}

// partsText names the countries or metrics of a declaration, or what an empty list stands for.
func partsText(codes []string, every string) string {
	if len(codes) == 0 {
		return every
	}
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = escapeText(c)
	}
	return strings.Join(out, ", ")
}

// writeDerived states the rules of the derived figures and the tests behind the trend labels, each
// with its source, and what a blank means.
func (f *reportFacts) writeDerived(b *strings.Builder) {
	b.WriteString("### Derived figures\n\n")
	b.WriteString("- **Changes and index.** A change needs both values published and no break between them; a percent change also a previous value above 0. The index is 100 at a series' first published period and is not continued across a break.\n")
	b.WriteString("- **Growth rate (CAGR).** From the first non-zero published value of the series' last segment to its last, only when the two are at least one calendar year apart: an annual rate over days or weeks extrapolates a short-term change.\n")
	b.WriteString("- **Ranks.** Among every area of the level, published or suppressed; given only when every suppressed area provably lies above the value or not above it, by the ranges anyone can derive for it from the published cells (the audit's ranges). Ties share the better rank.\n")
	b.WriteString("- **Level statistics (summary.parquet).** Over every area of the level: the mean from the level's total (the world total less the countries with no area at that level, such as TW); the median, 90th percentile (Hyndman & Fan 1996, type 7), largest value and share of the five largest only when they are the same for every value the suppressed areas can take within their ranges; the standard deviation only when none is suppressed.\n")
	fmt.Fprintf(b, "- **Trend.** The two-sided Mann-Kendall test (Mann 1945; Kendall 1975) over the published values since the series' last break, "+
		"at the 5 %% level, with the exact permutation distribution of the score up to 10 periods, ties included, and the normal approximation "+
		"with continuity and tie correction above; the direction is the sign of Sen's slope (Sen 1968), which series.parquet gives with its "+
		"95 %% confidence interval (Gilbert 1987, 16.4.3). With fewer than %d published values no ordering is significant at 5 %% "+
		"(four values in strict order have p = 2/4! = 0.083): such a series is labelled too few periods.\n", trend.MinTrendPeriods)
	b.WriteString("- **Comparisons.** The Mann-Kendall test and Sen's slope of the log-ratio of two series over their common published periods since both series' last breaks: two series with parallel log-linear trends, the null of Joinpoint's test of parallelism (Kim et al. 2004, *Biometrics* 60:1005), have a log-ratio without trend.\n")
	b.WriteString("- **Blanks.** A blank figure in the tables, or a null in the Parquet files, is one these rules do not allow from the published values; datapackage.json says for every column what its null means.\n\n")
}

func (f *reportFacts) writeCaveats(b *strings.Builder) {
	b.WriteString("## Caveats\n\n")
	caveats := f.r.Protected.Provenance.Caveats
	if len(caveats) == 0 {
		b.WriteString("The dataset states no caveats.\n\n")
		return
	}
	for _, c := range caveats {
		fmt.Fprintf(b, "- %s\n", escapeText(c))
	}
	b.WriteString("\n")
}

// safeID is the form of a dataset id that can be shown inside a command without escaping.
var safeID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func (f *reportFacts) writeProvenance(b *strings.Builder, tool ToolInfo) {
	prov := f.r.Protected.Provenance
	b.WriteString("## Provenance\n\n")
	fmt.Fprintf(b, "- Dataset: %s\n", escapeText(prov.DatasetID))
	fmt.Fprintf(b, "- Licence: %s\n", escapeText(prov.Licence))
	fmt.Fprintf(b, "- Configuration digest (SHA-256 of dataset.yaml as applied, overrides included, in canonical form): %s\n", escapeText(prov.ConfigSHA256))
	fmt.Fprintf(b, "- Built by: %s %s", escapeText(tool.Name), escapeText(tool.Version))
	if tool.Go != "" {
		fmt.Fprintf(b, ", compiled with %s (manifest.json lists the versions of the modules that write these files)", escapeText(tool.Go))
	}
	b.WriteString("\n\n")
	keys := map[string][]string{}
	for _, in := range prov.Inputs {
		if !slices.Contains(keys[in.Source], in.KeyID) {
			keys[in.Source] = append(keys[in.Source], in.KeyID)
		}
	}
	if len(prov.Sources) > 0 {
		b.WriteString("Sources, each identified by its minisign public key:\n\n")
		var rows [][]string
		for _, s := range prov.Sources {
			ids := slices.Clone(keys[s.ID])
			slices.Sort(ids)
			for i := range ids {
				ids[i] = escapeText(ids[i])
			}
			rows = append(rows, []string{escapeText(s.ID), escapeText(s.Name), strings.Join(ids, ", ")})
		}
		writeTable(b, []string{"Source", "Name", "Key id"}, "lll", rows)
	}
	if len(prov.Inputs) > 0 {
		b.WriteString("Submissions, each verified against its source's signature before use:\n\n")
		var rows [][]string
		for _, in := range prov.Inputs {
			rows = append(rows, []string{escapeText(in.File), escapeText(in.Source), formatCount(in.Rows), escapeText(in.SHA256)})
		}
		writeTable(b, []string{"File", "Source", "Rows", "SHA-256"}, "llrl", rows)
	}
	b.WriteString("### Rebuild and verify\n\n")
	b.WriteString("manifest.json lists the SHA-256 of every file of this folder. " +
		"With the dataset folder and the same release of the tool, a rebuild gives the same bytes; verify rebuilds and compares, audit rederives every suppressed cell's range from the published cells:\n\n")
	safe := safeID.MatchString(prov.DatasetID)
	if safe {
		id := prov.DatasetID
		fmt.Fprintf(b, "```sh\nexposure build datasets/%s --out reports/%s\nexposure verify datasets/%s reports/%s\nexposure audit reports/%s\n```\n", id, id, id, id, id)
	} else {
		fmt.Fprintf(b, "- exposure build with the dataset folder of %s\n- exposure verify with the dataset folder and this report folder\n- exposure audit with this report folder\n", escapeText(prov.DatasetID))
	}
	b.WriteString("\n### Check a signed release\n\n")
	b.WriteString("A publisher who signs a release puts " + SignatureFile + " beside " + ManifestFile + ": their minisign signature of the manifest, " +
		"whose trusted comment names the dataset and the release of the tool. It is the one file of the folder that the manifest does not list, since it signs the manifest. " +
		"Without the dataset folder, with the publisher's public key, the first command checks the signature and every file's size and SHA-256 against the manifest, " +
		"and that the folder holds no other file; the second checks the signature with minisign alone:\n\n")
	if safe {
		id := prov.DatasetID
		fmt.Fprintf(b, "```sh\nexposure verify --published reports/%s --key publisher.pub\nminisign -Vm reports/%s/%s -p publisher.pub\n```\n", id, id, ManifestFile)
		return
	}
	fmt.Fprintf(b, "- exposure verify --published with this report folder and --key with the publisher's public key\n- minisign -Vm %s -p with the publisher's public key\n", ManifestFile)
}

// writeSuppressedNote writes the footnote that explains x under a table that shows one.
func (f *reportFacts) writeSuppressedNote(b *strings.Builder, rows [][]string) {
	for _, row := range rows {
		if slices.ContainsFunc(row, isSuppressedText) {
			b.WriteString(f.suppressedNote() + "\n\n")
			return
		}
	}
}

// isSuppressedText reports whether a table cell shows a withheld value: x, alone or with its flag.
func isSuppressedText(cell string) bool {
	return cell == markSuppressed || strings.HasPrefix(cell, markSuppressed+" ")
}

// suppressedNote says what an x guarantees, in the terms the protection proves (SPEC 4): the
// protection interval q holds for every sensitive cell against everything published at once, and a
// cell suppressed only to protect another is never pinned to one value. It does not say which cells
// are which.
func (f *reportFacts) suppressedNote() string {
	return markSuppressed + " withheld: an " + markSuppressed + " may hide any count, 0 included. " +
		"A figure withheld because it is small, or dominated by one or two organizations, cannot be worked out to within ±" +
		intervalPercent(f.r.Protected.Provenance.Parameters.Interval) + " % from everything published (all tables" + earlierText(f.r.Protected) + " and the relations " +
		"between metrics together)" + acceptedText(f.r.Protected) + "; a figure withheld only to protect another is never disclosed exactly, but may be narrowed more closely."
}

// earlierText names the earlier releases in the x footnote, when there are any.
func earlierText(p *protect.Result) string {
	if len(p.Provenance.Previous) == 0 {
		return ""
	}
	return ", earlier releases included,"
}

// acceptedText names the exception of accepted disclosures in the x footnote, when there are any.
func acceptedText(p *protect.Result) string {
	if n := len(p.Provenance.Accepted); n > 0 {
		return ", except the " + plural(n, "cell", "cells") + " the methodology lists as accepted disclosures"
	}
	return ""
}

// intervalPercent writes the protection interval q as a percentage for people: 0.2 -> "20".
func intervalPercent(q float64) string {
	return formatNumber(math.Round(q*100*1e6) / 1e6)
}

// writeTable writes a Markdown (GFM) table; cells are already escaped or formatted. align holds one
// letter per column, l or r.
func writeTable(b *strings.Builder, header []string, align string, rows [][]string) {
	b.WriteString("| " + strings.Join(header, " | ") + " |\n|")
	for i := range header {
		if i < len(align) && align[i] == 'r' {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, row := range rows {
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	b.WriteString("\n")
}

func findCell(t *protect.Table, geo schemas.GeoID, org schemas.OrgID) (protect.Cell, bool) {
	i, ok := slices.BinarySearchFunc(t.Cells, struct {
		geo schemas.GeoID
		org schemas.OrgID
	}{geo, org}, func(c protect.Cell, k struct {
		geo schemas.GeoID
		org schemas.OrgID
	}) int {
		return cmp.Or(cmp.Compare(c.Geo, k.geo), cmp.Compare(c.Org, k.org))
	})
	if !ok {
		return protect.Cell{}, false
	}
	return t.Cells[i], true
}

// cellText is a cell as the report shows it: its value, or x when suppressed.
func cellText(c protect.Cell) string {
	if v, ok := c.Value(); ok {
		return formatCount(v)
	}
	return markSuppressed
}

func nullCount(v trend.Null[int64]) string {
	if !v.Valid {
		return markSuppressed
	}
	return formatCount(v.V)
}

func changeText(v trend.Null[int64]) string {
	if !v.Valid {
		return ""
	}
	return formatSignedCount(v.V)
}

func pctText(v trend.Null[float64]) string {
	if !v.Valid {
		return ""
	}
	return formatPercent(v.V, true)
}

func share(part, whole int64) string {
	if whole == 0 {
		return ""
	}
	return formatPercent(100*float64(part)/float64(whole), false)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return formatCount(int64(n)) + " " + many
}

// sentence ends a description with a full stop unless it already ends a sentence.
func sentence(s string) string {
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func absF(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
