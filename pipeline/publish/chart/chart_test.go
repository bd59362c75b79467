package chart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/pipeline/trend"
	"github.com/exposure-research/exposure/schemas"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const fixtureSource = "Source: Chart fixture (fixture), published cells; suppressed values are not shown."

// TestRenderGolden compares every chart of the fixture, and the list of charts with their titles
// and captions, with the golden files. Review a diff of the SVGs by rendering them:
// rsvg-convert -o /tmp/x.png testdata/<name>.svg.
func TestRenderGolden(t *testing.T) {
	files, err := Render(fixture(t), Options{Source: fixtureSource})
	if err != nil {
		t.Fatal(err)
	}
	var index strings.Builder
	for _, f := range files {
		fmt.Fprintf(&index, "%s\n  kind: %s\n  metric: %d\n  title: %s\n  caption: %s\n", f.Name, f.Kind, f.Metric, f.Title, f.Caption)
		if f.Period != 0 {
			fmt.Fprintf(&index, "  period: %s\n", f.Period)
		}
		if f.Kind == KindCountry {
			fmt.Fprintf(&index, "  geo: %s\n", fixture(t).Protected.Vocab.Geo.Node(f.Geo).Code)
		}
		golden(t, filepath.Join("testdata", filepath.FromSlash(strings.TrimPrefix(f.Name, chartDirectory+"/"))), f.Data)
	}
	golden(t, filepath.Join("testdata", "charts.golden.txt"), []byte(index.String()))
}

// golden compares got with the file at path, or rewrites the file with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update and review the diff)", path)
	}
}

// TestRenderSet checks which charts a dataset gets: all three kinds for a metric with two or more
// periods, no movers with one period, nothing for a metric without tables, and metrics in the
// vocabulary's order.
func TestRenderSet(t *testing.T) {
	files, err := Render(fixture(t), Options{Source: fixtureSource})
	if err != nil {
		t.Fatal(err)
	}
	v := fixture(t).Protected.Vocab
	var got []string
	for _, f := range files {
		got = append(got, f.Name)
		metric := v.Metric(f.Metric).Code
		want := "charts/" + metric + "-" + f.Kind + ".svg"
		if f.Kind == KindCountry {
			want = "charts/countries/" + v.Geo.Node(f.Geo).Code + "-" + metric + ".svg"
		}
		if f.Name != want {
			t.Errorf("%s: name does not follow %s", f.Name, want)
		}
	}
	want := []string{
		"charts/exposed_systems-over-time.svg",
		"charts/exposed_systems-latest.svg",
		"charts/exposed_systems-top-movers.svg",
		"charts/affected_patients-over-time.svg",
		"charts/affected_patients-latest.svg",
		// Every country with a published total, of the first metric in display order in which it
		// has one.
		"charts/countries/AU-exposed_systems.svg",
		"charts/countries/CA-exposed_systems.svg",
		"charts/countries/CN-exposed_systems.svg",
		"charts/countries/DE-exposed_systems.svg",
		"charts/countries/FR-exposed_systems.svg",
		"charts/countries/GB-exposed_systems.svg",
		"charts/countries/JP-exposed_systems.svg",
		"charts/countries/US-exposed_systems.svg",
		"charts/countries/ZA-exposed_systems.svg",
	}
	if !slices.Equal(got, want) {
		t.Errorf("charts = %q, want %q", got, want)
	}
}

// TestRenderDeterministic renders the same result twice, and a rebuilt result once more, and
// wants the same bytes: a publication must be reproducible byte for byte.
func TestRenderDeterministic(t *testing.T) {
	first, err := Render(fixture(t), Options{Source: fixtureSource})
	if err != nil {
		t.Fatal(err)
	}
	r := fixture(t)
	for run := range 2 {
		again, err := Render(r, Options{Source: fixtureSource})
		if err != nil {
			t.Fatal(err)
		}
		if len(again) != len(first) {
			t.Fatalf("run %d: %d charts, want %d", run, len(again), len(first))
		}
		for i := range first {
			if !bytes.Equal(first[i].Data, again[i].Data) || first[i].Caption != again[i].Caption {
				t.Errorf("run %d: %s differs between renders", run, first[i].Name)
			}
		}
	}
}

