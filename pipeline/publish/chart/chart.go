package chart

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/pipeline/trend"
	"github.com/exposure-research/exposure/schemas"
)

// Kinds of chart. Every metric that has the data for it gets one over-time, latest and top-movers
// chart, and a widest-coverage chart when its latest period is not the one that covers the most
// countries; every country with a published total gets a country chart.
const (
	KindOverTime      = "over-time"       // the world and the largest regions over the periods
	KindWidest        = "widest-coverage" // the most recent period of widest coverage by area and organization type
	KindLatest        = "latest"          // the latest period by area and organization type
	KindTopMovers     = "top-movers"      // the countries with the largest change between the last two periods
	KindCountry       = "country"         // one country beside its sub-region over the periods
	chartDirectory    = "charts"
	countryDirectory  = "charts/countries"
	maxLabelledPoints = 12 // a country chart writes its values beside its points up to this many periods
)

// Options are what a chart says besides its data.
type Options struct {
	// Source is the source line written under every chart, e.g. "Source: <title> (<id>), published
	// cells; suppressed values are not shown". Empty means DefaultSource of the dataset.
	Source string
}

// File is one rendered chart, ready to be written into the report folder and linked from report.md.
type File struct {
	Name    string // path relative to the report folder, e.g. "charts/exposed_systems-over-time.svg"
	Data    []byte // the SVG document
	Title   string // the chart's title, as drawn; fits as the image's alt text
	Caption string // what the chart shows and what it leaves out, for the text under it
	Metric  schemas.MetricID
	Kind    string        // one of the Kind constants
	Period  schemas.Date  // the period drawn by a widest-coverage or latest chart
	Geo     schemas.GeoID // the country of a country chart
}

// DefaultSource returns the source line of a dataset's charts when Options.Source is empty.
func DefaultSource(p protect.Provenance) string {
	return fmt.Sprintf("Source: %s (%s), published cells; suppressed values are not shown.", p.Title, p.DatasetID)
}

// Render draws the charts of every metric that has tables, in the vocabulary's metric order and, per
// metric, over time, widest coverage, latest, top movers; then one chart per country, in GeoID
// order, of the first metric in which the country has a published total. A chart with nothing
// published to draw is left out rather than drawn empty. The same result and options always give
// the same files, byte for byte.
func Render(r *trend.Result, opts Options) ([]File, error) {
	if r == nil || r.Protected == nil || r.Protected.Vocab == nil || r.Protected.Vocab.Geo == nil {
		return nil, errors.New("chart: no protected result or no vocabulary")
	}
	p := r.Protected
	for _, t := range p.Tables {
		if t == nil || int(t.Metric) >= p.Vocab.NumMetrics() {
			return nil, errors.New("chart: a table is missing or has a metric outside the vocabulary")
		}
	}
	source := opts.Source
	if source == "" {
		source = DefaultSource(p.Provenance)
	}
	byMetric := metricTables(p)
	var files []File
	for _, m := range p.Vocab.MetricOrder() {
		tables := byMetric[m]
		if len(tables) == 0 {
			continue
		}
		for _, kind := range []string{KindOverTime, KindWidest, KindLatest, KindTopMovers} {
			f, err := renderOne(p.Vocab, m, tables, kind, source)
			if err != nil {
				return nil, fmt.Errorf("chart %s of %s: %w", kind, p.Vocab.Metric(m).Code, err)
			}
			if f != nil {
				files = append(files, *f)
			}
		}
	}
	for _, c := range countriesWithTotals(p, byMetric) {
		f, err := renderCountry(p.Vocab, c.metric, byMetric[c.metric], c.geo, source)
		if err != nil {
			return nil, fmt.Errorf("chart of %s: %w", p.Vocab.Geo.Node(c.geo).Code, err)
		}
		if f != nil {
			files = append(files, *f)
		}
	}
	return files, nil
}

// countryMetric is a country and the metric its chart shows.
type countryMetric struct {
	geo    schemas.GeoID
	metric schemas.MetricID
}

