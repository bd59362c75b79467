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
		golden(t, filepath.Join("testdata", filepath.Base(f.Name)), f.Data)
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
	var got []string
	for _, f := range files {
		got = append(got, f.Name)
		if !strings.HasPrefix(f.Name, "charts/") || !strings.HasSuffix(f.Name, "-"+f.Kind+".svg") {
			t.Errorf("%s: name does not follow charts/<metric>-<kind>.svg", f.Name)
		}
	}
	want := []string{
		"charts/exposed_systems-over-time.svg",
		"charts/exposed_systems-latest.svg",
		"charts/exposed_systems-top-movers.svg",
		"charts/affected_patients-over-time.svg",
		"charts/affected_patients-latest.svg",
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
	if !strings.Contains(latest.Caption, "Clinic in Europe, Research in Europe") || !strings.Contains(latest.Caption, "marked x") {
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
			if got := strings.Contains(files[0].Caption, "the series breaks there (its source, definition or coverage changed): World 2019-03-01"); got != wantCaption {
				t.Errorf("caption names the break = %v, want %v: %s", got, wantCaption, files[0].Caption)
			}
		})
	}
}
