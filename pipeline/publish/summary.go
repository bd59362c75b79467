package publish

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/pipeline/publish/chart"
	"github.com/exposure-research/exposure/pipeline/trend"
	"github.com/exposure-research/exposure/schemas"
)

// The summary that opens report.md is written from the published figures alone, in sentences that
// each carry their figure and period, and it says nothing that the statistics do not support: a
// trend only where a test rejects (with n and p), never "stable"; a change only where both values
// are published and no break lies between them; a world total only with the countries it covers.

// summaryNamed is how many areas a summary sentence names before it counts the rest.
const summaryNamed = 3

// heavySuppression is the share of a metric's cells withheld above which the summary names it.
const heavySuppression = 0.5

// writeSummary writes the summary section: world totals at their widest coverage, the latest period
// when it covers fewer countries, the breaks a reader must know about, the trends the tests
// support, the largest comparable changes, how much is withheld and why, and the estimates.
func (f *reportFacts) writeSummary(b *strings.Builder) {
	b.WriteString("## Summary\n\n")
	items := []struct{ lead, text string }{
		{"World totals", f.summaryTotals()},
		{"Latest period", f.summaryLatest()},
		{"Breaks in series", f.summaryBreaks()},
		{"Trends", f.summaryTrends()},
		{"Changes", f.summaryChanges()},
		{"Withheld", f.summaryWithheld()},
		{"Estimates", f.summaryEstimates()},
	}
	written := false
	for _, it := range items {
		if it.text == "" {
			continue
		}
		fmt.Fprintf(b, "- **%s.** %s\n", it.lead, it.text)
		written = true
	}
	if !written {
		b.WriteString("The dataset has no published figures.\n")
	}
	b.WriteString("\n")
}

// metricWords is a metric's code as words for a sentence: exposed_systems -> "exposed systems".
func metricWords(code string) string {
	return escapeText(strings.ReplaceAll(code, "_", " "))
}

// areaName is an area's name for a sentence.
func (f *reportFacts) areaName(geo schemas.GeoID) string {
	return escapeText(f.vocab.Geo.Node(geo).Name)
}

// joinAnd joins items as a sentence does: "a", "a and b", "a, b and c".
func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// nameSome joins the first summaryNamed items and counts the rest: "a, b, c and 4 more".
func nameSome(items []string) string {
	if len(items) <= summaryNamed {
		return joinAnd(items)
	}
	return strings.Join(items[:summaryNamed], ", ") + fmt.Sprintf(" and %d more", len(items)-summaryNamed)
}

// worldFigure is a world total as a summary names it: "1,234 exposed systems", or "exposed systems
// withheld (x)".
func (f *reportFacts) worldFigure(m schemas.MetricID, t *protect.Table) string {
	words := metricWords(f.vocab.Metric(m).Code)
	c, ok := findCell(t, f.vocab.Geo.WorldID(), schemas.OrgAll)
	if !ok {
		return words + " not covered"
	}
	if v, ok := c.Value(); ok {
		return formatCount(v) + " " + words
	}
	return words + " withheld (" + markSuppressed + ")"
}

// periodGroup is the metrics whose figures a sentence gives for one period and coverage.
type periodGroup struct {
	table   *protect.Table // of the first metric
	covered int
	figures []string
	metrics []schemas.MetricID
}

// groupByPeriod groups the metrics' tables by period and number of countries covered, in the
// order of the metrics.
func (f *reportFacts) groupByPeriod(pick func(m schemas.MetricID) *protect.Table) []periodGroup {
	var groups []periodGroup
	for _, m := range f.vocab.MetricOrder() {
		t := pick(m)
		if t == nil {
			continue
		}
		covered := len(chart.CountriesCovered(f.vocab, t))
		i := slices.IndexFunc(groups, func(g periodGroup) bool { return g.table.Period == t.Period && g.covered == covered })
		if i < 0 {
			groups = append(groups, periodGroup{table: t, covered: covered})
			i = len(groups) - 1
		}
		groups[i].figures = append(groups[i].figures, f.worldFigure(m, t))
		groups[i].metrics = append(groups[i].metrics, m)
	}
	return groups
}

