package chart

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// hbars draws horizontal bars that may be withheld. gonum's BarChart draws every position, so a
// withheld value would show as a bar of length zero, which reads as a published zero; hbars draws
// nothing for it and writes the report's "x" at the axis instead. An estimate is hatched, and a
// break in series has B after its value.
type hbars struct {
	ys        []float64     // centre of each bar on the category axis
	bars      []bar         // parallel to ys
	fills     []color.Color // fill of each bar, or a single fill for all
	thickness float64       // bar thickness in category units
	signed    bool          // label values with their sign, for changes
}

// fill returns the fill of bar i.
func (h *hbars) fill(i int) color.Color {
	if len(h.fills) == 1 {
		return h.fills[0]
	}
	return h.fills[i]
}

// outlineStyle is the thin dark edge of every bar, which keeps the lightest fills visible on white.
var outlineStyle = draw.LineStyle{Color: outline, Width: vg.Points(0.5)}

// Plot implements plot.Plotter.
func (h *hbars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	label := textStyle(valueSize)
	label.YAlign = text.YCenter
	gap := vg.Points(3)
	for i, b := range h.bars {
		y := h.ys[i]
		switch {
		case b.Missing:
			continue
		case b.Withheld:
			c.FillText(label, vg.Point{X: trX(0) + gap, Y: trY(y)}, "x")
			continue
		}
		x0, x1 := trX(0), trX(float64(b.Value))
		y0, y1 := trY(y-h.thickness/2), trY(y+h.thickness/2)
		rect := []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
		c.FillPolygon(h.fill(i), rect)
		if b.Estimated {
			hatch(&c, h.fill(i), x0, y0, x1, y1)
		}
		c.StrokeLines(outlineStyle, append(rect, rect[0]))
		value, at := formatCount(b.Value), vg.Point{X: x1 + gap, Y: trY(y)}
		if h.signed {
			value = formatChange(b.Value)
		}
		if b.Break {
			value += " B"
		}
		if b.Value < 0 {
			at.X = x1 - gap
			label.XAlign = text.XRight
		} else {
			label.XAlign = text.XLeft
		}
		c.FillText(label, at, value)
	}
}

// DataRange implements plot.DataRanger: the bars' extent and zero on the value axis.
func (h *hbars) DataRange() (xmin, xmax, ymin, ymax float64) {
	ymin, ymax = math.Inf(1), math.Inf(-1)
	for i, b := range h.bars {
		if !b.Missing && !b.Withheld {
			xmin = math.Min(xmin, float64(b.Value))
			xmax = math.Max(xmax, float64(b.Value))
		}
		ymin = math.Min(ymin, h.ys[i]-h.thickness/2)
		ymax = math.Max(ymax, h.ys[i]+h.thickness/2)
	}
	if len(h.bars) == 0 {
		ymin, ymax = 0, 0
	}
	return xmin, xmax, ymin, ymax
}

// Thumbnail implements plot.Thumbnailer for the legend: a swatch of the first fill.
func (h *hbars) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	pad := (r.Max.Y - r.Min.Y) / 6
	rect := []vg.Point{
		{X: r.Min.X, Y: r.Min.Y + pad}, {X: r.Max.X, Y: r.Min.Y + pad},
		{X: r.Max.X, Y: r.Max.Y - pad}, {X: r.Min.X, Y: r.Max.Y - pad},
	}
	c.FillPolygon(h.fill(0), rect)
	c.StrokeLines(outlineStyle, append(rect, rect[0]))
}

// withheldMark is the legend's key to the "x" drawn where a withheld bar would be.
type withheldMark struct{}

// Thumbnail implements plot.Thumbnailer.
func (withheldMark) Thumbnail(c *draw.Canvas) {
	label := textStyle(valueSize)
	label.YAlign = text.YCenter
	c.FillText(label, vg.Point{X: c.Min.X + vg.Points(3), Y: (c.Min.Y + c.Max.Y) / 2}, "x")
}
