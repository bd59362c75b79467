package chart

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/pipeline/trend"
	"github.com/exposure-research/exposure/schemas"
)

// Kinds of chart, one of each per metric that has the data for it.
const (
	KindOverTime   = "over-time"  // the world and the largest regions over the periods
	KindLatest     = "latest"     // the latest period by area and organization type
	KindTopMovers  = "top-movers" // the countries with the largest change between the last two periods
	chartDirectory = "charts"
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
	Kind    string // KindOverTime, KindLatest or KindTopMovers
}

// DefaultSource returns the source line of a dataset's charts when Options.Source is empty.
func DefaultSource(p protect.Provenance) string {
	return fmt.Sprintf("Source: %s (%s), published cells; suppressed values are not shown.", p.Title, p.DatasetID)
}

// Render draws the charts of every metric that has tables, in the vocabulary's metric order and, per
// metric, over time, latest, top movers. A chart with nothing published to draw is left out rather
// than drawn empty. The same result and options always give the same files, byte for byte.
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
		for _, kind := range []string{KindOverTime, KindLatest, KindTopMovers} {
			f, err := renderOne(p.Vocab, m, tables, kind, source)
			if err != nil {
				return nil, fmt.Errorf("chart %s of %s: %w", kind, p.Vocab.Metric(m).Code, err)
			}
			if f != nil {
				files = append(files, *f)
			}
		}
	}
	return files, nil
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

// renderOne builds and draws one chart; it returns nil when the chart would have nothing to show.
// gonum reports some impossible drawing states by panicking; they are turned into errors here so
// that a build fails with a message instead of crashing.
func renderOne(vocab *schemas.Vocabulary, m schemas.MetricID, tables []*protect.Table, kind, source string) (f *File, err error) {
	defer func() {
		if v := recover(); v != nil {
			f, err = nil, fmt.Errorf("plotting failed: %v", v)
		}
	}()
	var fig *figure
	switch kind {
	case KindOverTime:
		fig, err = overTimeFigure(vocab, m, tables)
	case KindLatest:
		fig, err = latestFigure(vocab, m, tables[len(tables)-1])
	case KindTopMovers:
		if len(tables) >= 2 {
			fig, err = moversFigure(vocab, m, tables[len(tables)-2], tables[len(tables)-1])
		}
	}
	if err != nil || fig == nil {
		return nil, err
	}
	data, err := drawSVG(fig, source)
	if err != nil {
		return nil, err
	}
	return &File{
		Name:    fmt.Sprintf("%s/%s-%s.svg", chartDirectory, vocab.Metric(m).Code, kind),
		Data:    data,
		Title:   fig.plot.Title.Text,
		Caption: fig.caption,
		Metric:  m,
		Kind:    kind,
	}, nil
}

// Page geometry.
const (
	chartWidth  = 8 * vg.Inch
	chartHeight = 4.5 * vg.Inch
	margin      = vg.Length(10)
)

