package publish

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

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

// reportFacts is what report.md says, gathered from the protected tables, the series and, as
// trends.parquet is written, the trend rows of each metric's latest period. It holds published
// values only: everything it reads comes through Cell.Value or a trend row's null-aware fields.
type reportFacts struct {
	r      *trend.Result
	vocab  *schemas.Vocabulary
	latest []*protect.Table // by MetricID: the metric's last table, nil if it has none
	// previous is, by MetricID, the metric's table before the latest one, nil if it has none.
	previous []*protect.Table
	// headline is the world, all-types trend row of each metric's latest period, if there is one.
	headline []*trend.TrendRow
	// movers are the country, all-types trend rows of each metric's latest period with a published change.
	movers [][]trend.TrendRow
	// trendLabel is the series trend of the total over organization types, by metric and area.
	trendLabel map[seriesKey]string
	periods    []schemas.Date // the periods of the dataset, ascending
	// charts are the report's figures, by metric and kind; set before the report is rendered.
	charts map[chartKey]chart.File
}

type chartKey struct {
	metric schemas.MetricID
	kind   string
}

// setCharts records the charts the report links to.
func (f *reportFacts) setCharts(files []chart.File) {
	f.charts = map[chartKey]chart.File{}
	for _, c := range files {
		f.charts[chartKey{c.Metric, c.Kind}] = c
	}
}

// writeChart links the chart of a metric and kind, with its caption, if there is one.
func (f *reportFacts) writeChart(b *strings.Builder, metric schemas.MetricID, kind string) {
	c, ok := f.charts[chartKey{metric, kind}]
	if !ok {
		return
	}
	fmt.Fprintf(b, "![%s](%s)\n\n", escapeText(c.Title), c.Name)
	if c.Caption != "" {
		fmt.Fprintf(b, "*%s*\n\n", escapeText(c.Caption))
	}
}

type seriesKey struct {
	metric schemas.MetricID
	geo    schemas.GeoID
}

func newReportFacts(r *trend.Result) *reportFacts {
	v := r.Protected.Vocab
	f := &reportFacts{
		r:          r,
		vocab:      v,
		latest:     make([]*protect.Table, v.NumMetrics()),
		previous:   make([]*protect.Table, v.NumMetrics()),
		headline:   make([]*trend.TrendRow, v.NumMetrics()),
		movers:     make([][]trend.TrendRow, v.NumMetrics()),
		trendLabel: map[seriesKey]string{},
	}
	for _, t := range r.Protected.Tables {
		f.previous[t.Metric] = f.latest[t.Metric]
		f.latest[t.Metric] = t // tables ascend by period
		if n := len(f.periods); n == 0 || f.periods[n-1] != t.Period {
			f.periods = append(f.periods, t.Period)
		}
	}
	for _, s := range r.Series {
		if s.Org == schemas.OrgAll {
			f.trendLabel[seriesKey{s.Metric, s.Geo}] = s.Trend
		}
	}
	return f
}

// observe keeps the trend rows the report needs; writeTrends calls it for every row it writes.
func (f *reportFacts) observe(row trend.TrendRow) {
	if int(row.Metric) >= len(f.latest) || f.latest[row.Metric] == nil || row.Period != f.latest[row.Metric].Period || row.Org != schemas.OrgAll {
		return
	}
	switch f.vocab.Geo.Node(row.Geo).Level {
	case schemas.World:
		r := row
		f.headline[row.Metric] = &r
	case schemas.Country:
		if row.AbsChange.Valid {
			f.movers[row.Metric] = append(f.movers[row.Metric], row)
		}
	}
}

// renderReport writes report.md: headline figures, top movers, the latest table of every metric,
// methodology, caveats and provenance, in that order, like a statistical office's release.
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
	f.writeHeadlines(&b)
	f.writeMovers(&b)
	f.writeTables(&b)
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
		"a cell shown as %s is withheld, not zero (see Methodology).\n\n", plural(len(prov.Sources), "source", "sources"), markSuppressed)
}

// writeHeadlines writes the world total of every metric in its latest period, with the change since
// the previous period where both are published and comparable. A world total is the sum of the
// countries that have submissions in its period, so when a country that was reported before is
// missing from the latest period, the change would mix a change of coverage with a change of exposure:
// it is then not shown, and the countries column says why.
func (f *reportFacts) writeHeadlines(b *strings.Builder) {
	b.WriteString("## Key figures\n\n")
	b.WriteString("World totals over all organization types in the latest period of each metric, the number of countries " +
		"they cover, and the change since the previous period.\n\n")
	rows := [][]string{}
	shrunk := false
	for _, m := range f.vocab.MetricOrder() {
		t := f.latest[m]
		if t == nil {
			continue
		}
		metric := f.vocab.Metric(m)
		value := markStructural
		if c, ok := findCell(t, f.vocab.Geo.WorldID(), schemas.OrgAll); ok {
			value = cellText(c)
		}
		latest := f.countries(t)
		coverage := formatCount(int64(len(latest)))
		change, pct, since := "", "", "first period"
		if h := f.headline[m]; h != nil {
			since = h.PrevPeriod.String()
			change, pct = changeText(h.AbsChange), pctText(h.PctChange)
			if prev := f.previous[m]; prev != nil {
				before := f.countries(prev)
				if len(before) != len(latest) {
					coverage = fmt.Sprintf("%s (was %s)", coverage, formatCount(int64(len(before))))
				}
				if !isSubset(before, latest) {
					change, pct, shrunk = markNotComparable, markNotComparable, true
				}
			}
		}
		rows = append(rows, []string{escapeText(metric.Code), escapeText(metric.Unit), t.Period.String(), value, coverage, change, pct, since})
	}
	if len(rows) == 0 {
		b.WriteString("No figures were published.\n\n")
		return
	}
	writeTable(b, []string{"Metric", "Unit", "Period", "World", "Countries", "Change", "% change", "Since"}, "lllrrrrl", rows)
	writeSuppressedNote(b, rows)
	if shrunk {
		b.WriteString(markNotComparable + " not comparable: countries reported in the previous period are missing from the latest one, " +
			"so the world totals of the two periods cover different countries. The country tables below compare like with like.\n\n")
	}
	if m, ok := f.firstMetric(); ok {
		f.writeChart(b, m, chart.KindOverTime)
	}
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
	var out []schemas.GeoID
	for _, c := range t.Cells {
		if c.Org == schemas.OrgAll && f.vocab.Geo.Node(c.Geo).Level == schemas.Country {
			out = append(out, c.Geo)
		}
	}
	return out
}

