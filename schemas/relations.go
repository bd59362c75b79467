package schemas

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

//go:embed data/relations.csv
var relationsCSV []byte

// RelOp is the comparison of a relation in its normal form, sum(Coef * term) RelOp 0.
type RelOp uint8

// The comparisons of a relation's normal form.
const (
	RelEq RelOp = iota // = 0
	RelLe              // <= 0
)

// String returns the comparison as written in the normal form.
func (o RelOp) String() string {
	if o == RelEq {
		return "="
	}
	return "<="
}

// RelTerm is one term of a relation: Coef times a metric's cell, in the cell's own period or, with
// Prev, in the period before it.
type RelTerm struct {
	Coef   int64
	Metric MetricID
	Prev   bool
}

// Relation is a linear relation between metrics of the same cell (period, area, organization type)
// that holds for every cell, leaves and totals alike: homogeneous (no constant term), so that what
// holds for every leaf holds for every sum of leaves. Its normal form is sum(Coef * term) Op 0, with
// like terms combined and the terms sorted (current period first, then by metric).
//
// A relation is part of what an attacker knows (SPEC 3.3, 4): with a published stock of 1 a
// suppressed flow is at most 1. The vocabulary's relations hold by the metrics' definitions; a dataset
// may declare more (dataset.yaml, relations:), such as the stock-flow identity its sources compute.
type Relation struct {
	Text   string // as written
	Reason string // why it holds; for a dataset's relation, that the dataset declares it
	Terms  []RelTerm
	Op     RelOp
}

// HasPrev reports whether the relation names a previous period's cell.
func (r Relation) HasPrev() bool {
	return slices.ContainsFunc(r.Terms, func(t RelTerm) bool { return t.Prev })
}

// Normal returns the relation in a canonical form: the terms with positive coefficients on the
// left, the others on the right, each side in term order, e.g. "new_systems <= exposed_systems" or
// "exposed_systems + offline_systems = new_systems + prev(exposed_systems)". Relations that mean the
// same have the same form, however they were written.
func (r Relation) Normal(v *Vocabulary) string {
	side := func(positive bool) string {
		var parts []string
		for _, t := range r.Terms {
			if (t.Coef > 0) != positive {
				continue
			}
			c := t.Coef
			if c < 0 {
				c = -c
			}
			name := v.Metric(t.Metric).Code
			if t.Prev {
				name = "prev(" + name + ")"
			}
			if c != 1 {
				name = fmt.Sprintf("%d * %s", c, name)
			}
			parts = append(parts, name)
		}
		return strings.Join(parts, " + ")
	}
	return side(true) + " " + r.Op.String() + " " + side(false)
}

// Eval reports whether the relation holds for the values of its terms (in the order of Terms).
func (r Relation) Eval(values []int64) bool {
	var sum int64
	for i, t := range r.Terms {
		sum += t.Coef * values[i]
	}
	if r.Op == RelEq {
		return sum == 0
	}
	return sum <= 0
}

// RelationError is a relation that cannot be read, with the 1-based column (in characters) where
// the problem is.
type RelationError struct {
	Column int
	Msg    string
}

func (e *RelationError) Error() string { return fmt.Sprintf("column %d: %s", e.Column, e.Msg) }

// maxRelationCoef bounds a relation's coefficients, so that evaluating one on counts up to 2^50
// cannot overflow.
const maxRelationCoef = 1 << 10

// ParseRelation reads a relation written as two linear sides and a comparison, e.g.
// `exposed_systems = prev(exposed_systems) + new_systems - offline_systems` or
// `new_systems <= exposed_systems`. A term is a metric code or prev(code), optionally times a
// positive integer (`2 * code` or `2 code`). It refuses, with the column: an unknown metric, a
// non-linear term (a product of metrics, a division, a fraction), a constant term (it would not add
// up over areas), a relation that says nothing (every term cancels) and one that cannot hold unless
// every count it names is 0.
func ParseRelation(text string, v *Vocabulary) (Relation, error) {
	p := relParser{src: text, v: v}
	r, err := p.parse()
	if err != nil {
		return Relation{}, err
	}
	r.Text = text
	return r, nil
}

