package schemas

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultVocabulary(t *testing.T) {
	v, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if got := v.NumOrgs(); got != 8 {
		t.Errorf("NumOrgs = %d, want the 8 organization types of SPEC 3.3", got)
	}
	if got := v.NumMetrics(); got != 8 {
		t.Errorf("NumMetrics = %d, want the 8 metrics of SPEC 3.3", got)
	}
	for _, code := range []string{"hospital", "clinic", "radiology_provider", "imaging_center", "research", "government", "other", "unknown", "all"} {
		if _, ok := v.OrgByCode(code); !ok {
			t.Errorf("organization type %q missing", code)
		}
	}
	for _, code := range []string{"exposed_systems", "exposed_studies", "exposed_images", "affected_patients", "new_systems", "offline_systems", "high_vulnerabilities", "critical_vulnerabilities"} {
		id, ok := v.MetricByCode(code)
		if !ok {
			t.Errorf("metric %q missing", code)
			continue
		}
		if m := v.Metric(id); m.Unit == "" || m.Description == "" {
			t.Errorf("metric %q lacks unit or description", code)
		}
	}
	if got := v.Org(v.OrgOrder()[0]).Code; got != "hospital" {
		t.Errorf("display order starts with %q, want the file's first, hospital", got)
	}
	for i := 1; i < v.NumMetrics(); i++ {
		if v.Metric(MetricID(i-1)).Code >= v.Metric(MetricID(i)).Code {
			t.Errorf("MetricIDs not in code order at %d", i)
		}
	}
}

func TestGeography(t *testing.T) {
	v, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	g := v.Geo
	tests := []struct {
		code      string
		ancestors []string // nearest first
		level     GeoLevel
	}{
		{"DE", []string{"155", "150", "001"}, Country},
		{"AO", []string{"202", "002", "001"}, Country}, // intermediate region 017 is not a level
		{"TW", []string{"001"}, Country},
		{"AQ", []string{"001"}, Country},
		{"GB", []string{"154", "150", "001"}, Country},
		{"154", []string{"150", "001"}, SubRegion},
		{"150", []string{"001"}, Region},
		{"001", nil, World},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			id, ok := g.ByCode(tc.code)
			if !ok {
				t.Fatalf("%s not found", tc.code)
			}
			if got := g.Node(id).Level; got != tc.level {
				t.Errorf("level = %v, want %v", got, tc.level)
			}
			var got []string
			for _, a := range g.Ancestors(id) {
				got = append(got, g.Node(a).Code)
			}
			if strings.Join(got, ",") != strings.Join(tc.ancestors, ",") {
				t.Errorf("ancestors = %v, want %v", got, tc.ancestors)
			}
			var andUp []string
			for a := range g.AndUp(id) {
				andUp = append(andUp, g.Node(a).Code)
			}
			if want := append([]string{tc.code}, tc.ancestors...); strings.Join(andUp, ",") != strings.Join(want, ",") {
				t.Errorf("AndUp = %v, want %v", andUp, want)
			}
		})
	}
	if _, ok := g.CountryByCode("UK"); ok {
		t.Error("UK accepted as a country: ISO 3166-1 has GB")
	}
	if _, ok := g.CountryByCode("150"); ok {
		t.Error("a region accepted as a country")
	}
	for id := 1; id < g.Len(); id++ {
		a, b := g.Node(GeoID(id-1)), g.Node(GeoID(id))
		if a.Level > b.Level || (a.Level == b.Level && a.Code >= b.Code) {
			t.Errorf("GeoIDs not in (level, code) order at %s, %s", a.Code, b.Code)
		}
	}
	countries := 0
	for id := 0; id < g.Len(); id++ {
		if g.Node(GeoID(id)).Level == Country {
			countries++
			if len(g.Children(GeoID(id))) != 0 {
				t.Errorf("country %s has children", g.Node(GeoID(id)).Code)
			}
		}
	}
	if countries != 249 {
		t.Errorf("%d countries, want 249", countries)
	}
}