// countriesWithTotals lists, in GeoID order, every country with a published total over all
// organization types in some period, with the first metric (in display order) in which it has one.
func countriesWithTotals(p *protect.Result, byMetric [][]*protect.Table) []countryMetric {
	first := map[schemas.GeoID]schemas.MetricID{}
	for _, m := range p.Vocab.MetricOrder() {
		for _, t := range byMetric[m] {
			for _, c := range t.Cells {
				if c.Org != schemas.OrgAll || p.Vocab.Geo.Node(c.Geo).Level != schemas.Country {
					continue
				}
				if _, ok := c.Value(); !ok {
					continue
				}
				if _, seen := first[c.Geo]; !seen {
					first[c.Geo] = m
				}
			}
		}
	}
	out := make([]countryMetric, 0, len(first))
	for geo, m := range first {
		out = append(out, countryMetric{geo, m})
	}
	slices.SortFunc(out, func(a, b countryMetric) int { return cmp.Compare(a.geo, b.geo) })
	return out
}

// figure is a chart before it is drawn: the plot, its legend (drawn beside the plot, so that it never
// hides data), its size and its caption.
type figure struct {
	plot    *plot.Plot
	legend  *plot.Legend
	width   vg.Length
	height  vg.Length
	caption string
}

// renderOne builds and draws one chart of a metric; it returns nil when the chart would have
// nothing to show.
func renderOne(vocab *schemas.Vocabulary, m schemas.MetricID, tables []*protect.Table, kind, source string) (*File, error) {
	last := tables[len(tables)-1]
	var drawn schemas.Date
	build := func() (*figure, error) {
		switch kind {
		case KindOverTime:
			return overTimeFigure(vocab, m, tables)
		case KindWidest:
			widest := WidestCoverage(vocab, tables)
			if widest == last {
				return nil, nil // the latest chart shows it
			}
			drawn = widest.Period
			return latestFigure(vocab, m, widest, len(CountriesCovered(vocab, widest)))
		case KindLatest:
			drawn = last.Period
			return latestFigure(vocab, m, last, 0)
		case KindTopMovers:
			if len(tables) >= 2 {
				return moversFigure(vocab, m, tables[len(tables)-2], last)
			}
		}
		return nil, nil
	}
	name := fmt.Sprintf("%s/%s-%s.svg", chartDirectory, vocab.Metric(m).Code, kind)
	f, err := draw1(build, name, source)
	if f != nil {
		f.Metric, f.Kind, f.Period = m, kind, drawn
	}
	return f, err
}

// renderCountry draws one country's chart of a metric beside its sub-region.
func renderCountry(vocab *schemas.Vocabulary, m schemas.MetricID, tables []*protect.Table, country schemas.GeoID, source string) (*File, error) {
	build := func() (*figure, error) { return countryFigure(vocab, m, tables, country) }
	name := fmt.Sprintf("%s/%s-%s.svg", countryDirectory, vocab.Geo.Node(country).Code, vocab.Metric(m).Code)
	f, err := draw1(build, name, source)
	if f != nil {
		f.Metric, f.Kind, f.Geo = m, KindCountry, country
	}
	return f, err
}

// draw1 builds a figure and draws it as the file name; it returns nil when there is no figure.
// gonum reports some impossible drawing states by panicking; they are turned into errors here so
// that a build fails with a message instead of crashing.
func draw1(build func() (*figure, error), name, source string) (f *File, err error) {
	defer func() {
		if v := recover(); v != nil {
			f, err = nil, fmt.Errorf("plotting failed: %v", v)
		}
	}()
	fig, err := build()
	if err != nil || fig == nil {
		return nil, err
	}
	title := fig.plot.Title.Text
	data, err := drawSVG(fig, source)
	if err != nil {
		return nil, err
	}
	return &File{Name: name, Data: data, Title: title, Caption: fig.caption}, nil
}

// Page geometry.
const (
	chartWidth  = 8 * vg.Inch
	chartHeight = 4.5 * vg.Inch
	margin      = vg.Length(10)
)

