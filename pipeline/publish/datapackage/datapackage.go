// Package datapackage describes a report folder as a Frictionless Data Package (version 2), so that
// catalogues and generic tools (frictionless, Open Data portals) can find the published tables, check
// their digests and read their columns without knowing this project.
//
// The descriptor is generated from schemas: column names, order, types and descriptions come from
// schemas.Outputs, and the code lists that a column may hold come from the vocabulary, so the
// descriptor cannot drift from the Parquet files it describes. The specification is at
// https://datapackage.org/standard/data-package/ (profiles at https://datapackage.org/profiles/2.0/).
package datapackage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/pipeline/trend"
	"github.com/exposure-research/exposure/schemas"
)

// Profile is the JSON Schema of Data Package version 2 that the descriptor declares and follows.
const Profile = "https://datapackage.org/profiles/2.0/datapackage.json"

// FileName is the descriptor's name: the standard requires datapackage.json at the top of the folder.
const FileName = "datapackage.json"

// Resource is one published file as the descriptor lists it: its path relative to the report folder
// and what the publication measured of its bytes.
type Resource struct {
	Path   string // e.g. "cells.parquet"; forward slashes, relative to the report folder
	Bytes  int64  // size of the file
	SHA256 string // lower-case hex SHA-256 of the file's bytes
	Rows   int64  // data rows of a table; ignored for a file that is not a table of schemas.Outputs
}