// TestSVGIsPortable checks that every chart is well-formed XML with an svg root, embeds no font
// (they stay small) and names fallback fonts, and carries its title and source line as text.
func TestSVGIsPortable(t *testing.T) {
	files, err := Render(fixture(t), Options{Source: fixtureSource})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(f.Name, func(t *testing.T) {
			texts := svgTexts(t, f.Data)
			if bytes.Contains(f.Data, []byte("@font-face")) || bytes.Contains(f.Data, []byte("base64")) {
				t.Error("the SVG embeds font or image data")
			}
			if bytes.Contains(f.Data, []byte(`font-family:Liberation Sans;`)) ||
				!bytes.Contains(f.Data, []byte(`font-family:`+fontFamily+`;`)) {
				t.Error("text does not name fallback fonts")
			}
			if !slices.Contains(texts, f.Title) {
				t.Errorf("title %q is not drawn", f.Title)
			}
			if !slices.Contains(texts, fixtureSource) {
				t.Errorf("source line is not drawn; texts: %q", texts)
			}
			if len(f.Data) > 100_000 {
				t.Errorf("%d bytes: a chart this small should be well under 100 kB", len(f.Data))
			}
		})
	}
}

// svgTexts parses an SVG document to its end and returns the content of its text elements.
func svgTexts(t *testing.T, data []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	var texts []string
	root := ""
	inText := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = el.Name.Local
			}
			inText = el.Name.Local == "text"
			if inText {
				texts = append(texts, "")
			}
		case xml.CharData:
			if inText {
				texts[len(texts)-1] += string(el)
			}
		case xml.EndElement:
			inText = false
		}
	}
	if root != "svg" {
		t.Fatalf("root element %q, want svg", root)
	}
	return texts
}

// worldStroke matches a path stroked in the world line's style (black, 2.4 pt): one per segment of
// the world's line.
var worldStroke = regexp.MustCompile(`<path d="M[^"]*" style="fill:none;stroke:#000000;stroke-width:2.4"`)

// TestSuppressedPointIsAGap draws the world over five periods with values withheld and checks, in
// the data handed to the plotter and in the rendered SVG, that the line is split at every withheld
// point and never drawn through zero.
func TestSuppressedPointIsAGap(t *testing.T) {
	periods := []string{"2019-01-01", "2019-02-01", "2019-03-01", "2019-04-01", "2019-05-01"}
	tests := []struct {
		name       string
		withheld   []int // periods whose world total is suppressed
		segments   []int // lengths of the line's published runs
		worldPaths int   // line segments drawn (a run of one point is a marker only), and the legend's key
	}{
		{"none withheld", nil, []int{5}, 1 + 1},
		{"middle withheld", []int{2}, []int{2, 2}, 2 + 1},
		{"two apart", []int{1, 3}, []int{1, 1, 1}, 0 + 1},
		{"first and last", []int{0, 4}, []int{3}, 1 + 1},
		{"all but one", []int{0, 1, 2, 4}, []int{1}, 0 + 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var specs []tableSpec
			for i, period := range periods {
				s := tableSpec{period, "exposed_systems", fmt.Sprintf("DE:hospital=%d US:hospital=%d", 100+10*i, 50+i), ""}
				if slices.Contains(tc.withheld, i) {
					s.suppressed = "001:all"
				}
				specs = append(specs, s)
			}
			r := build(t, specs...)
			byMetric := metricTables(r.Protected)
			m, _ := r.Protected.Vocab.MetricByCode("exposed_systems")
			lines := overTimeLines(r.Protected.Vocab, byMetric[m])
			world := lines[0]
			if world.Geo != r.Protected.Vocab.Geo.WorldID() {
				t.Fatalf("first line is %s, want the world", world.Name)
			}
			var lengths []int
			for _, seg := range world.segments() {
				lengths = append(lengths, len(seg))
				for _, p := range seg {
					if slices.Contains(tc.withheld, slices.Index(periods, p.Period.String())) {
						t.Errorf("withheld period %s is drawn", p.Period)
					}
				}
			}
			if !slices.Equal(lengths, tc.segments) {
				t.Errorf("segments = %v, want %v", lengths, tc.segments)
			}
			files, err := Render(r, Options{Source: "Source: test"})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(worldStroke.FindAll(files[0].Data, -1)); got != tc.worldPaths {
				t.Errorf("%s: %d world line paths, want %d", files[0].Name, got, tc.worldPaths)
			}
			wantGaps := len(tc.withheld) > 0
			if gotGaps := strings.Contains(files[0].Caption, "World 2019-"); gotGaps != wantGaps {
				t.Errorf("caption names gaps = %v, want %v: %s", gotGaps, wantGaps, files[0].Caption)
			}
		})
	}
}

