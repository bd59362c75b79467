package chart

import (
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// sans is the typeface of every text. gonum measures text with its embedded Liberation Sans, which
// has the metrics of Arial and Helvetica; fontFamily below lets a reader without Liberation fall back
// to those without the layout changing.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// Text sizes in points.
const (
	titleSize  = 13
	labelSize  = 10
	tickSize   = 9
	sourceSize = 8
	valueSize  = 8
)

// textStyle returns a style for text of the given size, measured and drawn by gonum's text handler.
func textStyle(size vg.Length) text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    font.From(sans, size),
		Handler: plot.DefaultTextHandler,
	}
}

// newPlot returns a plot with the house's fonts and thousands-separated count ticks on both axes;
// each chart replaces the tickers that do not count.
func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	// Only the fonts change: plot.New's styles carry the alignments of titles and tick labels.
	p.Title.TextStyle.Font = font.From(sans, titleSize)
	p.Title.Padding = vg.Points(6)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, labelSize)
		a.Tick.Label.Font = font.From(sans, tickSize)
		a.Tick.Marker = countTicks{}
	}
	return p
}

// lineStyle is how one series of the over-time chart is told apart. The series differ in
// lightness, dash pattern and marker shape, not in hue alone, so that they survive printing in
// greyscale and colour-blind readers. The world is first: black, solid and thickest.
type lineStyle struct {
	colour color.Color
	dashes []vg.Length
	shape  markerShape
	width  vg.Length
}

var lineStyles = []lineStyle{
	{color.RGBA{0x00, 0x00, 0x00, 0xff}, nil, shapeCircle, 2.4},
	{color.RGBA{0x08, 0x45, 0x94, 0xff}, []vg.Length{7, 3}, shapeSquare, 1.8},
	{color.RGBA{0xb3, 0x58, 0x06, 0xff}, []vg.Length{2, 2}, shapeTriangle, 1.8},
	{color.RGBA{0x4a, 0x9c, 0x5a, 0xff}, []vg.Length{8, 3, 2, 3}, shapeDiamond, 1.8},
	{color.RGBA{0x8e, 0xa9, 0xdb, 0xff}, []vg.Length{4, 4}, shapeTriangleDown, 1.8},
}

// glyph returns the marker of a point of the line: filled, or hollow for an estimate.
func (s lineStyle) glyph(estimated bool) draw.GlyphStyle {
	return draw.GlyphStyle{Color: s.colour, Radius: vg.Points(3.2), Shape: marker{shape: s.shape, hollow: estimated}}
}

// viridis are stops of the viridis colour map, whose lightness rises monotonically: bars of
// different organization types stay apart in greyscale, and the order of lightness is the legend's.
var viridis = []color.RGBA{
	{0x44, 0x01, 0x54, 0xff}, {0x48, 0x28, 0x78, 0xff}, {0x3e, 0x4a, 0x89, 0xff},
	{0x31, 0x68, 0x8e, 0xff}, {0x26, 0x82, 0x8e, 0xff}, {0x1f, 0x9e, 0x89, 0xff},
	{0x35, 0xb7, 0x79, 0xff}, {0x6d, 0xcd, 0x59, 0xff}, {0xb4, 0xde, 0x2c, 0xff},
	{0xfd, 0xe7, 0x25, 0xff},
}

// sequential returns the i-th of n colours evenly spread over viridis.
func sequential(i, n int) color.Color {
	if n <= 1 {
		return viridis[0]
	}
	pos := float64(i) / float64(n-1) * float64(len(viridis)-1)
	lo := int(math.Floor(pos))
	if lo >= len(viridis)-1 {
		return viridis[len(viridis)-1]
	}
	f := pos - float64(lo)
	a, b := viridis[lo], viridis[lo+1]
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*(1-f) + float64(y)*f)) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
}

// Colours of the diverging movers chart: a dark rise and a light fall, so that the sign reads in
// greyscale too; every bar also carries its signed value.
var (
	// totalColour fills the bar of an area's total over all organization types: a neutral dark grey
	// that stands apart from the viridis fills of the types.
	totalColour = color.RGBA{0x4d, 0x4d, 0x4d, 0xff}
	riseColour  = color.RGBA{0x08, 0x45, 0x94, 0xff}
	fallColour  = color.RGBA{0xf4, 0xa5, 0x82, 0xff}
	outline     = color.RGBA{0x33, 0x33, 0x33, 0xff}
	gridColour  = color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
)

// formatCount writes n with thousands separators ("1,234,567"), as the report writes numbers for
// people.
func formatCount(n int64) string {
	digits := strconv.FormatUint(absInt(n), 10)
	out := make([]byte, 0, len(digits)+len(digits)/3+1)
	if n < 0 {
		out = append(out, '-')
	}
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, digits[i])
	}
	return string(out)
}

// formatChange writes a change with its sign ("+1,234", "−56", using the minus sign U+2212).
func formatChange(n int64) string {
	switch {
	case n > 0:
		return "+" + formatCount(n)
	case n < 0:
		return "\u2212" + formatCount(n)[1:]
	}
	return "0"
}

// countTicks marks a count axis at whole, round numbers (1, 2 or 5 times a power of ten) labelled
// with thousands separators. gonum's default ticker labels large counts as 1e+06 and small ranges
// with fractions, neither of which a count has.
type countTicks struct {
	step float64 // distance between ticks; 0 chooses one from the range
}

// Ticks returns the major ticks of [lo, hi].
func (t countTicks) Ticks(lo, hi float64) []plot.Tick {
	step := t.step
	if !(step >= 1) {
		step = niceStep(lo, hi)
	}
	var ticks []plot.Tick
	first := math.Ceil(lo/step - 1e-9)
	for i := 0.0; i <= 100; i++ {
		v := (first + i) * step
		if v > hi+step*1e-9 {
			break
		}
		label := formatCount(int64(math.Round(v)))
		if v < 0 {
			label = formatChange(int64(math.Round(v))) // the minus sign, as on the bars' labels
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
	}
	return ticks
}

// niceStep returns a step of 1, 2 or 5 times a power of ten, at least 1, that cuts [lo, hi] into
// about five intervals.
func niceStep(lo, hi float64) float64 {
	span := hi - lo
	if !(span > 0) || math.IsInf(span, 0) {
		return 1
	}
	raw := span / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, f := range []float64{2, 5, 10} {
		// The candidate nearest to raw on a log scale, so that the axis gets four to seven ticks.
		if math.Abs(math.Log(f*mag/raw)) < math.Abs(math.Log(step/raw)) {
			step = f * mag
		}
	}
	return math.Max(step, 1)
}

// setCountAxis makes a count axis span [lo, hi] widened outwards to multiples of a nice step, so
// that it ends on a labelled tick, and marks it at that step; an empty range becomes [lo, lo+1].
func setCountAxis(a *plot.Axis, lo, hi float64) {
	if !(hi > lo) {
		hi = lo + 1
	}
	step := niceStep(lo, hi)
	a.Min, a.Max = math.Floor(lo/step+1e-9)*step, math.Ceil(hi/step-1e-9)*step
	a.Tick.Marker = countTicks{step: step}
}
