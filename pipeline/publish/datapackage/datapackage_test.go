package datapackage

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/schemas"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixture returns the provenance, vocabulary and files of a small report folder.
func fixture(t *testing.T) (protect.Provenance, *schemas.Vocabulary, []Resource) {
	t.Helper()
	v, err := schemas.Default()
	if err != nil {
		t.Fatal(err)
	}
	p := protect.Provenance{
		DatasetID: "PACS-2019",
		Title:     "Internet-exposed medical image archives (PACS), 2019 & 2020",
		Licence:   "CC-BY-4.0",
		Sources: []ingest.Source{
			{ID: "greenbone", Name: "Greenbone Networks"},
			{ID: "nnt", Name: "New Net Technologies <press>"},
		},
		Caveats: []string{"Figures are lower bounds.", "Dates are assumed."},
	}
	hash := func(b byte) string { return strings.Repeat(fmt.Sprintf("%02x", b), 32) }
	files := []Resource{
		{Path: "cells.parquet", Bytes: 12345, SHA256: hash(0x01), Rows: 1200},
		{Path: "trends.parquet", Bytes: 23456, SHA256: hash(0x02), Rows: 800},
		{Path: "series.parquet", Bytes: 3456, SHA256: hash(0x03), Rows: 400},
		{Path: "summary.parquet", Bytes: 456, SHA256: hash(0x04), Rows: 64},
		{Path: "comparisons.parquet", Bytes: 789, SHA256: hash(0x07), Rows: 96},
		{Path: "report.md", Bytes: 5678, SHA256: hash(0x05)},
		{Path: "charts/exposed_systems-over-time.svg", Bytes: 9000, SHA256: hash(0x06)},
		{Path: "report.html", Bytes: 56789, SHA256: hash(0x08)},
		{Path: "countries/DE.md", Bytes: 2345, SHA256: hash(0x09)},
		{Path: "countries/DE.html", Bytes: 23456, SHA256: hash(0x0a)},
	}
	return p, v, files
}

// TestBuildGolden compares the fixture's descriptor with the golden file.
func TestBuildGolden(t *testing.T) {
	got, err := Build(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "datapackage.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("descriptor differs from %s (run go test -update and review the diff)", path)
	}
	if !bytes.HasSuffix(got, []byte("}\n")) || !bytes.HasPrefix(got, []byte("{\n  \"$schema\": ")) {
		t.Error("the descriptor is not two-space indented JSON with a trailing newline, $schema first")
	}
}

// TestBuildDeterministic builds the descriptor twice and wants the same bytes.
func TestBuildDeterministic(t *testing.T) {
	first, err := Build(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		again, err := Build(fixture(t))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Fatal("two builds of the same descriptor differ")
		}
	}
}

// descriptor is the part of the JSON that the tests read back.
type descriptor struct {
	Name      string
	Licenses  []map[string]string
	Sources   []map[string]string
	Resources []resourceDoc
}

type categoryDoc struct{ Value, Label string }

type resourceDoc struct {
	Name, Path, Format, Mediatype, Hash, Type string
	Bytes                                     int64
	Schema                                    *struct {
		Fields []struct {
			Name, Type, Description string
			Categories              []categoryDoc
			Constraints             *struct {
				Required bool
				Enum     []string
			}
		}
		PrimaryKey    []string
		MissingValues []string
	}
}