// TestCountTicks checks that count axes are marked at whole, round numbers with thousands
// separators, the way the report writes numbers.
func TestCountTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		want   []string
	}{
		{0, 10, []string{"0", "2", "4", "6", "8", "10"}},
		{0, 3, []string{"0", "1", "2", "3"}},
		{0, 0.5, []string{"0"}},
		{0, 1_200_000, []string{"0", "200,000", "400,000", "600,000", "800,000", "1,000,000", "1,200,000"}},
		{-2500, 5000, []string{"\u22122,000", "0", "2,000", "4,000"}},
		{0, 55_000_000, []string{"0", "10,000,000", "20,000,000", "30,000,000", "40,000,000", "50,000,000"}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.lo, tc.hi), func(t *testing.T) {
			var got []string
			for _, tick := range (countTicks{}).Ticks(tc.lo, tc.hi) {
				got = append(got, tick.Label)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("labels = %q, want %q", got, tc.want)
			}
		})
	}
	// The drawn axis of a chart with large values carries separated labels too.
	r := build(t, tableSpec{"2019-01-01", "exposed_images", "US:hospital=1234567 DE:hospital=765432 FR:hospital=5000 GB:hospital=7000", ""})
	files, err := Render(r, Options{Source: "Source: test"})
	if err != nil {
		t.Fatal(err)
	}
	texts := svgTexts(t, files[0].Data)
	for _, label := range []string{"1,000,000", "2,000,000"} {
		if !slices.Contains(texts, label) {
			t.Errorf("%s: tick label %q missing; texts: %q", files[0].Name, label, texts)
		}
	}
}

// TestFormat checks the number formats of labels.
func TestFormat(t *testing.T) {
	tests := []struct {
		n             int64
		count, change string
	}{
		{0, "0", "0"},
		{7, "7", "+7"},
		{999, "999", "+999"},
		{1000, "1,000", "+1,000"},
		{-1234567, "-1,234,567", "\u22121,234,567"},
		{-9223372036854775808, "-9,223,372,036,854,775,808", "\u22129,223,372,036,854,775,808"},
	}
	for _, tc := range tests {
		if got := formatCount(tc.n); got != tc.count {
			t.Errorf("formatCount(%d) = %q, want %q", tc.n, got, tc.count)
		}
		if got := formatChange(tc.n); got != tc.change {
			t.Errorf("formatChange(%d) = %q, want %q", tc.n, got, tc.change)
		}
	}
}

// TestLatestWithheldBars checks that a withheld cell of the latest period is neither drawn nor
// turned into a zero: it is marked and named in the caption, and the areas switch from regions to
// countries when there are few countries.
func TestLatestWithheldBars(t *testing.T) {
	r := fixture(t)
	v := r.Protected.Vocab
	m, _ := v.MetricByCode("exposed_systems")
	tables := metricTables(r.Protected)[m]
	lb := latestByArea(v, tables[len(tables)-1])
	if lb.Countries {
		t.Error("nine countries shown as countries, want regions")
	}
	var names []string
	withheld := map[string]bool{}
	for _, g := range lb.Groups {
		names = append(names, g.Name)
		for i, b := range g.Bars {
			if b.Withheld {
				withheld[g.Name+"/"+v.Org(lb.Orgs[i]).Code] = true
				if b.Value != 0 {
					t.Errorf("withheld bar %s carries a value", g.Name)
				}
			}
		}
	}
	if want := []string{"Americas", "Asia", "Europe", "Oceania", "Africa"}; !slices.Equal(names, want) {
		t.Errorf("areas = %q, want %q (largest total first)", names, want)
	}
	for _, want := range []string{"Europe/clinic", "Europe/research"} {
		if !withheld[want] {
			t.Errorf("%s not withheld; withheld: %v", want, withheld)
		}
	}
	files, err := Render(r, Options{Source: fixtureSource})
	if err != nil {
		t.Fatal(err)
	}
	latest := files[1]
	if !strings.Contains(latest.Caption, "Withheld values (x) are not drawn: Clinic in Europe, Research in Europe.") {
		t.Errorf("caption does not name the withheld bars: %s", latest.Caption)
	}
	if n := strings.Count(strings.Join(svgTexts(t, latest.Data), "\n"), "\nx\n"); n != 2+1 {
		t.Errorf("%d withheld marks drawn, want 2 and the legend's key", n)
	}

	few := build(t, tableSpec{"2019-01-01", "exposed_systems", "DE:hospital=10 DE:clinic=4 US:hospital=30", "DE:clinic DE:all"})
	tables = metricTables(few.Protected)[m]
	lb = latestByArea(v, tables[0])
	if !lb.Countries || len(lb.Groups) != 2 || lb.Groups[0].Name != "United States of America" {
		t.Errorf("two countries: areas %+v, want the countries, largest first", lb.Groups)
	}
}