// summaryTotals gives the world total of every metric in its most recent period of widest coverage,
// with the number of countries it covers.
func (f *reportFacts) summaryTotals() string {
	groups := f.groupByPeriod(func(m schemas.MetricID) *protect.Table { return f.widest[m] })
	var parts []string
	for i, g := range groups {
		latest := g.table == f.latest[g.metrics[0]]
		countries := plural(g.covered, "country", "countries")
		var lead string
		switch {
		case i == 0 && latest && len(f.periods) == 1:
			lead = fmt.Sprintf("At %s, the only period, covering %s, the world totals were", g.table.Period, countries)
		case i == 0 && latest:
			lead = fmt.Sprintf("At %s, the latest period and the one that covers the most countries (%s), the world totals were", g.table.Period, formatCount(int64(g.covered)))
		case i == 0:
			lead = fmt.Sprintf("At %s, the most recent period that covers the most countries (%s), the world totals were", g.table.Period, formatCount(int64(g.covered)))
		case latest:
			lead = fmt.Sprintf("at %s, their latest period and widest coverage (%s),", g.table.Period, countries)
		default:
			lead = fmt.Sprintf("at %s, their most recent period of widest coverage (%s),", g.table.Period, countries)
		}
		parts = append(parts, lead+" "+joinAnd(g.figures))
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "; ") + "."
}

// summaryLatest says what the latest period covers when it covers fewer countries than the period
// of widest coverage: its world totals add up those countries only.
func (f *reportFacts) summaryLatest() string {
	groups := f.groupByPeriod(func(m schemas.MetricID) *protect.Table {
		if f.latest[m] == f.widest[m] {
			return nil
		}
		return f.latest[m]
	})
	var sentences []string
	for _, g := range groups {
		covered := chart.CountriesCovered(f.vocab, g.table)
		widest := f.widest[g.metrics[0]]
		var names []string
		for _, c := range covered {
			names = append(names, f.areaName(c))
		}
		var who, whose string
		switch {
		case len(covered) == 0:
			who, whose = "no country", "no country's"
		case len(covered) == 1:
			who, whose = "1 country, "+names[0], "that country's figures"
		case len(covered) <= summaryNamed:
			who, whose = fmt.Sprintf("%d countries (%s)", len(covered), joinAnd(names)), "those countries' figures"
		default:
			who, whose = fmt.Sprintf("%s countries", formatCount(int64(len(covered)))), fmt.Sprintf("the figures of those %s countries", formatCount(int64(len(covered))))
		}
		sentences = append(sentences, fmt.Sprintf("The latest period, %s, covers %s, against %s at %s: its world totals (%s) add up %s only, and are not comparable with the earlier periods.",
			g.table.Period, who, formatCount(int64(len(chart.CountriesCovered(f.vocab, widest)))), widest.Period, joinAnd(g.figures), whose))
	}
	return strings.Join(sentences, " ")
}