// TestEveryColumnDescribed reads the descriptor back and checks every table of schemas.Outputs:
// its columns in order with the mapped type and description, required exactly when not nullable,
// the key columns as primary key, and the code lists of coded columns.
func TestEveryColumnDescribed(t *testing.T) {
	p, v, files := fixture(t)
	data, err := Build(p, v, files)
	if err != nil {
		t.Fatal(err)
	}
	var d descriptor
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	if d.Name != "pacs-2019" {
		t.Errorf("name = %q, want the dataset id as a lower-case slug", d.Name)
	}
	wantType := map[string]string{"date32": "date", "int64": "integer", "float64": "number", "utf8": "string"}
	wantKeys := map[string][]string{
		"cells.parquet":   {"period", "metric", "geo_level", "geo", "org_type"},
		"trends.parquet":  {"period", "metric", "geo_level", "geo", "org_type"},
		"series.parquet":  {"metric", "geo_level", "geo", "org_type"},
		"summary.parquet": {"period", "metric", "geo_level", "org_type"},
		// Two series: the first one's keys, then the area it is compared with.
		"comparisons.parquet": {"metric", "geo_level", "geo", "org_type", "other_geo"},
	}
	wantEnum := map[string][]string{
		"status":          {"published", "suppressed"},
		"geo_level":       {"world", "region", "subregion", "country"},
		"org_type":        {"all", "hospital", "clinic", "radiology_provider", "imaging_center", "research", "government", "other", "unknown"},
		"metric":          {"exposed_systems", "exposed_studies", "exposed_images", "affected_patients", "new_systems", "offline_systems", "high_vulnerabilities", "critical_vulnerabilities"},
		"trend":           {"rising", "falling", "no significant trend", "too few periods"},
		"obs_status":      {"A", "B", "E", "P"},
		"conf_status":     {"F", "C"},
		"p_method":        {"exact", "normal"},
		"relation":        {"subregion", "region", "world", "peer", "declared"},
		"other_geo_level": {"world", "region", "subregion", "country"},
	}
	// The coded columns whose values are labelled (Table Schema v2 categories), with one value each.
	wantCategory := map[string][2]string{
		"obs_status":   {"B", "Time series break: "},
		"conf_status":  {"C", "Confidential statistical information: "},
		"break_reason": {"source,coverage", "Change of source; Change of coverage"},
		"trend":        {"too few periods", "Too few periods: fewer than 5 published values"},
	}
	for _, table := range schemas.Outputs {
		t.Run(table.File, func(t *testing.T) {
			i := slices.IndexFunc(d.Resources, func(r resourceDoc) bool {
				return r.Path == table.File
			})
			if i < 0 {
				t.Fatal("no resource")
			}
			r := d.Resources[i]
			if r.Type != "table" || r.Format != "parquet" || r.Mediatype != "application/vnd.apache.parquet" || r.Schema == nil {
				t.Fatalf("resource %+v is not a described Parquet table", r)
			}
			if want := "sha256:" + files[slices.IndexFunc(files, func(f Resource) bool { return f.Path == table.File })].SHA256; r.Hash != want {
				t.Errorf("hash = %q, want %q", r.Hash, want)
			}
			if len(r.Schema.Fields) != len(table.Columns) {
				t.Fatalf("%d fields, want %d", len(r.Schema.Fields), len(table.Columns))
			}
			for j, c := range table.Columns {
				f := r.Schema.Fields[j]
				if f.Name != c.Name || f.Type != wantType[c.Type.Name()] || f.Description != c.Description {
					t.Errorf("field %d = %s %s %q, want %s %s %q", j, f.Name, f.Type, f.Description, c.Name, wantType[c.Type.Name()], c.Description)
				}
				required := f.Constraints != nil && f.Constraints.Required
				if required == c.Nullable {
					t.Errorf("%s: required = %v, nullable = %v", c.Name, required, c.Nullable)
				}
				var enum []string
				if f.Constraints != nil {
					enum = f.Constraints.Enum
				}
				if !slices.Equal(enum, wantEnum[c.Name]) {
					t.Errorf("%s: enum = %q, want %q", c.Name, enum, wantEnum[c.Name])
				}
				if want, ok := wantCategory[c.Name]; ok {
					i := slices.IndexFunc(f.Categories, func(c categoryDoc) bool { return c.Value == want[0] })
					if i < 0 || !strings.HasPrefix(f.Categories[i].Label, want[1]) {
						t.Errorf("%s: categories %+v, want %s labelled %q...", c.Name, f.Categories, want[0], want[1])
					}
				} else if f.Categories != nil {
					t.Errorf("%s: unexpected categories %+v", c.Name, f.Categories)
				}
			}
			if !slices.Equal(r.Schema.PrimaryKey, wantKeys[table.File]) {
				t.Errorf("primaryKey = %q, want %q", r.Schema.PrimaryKey, wantKeys[table.File])
			}
			if r.Schema.MissingValues == nil || len(r.Schema.MissingValues) != 0 {
				t.Errorf("missingValues = %q, want [] (Parquet nulls are native)", r.Schema.MissingValues)
			}
		})
	}
	if len(d.Licenses) != 1 || d.Licenses[0]["name"] != "CC-BY-4.0" || d.Licenses[0]["path"] != "https://creativecommons.org/licenses/by/4.0/" {
		t.Errorf("licenses = %v", d.Licenses)
	}
	if len(d.Sources) != 2 || d.Sources[1]["title"] != "New Net Technologies <press>" {
		t.Errorf("sources = %v", d.Sources)
	}
}

