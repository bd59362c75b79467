package schemas

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"sort"
	"sync"
)

//go:embed data/org_types.csv
var orgTypesCSV []byte

//go:embed data/metrics.csv
var metricsCSV []byte

// AllOrgTypes is the code of the organization-type total, the sum over every organization type.
const AllOrgTypes = "all"

// OrgID identifies an organization type within a Vocabulary. OrgAll (0) is the total over all types;
// the types follow in the order of their codes, so ascending OrgID is the published sort order.
type OrgID uint8

// OrgAll is the OrgID of the organization-type total `all`.
const OrgAll OrgID = 0

// MetricID identifies a metric within a Vocabulary; ascending MetricID is ascending metric code.
type MetricID uint8

// OrgType is one kind of operator of exposed systems, from the organization-type vocabulary.
type OrgType struct {
	Code        string // machine code as it appears in submissions and outputs, e.g. "radiology_provider"
	Name        string // name for people, e.g. "Radiology provider"
	Description string // what the type covers
}

// Metric is one additive count that submissions report, from the metric vocabulary. Additive means
// that the count of a group is the sum of the counts of its members, which is what lets the pipeline
// compute every total itself.
type Metric struct {
	Code        string `mapstructure:"code"`        // machine code, e.g. "exposed_systems"
	Description string `mapstructure:"description"` // what is counted, in one sentence
	Unit        string `mapstructure:"unit"`        // what one of the count is, e.g. "systems"
}

// codePattern is the form of an organization-type or metric code: lower-case ASCII words joined by
// underscores, so that codes are safe in file names, SQL and Markdown alike.
var codePattern = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// Vocabulary is the set of codes that a dataset may use: the geography, the organization types and
// the metrics. It is immutable once built.
type Vocabulary struct {
	Geo *Geography

	orgs      []OrgType // index OrgID-1; sorted by code
	orgOrder  []OrgID   // the vocabulary file's order, for reports
	orgByCode map[string]OrgID

	metrics      []Metric // index MetricID; sorted by code
	metricOrder  []MetricID
	metricByCode map[string]MetricID

	relations []Relation // the vocabulary's relations between metrics (relations.csv)
}

var (
	defaultOnce  sync.Once
	defaultVocab *Vocabulary
	defaultErr   error
)

// Default returns the project's default vocabulary, read from the embedded data files. An error here
// means the embedded files are broken, which the package's tests rule out.
func Default() (*Vocabulary, error) {
	defaultOnce.Do(func() {
		defaultVocab, defaultErr = load()
	})
	return defaultVocab, defaultErr
}

func load() (*Vocabulary, error) {
	geo, err := loadGeography()
	if err != nil {
		return nil, err
	}
	orgRows, err := readTable(orgTypesCSV, "org_types.csv", []string{"code", "name", "description"})
	if err != nil {
		return nil, err
	}
	var orgs []OrgType
	for _, r := range orgRows {
		orgs = append(orgs, OrgType{Code: r[0], Name: r[1], Description: r[2]})
	}
	metricRows, err := readTable(metricsCSV, "metrics.csv", []string{"code", "unit", "description"})
	if err != nil {
		return nil, err
	}
	var metrics []Metric
	for _, r := range metricRows {
		metrics = append(metrics, Metric{Code: r[0], Unit: r[1], Description: r[2]})
	}
	return newVocabulary(geo, orgs, metrics)
}

// readTable reads an embedded CSV file whose header must be exactly header.
func readTable(data []byte, name string, header []string) ([][]string, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = len(header)
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("embedded %s: %w", name, err)
	}
	for i, h := range header {
		if head[i] != h {
			return nil, fmt.Errorf("embedded %s: column %d is %q, want %q", name, i+1, head[i], h)
		}
	}
	var rows [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("embedded %s: %w", name, err)
		}
		rows = append(rows, rec)
	}
}