// TestTopMovers checks the choice of movers: published changes only, largest absolute change
// first, at most maxMovers, a withheld value counted and never guessed.
func TestTopMovers(t *testing.T) {
	v, _ := schemas.Default()
	tests := []struct {
		name      string
		prev, now string
		suppress  string // cells suppressed in the later period
		want      []string
		withheld  int
	}{
		{"rise and fall", "DE:clinic=10 FR:clinic=10 US:clinic=10", "DE:clinic=15 FR:clinic=2 US:clinic=10", "",
			[]string{"DE +5", "FR -8"}, 0},
		{"withheld value", "DE:clinic=10 FR:clinic=10", "DE:clinic=15 FR:clinic=20", "FR:clinic FR:all",
			[]string{"DE +5"}, 1},
		{"new country has no change", "DE:clinic=10", "DE:clinic=11 JP:clinic=500", "",
			[]string{"DE +1"}, 0},
		{"at most ten", "AT:clinic=1 BE:clinic=1 CH:clinic=1 DE:clinic=1 DK:clinic=1 ES:clinic=1 FI:clinic=1 FR:clinic=1 GB:clinic=1 IE:clinic=1 IT:clinic=1 NL:clinic=1",
			"AT:clinic=2 BE:clinic=3 CH:clinic=4 DE:clinic=5 DK:clinic=6 ES:clinic=7 FI:clinic=8 FR:clinic=9 GB:clinic=10 IE:clinic=11 IT:clinic=12 NL:clinic=0", "",
			[]string{"IT +11", "IE +10", "GB +9", "FR +8", "FI +7", "ES +6", "DK +5", "DE +4", "CH +3", "BE +2"}, 0},
		{"fall ranks by size", "DE:clinic=50 FR:clinic=10 NL:clinic=10", "DE:clinic=20 FR:clinic=12 NL:clinic=5", "",
			[]string{"FR +2", "NL -5", "DE -30"}, 0},
		// DE's series breaks (marked below): its change is not a change, and it is counted apart.
		{"break in series", "DE:clinic=10 FR:clinic=10", "DE:clinic=40 FR:clinic=12", "",
			[]string{"FR +2"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := build(t,
				tableSpec{"2019-01-01", "exposed_systems", tc.prev, ""},
				tableSpec{"2019-02-01", "exposed_systems", tc.now, tc.suppress})
			breaks := 0
			if tc.name == "break in series" {
				de, _ := v.Geo.CountryByCode("DE")
				for i, c := range r.Protected.Tables[1].Cells {
					if c.Geo == de && c.Org == schemas.OrgAll {
						r.Protected.Tables[1].Cells[i] = c.WithFacts(schemas.ObsBreak|schemas.BreakDeclared, 0)
					}
				}
				breaks = 1
			}
			mv := topMovers(v, r.Protected.Tables[0], r.Protected.Tables[1])
			if mv.Breaks != breaks {
				t.Errorf("breaks = %d, want %d", mv.Breaks, breaks)
			}
			var got []string
			for _, m := range mv.Top {
				got = append(got, fmt.Sprintf("%s %+d", v.Geo.Node(m.Geo).Code, m.Change))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("movers = %q, want %q", got, tc.want)
			}
			if mv.Withheld != tc.withheld {
				t.Errorf("withheld = %d, want %d", mv.Withheld, tc.withheld)
			}
		})
	}
}