// TestValidAgainstProfile validates descriptors against the Data Package v2 profile in testdata,
// with the small JSON Schema validator below (no validator library is among the module's
// dependencies). Patterns that Go's regexp cannot compile (the profile's path pattern uses
// look-ahead) are checked by hand.
func TestValidAgainstProfile(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "datapackage-profile-2.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	var profile map[string]any
	if err := json.Unmarshal(raw, &profile); err != nil {
		t.Fatal(err)
	}
	p, v, files := fixture(t)
	freeText := p
	freeText.Licence = "see README.md"
	tests := []struct {
		name string
		p    protect.Provenance
	}{
		{"fixture", p},
		{"free-text licence", freeText},
		{"no sources or caveats", protect.Provenance{DatasetID: "x", Licence: "ODbL-1.0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := Build(tc.p, v, files)
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			var errs []string
			validate(profile, doc, "$", &errs)
			for _, e := range errs {
				t.Error(e)
			}
			for _, r := range doc.(map[string]any)["resources"].([]any) {
				path := r.(map[string]any)["path"].(string)
				if strings.HasPrefix(path, "/") || strings.HasPrefix(path, ".") || strings.Contains(path, "..") || strings.Contains(path, `\`) || strings.Contains(path, "://") {
					t.Errorf("path %q is not a relative POSIX path", path)
				}
			}
		})
	}
	// The validator itself must catch what it claims to check.
	var errs []string
	validate(profile, map[string]any{"resources": []any{map[string]any{"name": "x", "path": "x", "hash": "sha256:xyz"}}, "licenses": []any{map[string]any{"title": "t"}}}, "$", &errs)
	if len(errs) < 2 {
		t.Errorf("validator missed a bad hash and a licence without name or path: %q", errs)
	}
}

// validate checks doc against the JSON Schema keywords that the Data Package profile uses: type,
// properties, required, items, enum, pattern, minItems, uniqueItems, minProperties, minimum,
// anyOf and oneOf. Annotations (title, description, format, examples) are not assertions.
func validate(schema map[string]any, doc any, at string, errs *[]string) {
	fail := func(format string, args ...any) { *errs = append(*errs, at+": "+fmt.Sprintf(format, args...)) }
	if typ, ok := schema["type"]; ok && !hasType(typ, doc) {
		fail("type %v, want %v", jsonType(doc), typ)
		return
	}
	if enum, ok := schema["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(doc) }) {
		fail("%v is not one of %v", doc, enum)
	}
	if s, ok := doc.(string); ok {
		if pat, ok := schema["pattern"].(string); ok {
			if re, err := regexp.Compile(pat); err == nil && !re.MatchString(s) {
				fail("%q does not match %s", s, pat)
			}
		}
	}
	if n, ok := doc.(float64); ok {
		if lo, ok := schema["minimum"].(float64); ok && n < lo {
			fail("%v < minimum %v", n, lo)
		}
	}
	if obj, ok := doc.(map[string]any); ok {
		if req, ok := schema["required"].([]any); ok {
			for _, k := range req {
				if _, ok := obj[k.(string)]; !ok {
					fail("required property %q missing", k)
				}
			}
		}
		if n, ok := schema["minProperties"].(float64); ok && float64(len(obj)) < n {
			fail("fewer than %v properties", n)
		}
		if props, ok := schema["properties"].(map[string]any); ok {
			for k, v := range obj {
				if sub, ok := props[k].(map[string]any); ok {
					validate(sub, v, at+"."+k, errs)
				}
			}
		}
	}
	if arr, ok := doc.([]any); ok {
		if n, ok := schema["minItems"].(float64); ok && float64(len(arr)) < n {
			fail("fewer than %v items", n)
		}
		if u, ok := schema["uniqueItems"].(bool); ok && u {
			seen := map[string]bool{}
			for _, e := range arr {
				b, _ := json.Marshal(e)
				if seen[string(b)] {
					fail("item %s repeated", b)
				}
				seen[string(b)] = true
			}
		}
		if items, ok := schema["items"].(map[string]any); ok {
			for i, e := range arr {
				validate(items, e, fmt.Sprintf("%s[%d]", at, i), errs)
			}
		}
	}
	if anyOf, ok := schema["anyOf"].([]any); ok && matching(anyOf, doc, at) == 0 {
		fail("matches none of anyOf")
	}
	if oneOf, ok := schema["oneOf"].([]any); ok {
		if n := matching(oneOf, doc, at); n != 1 {
			fail("matches %d of oneOf, want exactly 1", n)
		}
	}
}

// matching counts the schemas of a list that doc satisfies.
func matching(schemas []any, doc any, at string) int {
	n := 0
	for _, s := range schemas {
		var errs []string
		validate(s.(map[string]any), doc, at, &errs)
		if len(errs) == 0 {
			n++
		}
	}
	return n
}

// hasType reports whether doc has the JSON Schema type (a name or a list of names).
func hasType(typ any, doc any) bool {
	if list, ok := typ.([]any); ok {
		return slices.ContainsFunc(list, func(t any) bool { return hasType(t, doc) })
	}
	got := jsonType(doc)
	return got == typ || typ == "number" && got == "integer"
}

// jsonType names the JSON Schema type of a decoded JSON value.
func jsonType(doc any) string {
	switch v := doc.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		if v == float64(int64(v)) {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// TestBuildRejects checks the arguments that cannot make a valid descriptor.
func TestBuildRejects(t *testing.T) {
	p, v, files := fixture(t)
	tests := []struct {
		name    string
		change  func(p *protect.Provenance, files []Resource) []Resource
		wantErr string
	}{
		{"bad digest", func(_ *protect.Provenance, f []Resource) []Resource { f[0].SHA256 = "ABC"; return f }, "SHA-256"},
		{"absolute path", func(_ *protect.Provenance, f []Resource) []Resource { f[4].Path = "/etc/report.md"; return f }, "relative"},
		{"parent path", func(_ *protect.Provenance, f []Resource) []Resource { f[4].Path = "../report.md"; return f }, "relative"},
		{"missing table", func(_ *protect.Provenance, f []Resource) []Resource { return f[1:] }, "cells.parquet is not among"},
		{"twice", func(_ *protect.Provenance, f []Resource) []Resource { return append(f, f[0]) }, "second resource"},
		{"unknown kind", func(_ *protect.Provenance, f []Resource) []Resource { f[4].Path = "report.docx"; return f }, "media type"},
		{"no id", func(p *protect.Provenance, f []Resource) []Resource { p.DatasetID = "--"; return f }, "package name"},
		{"negative size", func(_ *protect.Provenance, f []Resource) []Resource { f[2].Bytes = -1; return f }, "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pc := p
			fc := tc.change(&pc, slices.Clone(files))
			_, err := Build(pc, v, fc)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
	if _, err := Build(p, nil, files); err == nil {
		t.Error("no vocabulary accepted")
	}
}

// TestHTMLResourceNames checks that an HTML page and the Markdown page it renders, which share a
// stem, get resource names of their own and the right media types.
func TestHTMLResourceNames(t *testing.T) {
	got, err := Build(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		Resources []struct{ Name, Path, Mediatype string }
	}
	if err := json.Unmarshal(got, &pkg); err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{
		"report.md":         {"report", "text/markdown"},
		"report.html":       {"report.html", "text/html"},
		"countries/DE.md":   {"countries-de", "text/markdown"},
		"countries/DE.html": {"countries-de.html", "text/html"},
	}
	for _, r := range pkg.Resources {
		if w, ok := want[r.Path]; ok {
			if r.Name != w[0] || r.Mediatype != w[1] {
				t.Errorf("%s: name %q, media type %q; want %q, %q", r.Path, r.Name, r.Mediatype, w[0], w[1])
			}
			delete(want, r.Path)
		}
	}
	if len(want) > 0 {
		t.Errorf("resources missing: %v", want)
	}
}