// drawSVG draws a figure with its source line under it on an SVG canvas. The title goes in a strip
// across the top, from the left margin, wrapped if it is wider than the figure (gonum centres it on
// the plot alone, which cuts a long title); the legend goes in a strip on the right and the source
// line in a strip at the bottom, all through gonum's text handling. It takes the plot's title.
func drawSVG(fig *figure, source string) ([]byte, error) {
	canvas := vgsvg.New(fig.width, fig.height)
	dc := draw.New(canvas)
	dc.FillPolygon(color.White, []vg.Point{
		dc.Min, {X: dc.Max.X, Y: dc.Min.Y}, dc.Max, {X: dc.Min.X, Y: dc.Max.Y},
	})

	titleStyle := fig.plot.Title.TextStyle
	titleStyle.XAlign, titleStyle.YAlign = text.XLeft, text.YTop
	titleLines := wrap(titleStyle, fig.plot.Title.Text, fig.width-2*margin)
	titleLine := titleStyle.Height("Mg") * 1.15
	for i, l := range titleLines {
		dc.FillText(titleStyle, vg.Point{X: dc.Min.X + margin, Y: dc.Max.Y - margin - titleLine*vg.Length(i)}, l)
	}
	header := margin + titleLine*vg.Length(len(titleLines)) + vg.Points(6)
	fig.plot.Title.Text = ""

	srcStyle := textStyle(sourceSize)
	srcStyle.Color = color.Gray{Y: 0x44}
	lines := wrap(srcStyle, source, fig.width-2*margin)
	lineHeight := srcStyle.Height("Mg") * 1.2
	footer := margin + lineHeight*vg.Length(len(lines)) + margin/2
	for i, l := range lines {
		y := dc.Min.Y + margin + lineHeight*vg.Length(len(lines)-1-i)
		dc.FillText(srcStyle, vg.Point{X: dc.Min.X + margin, Y: y}, l)
	}

	var legendWidth vg.Length
	if fig.legend != nil {
		// A tenth more than gonum measures leaves room for a fallback font a little wider than
		// Liberation Sans.
		legendWidth = fig.legend.Rectangle(dc).Size().X*1.1 + 2*margin
	}
	plotArea := draw.Crop(dc, margin, -(margin + legendWidth), footer, -header)
	fig.plot.Draw(plotArea)
	if fig.legend != nil {
		legendArea := draw.Crop(dc, dc.Max.X-dc.Min.X-legendWidth+margin, -margin, footer, -header)
		fig.legend.Draw(legendArea)
	}

	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("writing SVG: %w", err)
	}
	return withFallbackFonts(buf.Bytes()), nil
}

// withFallbackFonts names fallbacks after the font family that gonum writes. The SVG does not
// embed the font (that would add hundreds of kilobytes to every chart); gonum lays text out with
// Liberation Sans, which has the metrics of Arial and Helvetica, so a viewer without Liberation
// falls back to one of those instead of a serif default and the layout holds. DejaVu Sans
// Condensed, common on Linux, comes next: it is about as wide, where plain DejaVu Sans would run
// labels into the bars. The replacement is
// anchored on the style attribute's opening quote, which text content cannot contain (gonum
// escapes it), so no drawn text is touched.
func withFallbackFonts(svg []byte) []byte {
	return bytes.ReplaceAll(svg,
		[]byte(`style="font-family:Liberation Sans;`),
		[]byte(`style="font-family:`+fontFamily+`;`))
}

// fontFamily is the CSS font list of every text.
const fontFamily = `'Liberation Sans',Arial,Helvetica,'DejaVu Sans Condensed',sans-serif`