// TestRenderRejects checks that a result the charts cannot trust is an error, not a panic.
func TestRenderRejects(t *testing.T) {
	v, _ := schemas.Default()
	tests := []struct {
		name string
		r    func() *protect.Result
	}{
		{"no vocabulary", func() *protect.Result { return &protect.Result{} }},
		{"nil table", func() *protect.Result { return &protect.Result{Vocab: v, Tables: []*protect.Table{nil}} }},
		{"unknown metric", func() *protect.Result {
			return &protect.Result{Vocab: v, Tables: []*protect.Table{{Metric: schemas.MetricID(v.NumMetrics())}}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := build(t)
			r.Protected = tc.r()
			if _, err := Render(r, Options{}); err == nil {
				t.Error("Render accepted it")
			}
		})
	}
	if _, err := Render(nil, Options{}); err == nil {
		t.Error("Render accepted a nil result")
	}
}

// TestOverTimeCoverageBreak checks that a total is not joined across a break in series, which
// protect flags when the countries it covers change in either direction (the world of a US-only
// period is not the world of the period before) and which a dataset may declare.
func TestOverTimeCoverageBreak(t *testing.T) {
	tests := []struct {
		name     string
		last     string           // leaves of the third period
		flags    schemas.ObsFlags // of the world total in the third period, as protect sets them
		segments []int            // lengths of the world line's segments
	}{
		{"same countries", "DE:hospital=120 US:hospital=52", 0, []int{3}},
		{"a country added", "DE:hospital=120 FR:hospital=9 US:hospital=52", schemas.ObsBreak | schemas.BreakCoverage, []int{2, 1}},
		{"a country dropped", "US:hospital=52", schemas.ObsBreak | schemas.BreakCoverage, []int{2, 1}},
		{"a declared break", "DE:hospital=120 US:hospital=52", schemas.ObsBreak | schemas.BreakDeclared, []int{2, 1}},
		{"an estimate is no break", "DE:hospital=120 US:hospital=52", schemas.ObsEstimated, []int{3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := build(t,
				tableSpec{"2019-01-01", "exposed_systems", "DE:hospital=100 US:hospital=50", ""},
				tableSpec{"2019-02-01", "exposed_systems", "DE:hospital=110 US:hospital=51", ""},
				tableSpec{"2019-03-01", "exposed_systems", tc.last, ""},
			)
			cells := r.Protected.Tables[2].Cells
			cells[0] = cells[0].WithFacts(tc.flags, 0) // the world, all types: the first cell
			m, _ := r.Protected.Vocab.MetricByCode("exposed_systems")
			world := overTimeLines(r.Protected.Vocab, metricTables(r.Protected)[m])[0]
			var lengths []int
			for _, seg := range world.segments() {
				lengths = append(lengths, len(seg))
			}
			if !slices.Equal(lengths, tc.segments) {
				t.Errorf("world segments = %v, want %v", lengths, tc.segments)
			}
			files, err := Render(r, Options{Source: "Source: test"})
			if err != nil {
				t.Fatal(err)
			}
			wantCaption := len(tc.segments) > 1
			if got := strings.Contains(files[0].Caption, "A break in series (its source, definition or coverage changed; the sign // in the gap) is not joined to the period before: World 2019-03-01"); got != wantCaption {
				t.Errorf("caption names the break = %v, want %v: %s", got, wantCaption, files[0].Caption)
			}
		})
	}
}

// withFacts sets the flags of a cell (area and organization type codes) of the i-th table.
func withFacts(t *testing.T, r *trend.Result, i int, geo, org string, flags schemas.ObsFlags) {
	t.Helper()
	v := r.Protected.Vocab
	k, _, _ := parseCell(t, v, geo+":"+org+"=0")
	cells := r.Protected.Tables[i].Cells
	for j, c := range cells {
		if c.Geo == k.geo && c.Org == k.org {
			cells[j] = c.WithFacts(flags, c.Sources)
			return
		}
	}
	t.Fatalf("table %d has no cell %s:%s", i, geo, org)
}

// strokes counts the paths of an SVG stroked at a width, which tells the marks apart: hatching
// 0.9, hollow markers 1.3, the break sign 1.4.
func strokes(svg []byte, width string) int {
	return bytes.Count(svg, []byte(";stroke-width:"+width+`"`))
}

// chartOf returns the rendered chart of a kind (and, for a country chart, a country code).
func chartOf(t *testing.T, files []File, kind, country string) File {
	t.Helper()
	for _, f := range files {
		if f.Kind == kind && (country == "" || strings.Contains(f.Name, "/"+country+"-")) {
			return f
		}
	}
	t.Fatalf("no %s chart %s", kind, country)
	return File{}
}

// TestLatestDrawsTotals checks that a chart by area draws each area's published total over all
// types as well as the parts: a country whose every part is withheld (France, total 28) shows its
// total bar and the x of each part, and the total's bar comes first in its group.
func TestLatestDrawsTotals(t *testing.T) {
	r := build(t, tableSpec{"2019-01-01", "exposed_systems",
		"FR:hospital=10 FR:clinic=8 FR:research=10 DE:hospital=40 DE:clinic=5 US:hospital=50 US:clinic=20",
		"FR:hospital FR:clinic FR:research 155:hospital 155:clinic 155:research 150:hospital 150:clinic 150:research DE:hospital DE:clinic US:clinic US:hospital 021:hospital 021:clinic 019:hospital 019:clinic 001:hospital 001:clinic 001:research"})
	files, err := Render(r, Options{Source: "Source: test"})
	if err != nil {
		t.Fatal(err)
	}
	latest := chartOf(t, files, KindLatest, "")
	lb := latestByArea(r.Protected.Vocab, r.Protected.Tables[0])
	if lb.Orgs[0] != schemas.OrgAll {
		t.Fatalf("first bar of each group is %v, want the total over all types", lb.Orgs[0])
	}
	for _, g := range lb.Groups {
		if g.Bars[0].Withheld || g.Bars[0].Missing {
			t.Errorf("%s: the published total is not drawn", g.Name)
		}
	}
	texts := strings.Join(svgTexts(t, latest.Data), "\n")
	for _, want := range []string{"\n28\n", "\n45\n", "\n70\n", "All types (total)"} {
		if !strings.Contains(texts, want) {
			t.Errorf("the chart lacks %q; texts:\n%s", want, texts)
		}
	}
	n := 0
	for _, text := range svgTexts(t, latest.Data) {
		if text == "x" {
			n++
		}
	}
	if n != 7+1 {
		t.Errorf("%d withheld marks, want the 7 withheld parts and the legend's key", n)
	}
	if !strings.Contains(latest.Caption, "the published total over all organization types (the dark bar)") {
		t.Errorf("caption does not say that totals are drawn: %s", latest.Caption)
	}
}

// TestEstimatesMarked checks that an estimate (obs_status E) is drawn differently from a measured
// value, and that the caption says so: a hatched bar, a hollow point.
func TestEstimatesMarked(t *testing.T) {
	specs := []tableSpec{
		{"2019-01-01", "exposed_systems", "DE:hospital=10 FR:hospital=20 US:hospital=30", ""},
		{"2019-02-01", "exposed_systems", "DE:hospital=12 FR:hospital=21 US:hospital=33", ""},
	}
	tests := []struct {
		name      string
		estimated []string // cells of the second period marked E
		hatched   int      // hatched bars of the latest chart
		hollow    int      // hollow points of the over-time chart
		latest    string   // in the latest chart's caption
		overTime  string   // in the over-time chart's caption
	}{
		{"none", nil, 0, 0, "", ""},
		{"one country", []string{"DE:hospital", "DE:all"}, 2, 0,
			"Hatched bars are estimates or illustrative allocations (E), not measurements: 2 of the 6 drawn.", ""},
		{"every value", []string{"DE:hospital", "DE:all", "FR:hospital", "FR:all", "US:hospital", "US:all", "001:all", "001:hospital", "150:all", "150:hospital", "155:all", "155:hospital", "019:all", "019:hospital", "021:all", "021:hospital"}, 6, 3,
			"Every bar is hatched: every value drawn is an estimate or illustrative allocation (E), not a measurement.",
			"Hollow markers are estimates or illustrative allocations (E), not measurements: 3 of the 6 values drawn."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := build(t, specs...)
			for _, c := range tc.estimated {
				geo, org, _ := strings.Cut(c, ":")
				withFacts(t, r, 1, geo, org, schemas.ObsEstimated)
			}
			files, err := Render(r, Options{Source: "Source: test"})
			if err != nil {
				t.Fatal(err)
			}
			latest, overTime := chartOf(t, files, KindLatest, ""), chartOf(t, files, KindOverTime, "")
			key := 0
			if tc.hatched > 0 {
				key = 1 // the legend's hatched swatch
			}
			if got := strokes(latest.Data, "0.9"); got != tc.hatched+key {
				t.Errorf("%d hatched shapes in the latest chart, want %d bars and %d legend keys", got, tc.hatched, key)
			}
			key = 0
			if tc.hollow > 0 {
				key = 1
			}
			if got := strokes(overTime.Data, "1.3"); got != tc.hollow+key {
				t.Errorf("%d hollow markers in the over-time chart, want %d points and %d legend keys", got, tc.hollow, key)
			}
			if tc.latest == "" && strings.Contains(latest.Caption, "(E)") || !strings.Contains(latest.Caption, tc.latest) {
				t.Errorf("latest caption: %s\nwant: %s", latest.Caption, tc.latest)
			}
			if tc.overTime == "" && strings.Contains(overTime.Caption, "(E)") || !strings.Contains(overTime.Caption, tc.overTime) {
				t.Errorf("over-time caption: %s\nwant: %s", overTime.Caption, tc.overTime)
			}
		})
	}
}