// summaryBreaks names the breaks a reader must know about: those the dataset declares, the changes
// of source it does not declare, and the changes of coverage of the world total of the first metric.
func (f *reportFacts) summaryBreaks() string {
	prov := f.r.Protected.Provenance
	var sentences []string
	for _, d := range prov.Breaks {
		who := "every country"
		if len(d.Countries) > 0 {
			var names []string
			for _, code := range d.Countries {
				if c, ok := f.vocab.Geo.CountryByCode(code); ok {
					names = append(names, f.areaName(c))
				} else {
					names = append(names, escapeText(code))
				}
			}
			who = joinAnd(names)
		}
		what := "every metric"
		if len(d.Metrics) > 0 {
			var words []string
			for _, code := range d.Metrics {
				words = append(words, metricWords(code))
			}
			what = joinAnd(words)
		}
		sentences = append(sentences, fmt.Sprintf("The dataset declares a break at %s in the series of %s, for %s: %s",
			d.Period, who, what, sentence(escapeText(d.Reason))))
	}
	if s := f.undeclaredSourceBreaks(); s != "" {
		sentences = append(sentences, s)
	}
	if s := f.coverageChanges(); s != "" {
		sentences = append(sentences, s)
	}
	if len(sentences) == 0 {
		for _, t := range f.r.Protected.Tables {
			for _, c := range t.Cells {
				if c.Flags.Has(schemas.ObsBreak) {
					return "Some series break in series (see the flags of cells.parquet): no change, index or growth rate is published across a break."
				}
			}
		}
		return "No series breaks: every cell has the same source, definition and coverage as in its previous period."
	}
	sentences = append(sentences, "No change, index or growth rate is published across a break, and a trend is tested only on the periods since a series' last break.")
	return strings.Join(sentences, " ")
}

// undeclaredSourceBreaks names the countries whose source changes without a declared break.
func (f *reportFacts) undeclaredSourceBreaks() string {
	type change struct {
		geo    schemas.GeoID
		period schemas.Date
		text   string
	}
	var changes []change
	type place struct {
		geo    schemas.GeoID
		period schemas.Date
	}
	seen := map[place]bool{}
	for key, row := range f.breakRows {
		if f.vocab.Geo.Node(key.geo).Level != schemas.Country || !row.Flags.Has(schemas.BreakSource) || row.Flags.Has(schemas.BreakDeclared) {
			continue
		}
		if seen[place{key.geo, key.period}] {
			continue
		}
		seen[place{key.geo, key.period}] = true
		changes = append(changes, change{key.geo, key.period, fmt.Sprintf("%s at %s (%s before, %s after)",
			f.areaName(key.geo), key.period, f.sourceText(row.PrevSources), f.sourceText(row.Sources))})
	}
	if len(changes) == 0 {
		return ""
	}
	slices.SortFunc(changes, func(a, b change) int { return cmp.Or(cmp.Compare(a.period, b.period), cmp.Compare(a.geo, b.geo)) })
	var texts []string
	for _, c := range changes {
		texts = append(texts, c.text)
	}
	if len(changes) == 1 {
		return "The source of one country changes without a declared break, which is a break by itself: " + texts[0] + "."
	}
	return fmt.Sprintf("The sources of %d country series change without a declared break, which is a break by itself: %s.", len(changes), nameSome(texts))
}

// coverageChanges lists the countries the world total of the first metric adds up, at its first
// period and at every period where that changes.
func (f *reportFacts) coverageChanges() string {
	m, ok := f.firstMetric()
	if !ok {
		return ""
	}
	var steps []string
	changes := 0
	for i, t := range f.byMetric[m] {
		world, ok := findCell(t, f.vocab.Geo.WorldID(), schemas.OrgAll)
		if !ok {
			continue
		}
		n := len(chart.CountriesCovered(f.vocab, t))
		switch {
		case i == 0:
			steps = append(steps, fmt.Sprintf("%s at %s", plural(n, "country", "countries"), t.Period))
		case world.Flags.Has(schemas.BreakCoverage):
			changes++
			steps = append(steps, fmt.Sprintf("%s at %s", formatCount(int64(n)), t.Period))
		}
	}
	if changes == 0 {
		return ""
	}
	const shown = 6
	list := joinAnd(steps)
	if len(steps) > shown {
		list = strings.Join(steps[:shown], ", ") + fmt.Sprintf(" and %d more changes", len(steps)-shown)
	}
	return fmt.Sprintf("The world total of %s adds up %s: world figures of periods that cover different countries are not compared.",
		metricWords(f.vocab.Metric(m).Code), list)
}