// relParser is a recursive-descent reader of one relation.
type relParser struct {
	src string
	pos int // byte offset
	v   *Vocabulary
}

func (p *relParser) col(at int) int { return utf8.RuneCountInString(p.src[:at]) + 1 }

func (p *relParser) errAt(at int, format string, args ...any) error {
	return &RelationError{Column: p.col(at), Msg: fmt.Sprintf(format, args...)}
}

func (p *relParser) skipSpace() {
	for p.pos < len(p.src) {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		if !unicode.IsSpace(r) {
			return
		}
		p.pos += n
	}
}

// peekOp returns the comparison at the current position and its length in bytes, or 0.
func (p *relParser) peekOp() (op string, n int) {
	rest := p.src[p.pos:]
	for _, o := range []string{"<=", ">=", "≤", "≥", "==", "="} {
		if strings.HasPrefix(rest, o) {
			return o, len(o)
		}
	}
	if strings.HasPrefix(rest, "<") || strings.HasPrefix(rest, ">") {
		return rest[:1], 1
	}
	return "", 0
}

type sideTerm struct {
	RelTerm
	at int
}

func (p *relParser) parse() (Relation, error) {
	left, err := p.side()
	if err != nil {
		return Relation{}, err
	}
	p.skipSpace()
	opAt := p.pos
	op, n := p.peekOp()
	switch op {
	case "":
		if p.pos >= len(p.src) {
			return Relation{}, p.errAt(p.pos, "a relation needs a comparison: =, <= or >=")
		}
		return Relation{}, p.errAt(p.pos, "%s is not part of a linear relation (terms are metric codes or prev(code), times a whole number, joined by + and -)", quoteRune(p.src[p.pos:]))
	case "<", ">":
		return Relation{}, p.errAt(opAt, "strict %s cannot be used: counts are compared with =, <= or >=", op)
	case "==":
		return Relation{}, p.errAt(opAt, "write = for equality, not ==")
	}
	p.pos += n
	right, err := p.side()
	if err != nil {
		return Relation{}, err
	}
	p.skipSpace()
	if p.pos < len(p.src) {
		if o, _ := p.peekOp(); o != "" {
			return Relation{}, p.errAt(p.pos, "a relation has one comparison; write chained ones as separate relations")
		}
		return Relation{}, p.errAt(p.pos, "%s is not part of a linear relation (terms are metric codes or prev(code), times a whole number, joined by + and -)", quoteRune(p.src[p.pos:]))
	}
	r := Relation{Op: RelEq}
	sign := int64(1)
	switch op {
	case "<=", "≤":
		r.Op = RelLe
	case ">=", "≥":
		r.Op, sign = RelLe, -1
	}
	// Normal form: left - right op 0 (for >=, right - left <= 0).
	sum := map[[2]int64]int64{}
	for _, t := range left {
		sum[termKey(t.RelTerm)] += sign * t.Coef
	}
	for _, t := range right {
		sum[termKey(t.RelTerm)] -= sign * t.Coef
	}
	for k, c := range sum {
		if c != 0 {
			r.Terms = append(r.Terms, RelTerm{Coef: c, Metric: MetricID(k[0]), Prev: k[1] == 1})
		}
	}
	slices.SortFunc(r.Terms, func(a, b RelTerm) int {
		if a.Prev != b.Prev {
			if a.Prev {
				return 1
			}
			return -1
		}
		return int(a.Metric) - int(b.Metric)
	})
	if len(r.Terms) == 0 {
		return Relation{}, p.errAt(0, "every term cancels: the relation says nothing")
	}
	pos, neg := 0, 0
	for _, t := range r.Terms {
		if t.Coef > 0 {
			pos++
		} else {
			neg++
		}
	}
	// With counts >= 0: a sum of non-negative terms = 0 or <= 0 forces each of them to 0.
	if (r.Op == RelEq && (pos == 0 || neg == 0)) || (r.Op == RelLe && neg == 0) {
		return Relation{}, p.errAt(opAt, "the relation cannot hold unless every count it names is 0 (counts are never negative)")
	}
	if r.Op == RelLe && pos == 0 {
		return Relation{}, p.errAt(opAt, "the relation holds for any counts (counts are never negative): it says nothing")
	}
	return r, nil
}