// isSubset reports whether every element of a is in b; both are sorted.
func isSubset(a, b []schemas.GeoID) bool {
	j := 0
	for _, x := range a {
		for j < len(b) && b[j] < x {
			j++
		}
		if j == len(b) || b[j] != x {
			return false
		}
	}
	return true
}

// writeMovers writes, per metric, the countries with the largest published absolute and percent
// changes since the previous period (all organization types).
func (f *reportFacts) writeMovers(b *strings.Builder) {
	b.WriteString("## Top movers\n\n")
	fmt.Fprintf(b, "The %d countries with the largest published changes since the previous period, all organization types. "+
		"A country whose value is suppressed in either period has no published change and is not ranked.\n\n", moversShown)
	shown := false
	for _, m := range f.vocab.MetricOrder() {
		movers := f.movers[m]
		if len(movers) == 0 {
			continue
		}
		shown = true
		metric := f.vocab.Metric(m)
		fmt.Fprintf(b, "### %s, %s to %s\n\n", escapeText(metric.Code), movers[0].PrevPeriod, movers[0].Period)
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
	writeSuppressedNote(b, cells)
}

// writeTables writes, per metric, its latest table: areas as rows in the order of the hierarchy
// (world, then each region with its sub-regions and their countries), organization types as columns.
func (f *reportFacts) writeTables(b *strings.Builder) {
	b.WriteString("## Latest figures by metric\n\n")
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
		t := f.latest[m]
		if t == nil {
			continue
		}
		metric := f.vocab.Metric(m)
		fmt.Fprintf(b, "### %s, %s\n\n", escapeText(metric.Code), t.Period)
		fmt.Fprintf(b, "%s Unit: %s.\n\n", sentence(escapeText(metric.Description)), escapeText(metric.Unit))
		f.writeChart(b, m, chart.KindLatest)
		if first, _ := f.firstMetric(); m != first {
			f.writeChart(b, m, chart.KindOverTime) // the first metric's is under Key figures
		}
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
			row = append(row, escapeText(f.trendLabel[seriesKey{m, geo}]))
			rows = append(rows, row)
		}
		writeTable(b, header, align, rows)
		writeSuppressedNote(b, rows)
		fmt.Fprintf(b, "%s no submission covers this combination (a structural zero). "+
			"Trend: rising, stable or falling over every published period of the total over all types "+
			"(Mann-Kendall test at the 5 %% level with the sign of Sen's slope); blank with fewer than three published periods.\n\n", markStructural)
	}
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
	fmt.Fprintf(b, "- **Secondary suppression (interval q = %s).** Further cells are suppressed until, for every sensitive cell, the range of values that can be derived from the published cells, the totals and non-negativity reaches at least %s below and above its true value, also for an organization that knows its own contribution.\n",
		formatNumber(params.Interval), formatPercent(params.Interval*100, false))
	b.WriteString("- **Audit.** Before publication an exact linear-programming audit computed, for every table, the range each suppressed cell can take given everything published, and proved the rule above for every sensitive cell. `exposure audit` repeats it from the published cells alone.\n")
	b.WriteString("- **Derived figures.** Changes, shares, ranks and trend statistics use published values only; where one would need a suppressed value it is left blank.\n\n")
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
	fmt.Fprintf(b, "- Built by: %s %s\n\n", escapeText(tool.Name), escapeText(tool.Version))
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
	if safeID.MatchString(prov.DatasetID) {
		id := prov.DatasetID
		fmt.Fprintf(b, "```sh\nexposure build datasets/%s --out reports/%s\nexposure verify datasets/%s reports/%s\nexposure audit reports/%s\n```\n", id, id, id, id, id)
		return
	}
	fmt.Fprintf(b, "- exposure build with the dataset folder of %s\n- exposure verify with the dataset folder and this report folder\n- exposure audit with this report folder\n", escapeText(prov.DatasetID))
}

// writeSuppressedNote writes the footnote that explains x under a table that shows one.
func writeSuppressedNote(b *strings.Builder, rows [][]string) {
	for _, row := range rows {
		if slices.Contains(row, markSuppressed) {
			b.WriteString(markSuppressed + " suppressed: the value is withheld to protect small counts or a dominant contributor, " +
				"or so that it cannot be worked out from the totals; it is not zero.\n\n")
			return
		}
	}
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