// drawSVG draws a figure with its source line under it on an SVG canvas. The legend goes in a strip
// on the right and the source line in a strip at the bottom, both through gonum's text handling.
func drawSVG(fig *figure, source string) ([]byte, error) {
	canvas := vgsvg.New(fig.width, fig.height)
	dc := draw.New(canvas)
	dc.FillPolygon(color.White, []vg.Point{
		dc.Min, {X: dc.Max.X, Y: dc.Min.Y}, dc.Max, {X: dc.Min.X, Y: dc.Max.Y},
	})

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
	plotArea := draw.Crop(dc, margin, -(margin + legendWidth), footer, -margin)
	fig.plot.Draw(plotArea)
	if fig.legend != nil {
		titleHeight := fig.plot.Title.TextStyle.Height(fig.plot.Title.Text) + fig.plot.Title.Padding
		legendArea := draw.Crop(dc, dc.Max.X-dc.Min.X-legendWidth+margin, -margin, footer, -(margin + titleHeight + 4))
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

// overTimeFigure draws the world and the largest regions over the metric's periods. A value that is
// not published splits its line: the gap is the honest picture of a figure that cannot be shown.
// With one period there is nothing to join, so the values are drawn as points.
func overTimeFigure(vocab *schemas.Vocabulary, m schemas.MetricID, tables []*protect.Table) (*figure, error) {
	lines := overTimeLines(vocab, tables)
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
	metric := vocab.Metric(m)
	first, last := tables[0].Period, tables[len(tables)-1].Period
	title := fmt.Sprintf("%s, world and largest regions, %s to %s", metricName(metric.Code), first, last)
	if first == last {
		title = fmt.Sprintf("%s, world and largest regions, %s", metricName(metric.Code), first)
	}
	p := newPlot(title)
	p.Y.Label.Text = metric.Unit
	grid := plotter.NewGrid()
	grid.Vertical.Width = 0
	grid.Horizontal.Color = gridColour
	p.Add(grid)

	legend := newLegend()
	legend.ThumbnailWidth = vg.Points(28)
	for i, l := range lines {
		st := lineStyles[i%len(lineStyles)]
		ls := draw.LineStyle{Color: st.colour, Width: vg.Points(float64(st.width)), Dashes: st.dashes}
		gs := draw.GlyphStyle{Color: st.colour, Radius: vg.Points(3.2), Shape: st.glyph}
		var pts plotter.XYs
		for _, seg := range l.segments() {
			xys := make(plotter.XYs, len(seg))
			for j, pt := range seg {
				xys[j] = plotter.XY{X: float64(pt.Period), Y: float64(pt.Value)}
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
			p.Add(ln)
		}
		thumbs := []plot.Thumbnailer{}
		if len(tables) > 1 {
			thumbs = append(thumbs, &plotter.Line{LineStyle: ls})
		}
		if len(pts) > 0 {
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return nil, fmt.Errorf("points of %s: %w", l.Name, err)
			}
			sc.GlyphStyle = gs
			p.Add(sc)
			thumbs = append(thumbs, sc)
		}
		legend.Add(l.Name, thumbs...)
	}

	setDateAxis(p, tables)
	setCountAxis(&p.Y, 0, float64(maxValue))
	return &figure{
		plot:    p,
		legend:  &legend,
		width:   chartWidth,
		height:  chartHeight,
		caption: overTimeCaption(metric, lines, first, last),
	}, nil
}

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
func setDateAxis(p *plot.Plot, tables []*protect.Table) {
	first, last := float64(tables[0].Period), float64(tables[len(tables)-1].Period)
	pad := (last - first) * 0.04
	if pad == 0 {
		pad = 30
	}
	p.X.Min, p.X.Max = first-pad, last+pad
	const maxLabels = 7
	every := (len(tables) + maxLabels - 1) / maxLabels
	var ticks []plot.Tick
	for i := len(tables) - 1; i >= 0; i -= every {
		ticks = append([]plot.Tick{{Value: float64(tables[i].Period), Label: tables[i].Period.String()}}, ticks...)
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
}

// overTimeCaption says what the over-time chart shows and names its gaps.
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
	var gaps []string
	for _, l := range lines {
		for _, p := range l.Points {
			switch p.State {
			case cellSuppressed:
				gaps = append(gaps, fmt.Sprintf("%s %s (withheld)", l.Name, p.Period))
			case cellMissing:
				gaps = append(gaps, fmt.Sprintf("%s %s (not reported)", l.Name, p.Period))
			}
		}
	}
	if len(gaps) > 0 {
		fmt.Fprintf(&b, " Values that are withheld to protect small counts or not reported are gaps, not zeros: %s.", nameSome(gaps))
	}
	var breaks []string
	for _, l := range lines {
		for _, p := range l.Points {
			if p.Break && p.State == cellPublished {
				breaks = append(breaks, fmt.Sprintf("%s %s", l.Name, p.Period))
			}
		}
	}
	if len(breaks) > 0 {
		fmt.Fprintf(&b, " Not joined to the period before, because the series breaks there (its source, definition or coverage changed): %s.", nameSome(breaks))
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

// latestFigure draws the latest period as horizontal bars grouped by area, one bar per
// organization type. A withheld bar is not drawn; an "x" at the axis marks it, as the report's
// tables do.
func latestFigure(vocab *schemas.Vocabulary, m schemas.MetricID, t *protect.Table) (*figure, error) {
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
	p := newPlot(title)
	p.X.Label.Text = metric.Unit
	grid := plotter.NewGrid()
	grid.Horizontal.Width = 0
	grid.Vertical.Color = gridColour
	p.Add(grid)

	nGroups, nOrgs := len(lb.Groups), len(lb.Orgs)
	names := make([]string, nGroups)
	for gi, g := range lb.Groups {
		names[nGroups-1-gi] = shortName(g.Name) // the largest area at the top
	}
	legend := newLegend()
	const groupWidth = 0.8
	thickness := groupWidth / float64(nOrgs)
	var withheld []string
	for oi, o := range lb.Orgs {
		hb := &hbars{fills: []color.Color{sequential(oi, nOrgs)}, thickness: thickness}
		for gi, g := range lb.Groups {
			centre := float64(nGroups-1-gi) + groupWidth/2 - (float64(oi)+0.5)*thickness
			hb.ys = append(hb.ys, centre)
			hb.bars = append(hb.bars, g.Bars[oi])
			if g.Bars[oi].Withheld {
				withheld = append(withheld, fmt.Sprintf("%s in %s", vocab.Org(o).Name, g.Name))
			}
		}
		p.Add(hb)
		legend.Add(vocab.Org(o).Name, hb)
	}
	if len(withheld) > 0 {
		legend.Add("withheld", withheldMark{})
	}
	p.NominalY(names...)
	p.Y.Min, p.Y.Max = -0.5, float64(nGroups)-0.5
	// Room on the right for the value written after the longest bar.
	setCountAxis(&p.X, 0, float64(maxValue)*1.12)

	var caption strings.Builder
	fmt.Fprintf(&caption, "%s (%s) at %s by %s and organization type, published values only.",
		metricName(metric.Code), metric.Unit, lb.Period, areaWord)
	if len(withheld) > 0 {
		fmt.Fprintf(&caption, " Withheld values (suppressed to protect small counts) are not drawn and are marked x: %s.", nameSome(withheld))
	}
	height := chartHeight
	if need := vg.Inch*1.6 + vg.Points(7)*vg.Length(nGroups*nOrgs+nGroups); need > height {
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
	for i, c := range mv.Top {
		y := float64(n - 1 - i) // the largest rise at the top
		names[n-1-i] = shortName(c.Name)
		hb.ys = append(hb.ys, y)
		hb.bars = append(hb.bars, bar{Value: c.Change})
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
	return &figure{plot: p, width: chartWidth, height: chartHeight, caption: caption.String()}, nil
}

// plural picks the singular or plural form of a word for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