func termKey(t RelTerm) [2]int64 {
	prev := int64(0)
	if t.Prev {
		prev = 1
	}
	return [2]int64{int64(t.Metric), prev}
}

// side reads one side: terms joined by + and -, with an optional leading sign.
func (p *relParser) side() ([]sideTerm, error) {
	var terms []sideTerm
	sign := int64(1)
	p.skipSpace()
	if strings.HasPrefix(p.src[p.pos:], "0") {
		// A side that is 0: "a - b >= 0".
		save := p.pos
		p.pos++
		p.skipSpace()
		if op, _ := p.peekOp(); p.pos == len(p.src) || op != "" {
			return nil, nil
		}
		p.pos = save
	}
	if p.pos < len(p.src) && (p.src[p.pos] == '+' || p.src[p.pos] == '-') {
		if p.src[p.pos] == '-' {
			sign = -1
		}
		p.pos++
	}
	for {
		t, err := p.term()
		if err != nil {
			return nil, err
		}
		t.Coef *= sign
		terms = append(terms, t)
		p.skipSpace()
		if p.pos >= len(p.src) || (p.src[p.pos] != '+' && p.src[p.pos] != '-') {
			return terms, nil
		}
		sign = 1
		if p.src[p.pos] == '-' {
			sign = -1
		}
		p.pos++
	}
}

// term reads [whole number [*]] metric or prev(metric).
func (p *relParser) term() (sideTerm, error) {
	p.skipSpace()
	start := p.pos
	if p.pos >= len(p.src) {
		return sideTerm{}, p.errAt(p.pos, "a term is missing at the end")
	}
	coef := int64(1)
	if c := p.src[p.pos]; c >= '0' && c <= '9' {
		end := p.pos
		for end < len(p.src) && p.src[end] >= '0' && p.src[end] <= '9' {
			end++
		}
		if end < len(p.src) && (p.src[end] == '.' || p.src[end] == ',') {
			return sideTerm{}, p.errAt(p.pos, "coefficient %s is not a whole number: a relation between counts has whole coefficients", quoteRune(p.src[p.pos:]))
		}
		n, err := strconv.ParseInt(p.src[p.pos:end], 10, 64)
		if err != nil || n > maxRelationCoef {
			return sideTerm{}, p.errAt(p.pos, "coefficient %s is larger than %d", p.src[p.pos:end], maxRelationCoef)
		}
		if n == 0 {
			return sideTerm{}, p.errAt(p.pos, "a coefficient of 0 says nothing; leave the term out")
		}
		coef = n
		p.pos = end
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == '*' {
			p.pos++
			p.skipSpace()
		}
		if p.pos >= len(p.src) || !isIdentStart(p.src[p.pos]) {
			return sideTerm{}, p.errAt(start, "a constant term does not add up over areas (a relation must hold for every total as for every leaf): leave constants out")
		}
	}
	at := p.pos
	name := p.ident()
	if name == "" {
		return sideTerm{}, p.errAt(p.pos, "%s is not a term: a term is a metric code or prev(code)", quoteRune(p.src[p.pos:]))
	}
	t := sideTerm{RelTerm: RelTerm{Coef: coef}, at: at}
	p.skipSpace()
	if name == "prev" && p.pos < len(p.src) && p.src[p.pos] == '(' {
		p.pos++
		p.skipSpace()
		at = p.pos
		name = p.ident()
		if name == "" || name == "prev" {
			return sideTerm{}, p.errAt(at, "prev( ) takes one metric code")
		}
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ')' {
			return sideTerm{}, p.errAt(p.pos, "prev(%s needs a closing )", name)
		}
		p.pos++
		t.Prev = true
	} else if p.pos < len(p.src) && p.src[p.pos] == '(' {
		return sideTerm{}, p.errAt(at, "%s( ) is not a function of relations; only prev( ) is", name)
	}
	id, ok := p.v.MetricByCode(name)
	if !ok {
		return sideTerm{}, p.errAt(at, "%q is not a metric (the metrics are: %s)", name, strings.Join(p.v.metricCodes(), ", "))
	}
	t.Metric = id
	p.skipSpace()
	if p.pos < len(p.src) {
		switch c := p.src[p.pos]; c {
		case '*', '/', '^':
			return sideTerm{}, p.errAt(p.pos, "%c makes the relation non-linear: a term is one metric times a whole number", c)
		}
		if r, _ := utf8.DecodeRuneInString(p.src[p.pos:]); unicode.IsLetter(r) || r == '_' || unicode.IsDigit(r) || r == '(' {
			return sideTerm{}, p.errAt(p.pos, "a product of terms makes the relation non-linear; join terms with + or -")
		}
	}
	return t, nil
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= utf8.RuneSelf
}

