package chart

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The marks that tell a reader how a figure was made. An estimate or illustrative allocation
// (obs_status E) is drawn hollow (a point) or hatched (a bar), never like a measurement; a break in
// series (obs_status B) is a gap in its line with an axis-break sign "//" in the gap, since the
// values on either side measure different things.

// markerShape is the outline of a point marker. Each line of a chart has its own shape, so that lines
// stay apart in greyscale and for colour-blind readers.
type markerShape uint8

const (
	shapeCircle markerShape = iota
	shapeSquare
	shapeTriangle
	shapeDiamond
	shapeTriangleDown
)

// marker draws a point of a line: filled for a measured value, hollow (white inside, outlined in the
// line's colour) for an estimate.
type marker struct {
	shape  markerShape
	hollow bool
}

// markerOutline is the width of a hollow marker's outline.
const markerOutline = 1.3

// DrawGlyph implements draw.GlyphDrawer.
func (m marker) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	path := m.path(sty.Radius, pt)
	if !m.hollow {
		c.SetColor(sty.Color)
		c.Fill(path)
		return
	}
	c.SetColor(color.White)
	c.Fill(path)
	c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: vg.Points(markerOutline)})
	c.Stroke(path)
}

// path is the marker's outline of radius r around pt.
func (m marker) path(r vg.Length, pt vg.Point) vg.Path {
	var p vg.Path
	polygon := func(pts ...vg.Point) vg.Path {
		p.Move(pts[0])
		for _, q := range pts[1:] {
			p.Line(q)
		}
		p.Close()
		return p
	}
	switch m.shape {
	case shapeSquare:
		s := r * 0.85
		return polygon(vg.Point{X: pt.X - s, Y: pt.Y - s}, vg.Point{X: pt.X + s, Y: pt.Y - s},
			vg.Point{X: pt.X + s, Y: pt.Y + s}, vg.Point{X: pt.X - s, Y: pt.Y + s})
	case shapeTriangle, shapeTriangleDown:
		t := r * 1.15
		dir := vg.Length(1)
		if m.shape == shapeTriangleDown {
			dir = -1
		}
		return polygon(vg.Point{X: pt.X, Y: pt.Y + dir*t},
			vg.Point{X: pt.X - t*0.866, Y: pt.Y - dir*t*0.5}, vg.Point{X: pt.X + t*0.866, Y: pt.Y - dir*t*0.5})
	case shapeDiamond:
		d := r * 1.15
		return polygon(vg.Point{X: pt.X, Y: pt.Y + d}, vg.Point{X: pt.X + d, Y: pt.Y},
			vg.Point{X: pt.X, Y: pt.Y - d}, vg.Point{X: pt.X - d, Y: pt.Y})
	}
	p.Move(vg.Point{X: pt.X + r, Y: pt.Y})
	p.Arc(pt, r, 0, 2*math.Pi)
	p.Close()
	return p
}

// glyphKey is a legend key that shows one marker.
type glyphKey struct {
	style draw.GlyphStyle
}

// Thumbnail implements plot.Thumbnailer.
func (k glyphKey) Thumbnail(c *draw.Canvas) {
	c.DrawGlyphNoClip(k.style, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: (c.Min.Y + c.Max.Y) / 2})
}

// breakMarks draws the axis-break sign "//" in the gap of a line at each break in series, in the
// line's colour; at is in data coordinates.
type breakMarks struct {
	at     plotter.XYs // x: a period (days since 1970-01-01), y: a value
	colour color.Color
}

// breakSign draws "//" centred on pt: two short parallel strokes leaning right.
func breakSign(c *draw.Canvas, colour color.Color, pt vg.Point) {
	h, lean, gap := vg.Points(5), vg.Points(2.5), vg.Points(2.2)
	sty := draw.LineStyle{Color: colour, Width: vg.Points(1.4)}
	for _, dx := range []vg.Length{-gap, gap} {
		c.StrokeLine2(sty, pt.X+dx-lean, pt.Y-h, pt.X+dx+lean, pt.Y+h)
	}
}

// Plot implements plot.Plotter.
func (b breakMarks) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, pt := range b.at {
		breakSign(&c, b.colour, vg.Point{X: trX(pt.X), Y: trY(pt.Y)})
	}
}

// DataRange implements plot.DataRanger: the marks lie between points already drawn.
func (b breakMarks) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax, ymin, ymax = math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, pt := range b.at {
		xmin, xmax = math.Min(xmin, pt.X), math.Max(xmax, pt.X)
		ymin, ymax = math.Min(ymin, pt.Y), math.Max(ymax, pt.Y)
	}
	return xmin, xmax, ymin, ymax
}

// breakKey is the legend's key to the break sign.
type breakKey struct{}

// Thumbnail implements plot.Thumbnailer.
func (breakKey) Thumbnail(c *draw.Canvas) {
	breakSign(c, color.Black, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: (c.Min.Y + c.Max.Y) / 2})
}

// hatchSpacing is the distance between the strokes of a hatched bar, along its length.
const hatchSpacing = 4.5

// hatch strokes diagonal lines (45°) across the rectangle [x0, x1] x [y0, y1], clipped to it, in
// white on a dark fill and in dark grey on a light one, so that an estimate reads as hatched in
// colour and in greyscale alike.
func hatch(c *draw.Canvas, fill color.Color, x0, y0, x1, y1 vg.Length) {
	if x0 > x1 {
		x0, x1 = x1, x0
	}
	if y0 > y1 {
		y0, y1 = y1, y0
	}
	w, h := x1-x0, y1-y0
	if w <= 0 || h <= 0 {
		return
	}
	ink := color.Color(color.White)
	if luminance(fill) > 0.55 {
		ink = outline
	}
	step := vg.Points(hatchSpacing)
	// The stroke k runs from (x0+k, y0) up at 45° to (x0+k+h, y1); t is the distance along x from its
	// start, kept inside the rectangle. All strokes are one path, which keeps the SVG small.
	var p vg.Path
	for k := -h + step/2; k < w; k += step {
		tMin, tMax := max(0, -k), min(h, w-k)
		if tMin >= tMax {
			continue
		}
		p.Move(vg.Point{X: x0 + k + tMin, Y: y0 + tMin})
		p.Line(vg.Point{X: x0 + k + tMax, Y: y0 + tMax})
	}
	if len(p) == 0 {
		return
	}
	c.SetLineStyle(draw.LineStyle{Color: ink, Width: vg.Points(0.9)})
	c.Stroke(p)
}

// luminance is the relative luminance of a colour (ITU-R BT.709 weights on the gamma-encoded
// channels, which is close enough to choose black or white ink).
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	return (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)) / 0xffff
}

// hatchKey is the legend's key to a hatched bar: a mid-grey swatch, hatched.
type hatchKey struct{}

// Thumbnail implements plot.Thumbnailer.
func (hatchKey) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	pad := (r.Max.Y - r.Min.Y) / 6
	rect := []vg.Point{
		{X: r.Min.X, Y: r.Min.Y + pad}, {X: r.Max.X, Y: r.Min.Y + pad},
		{X: r.Max.X, Y: r.Max.Y - pad}, {X: r.Min.X, Y: r.Max.Y - pad},
	}
	fill := color.RGBA{0x80, 0x80, 0x80, 0xff}
	c.FillPolygon(fill, rect)
	hatch(c, fill, rect[0].X, rect[0].Y, rect[2].X, rect[2].Y)
	c.StrokeLines(outlineStyle, append(rect, rect[0]))
}
