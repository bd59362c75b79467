package ingest

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/exposure-research/exposure/schemas"
)

// The columns of a submission, in schemas.Submission's order; colCount is their number.
const (
	colPeriod = iota
	colCountry
	colOrgType
	colMetric
	colValue
	colContributors
	colLargest
	colSecondLargest
	colCount
)

// requiredColumns is how many of the columns, from the first, every submission must have.
const requiredColumns = colLargest

// columnNames are the submission's column names, from schemas.Submission.
var columnNames = func() [colCount]string {
	var names [colCount]string
	for i, c := range schemas.Submission.Columns {
		names[i] = c.Name
	}
	return names
}()

// columnIndex looks a column name up; -1 when it is not a submission column.
func columnIndex(name string) int {
	for i, n := range columnNames {
		if n == name {
			return i
		}
	}
	return -1
}

// unknownColumnMessage says why a column is refused, with a hint when it is a known column misspelt.
func unknownColumnMessage(name string) string {
	msg := fmt.Sprintf("unknown column %s: a submission has only the columns %s (aggregates, never records about single systems or organizations)",
		quote(name), strings.Join(columnNames[:], ", "))
	if i := columnIndex(normalColumn(name)); i >= 0 {
		msg = fmt.Sprintf("unknown column %s; did you mean %s? (column names are lower case, without spaces)", quote(name), quote(columnNames[i]))
	}
	return msg
}

// normalColumn is a column name as someone may have meant it: lower case, without surrounding spaces
// or a byte order mark.
func normalColumn(name string) string {
	return strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))
}

// cellRow is one submitted row after its fields have been read: the cell's key and its figures.
type cellRow struct {
	period        schemas.Date
	geo           schemas.GeoID
	org           schemas.OrgID
	metric        schemas.MetricID
	value         int64
	contributors  int64
	largest       int64 // Unknown when empty
	secondLargest int64 // Unknown when empty
}

// fieldError is a problem with one column of one row.
type fieldError struct {
	col int // submission column (colPeriod ...)
	err error
}

// checkText refuses a text field with a NUL byte or invalid UTF-8 (SPEC 3.1: UTF-8).
func checkText(s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0 {
			return fail(ErrEncoding, "NUL byte at byte %d of the field", i+1)
		}
		if c >= utf8.RuneSelf {
			if !utf8.ValidString(s[i:]) {
				return fail(ErrEncoding, "invalid UTF-8 in %s", quote(s))
			}
			return nil
		}
	}
	return nil
}

// parseCount reads a count written as a plain decimal integer: digits only, no sign but '-', no
// separators, spaces or exponent (SPEC 3.1). A '-' makes it negative, which no count may be.
func parseCount(s string) (int64, error) {
	if s == "" {
		return 0, fail(ErrEmpty, "empty; a count is required")
	}
	digits := s
	if s[0] == '-' {
		digits = s[1:]
	}
	if digits == "" {
		return 0, fail(ErrNotInteger, "%s is not a plain decimal integer", quote(s))
	}
	var n uint64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, fail(ErrNotInteger, "%s is not a plain decimal integer%s", quote(s), integerHint(s))
		}
		if n > (math.MaxInt64-uint64(c-'0'))/10 {
			if s[0] == '-' {
				return 0, fail(ErrNegative, "%s is negative", quote(s))
			}
			return 0, fail(ErrOverflow, "%s is larger than the largest 64-bit integer", quote(s))
		}
		n = n*10 + uint64(c-'0')
	}
	if s[0] == '-' {
		return 0, fail(ErrNegative, "%s is negative", quote(s))
	}
	return int64(n), nil
}

// integerHint says what made a number not a plain integer, where that is easy to see.
func integerHint(s string) string {
	switch {
	case strings.HasPrefix(s, "+"):
		return " (no '+' sign)"
	case strings.ContainsAny(s, " \t"):
		return " (no spaces)"
	case strings.ContainsAny(s, ",_'"):
		return " (no thousands separators)"
	case strings.ContainsAny(s, "eE"):
		return " (no exponent)"
	case strings.Contains(s, "."):
		return " (no decimals)"
	}
	return ""
}

// rowRules holds what a row is checked against: the vocabulary and the scope of the input's source.
type rowRules struct {
	vocab     *schemas.Vocabulary
	countries []bool // by GeoID; nil places no limit
	metrics   []bool // by MetricID; nil places no limit
	from, to  schemas.Date
	hasFrom   bool
	hasTo     bool
	scopeText scopeDescription
}

// scopeDescription is the scope written out for messages.
type scopeDescription struct{ source, countries, metrics, periods string }

// newRowRules compiles a source's scope; the configuration has already checked every code.
func newRowRules(vocab *schemas.Vocabulary, src Source) *rowRules {
	r := &rowRules{vocab: vocab, scopeText: scopeDescription{source: src.ID}}
	if len(src.Scope.Countries) > 0 {
		r.countries = make([]bool, vocab.Geo.Len())
		for _, c := range src.Scope.Countries {
			if id, ok := vocab.Geo.CountryByCode(c); ok {
				r.countries[id] = true
			}
		}
		r.scopeText.countries = strings.Join(src.Scope.Countries, ", ")
	}
	if len(src.Scope.Metrics) > 0 {
		r.metrics = make([]bool, vocab.NumMetrics())
		for _, m := range src.Scope.Metrics {
			if id, ok := vocab.MetricByCode(m); ok {
				r.metrics[id] = true
			}
		}
		r.scopeText.metrics = strings.Join(src.Scope.Metrics, ", ")
	}
	if d, err := schemas.ParseDate(src.Scope.Periods.From); err == nil {
		r.from, r.hasFrom = d, true
	}
	if d, err := schemas.ParseDate(src.Scope.Periods.To); err == nil {
		r.to, r.hasTo = d, true
	}
	from, to := src.Scope.Periods.From, src.Scope.Periods.To
	if from == "" {
		from = "any date"
	}
	if to == "" {
		to = "any date"
	}
	r.scopeText.periods = from + " to " + to
	return r
}