// TestBreakIsAGapWithAMark checks that a break in series is drawn as a gap in the line with the sign
// "//" in it, halfway between the two published values, and named in the caption.
func TestBreakIsAGapWithAMark(t *testing.T) {
	r := build(t,
		tableSpec{"2019-01-01", "exposed_systems", "DE:hospital=100 US:hospital=50", ""},
		tableSpec{"2019-01-11", "exposed_systems", "DE:hospital=110 US:hospital=50", ""},
		tableSpec{"2019-01-21", "exposed_systems", "DE:hospital=130 US:hospital=50", ""},
		tableSpec{"2019-01-31", "exposed_systems", "DE:hospital=90 US:hospital=50", ""},
	)
	withFacts(t, r, 2, "001", "all", schemas.ObsBreak|schemas.BreakDeclared)
	m, _ := r.Protected.Vocab.MetricByCode("exposed_systems")
	world := overTimeLines(r.Protected.Vocab, metricTables(r.Protected)[m])[0]
	var lengths []int
	for _, seg := range world.segments() {
		lengths = append(lengths, len(seg))
	}
	if !slices.Equal(lengths, []int{2, 2}) {
		t.Errorf("world segments %v, want [2 2]: a gap at the break", lengths)
	}
	marks := world.breakMarks()
	d1, d2, _ := parseDates(t, "2019-01-11", "2019-01-21")
	if len(marks) != 1 || marks[0].X != (float64(d1)+float64(d2))/2 || marks[0].Y != (160+180)/2 {
		t.Errorf("break marks %v, want one halfway between 2019-01-11 (160) and 2019-01-21 (180)", marks)
	}
	files, err := Render(r, Options{Source: "Source: test"})
	if err != nil {
		t.Fatal(err)
	}
	overTime := chartOf(t, files, KindOverTime, "")
	if got := strokes(overTime.Data, "1.4"); got != 2*1+2 {
		t.Errorf("%d strokes of the break sign, want 2 for the break and 2 for the legend's key", got)
	}
	if !strings.Contains(strings.Join(svgTexts(t, overTime.Data), "\n"), "break in series") {
		t.Error("the legend does not explain the break sign")
	}
	if !strings.Contains(overTime.Caption, "the sign // in the gap) is not joined to the period before: World 2019-01-21.") {
		t.Errorf("caption does not name the break: %s", overTime.Caption)
	}
}