// summaryTrends gives the trend of every world total that can be tested, says which cannot, and
// names the steepest significant trends of the regions, sub-regions and countries.
func (f *reportFacts) summaryTrends() string {
	world := f.vocab.Geo.WorldID()
	var tested []string
	var untested []string
	longest := int64(0)
	for _, m := range f.vocab.MetricOrder() {
		s := f.series[seriesKey{m, world}]
		if s == nil {
			continue
		}
		words := metricWords(f.vocab.Metric(m).Code)
		if s.NPeriods < int64(trend.MinTrendPeriods) {
			untested = append(untested, words)
			longest = max(longest, s.NPeriods)
			continue
		}
		tested = append(tested, "the world total of "+words+" "+f.trendClause(s))
	}
	var sentences []string
	switch {
	case len(tested) == 0 && len(untested) == 0:
	case len(tested) == 0:
		sentences = append(sentences, fmt.Sprintf("No world total has enough published periods since its last break for a trend test "+
			"(a test at 5 %% needs at least %d; the longest has %d), so the briefing states no world trend.", trend.MinTrendPeriods, longest))
	default:
		text := capitalize(strings.Join(tested, "; "))
		if len(untested) > 0 {
			text += fmt.Sprintf("; the world %s of %s %s too few published periods since the last break for a test (at most %d, fewer than %d)",
				word(len(untested), "total", "totals"), joinAnd(untested), word(len(untested), "has", "have"), longest, trend.MinTrendPeriods)
		}
		sentences = append(sentences, text+".")
	}
	if s := f.areaTrends(); s != "" {
		sentences = append(sentences, s)
	}
	return strings.Join(sentences, " ")
}

// trendClause states a tested series' label as a predicate, with its span, n, p and Sen's slope:
// "is rising from A to B (n = 6, p = 0.003; Sen's slope +412 systems a year)", or "shows no
// significant trend from A to B (n = 6, p = 0.260), which is not evidence that it is stable".
func (f *reportFacts) trendClause(s *trend.SeriesRow) string {
	span := ""
	if s.FirstPeriod.Valid && s.LastPeriod.Valid {
		span = fmt.Sprintf(" from %s to %s", s.FirstPeriod.V, s.LastPeriod.V)
	}
	stats := fmt.Sprintf("n = %d, p %s", s.NPeriods, pText(s.MannKendallP))
	switch s.Trend {
	case trend.TrendRising, trend.TrendFalling:
		slope := ""
		if s.SenSlope.Valid {
			slope = fmt.Sprintf("; Sen's slope %s %s a year", formatRate(s.SenSlope.V), escapeText(f.vocab.Metric(s.Metric).Unit))
		}
		return fmt.Sprintf("is %s%s (%s%s)", escapeText(s.Trend), span, stats, slope)
	case trend.TrendNone:
		return fmt.Sprintf("shows no significant trend%s (%s), which is not evidence that it is stable", span, stats)
	}
	return fmt.Sprintf("has %s (%s)", escapeText(s.Trend), stats)
}