// wrap breaks s into lines no wider than width at spaces; a word wider than width gets a line of
// its own.
func wrap(sty interface{ Width(string) vg.Length }, s string, width vg.Length) []string {
	var lines []string
	cur := ""
	for _, w := range strings.Fields(s) {
		next := w
		if cur != "" {
			next = cur + " " + w
		}
		if cur != "" && sty.Width(next) > width {
			lines = append(lines, cur)
			next = w
		}
		cur = next
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// newLegend returns a legend in the house's font, to be drawn beside the plot.
func newLegend() plot.Legend {
	l := plot.NewLegend()
	l.TextStyle = textStyle(labelSize)
	l.Top, l.Left = true, true
	l.Padding = vg.Points(3)
	return l
}

// maxNameRunes is the longest area name written on a category axis. ISO 3166 names reach 52
// characters ("United Kingdom of Great Britain and Northern Ireland"), which would take half the
// chart's width.
const maxNameRunes = 30

// shortName cuts a long area name for an axis label, marking the cut with an ellipsis.
func shortName(name string) string {
	r := []rune(name)
	if len(r) <= maxNameRunes {
		return name
	}
	return strings.TrimRight(string(r[:maxNameRunes-1]), " ,") + "…"
}

// metricName turns a metric code into a name for people: "exposed_systems" -> "Exposed systems".
func metricName(code string) string {
	s := strings.ReplaceAll(code, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// overTimeFigure draws the world and the largest regions over the metric's periods.
func overTimeFigure(vocab *schemas.Vocabulary, m schemas.MetricID, tables []*protect.Table) (*figure, error) {
	lines := overTimeLines(vocab, tables)
	metric := vocab.Metric(m)
	first, last := tables[0].Period, tables[len(tables)-1].Period
	title := fmt.Sprintf("%s, world and largest regions, %s to %s", metricName(metric.Code), first, last)
	if first == last {
		title = fmt.Sprintf("%s, world and largest regions, %s", metricName(metric.Code), first)
	}
	fig, err := lineFigure(title, metric.Unit, periodsOf(tables), lines, false)
	if fig != nil {
		fig.caption = overTimeCaption(metric, lines, first, last)
	}
	return fig, err
}

// countryFigure draws a country and its sub-region over the metric's periods, the country's values
// written beside its points when there are few.
func countryFigure(vocab *schemas.Vocabulary, m schemas.MetricID, tables []*protect.Table, country schemas.GeoID) (*figure, error) {
	lines := countryLines(vocab, tables, country)
	metric := vocab.Metric(m)
	first, last := tables[0].Period, tables[len(tables)-1].Period
	who := shortName(lines[0].Name)
	if len(lines) > 1 {
		who = fmt.Sprintf("%s beside %s", shortName(lines[0].Name), shortName(lines[1].Name))
	}
	// The periods are on the axis and in the caption: the title stays short enough for the plot.
	title := fmt.Sprintf("%s: %s", who, strings.ToLower(metricName(metric.Code)))
	span := fmt.Sprintf("from %s to %s", first, last)
	if first == last {
		span = "at " + first.String()
	}
	fig, err := lineFigure(title, metric.Unit, periodsOf(tables), lines, len(tables) <= maxLabelledPoints)
	if fig == nil || err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s, all organization types) in %s", metricName(metric.Code), metric.Unit, lines[0].Name)
	if len(lines) > 1 {
		fmt.Fprintf(&b, " and its sub-region, %s", lines[1].Name)
	} else {
		b.WriteString(", which the M49 hierarchy puts in no sub-region")
	}
	fmt.Fprintf(&b, ", %s.", span)
	b.WriteString(lineNotes(lines))
	fig.caption = b.String()
	return fig, nil
}

// periodsOf returns the tables' periods, in order.
func periodsOf(tables []*protect.Table) []schemas.Date {
	out := make([]schemas.Date, len(tables))
	for i, t := range tables {
		out[i] = t.Period
	}
	return out
}

// lineFigure draws lines over periods. A value that is not published splits its line: the gap is
// the honest picture of a figure that cannot be shown. A break in series splits it too, with the
// sign "//" in the gap; an estimate is drawn hollow. With one period there is nothing to join, so
// the values are drawn as points. With labels, the first line's published values are written
// beside its points. It returns nil when no line has a published value.
func lineFigure(title, unit string, periods []schemas.Date, lines []line, labels bool) (*figure, error) {
	var maxValue int64
	drawable := false
	for _, l := range lines {
		if v, ok := maxPublished(l); ok {
			drawable = true
			maxValue = max(maxValue, v)
		}
	}
	if !drawable {
		return nil, nil
	}
	p := newPlot(title)
	p.Y.Label.Text = unit
	grid := plotter.NewGrid()
	grid.Vertical.Width = 0
	grid.Horizontal.Color = gridColour
	p.Add(grid)

	legend := newLegend()
	legend.ThumbnailWidth = vg.Points(28)
	estimates, breaks := false, false
	// Each line's plotters are added after the next line's, so that the first line (the world, or
	// the country) is drawn on top; the legend keeps the lines' order.
	layers := make([][]plot.Plotter, len(lines))
	for i, l := range lines {
		st := lineStyles[i%len(lineStyles)]
		ls := draw.LineStyle{Color: st.colour, Width: vg.Points(float64(st.width)), Dashes: st.dashes}
		var pts plotter.XYs
		var hollow []bool
		for _, seg := range l.segments() {
			xys := make(plotter.XYs, len(seg))
			for j, pt := range seg {
				xys[j] = plotter.XY{X: float64(pt.Period), Y: float64(pt.Value)}
				hollow = append(hollow, pt.Estimated)
				estimates = estimates || pt.Estimated
			}
			pts = append(pts, xys...)
			if len(seg) < 2 {
				continue
			}
			ln, err := plotter.NewLine(xys)
			if err != nil {
				return nil, fmt.Errorf("line of %s: %w", l.Name, err)
			}
			ln.LineStyle = ls
			layers[i] = append(layers[i], ln)
		}
		if marks := l.breakMarks(); len(marks) > 0 {
			layers[i] = append(layers[i], breakMarks{at: marks, colour: st.colour})
			breaks = true
		}
		thumbs := []plot.Thumbnailer{}
		if len(periods) > 1 {
			thumbs = append(thumbs, &plotter.Line{LineStyle: ls})
		}
		if len(pts) > 0 {
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return nil, fmt.Errorf("points of %s: %w", l.Name, err)
			}
			sc.GlyphStyleFunc = func(i int) draw.GlyphStyle { return st.glyph(hollow[i]) }
			layers[i] = append(layers[i], sc)
			thumbs = append(thumbs, glyphKey{st.glyph(false)})
			if labels && i == 0 {
				vl, err := valueLabels(pts, lines[1:])
				if err != nil {
					return nil, err
				}
				layers[i] = append(layers[i], vl...)
			}
		}
		legend.Add(shortName(l.Name), thumbs...)
	}
	for i := len(layers) - 1; i >= 0; i-- {
		p.Add(layers[i]...)
	}
	if estimates {
		legend.Add("estimate (E)", glyphKey{lineStyles[0].glyph(true)})
	}
	if breaks {
		legend.Add("break in series", breakKey{})
	}

	setDateAxis(p, periods)
	setCountAxis(&p.Y, 0, float64(maxValue)*1.08)
	return &figure{plot: p, legend: &legend, width: chartWidth, height: chartHeight}, nil
}

// valueLabels writes each point's value beside it, with thousands separators: above the point, or
// below it where another line is at or above it in that period, so that the label stays clear of
// the other line's marker.
func valueLabels(pts plotter.XYs, others []line) ([]plot.Plotter, error) {
	var above, below plotter.XYLabels
	for _, pt := range pts {
		under := false
		for _, o := range others {
			for _, q := range o.Points {
				if float64(q.Period) == pt.X && q.State == cellPublished && float64(q.Value) >= pt.Y {
					under = true
				}
			}
		}
		side := &above
		if under {
			side = &below
		}
		side.XYs = append(side.XYs, pt)
		side.Labels = append(side.Labels, formatCount(int64(pt.Y)))
	}
	var out []plot.Plotter
	for _, side := range []struct {
		labels plotter.XYLabels
		align  text.YAlignment
		dy     vg.Length
	}{{above, text.YBottom, labelOffset}, {below, text.YTop, -labelOffset}} {
		if len(side.labels.XYs) == 0 {
			continue
		}
		labels, err := plotter.NewLabels(side.labels)
		if err != nil {
			return nil, fmt.Errorf("value labels: %w", err)
		}
		for i := range labels.TextStyle {
			sty := textStyle(valueSize)
			sty.XAlign, sty.YAlign = text.XCenter, side.align
			labels.TextStyle[i] = sty
		}
		labels.Offset = vg.Point{Y: vg.Points(float64(side.dy))}
		out = append(out, labels)
	}
	return out, nil
}

// labelOffset is the distance in points between a point and its value label.
const labelOffset = 5

// maxPublished returns the line's largest published value.
func maxPublished(l line) (int64, bool) {
	var m int64
	ok := false
	for _, p := range l.Points {
		if p.State == cellPublished {
			m, ok = max(m, p.Value), true
		}
	}
	return m, ok
}

// setDateAxis marks the time axis at the periods themselves, labelled as dates, or at evenly spread
// ones (always the last) when there are too many to label; periods are days since 1970-01-01.
func setDateAxis(p *plot.Plot, periods []schemas.Date) {
	first, last := float64(periods[0]), float64(periods[len(periods)-1])
	pad := (last - first) * 0.04
	if pad == 0 {
		pad = 30
	}
	p.X.Min, p.X.Max = first-pad, last+pad
	const maxLabels = 7
	every := (len(periods) + maxLabels - 1) / maxLabels
	// A label needs about a seventh of the axis: periods closer than that to a label keep their tick
	// without one, so that dates never run into each other. The last and the first are labelled
	// first, then every every-th period from the end.
	minGap := (p.X.Max - p.X.Min) / 7
	candidates := []int{len(periods) - 1, 0}
	for i := len(periods) - 1 - every; i > 0; i -= every {
		candidates = append(candidates, i)
	}
	var labelled []float64
	var ticks []plot.Tick
	for _, i := range candidates {
		x := float64(periods[i])
		tick := plot.Tick{Value: x}
		if !slices.ContainsFunc(labelled, func(l float64) bool { return math.Abs(l-x) < minGap }) {
			labelled = append(labelled, x)
			tick.Label = periods[i].String()
		}
		ticks = append(ticks, tick)
	}
	slices.SortFunc(ticks, func(a, b plot.Tick) int { return cmp.Compare(a.Value, b.Value) })
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
}

// overTimeCaption says what the over-time chart shows and names its gaps, breaks and estimates.
func overTimeCaption(metric schemas.Metric, lines []line, first, last schemas.Date) string {
	var b strings.Builder
	regions := len(lines) - 1
	span := fmt.Sprintf("from %s to %s", first, last)
	if first == last {
		span = fmt.Sprintf("at %s", first)
	}
	switch regions {
	case 0:
		fmt.Fprintf(&b, "%s (%s, all organization types) in the world, %s.", metricName(metric.Code), metric.Unit, span)
	case 1:
		fmt.Fprintf(&b, "%s (%s, all organization types) in the world and its largest region by latest published value, %s.", metricName(metric.Code), metric.Unit, span)
	default:
		fmt.Fprintf(&b, "%s (%s, all organization types) in the world and its %d largest regions by latest published value, %s.", metricName(metric.Code), metric.Unit, regions, span)
	}
	b.WriteString(lineNotes(lines))
	return b.String()
}

// lineNotes names, for a caption, the gaps of the lines, their breaks in series and their estimates.
func lineNotes(lines []line) string {
	var b strings.Builder
	var gaps, breaks []string
	estimated, points := 0, 0
	for _, l := range lines {
		for _, p := range l.Points {
			switch p.State {
			case cellSuppressed:
				gaps = append(gaps, fmt.Sprintf("%s %s (withheld)", l.Name, p.Period))
			case cellMissing:
				gaps = append(gaps, fmt.Sprintf("%s %s (not reported)", l.Name, p.Period))
			case cellPublished:
				points++
				if p.Estimated {
					estimated++
				}
				if p.Break {
					breaks = append(breaks, fmt.Sprintf("%s %s", l.Name, p.Period))
				}
			}
		}
	}
	if len(gaps) > 0 {
		fmt.Fprintf(&b, " Values that are withheld (x) or not reported are gaps, not zeros: %s.", nameSome(gaps))
	}
	if len(breaks) > 0 {
		fmt.Fprintf(&b, " A break in series (its source, definition or coverage changed; the sign // in the gap) is not joined to the period before: %s.", nameSome(breaks))
	}
	switch {
	case estimated == 0:
	case estimated == points:
		b.WriteString(" Every value drawn is an estimate or illustrative allocation (E), drawn hollow: not a measurement.")
	default:
		fmt.Fprintf(&b, " Hollow markers are estimates or illustrative allocations (E), not measurements: %d of the %d values drawn.", estimated, points)
	}
	return b.String()
}

// nameSome joins a list for a caption, naming the first few and counting the rest.
func nameSome(items []string) string {
	if len(items) <= maxNamedWithheld {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:maxNamedWithheld], ", "), len(items)-maxNamedWithheld)
}