// Build returns the datapackage.json of a report folder: the dataset's name, title, licence and
// sources, and one resource per given file. A file of schemas.Outputs becomes a tabular resource
// with its table schema; any other file (report.md, a chart) a plain resource. Resources are listed
// in the order given. The JSON is indented by two spaces and ends with a newline, and the same
// arguments always give the same bytes.
func Build(p protect.Provenance, vocab *schemas.Vocabulary, resources []Resource) ([]byte, error) {
	if vocab == nil {
		return nil, errors.New("datapackage: no vocabulary")
	}
	name := slug(p.DatasetID)
	if name == "" {
		return nil, fmt.Errorf("datapackage: dataset id %q gives no package name", p.DatasetID)
	}
	if len(resources) == 0 {
		return nil, errors.New("datapackage: a data package needs at least one resource")
	}
	pkg := dataPackage{
		Schema:      Profile,
		Name:        name,
		Title:       p.Title,
		Description: description(p),
		Licenses:    licenses(p.Licence),
	}
	for _, s := range p.Sources {
		title := s.Name
		if title == "" {
			title = s.ID
		}
		pkg.Sources = append(pkg.Sources, source{Title: title})
	}
	seen := map[string]bool{}
	for _, r := range resources {
		res, err := describe(r, vocab)
		if err != nil {
			return nil, fmt.Errorf("datapackage: %s: %w", r.Path, err)
		}
		if seen[res.Name] {
			return nil, fmt.Errorf("datapackage: %s: a second resource named %q", r.Path, res.Name)
		}
		seen[res.Name] = true
		pkg.Resources = append(pkg.Resources, res)
	}
	for _, t := range schemas.Outputs {
		if !seen[slug(strings.TrimSuffix(t.File, path.Ext(t.File)))] {
			return nil, fmt.Errorf("datapackage: %s is not among the resources: every published table must be", t.File)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // the descriptor is not HTML: "<" and "&" stay readable
	if err := enc.Encode(pkg); err != nil {
		return nil, fmt.Errorf("datapackage: encoding: %w", err)
	}
	return buf.Bytes(), nil
}

// dataPackage is the descriptor; the field order is the order of the JSON.
type dataPackage struct {
	Schema      string     `json:"$schema"`
	Name        string     `json:"name"`
	Title       string     `json:"title,omitempty"`
	Description string     `json:"description,omitempty"`
	Licenses    []license  `json:"licenses,omitempty"`
	Sources     []source   `json:"sources,omitempty"`
	Resources   []resource `json:"resources"`
}

type license struct {
	Name  string `json:"name,omitempty"`
	Path  string `json:"path,omitempty"`
	Title string `json:"title,omitempty"`
}

type source struct {
	Title string `json:"title"`
}

type resource struct {
	Name        string       `json:"name"`
	Type        string       `json:"type,omitempty"`
	Path        string       `json:"path"`
	Format      string       `json:"format"`
	Mediatype   string       `json:"mediatype"`
	Encoding    string       `json:"encoding,omitempty"`
	Bytes       int64        `json:"bytes"`
	Hash        string       `json:"hash"`
	Description string       `json:"description,omitempty"`
	Schema      *tableSchema `json:"schema,omitempty"`
}

type tableSchema struct {
	Fields        []field  `json:"fields"`
	PrimaryKey    []string `json:"primaryKey"`
	MissingValues []string `json:"missingValues"`
}

type field struct {
	Name        string       `json:"name"`
	Type        string       `json:"type"`
	Description string       `json:"description,omitempty"`
	Categories  []category   `json:"categories,omitempty"`
	Constraints *constraints `json:"constraints,omitempty"`
}

// category is one value of a coded column with its label (Table Schema v2 categories).
type category struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

type constraints struct {
	Required bool     `json:"required,omitempty"`
	Enum     []string `json:"enum,omitempty"`
}

var (
	sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)
	slugBad   = regexp.MustCompile(`[^a-z0-9._-]+`)
)

// slug makes a package or resource name of s: lower case, with every run of other characters than
// letters, digits, ".", "_" and "-" replaced by one "-", as the standard recommends.
func slug(s string) string {
	return strings.Trim(slugBad.ReplaceAllString(strings.ToLower(s), "-"), "-.")
}

// describe describes one file; a table of schemas.Outputs gets its table schema.
func describe(r Resource, vocab *schemas.Vocabulary) (resource, error) {
	if r.Path == "" || path.IsAbs(r.Path) || strings.Contains(r.Path, `\`) || path.Clean(r.Path) != r.Path || strings.HasPrefix(r.Path, "../") || r.Path == ".." {
		return resource{}, errors.New("the path must be relative to the report folder, clean, with forward slashes")
	}
	if !sha256Hex.MatchString(r.SHA256) {
		return resource{}, fmt.Errorf("SHA-256 %q is not 64 lower-case hex digits", r.SHA256)
	}
	if r.Bytes < 0 || r.Rows < 0 {
		return resource{}, fmt.Errorf("negative size (%d bytes, %d rows)", r.Bytes, r.Rows)
	}
	ext := strings.TrimPrefix(path.Ext(r.Path), ".")
	name := slug(strings.TrimSuffix(r.Path, path.Ext(r.Path)))
	if ext == "html" {
		// The HTML rendering of a Markdown page shares its stem (report.md, report.html): the name
		// keeps the extension, so that the two resources have names of their own.
		name = slug(r.Path)
	}
	res := resource{
		Name:  name,
		Path:  r.Path,
		Bytes: r.Bytes,
		Hash:  "sha256:" + r.SHA256,
	}
	for _, t := range schemas.Outputs {
		if t.File != r.Path {
			continue
		}
		schema, err := tableSchemaOf(t, vocab)
		if err != nil {
			return resource{}, err
		}
		res.Type = "table"
		res.Format = "parquet"
		res.Mediatype = "application/vnd.apache.parquet"
		res.Description = fmt.Sprintf("%s %s rows.", tableDescriptions[t.File], formatCount(r.Rows))
		res.Schema = schema
		return res, nil
	}
	media, ok := mediatypes[ext]
	if !ok {
		return resource{}, fmt.Errorf("no media type known for .%s files", ext)
	}
	res.Format, res.Mediatype = ext, media
	if strings.HasPrefix(media, "text/") || media == "application/json" || media == "image/svg+xml" {
		res.Encoding = "utf-8"
	}
	return res, nil
}

// tableDescriptions say what each published table holds, after SPEC section 5.
var tableDescriptions = map[string]string{
	schemas.Cells.File:       "Every cell of every protected table, totals included; a suppressed cell has a null value.",
	schemas.Trends.File:      "Every cell that has a previous period, with its change and rank, derived from published values only.",
	schemas.Series.File:      "One row per series (metric, area, organization type) with its trend statistics over the published periods since its last break.",
	schemas.Summary.File:     "One row per (period, metric, geographic level, organization type) with statistics over all units of the level, each given only when the published cells prove it.",
	schemas.Comparisons.File: "One row per comparison of a country's trend (metric, all organization types) with its sub-region's, region's, the world's, another country's of its sub-region or a pair named by the dataset: the Mann-Kendall test and Sen's slope of the log-ratio of the two series.",
}

// mediatypes are the IANA media types of the other files a report folder holds.
var mediatypes = map[string]string{
	"md":   "text/markdown",
	"json": "application/json",
	"svg":  "image/svg+xml",
	"html": "text/html",
	"csv":  "text/csv",
}

// tableSchemaOf generates the table schema of a published table from its columns.
func tableSchemaOf(t schemas.Table, vocab *schemas.Vocabulary) (*tableSchema, error) {
	enums := codeLists(vocab)
	cats, err := categories()
	if err != nil {
		return nil, err
	}
	ts := &tableSchema{
		// A Parquet file has nulls of its own; no string value stands for a missing one, so an empty
		// string stays an empty string (the standard's default [""] is for text formats).
		MissingValues: []string{},
	}
	ts.PrimaryKey = t.KeyColumns()
	for _, c := range t.Columns {
		typ, err := fieldType(c.Type)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		f := field{Name: c.Name, Type: typ, Description: c.Description, Categories: cats[c.Name]}
		var cons constraints
		cons.Required = !c.Nullable
		cons.Enum = enums[c.Name]
		if cons.Required || cons.Enum != nil {
			f.Constraints = &cons
		}
		ts.Fields = append(ts.Fields, f)
	}
	if len(ts.PrimaryKey) == 0 {
		return nil, fmt.Errorf("%s does not start with a key column", t.File)
	}
	return ts, nil
}

// codeLists returns the values that each coded column may hold, in the order reports show them.
func codeLists(vocab *schemas.Vocabulary) map[string][]string {
	levels := make([]string, 0, len(schemas.GeoLevels))
	for _, l := range schemas.GeoLevels {
		levels = append(levels, l.String())
	}
	orgs := []string{schemas.AllOrgTypes}
	for _, o := range vocab.OrgOrder() {
		orgs = append(orgs, vocab.Org(o).Code)
	}
	var metrics []string
	for _, m := range vocab.MetricOrder() {
		metrics = append(metrics, vocab.Metric(m).Code)
	}
	return map[string][]string{
		schemas.ColStatus:              {schemas.StatusPublished, schemas.StatusSuppressed},
		schemas.ColGeoLevel:            levels,
		schemas.ColOrgType:             orgs,
		schemas.ColMetric:              metrics,
		schemas.ColTrend:               trend.TrendLabels,
		schemas.ColObsStatus:           {schemas.ObsCodeNormal, schemas.ObsCodeBreak, schemas.ObsCodeEstimated, schemas.ObsCodeProvisional},
		schemas.ColConfStatus:          {schemas.ConfFree, schemas.ConfConfidential},
		schemas.ColPMethod:             {trend.PExact, trend.PNormal},
		schemas.ColRelation:            {trend.RelationSubRegion, trend.RelationRegion, trend.RelationWorld, trend.RelationPeer, trend.RelationDeclared},
		schemas.ColOtherGeo + "_level": levels,
	}
}

// trendLabels say what each trend label means, for the categories of the trend columns.
var trendLabels = map[string]string{
	trend.TrendRising:  "Rising: the two-sided Mann-Kendall test rejects no trend at 5 % and Sen's slope is positive",
	trend.TrendFalling: "Falling: the test rejects no trend at 5 % and Sen's slope is negative",
	trend.TrendNone:    "No significant trend: the test does not reject at 5 %, which is not evidence of stability",
	trend.TrendTooFew:  fmt.Sprintf("Too few periods: fewer than %d published values, below which no data can be significant at 5 %%", trend.MinTrendPeriods),
}

// categories returns the labelled values of the coded columns that have labels: the SDMX code lists
// of obs_status and conf_status (embedded in schemas/data), the break reasons and the trend labels.
func categories() (map[string][]category, error) {
	out := map[string][]category{}
	for _, l := range []struct {
		column string
		read   func() ([]schemas.Code, error)
	}{
		{schemas.ColObsStatus, schemas.ObsStatusCodes},
		{schemas.ColConfStatus, schemas.ConfStatusCodes},
	} {
		codes, err := l.read()
		if err != nil {
			return nil, err
		}
		for _, c := range codes {
			out[l.column] = append(out[l.column], category{Value: c.Code, Label: c.Label + ": " + c.Description})
		}
	}
	// A break has one cause or several, joined by ",": every combination is a category.
	reasons, err := schemas.BreakReasonCodes()
	if err != nil {
		return nil, err
	}
	for mask := 1; mask < 1<<len(reasons); mask++ {
		var codes, labels []string
		for i, r := range reasons {
			if mask&(1<<i) != 0 {
				codes, labels = append(codes, r.Code), append(labels, r.Label)
			}
		}
		out[schemas.ColBreakReason] = append(out[schemas.ColBreakReason], category{Value: strings.Join(codes, ","), Label: strings.Join(labels, "; ")})
	}
	for _, label := range trend.TrendLabels {
		out[schemas.ColTrend] = append(out[schemas.ColTrend], category{Value: label, Label: trendLabels[label]})
	}
	return out, nil
}

// fieldType maps an Arrow type of schemas to its Table Schema type.
func fieldType(t arrow.DataType) (string, error) {
	switch t.ID() {
	case arrow.DATE32:
		return "date", nil
	case arrow.INT64:
		return "integer", nil
	case arrow.FLOAT64:
		return "number", nil
	case arrow.STRING:
		return "string", nil
	}
	return "", fmt.Errorf("no Table Schema type for Arrow type %s", t)
}

// knownLicences are the licences whose identifier, address and title the descriptor can give; the
// identifiers are those of SPDX and the Open Definition.
var knownLicences = map[string]license{
	"CC-BY-4.0":    {Path: "https://creativecommons.org/licenses/by/4.0/", Title: "Creative Commons Attribution 4.0 International"},
	"CC-BY-SA-4.0": {Path: "https://creativecommons.org/licenses/by-sa/4.0/", Title: "Creative Commons Attribution-ShareAlike 4.0 International"},
	"CC0-1.0":      {Path: "https://creativecommons.org/publicdomain/zero/1.0/", Title: "Creative Commons Zero v1.0 Universal"},
	"ODC-BY-1.0":   {Path: "https://opendatacommons.org/licenses/by/1-0/", Title: "Open Data Commons Attribution License v1.0"},
	"ODbL-1.0":     {Path: "https://opendatacommons.org/licenses/odbl/1-0/", Title: "Open Data Commons Open Database License v1.0"},
	"PDDL-1.0":     {Path: "https://opendatacommons.org/licenses/pddl/1-0/", Title: "Open Data Commons Public Domain Dedication and License v1.0"},
}

// licenceID is the form of a licence identifier in the profile.
var licenceID = regexp.MustCompile(`^[-a-zA-Z0-9._]+$`)

// licenses turns dataset.yaml's licence into the descriptor's licenses. A licence that is not an
// identifier (free text) cannot be a license object, which needs a name or a path; description
// carries it instead.
func licenses(licence string) []license {
	if !licenceID.MatchString(licence) {
		return nil
	}
	l := knownLicences[licence]
	l.Name = licence
	return []license{l}
}

// description is the package's description in CommonMark: where the provenance is recorded, the
// licence when it is not an identifier, and the dataset's caveats.
func description(p protect.Provenance) string {
	var b strings.Builder
	b.WriteString("Signed, aggregated counts after statistical disclosure control; a suppressed cell has a null value. " +
		"The inputs, their SHA-256 digests and signing keys, and the protection parameters are in manifest.json.")
	if p.Licence != "" && !licenceID.MatchString(p.Licence) {
		fmt.Fprintf(&b, "\n\nLicence: %s", p.Licence)
	}
	if len(p.Caveats) > 0 {
		b.WriteString("\n\nCaveats:\n")
		for _, c := range p.Caveats {
			fmt.Fprintf(&b, "\n- %s", c)
		}
	}
	return b.String()
}

// formatCount writes n with thousands separators.
func formatCount(n int64) string {
	digits := fmt.Sprint(n)
	var b strings.Builder
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(digits[i])
	}
	return b.String()
}