// ident reads a word: letters (of any script, so that a misspelt code is named whole), digits
// after the first character, and underscores.
func (p *relParser) ident() string {
	start := p.pos
	for p.pos < len(p.src) {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		if unicode.IsLetter(r) || r == '_' || (p.pos > start && unicode.IsDigit(r)) {
			p.pos += n
			continue
		}
		break
	}
	return p.src[start:p.pos]
}

// quoteRune quotes the character at the start of s for a message.
func quoteRune(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	return strconv.QuoteRune(r)
}

func (v *Vocabulary) metricCodes() []string {
	codes := make([]string, len(v.metrics))
	for i, m := range v.metrics {
		codes[i] = m.Code
	}
	return codes
}

// Relations returns the vocabulary's relations: those its metrics' definitions make true for any
// data (schemas/data/relations.csv), with the reason of each. A relation that names a metric the
// vocabulary lacks is left out, which only a vocabulary without the default metrics can do.
func (v *Vocabulary) Relations() []Relation { return slices.Clone(v.relations) }

// loadRelations parses the embedded relations against v.
func loadRelations(v *Vocabulary) ([]Relation, error) {
	rows, err := readTable(relationsCSV, "relations.csv", []string{"relation", "reason"})
	if err != nil {
		return nil, err
	}
	var out []Relation
	for i, row := range rows {
		r, err := ParseRelation(row[0], v)
		if err != nil {
			var re *RelationError
			if errors.As(err, &re) && strings.Contains(re.Msg, "is not a metric") {
				continue
			}
			return nil, fmt.Errorf("embedded relations.csv line %d: %w", i+2, err)
		}
		r.Reason = row[1]
		out = append(out, r)
	}
	return out, nil
}

// TableRef names one table: a (period, metric).
type TableRef struct {
	Period Date
	Metric MetricID
}

// RelationAt is one relation at one period: the tables its terms name there, in the order of the
// relation's terms (a prev term names the dataset's previous period).
type RelationAt struct {
	Relation int // index in the list of relations given to InForce
	Period   Date
	Tables   []TableRef
}

// InForce lists where relations are in force: relation r at period t (with prev(t) the period
// before t among periods, sorted ascending) when every table its terms name exists (has reports
// it). Inside those tables the relation holds for every cell, a cell that no submission names being
// a structural zero (0), with one exception the caller applies: a relation that names a previous
// period is not in force at a leaf that is a break at t (its source or definition changed, so its
// previous period does not measure the same thing), nor at a total above such a leaf. The result is
// sorted by period, then relation.
func InForce(rels []Relation, periods []Date, has func(TableRef) bool) []RelationAt {
	var out []RelationAt
	for i, t := range periods {
		for ri, r := range rels {
			if r.HasPrev() && i == 0 {
				continue
			}
			at := RelationAt{Relation: ri, Period: t}
			ok := true
			for _, term := range r.Terms {
				ref := TableRef{Period: t, Metric: term.Metric}
				if term.Prev {
					ref.Period = periods[i-1]
				}
				if !has(ref) {
					ok = false
					break
				}
				at.Tables = append(at.Tables, ref)
			}
			if ok {
				out = append(out, at)
			}
		}
	}
	return out
}