func TestWithMetrics(t *testing.T) {
	v, _ := Default()
	tests := []struct {
		name    string
		extra   []Metric
		wantErr string
	}{
		{"new metric", []Metric{{Code: "exposed_ports", Description: "Open ports", Unit: "ports"}}, ""},
		{"duplicate", []Metric{{Code: "exposed_systems", Description: "x", Unit: "y"}}, "defined twice"},
		{"bad code", []Metric{{Code: "Exposed Ports", Description: "x", Unit: "y"}}, "lower-case"},
		{"no unit", []Metric{{Code: "ports", Description: "x"}}, "unit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := v.WithMetrics(tc.extra)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := w.MetricByCode(tc.extra[0].Code); !ok {
				t.Error("extra metric missing")
			}
			if w.NumMetrics() != v.NumMetrics()+1 || v.NumMetrics() != 8 {
				t.Error("WithMetrics changed the receiver or lost metrics")
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		want string
	}{
		{"2019-09-16", true, "2019-09-16"},
		{"1970-01-01", true, "1970-01-01"},
		{"2020-02-29", true, "2020-02-29"},
		{"2019-02-29", false, ""},
		{"2019-9-16", false, ""},
		{"2019/09/16", false, ""},
		{"2019-09-16T00:00:00Z", false, ""},
		{" 2019-09-16", false, ""},
		{"+019-09-16", false, ""},
		{"", false, ""},
	}
	for _, tc := range tests {
		d, err := ParseDate(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseDate(%q) err = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && d.String() != tc.want {
			t.Errorf("ParseDate(%q) = %s", tc.in, d)
		}
	}
	d, _ := ParseDate("2019-09-16")
	if got := DateOf(time.Date(2019, 9, 16, 23, 30, 0, 0, time.FixedZone("x", -10*3600))); got != d {
		t.Errorf("DateOf ignores the location's calendar date: %v", got)
	}
}

func TestOutputsKeyColumnsFirst(t *testing.T) {
	keys := []string{ColPeriod, ColMetric, ColGeoLevel, ColGeo, ColOrgType}
	for _, tbl := range Outputs {
		want := keys
		switch tbl.File {
		case "series.parquet":
			want = keys[1:]
		case "summary.parquet":
			want = []string{ColPeriod, ColMetric, ColGeoLevel, ColOrgType}
		case "comparisons.parquet":
			// The shared keys of the first series, then the area it is compared with.
			want = []string{ColMetric, ColGeoLevel, ColGeo, ColOrgType, ColOtherGeo}
		}
		got := tbl.Names()[:len(want)]
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s key columns = %v, want %v (SPEC 5)", tbl.File, got, want)
		}
		if keys := tbl.KeyColumns(); strings.Join(keys, ",") != strings.Join(want, ",") {
			t.Errorf("%s KeyColumns = %v, want %v", tbl.File, keys, want)
		}
		for _, c := range tbl.Columns {
			if c.Description == "" {
				t.Errorf("%s.%s has no description", tbl.File, c.Name)
			}
		}
	}
}

// TestCodeLists checks the embedded SDMX code lists and break reasons: the codes the files carry,
// each with a label and a description, and the code of every combination of flags.
func TestCodeLists(t *testing.T) {
	for _, l := range []struct {
		name  string
		read  func() ([]Code, error)
		codes string
	}{
		{"obs_status", ObsStatusCodes, "A B E P"},
		{"conf_status", ConfStatusCodes, "F C"},
		{"break_reasons", BreakReasonCodes, "declared source coverage"},
	} {
		codes, err := l.read()
		if err != nil {
			t.Fatalf("%s: %v", l.name, err)
		}
		var got []string
		for _, c := range codes {
			got = append(got, c.Code)
			if c.Label == "" || c.Description == "" {
				t.Errorf("%s: code %s has no label or description", l.name, c.Code)
			}
		}
		if strings.Join(got, " ") != l.codes {
			t.Errorf("%s: codes %v, want %s", l.name, got, l.codes)
		}
	}
	tests := []struct {
		flags  ObsFlags
		code   string
		reason string
	}{
		{0, "A", ""},
		{ObsProvisional, "P", ""},
		{ObsEstimated | ObsProvisional, "E", ""},
		{ObsBreak | BreakDeclared | ObsEstimated, "B", "declared"},
		{ObsBreak | BreakCoverage | BreakSource, "B", "source,coverage"},
		{ObsBreak, "B", ""},
	}
	for _, tt := range tests {
		if got := tt.flags.Code(); got != tt.code {
			t.Errorf("%b: code %s, want %s", tt.flags, got, tt.code)
		}
		if got := tt.flags.BreakReason(); got != tt.reason {
			t.Errorf("%b: break reason %q, want %q", tt.flags, got, tt.reason)
		}
	}
	if ConfStatus(true) != "C" || ConfStatus(false) != "F" {
		t.Error("ConfStatus")
	}
}