// areaTrends counts the series of regions, sub-regions and countries that can be tested and names
// the steepest significant ones, relative to their level (Sen's slope over the mean of the first and
// last values of the segment), since slopes in different units do not compare.
func (f *reportFacts) areaTrends() string {
	type candidate struct {
		s     *trend.SeriesRow
		steep float64
	}
	var significant []candidate
	tested, longest := 0, int64(0)
	for i := range f.r.Series {
		s := &f.r.Series[i]
		if s.Org != schemas.OrgAll || f.vocab.Geo.Node(s.Geo).Level == schemas.World {
			continue
		}
		longest = max(longest, s.NPeriods)
		if s.NPeriods < int64(trend.MinTrendPeriods) {
			continue
		}
		tested++
		if s.Trend != trend.TrendRising && s.Trend != trend.TrendFalling {
			continue
		}
		steep := 0.0
		if s.SenSlope.Valid && s.FirstValue.Valid && s.LastValue.Valid {
			if level := float64(s.FirstValue.V+s.LastValue.V) / 2; level > 0 {
				steep = math.Abs(s.SenSlope.V) / level
			}
		}
		significant = append(significant, candidate{s, steep})
	}
	switch {
	case len(f.r.Series) == 0:
		return ""
	case tested == 0:
		return fmt.Sprintf("No region or country has enough published periods since its last break for a trend test (the longest has %d).", longest)
	case len(significant) == 0:
		return fmt.Sprintf("None of the %s series of regions and countries that can be tested has a significant trend at 5 %%, which is not evidence that they are stable.",
			formatCount(int64(tested)))
	}
	slices.SortStableFunc(significant, func(a, b candidate) int { return cmp.Compare(b.steep, a.steep) })
	var named []string
	for _, c := range significant[:min(summaryNamed, len(significant))] {
		named = append(named, fmt.Sprintf("the total of %s in %s %s", metricWords(f.vocab.Metric(c.s.Metric).Code), f.areaName(c.s.Geo), f.trendClause(c.s)))
	}
	lead := fmt.Sprintf("Of the %s series of regions and countries that can be tested, %s %s a significant trend at 5 %% (each test on its own, not adjusted for the many made)",
		formatCount(int64(tested)), formatCount(int64(len(significant))), word(len(significant), "has", "have"))
	if len(significant) == 1 {
		return lead + ": " + named[0] + "."
	}
	return lead + "; the steepest relative to their level: " + strings.Join(named, "; ") + "."
}

// summaryChanges names the largest comparable changes of the first metric's countries, in the most
// recent period that has any, and says whether the world total is comparable there.
func (f *reportFacts) summaryChanges() string {
	m, ok := f.firstMetric()
	if !ok || len(f.byMetric[m]) < 2 {
		return ""
	}
	words := metricWords(f.vocab.Metric(m).Code)
	rows := slices.Clone(f.changes[m])
	if len(rows) == 0 {
		return fmt.Sprintf("No country has a comparable change in %s between two consecutive periods (both values published and no break between them).", words)
	}
	slices.SortStableFunc(rows, func(x, y trend.TrendRow) int {
		return cmp.Or(cmp.Compare(abs(y.AbsChange.V), abs(x.AbsChange.V)), cmp.Compare(x.Geo, y.Geo))
	})
	period, prev := rows[0].Period, rows[0].PrevPeriod
	samePrev := !slices.ContainsFunc(rows, func(r trend.TrendRow) bool { return r.PrevPeriod != prev })
	var named []string
	for _, r := range rows[:min(summaryNamed, len(rows))] {
		from := ""
		if !samePrev {
			from = fmt.Sprintf(" at %s", r.PrevPeriod)
		}
		pct := ""
		if r.PctChange.Valid {
			pct = ", " + formatPercent(r.PctChange.V, true)
		}
		named = append(named, fmt.Sprintf("%s %s (%s%s to %s%s)", f.areaName(r.Geo), formatSignedCount(r.AbsChange.V), formatCount(r.PrevValue.V), from, formatCount(r.Value.V), pct))
	}
	span := fmt.Sprintf("from %s to %s", prev, period)
	if !samePrev {
		span = "to " + period.String()
	}
	text := fmt.Sprintf("The largest comparable changes in %s %s (both values published and no break between them; %s of the %s covered %s): %s",
		words, span, formatCount(int64(len(rows))), plural(len(chart.CountriesCovered(f.vocab, f.tables[periodMetric{period, m}])), "country", "countries"),
		word(len(rows), "has one", "have one"), joinAnd(named))
	if w, ok := f.worldRow(m, period); ok {
		switch {
		case w.AbsChange.Valid:
			text += fmt.Sprintf("; the world total changed by %s (%s to %s)", formatSignedCount(w.AbsChange.V), formatCount(w.PrevValue.V), formatCount(w.Value.V))
		case w.Flags.Has(schemas.ObsBreak):
			text += "; the world total is not comparable between these periods, since it breaks in series (see Key figures)"
		default:
			text += "; the world total's change cannot be derived, since a value is withheld"
		}
	}
	text += "."
	if latest := f.latest[m]; latest.Period != period {
		text += fmt.Sprintf(" No country's change into the latest period, %s, is comparable.", latest.Period)
	}
	return text
}