// country, org and metric read a code field.
func (r *rowRules) country(s string) (schemas.GeoID, error) {
	if id, ok := r.vocab.Geo.CountryByCode(s); ok {
		return id, nil
	}
	if s == "" {
		return 0, fail(ErrEmpty, "empty; a country code is required")
	}
	if err := checkText(s); err != nil {
		return 0, err
	}
	return 0, fail(ErrVocabulary, "%s", countryMessage(s))
}

func (r *rowRules) org(s string) (schemas.OrgID, error) {
	if id, ok := r.vocab.OrgByCode(s); ok && id != schemas.OrgAll {
		return id, nil
	}
	switch {
	case s == "":
		return 0, fail(ErrEmpty, "empty; an organization type is required")
	case s == schemas.AllOrgTypes:
		return 0, fail(ErrVocabulary, "%s is the total over all organization types, which the pipeline computes itself; submit leaf cells only", quote(s))
	}
	if err := checkText(s); err != nil {
		return 0, err
	}
	return 0, fail(ErrVocabulary, "%s", orgMessage(r.vocab, s))
}

func (r *rowRules) metric(s string) (schemas.MetricID, error) {
	if id, ok := r.vocab.MetricByCode(s); ok {
		return id, nil
	}
	if s == "" {
		return 0, fail(ErrEmpty, "empty; a metric code is required")
	}
	if err := checkText(s); err != nil {
		return 0, err
	}
	return 0, fail(ErrVocabulary, "%s", metricMessage(r.vocab, s))
}

func parsePeriod(s string) (schemas.Date, error) {
	if s == "" {
		return 0, fail(ErrEmpty, "empty; a date YYYY-MM-DD is required")
	}
	d, err := schemas.ParseDate(s)
	if err != nil {
		if err := checkText(s); err != nil {
			return 0, err
		}
		return 0, fail(ErrDate, "%s is not a date of the form YYYY-MM-DD", quote(s))
	}
	return d, nil
}

// check applies the rules of SPEC 3.1 that relate a row's figures, and the source's scope, to a row
// whose fields all parsed. It appends one error per broken rule to errs.
func (r *rowRules) check(row *cellRow, errs []fieldError) []fieldError {
	switch {
	case row.value > 0 && row.contributors == 0:
		errs = append(errs, fieldError{colContributors, fail(ErrNoContributors,
			"0 contributors but value %d; a non-zero count has at least one organization behind it", row.value)})
	case row.value == 0 && row.contributors > 0:
		errs = append(errs, fieldError{colContributors, fail(ErrZeroWithContributors,
			"%d contributors but value 0; a zero count has no contributors", row.contributors)})
	}
	// Dominance: largest and second_largest are parts of value, largest first. A second largest
	// without a largest is refused rather than ignored: it means the columns were shifted or
	// swapped, and the p% rule could not use it anyway.
	switch {
	case row.secondLargest != Unknown && row.largest == Unknown:
		errs = append(errs, fieldError{colSecondLargest, fail(ErrSecondWithoutLargest,
			"second_largest %d is given but largest is empty; give both or neither", row.secondLargest)})
	case row.largest != Unknown && row.largest > row.value:
		errs = append(errs, fieldError{colLargest, fail(ErrLargestAboveValue,
			"largest %d is more than value %d", row.largest, row.value)})
	case row.secondLargest != Unknown && row.secondLargest > row.largest:
		errs = append(errs, fieldError{colSecondLargest, fail(ErrSecondAboveLargest,
			"second_largest %d is more than largest %d", row.secondLargest, row.largest)})
	// largest <= value here, so value - largest cannot overflow.
	case row.secondLargest != Unknown && row.secondLargest > row.value-row.largest:
		errs = append(errs, fieldError{colSecondLargest, fail(ErrDominanceAboveValue,
			"largest %d + second_largest %d is more than value %d", row.largest, row.secondLargest, row.value)})
	}
	if r.countries != nil && !r.countries[row.geo] {
		errs = append(errs, fieldError{colCountry, fail(ErrOutOfScope,
			"%s is outside the scope of source %s (countries: %s)", r.vocab.Geo.Node(row.geo).Code, r.scopeText.source, r.scopeText.countries)})
	}
	if r.metrics != nil && !r.metrics[row.metric] {
		errs = append(errs, fieldError{colMetric, fail(ErrOutOfScope,
			"%s is outside the scope of source %s (metrics: %s)", r.vocab.Metric(row.metric).Code, r.scopeText.source, r.scopeText.metrics)})
	}
	if (r.hasFrom && row.period < r.from) || (r.hasTo && row.period > r.to) {
		errs = append(errs, fieldError{colPeriod, fail(ErrOutOfScope,
			"%s is outside the scope of source %s (periods: %s)", row.period, r.scopeText.source, r.scopeText.periods)})
	}
	return errs
}