// parseDates parses dates for a test.
func parseDates(t *testing.T, dates ...string) (schemas.Date, schemas.Date, schemas.Date) {
	t.Helper()
	var out [3]schemas.Date
	for i, s := range dates {
		d, err := schemas.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = d
	}
	return out[0], out[1], out[2]
}

// TestNoRegionNotAmongRegions checks that a country the M49 hierarchy puts in no region (Taiwan)
// is not drawn as if it were a region, and that the caption says where it went.
func TestNoRegionNotAmongRegions(t *testing.T) {
	r := build(t, tableSpec{"2019-01-01", "exposed_systems",
		"DE:hospital=10 FR:hospital=20 GB:hospital=5 US:hospital=30 CA:hospital=4 JP:hospital=9 CN:hospital=12 AU:hospital=3 ZA:hospital=2 TW:hospital=40", ""})
	lb := latestByArea(r.Protected.Vocab, r.Protected.Tables[0])
	if lb.Countries {
		t.Fatal("ten countries drawn as countries, want regions")
	}
	for _, g := range lb.Groups {
		if r.Protected.Vocab.Geo.Node(g.Geo).Level != schemas.Region {
			t.Errorf("%s is drawn among the regions", g.Name)
		}
	}
	files, err := Render(r, Options{Source: "Source: test"})
	if err != nil {
		t.Fatal(err)
	}
	latest := chartOf(t, files, KindLatest, "")
	if strings.Contains(strings.Join(svgTexts(t, latest.Data), "\n"), "Taiwan") {
		t.Error("Taiwan is drawn in the chart by region")
	}
	if !strings.Contains(latest.Caption, "Not drawn among the regions, since the M49 hierarchy puts it in no region: Taiwan, Province of China (in the table).") {
		t.Errorf("caption does not say where Taiwan is: %s", latest.Caption)
	}
	tw := chartOf(t, files, KindCountry, "TW")
	if !strings.Contains(tw.Caption, "which the M49 hierarchy puts in no sub-region") {
		t.Errorf("Taiwan's chart caption: %s", tw.Caption)
	}
}