// summaryWithheld says how much is withheld and why, names the metrics where more than half of the
// cells are, and counts the countries whose totals of the first metric are withheld at its widest
// coverage.
func (f *reportFacts) summaryWithheld() string {
	p := f.r.Protected
	if p.Summary.Cells == 0 {
		return ""
	}
	if p.Summary.Suppressed == 0 {
		return "No cell is withheld: every figure of every table is published."
	}
	params := p.Provenance.Parameters
	text := fmt.Sprintf("%s of %s cells (%s) are withheld (%s): those with fewer than %s contributing organizations, below a metric's minimum value "+
		"or dominated by one or two organizations, and those withheld so that the others cannot be worked out to within ±%s %%.",
		formatCount(int64(p.Summary.Suppressed)), formatCount(int64(p.Summary.Cells)), share(int64(p.Summary.Suppressed), int64(p.Summary.Cells)),
		markSuppressed, formatCount(params.MinContributors), intervalPercent(params.Interval))
	cells := make([]int64, f.vocab.NumMetrics())
	withheld := make([]int64, f.vocab.NumMetrics())
	for _, t := range p.Tables {
		for _, c := range t.Cells {
			cells[t.Metric]++
			if c.Suppressed() {
				withheld[t.Metric]++
			}
		}
	}
	var heavy []string
	for _, m := range f.vocab.MetricOrder() {
		if cells[m] > 0 && float64(withheld[m]) > heavySuppression*float64(cells[m]) {
			heavy = append(heavy, fmt.Sprintf("%s (%s)", metricWords(f.vocab.Metric(m).Code), share(withheld[m], cells[m])))
		}
	}
	if len(heavy) > 0 {
		text += fmt.Sprintf(" More than half of the cells are withheld for %s.", joinAnd(heavy))
	}
	if m, ok := f.firstMetric(); ok {
		t := f.widest[m]
		covered := chart.CountriesCovered(f.vocab, t)
		hidden := 0
		for _, c := range covered {
			if cell, ok := findCell(t, c, schemas.OrgAll); ok && cell.Suppressed() {
				hidden++
			}
		}
		how := formatCount(int64(hidden))
		if hidden == 0 {
			how = "none"
		}
		text += fmt.Sprintf(" At %s, %s of the %s countries' totals of %s %s withheld.",
			t.Period, how, formatCount(int64(len(covered))), metricWords(f.vocab.Metric(m).Code), word(hidden, "is", "are"))
	}
	return text
}

// summaryEstimates counts the published figures marked E.
func (f *reportFacts) summaryEstimates() string {
	var published, estimated int64
	for _, t := range f.r.Protected.Tables {
		for _, c := range t.Cells {
			if c.Suppressed() {
				continue
			}
			published++
			if c.Flags.Code() == schemas.ObsCodeEstimated {
				estimated++
			}
		}
	}
	if estimated == 0 {
		return ""
	}
	return fmt.Sprintf("%s of the %s published figures (%s) are marked E (estimated): the dataset declares them estimates or illustrative allocations, "+
		"not measurements, and a total is E when any figure it adds up is (a figure that also breaks is marked B); see Flags and breaks in series.",
		formatCount(estimated), formatCount(published), share(estimated, published))
}

// word picks the singular or plural form for n, without the number.
func word(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// formatRate writes a slope per year for people, with its sign: no decimals from 100 on, one below.
func formatRate(v float64) string {
	decimals := 1
	if math.Abs(v) >= 100 {
		decimals = 0
	}
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Trim(s, "-0.") == "" {
		return strings.TrimPrefix(s, "-")
	}
	if v > 0 {
		s = "+" + s
	}
	return groupThousands(s)
}