// latestFigure draws one period as horizontal bars grouped by area: the area's published total over
// all organization types first, then one bar per organization type. A withheld bar is not drawn; an
// "x" at the axis marks it, as the report's tables do. An estimate is hatched, and a break in series
// has B after its value. widest, when above 0, is the number of countries the period covers, and
// says that the chart is of the period of widest coverage, not the latest.
func latestFigure(vocab *schemas.Vocabulary, m schemas.MetricID, t *protect.Table, widest int) (*figure, error) {
	lb := latestByArea(vocab, t)
	var maxValue int64
	published := false
	for _, g := range lb.Groups {
		for _, b := range g.Bars {
			if !b.Missing && !b.Withheld {
				published = true
				maxValue = max(maxValue, b.Value)
			}
		}
	}
	if !published {
		return nil, nil
	}
	metric := vocab.Metric(m)
	areaWord := "region"
	if lb.Countries {
		areaWord = "country"
	}
	title := fmt.Sprintf("%s by %s and organization type, %s", metricName(metric.Code), areaWord, lb.Period)
	if widest > 0 {
		title += fmt.Sprintf(" (widest coverage: %d %s)", widest, plural(widest, "country", "countries"))
	}
	p := newPlot(title)
	p.X.Label.Text = metric.Unit
	grid := plotter.NewGrid()
	grid.Horizontal.Width = 0
	grid.Vertical.Color = gridColour
	p.Add(grid)

	nGroups, nBars := len(lb.Groups), len(lb.Orgs)
	names := make([]string, nGroups)
	for gi, g := range lb.Groups {
		names[nGroups-1-gi] = shortName(g.Name) // the largest area at the top
	}
	legend := newLegend()
	const groupWidth = 0.8
	thickness := groupWidth / float64(nBars)
	var withheld []string
	estimated, drawn, breaks := 0, 0, 0
	for oi, o := range lb.Orgs {
		fill, name := color.Color(totalColour), "All types (total)"
		if o != schemas.OrgAll {
			fill, name = sequential(oi-1, nBars-1), vocab.Org(o).Name
		}
		hb := &hbars{fills: []color.Color{fill}, thickness: thickness}
		for gi, g := range lb.Groups {
			centre := float64(nGroups-1-gi) + groupWidth/2 - (float64(oi)+0.5)*thickness
			b := g.Bars[oi]
			hb.ys = append(hb.ys, centre)
			hb.bars = append(hb.bars, b)
			switch {
			case b.Withheld:
				what := vocab.Org(o).Name
				if o == schemas.OrgAll {
					what = "All types"
				}
				withheld = append(withheld, fmt.Sprintf("%s in %s", what, g.Name))
			case !b.Missing:
				drawn++
				if b.Estimated {
					estimated++
				}
				if b.Break {
					breaks++
				}
			}
		}
		p.Add(hb)
		legend.Add(name, hb)
	}
	if len(withheld) > 0 {
		legend.Add("withheld (x)", withheldMark{})
	}
	if estimated > 0 {
		legend.Add("estimate (E)", hatchKey{})
	}
	p.NominalY(names...)
	p.Y.Min, p.Y.Max = -0.5, float64(nGroups)-0.5
	// Room on the right for the value written after the longest bar.
	setCountAxis(&p.X, 0, float64(maxValue)*1.15)

	var caption strings.Builder
	fmt.Fprintf(&caption, "%s (%s) at %s by %s: the published total over all organization types (the dark bar) and each organization type, published values only.",
		metricName(metric.Code), metric.Unit, lb.Period, areaWord)
	if widest > 0 {
		fmt.Fprintf(&caption, " %s is the most recent period that covers the most countries (%d).", lb.Period, widest)
	}
	if len(withheld) > 0 {
		fmt.Fprintf(&caption, " Withheld values (x) are not drawn: %s.", nameSome(withheld))
	}
	switch {
	case estimated == 0:
	case estimated == drawn:
		caption.WriteString(" Every bar is hatched: every value drawn is an estimate or illustrative allocation (E), not a measurement.")
	default:
		fmt.Fprintf(&caption, " Hatched bars are estimates or illustrative allocations (E), not measurements: %d of the %d drawn.", estimated, drawn)
	}
	if breaks > 0 {
		caption.WriteString(" B after a value: a break in series, not comparable with the period before.")
	}
	if len(lb.Unplaced) > 0 {
		fmt.Fprintf(&caption, " Not drawn among the regions, since the M49 hierarchy puts %s in no region: %s (in the table).",
			plural(len(lb.Unplaced), "it", "them"), strings.Join(lb.Unplaced, ", "))
	}
	height := chartHeight
	if need := vg.Inch*1.6 + vg.Points(7)*vg.Length(nGroups*nBars+nGroups); need > height {
		height = min(need, 11*vg.Inch)
	}
	return &figure{plot: p, legend: &legend, width: chartWidth, height: height, caption: caption.String()}, nil
}