// TestWidestCoverage checks that a metric whose latest period covers fewer countries than an
// earlier one gets a chart of the most recent period of widest coverage, and that ties go to the
// most recent period.
func TestWidestCoverage(t *testing.T) {
	r := build(t,
		tableSpec{"2019-01-01", "exposed_systems", "DE:hospital=10 FR:hospital=20 US:hospital=30", ""},
		tableSpec{"2019-02-01", "exposed_systems", "DE:hospital=11 FR:hospital=21 US:hospital=31", ""},
		tableSpec{"2019-03-01", "exposed_systems", "US:hospital=32", ""},
	)
	v := r.Protected.Vocab
	if w := WidestCoverage(v, r.Protected.Tables); w != r.Protected.Tables[1] {
		t.Errorf("widest coverage at %s, want 2019-02-01 (three countries, the most recent of two)", w.Period)
	}
	files, err := Render(r, Options{Source: "Source: test"})
	if err != nil {
		t.Fatal(err)
	}
	widest := chartOf(t, files, KindWidest, "")
	if widest.Period.String() != "2019-02-01" || !strings.Contains(widest.Title, "2019-02-01 (widest coverage: 3 countries)") {
		t.Errorf("widest-coverage chart of %s titled %q", widest.Period, widest.Title)
	}
	if latest := chartOf(t, files, KindLatest, ""); latest.Period.String() != "2019-03-01" {
		t.Errorf("latest chart of %s", latest.Period)
	}
	same := build(t, tableSpec{"2019-01-01", "exposed_systems", "DE:hospital=10", ""}, tableSpec{"2019-02-01", "exposed_systems", "DE:hospital=11", ""})
	files, err = Render(same, Options{Source: "Source: test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Kind == KindWidest {
			t.Errorf("%s drawn, although the latest period covers the most countries", f.Name)
		}
	}
}

// TestCountryChart checks a country's chart: the country and its sub-region over the periods, the
// country drawn on top with its values written beside its points.
func TestCountryChart(t *testing.T) {
	r := fixture(t)
	v := r.Protected.Vocab
	de, _ := v.Geo.CountryByCode("DE")
	m, _ := v.MetricByCode("exposed_systems")
	lines := countryLines(v, metricTables(r.Protected)[m], de)
	if len(lines) != 2 || lines[0].Name != "Germany" || lines[1].Name != "Western Europe" {
		t.Fatalf("lines %v, want Germany and Western Europe", lines)
	}
	files, err := Render(r, Options{Source: fixtureSource})
	if err != nil {
		t.Fatal(err)
	}
	c := chartOf(t, files, KindCountry, "DE")
	if c.Geo != de || c.Metric != m || c.Title != "Germany beside Western Europe: exposed systems" {
		t.Errorf("chart %+v", c)
	}
	texts := strings.Join(svgTexts(t, c.Data), "\n")
	for _, v := range []string{"165", "171", "149"} { // Germany's totals: hospital and clinic
		if !strings.Contains(texts, "\n"+v+"\n") {
			t.Errorf("value %s not written beside its point", v)
		}
	}
}