func newVocabulary(geo *Geography, orgs []OrgType, metrics []Metric) (*Vocabulary, error) {
	v := &Vocabulary{Geo: geo, orgByCode: map[string]OrgID{}, metricByCode: map[string]MetricID{}}
	if len(orgs) == 0 || len(orgs) > 254 {
		return nil, fmt.Errorf("organization types: need 1 to 254, have %d", len(orgs))
	}
	if len(metrics) == 0 || len(metrics) > 255 {
		return nil, fmt.Errorf("metrics: need 1 to 255, have %d", len(metrics))
	}
	seen := map[string]bool{AllOrgTypes: true}
	for _, o := range orgs {
		if !codePattern.MatchString(o.Code) {
			return nil, fmt.Errorf("organization type %q: a code is lower-case letters, digits and underscores", o.Code)
		}
		if seen[o.Code] {
			return nil, fmt.Errorf("organization type %q: defined twice or reserved", o.Code)
		}
		seen[o.Code] = true
	}
	seen = map[string]bool{}
	for _, m := range metrics {
		if !codePattern.MatchString(m.Code) {
			return nil, fmt.Errorf("metric %q: a code is lower-case letters, digits and underscores", m.Code)
		}
		if seen[m.Code] {
			return nil, fmt.Errorf("metric %q: defined twice", m.Code)
		}
		if m.Description == "" || m.Unit == "" {
			return nil, fmt.Errorf("metric %q: needs a description and a unit", m.Code)
		}
		seen[m.Code] = true
	}
	v.orgs = append([]OrgType(nil), orgs...)
	sort.Slice(v.orgs, func(i, j int) bool { return v.orgs[i].Code < v.orgs[j].Code })
	for i, o := range v.orgs {
		v.orgByCode[o.Code] = OrgID(i + 1)
	}
	v.orgByCode[AllOrgTypes] = OrgAll
	for _, o := range orgs {
		v.orgOrder = append(v.orgOrder, v.orgByCode[o.Code])
	}
	v.metrics = append([]Metric(nil), metrics...)
	sort.Slice(v.metrics, func(i, j int) bool { return v.metrics[i].Code < v.metrics[j].Code })
	for i, m := range v.metrics {
		v.metricByCode[m.Code] = MetricID(i)
	}
	for _, m := range metrics {
		v.metricOrder = append(v.metricOrder, v.metricByCode[m.Code])
	}
	var err error
	if v.relations, err = loadRelations(v); err != nil {
		return nil, err
	}
	return v, nil
}

// WithMetrics returns a vocabulary that has the receiver's metrics and extra ones (a dataset's own,
// from dataset.yaml). A code that is malformed, lacks a description or unit, or is already defined is
// an error.
func (v *Vocabulary) WithMetrics(extra []Metric) (*Vocabulary, error) {
	if len(extra) == 0 {
		return v, nil
	}
	var orgs []OrgType
	for _, id := range v.orgOrder {
		orgs = append(orgs, v.Org(id))
	}
	var metrics []Metric
	for _, id := range v.metricOrder {
		metrics = append(metrics, v.Metric(id))
	}
	return newVocabulary(v.Geo, orgs, append(metrics, extra...))
}

// NumOrgs returns the number of organization types, not counting the total `all`; valid leaf OrgIDs
// are 1 to NumOrgs.
func (v *Vocabulary) NumOrgs() int { return len(v.orgs) }

// Org returns the organization type id; OrgAll gives the pseudo-type `all`.
func (v *Vocabulary) Org(id OrgID) OrgType {
	if id == OrgAll {
		return OrgType{Code: AllOrgTypes, Name: "All organization types", Description: "Total over every organization type"}
	}
	return v.orgs[id-1]
}

// OrgByCode looks an organization-type code up, `all` included.
func (v *Vocabulary) OrgByCode(code string) (OrgID, bool) {
	id, ok := v.orgByCode[code]
	return id, ok
}

// OrgOrder returns the organization types (without `all`) in the vocabulary file's order, the order
// in which reports show them.
func (v *Vocabulary) OrgOrder() []OrgID { return append([]OrgID(nil), v.orgOrder...) }

// NumMetrics returns the number of metrics; valid MetricIDs are 0 to NumMetrics-1.
func (v *Vocabulary) NumMetrics() int { return len(v.metrics) }

// Metric returns the metric id.
func (v *Vocabulary) Metric(id MetricID) Metric { return v.metrics[id] }

// MetricByCode looks a metric code up.
func (v *Vocabulary) MetricByCode(code string) (MetricID, bool) {
	id, ok := v.metricByCode[code]
	return id, ok
}

// MetricOrder returns the metrics in the vocabulary's order (defaults first, then a dataset's own),
// the order in which reports show them.
func (v *Vocabulary) MetricOrder() []MetricID { return append([]MetricID(nil), v.metricOrder...) }