// moversFigure draws the countries with the largest published change between two periods as a
// diverging bar chart: rises to the right in a dark fill, falls to the left in a light one.
func moversFigure(vocab *schemas.Vocabulary, m schemas.MetricID, prev, last *protect.Table) (*figure, error) {
	mv := topMovers(vocab, prev, last)
	if len(mv.Top) == 0 {
		return nil, nil
	}
	metric := vocab.Metric(m)
	title := fmt.Sprintf("%s, largest changes by country, %s to %s", metricName(metric.Code), mv.From, mv.To)
	p := newPlot(title)
	p.X.Label.Text = fmt.Sprintf("change in %s", metric.Unit)
	grid := plotter.NewGrid()
	grid.Horizontal.Width = 0
	grid.Vertical.Color = gridColour
	p.Add(grid)

	n := len(mv.Top)
	names := make([]string, n)
	hb := &hbars{thickness: 0.7, signed: true}
	var lo, hi int64
	estimated := 0
	for i, c := range mv.Top {
		y := float64(n - 1 - i) // the largest rise at the top
		names[n-1-i] = shortName(c.Name)
		hb.ys = append(hb.ys, y)
		hb.bars = append(hb.bars, bar{Value: c.Change, Estimated: c.Estimated})
		if c.Estimated {
			estimated++
		}
		fill := color.Color(riseColour)
		if c.Change < 0 {
			fill = fallColour
		}
		hb.fills = append(hb.fills, fill)
		lo, hi = min(lo, c.Change), max(hi, c.Change)
	}
	zero, err := plotter.NewLine(plotter.XYs{{X: 0, Y: -0.5}, {X: 0, Y: float64(n) - 0.5}})
	if err != nil {
		return nil, fmt.Errorf("zero line: %w", err)
	}
	zero.LineStyle = draw.LineStyle{Color: color.Black, Width: vg.Points(0.8)}
	p.Add(hb, zero)
	p.NominalY(names...)
	p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5
	// Room on both sides for the signed values written after the bars.
	setCountAxis(&p.X, float64(lo)*1.18, float64(hi)*1.18)

	var caption strings.Builder
	who := fmt.Sprintf("The %d countries", n)
	if n == 1 {
		who = "The country"
	}
	fmt.Fprintf(&caption, "%s with the largest published change in %s (%s, all organization types) from %s to %s.",
		who, strings.ToLower(metricName(metric.Code)), metric.Unit, mv.From, mv.To)
	if mv.Withheld > 0 {
		fmt.Fprintf(&caption, " Not shown: %d %s whose change cannot be derived because a value is withheld.", mv.Withheld, plural(mv.Withheld, "country", "countries"))
	}
	if mv.Breaks > 0 {
		fmt.Fprintf(&caption, " Not shown: %d %s whose series breaks (its source, definition or coverage changed), so that no change is published.", mv.Breaks, plural(mv.Breaks, "country", "countries"))
	}
	var legend *plot.Legend
	switch {
	case estimated == 0:
	case estimated == n:
		caption.WriteString(" Every bar is hatched: every change drawn is between estimates or illustrative allocations (E).")
	default:
		fmt.Fprintf(&caption, " Hatched bars are changes between estimates or illustrative allocations (E): %d of the %d.", estimated, n)
	}
	if estimated > 0 {
		l := newLegend()
		l.Add("estimate (E)", hatchKey{})
		legend = &l
	}
	return &figure{plot: p, legend: legend, width: chartWidth, height: chartHeight, caption: caption.String()}, nil
}

// plural picks the singular or plural form of a word for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
