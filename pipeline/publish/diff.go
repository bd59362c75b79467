package publish

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/pipeline/trend"
	"github.com/exposure-research/exposure/schemas"
)

// ChangeKind is one kind of difference between two releases of a dataset (SPEC 7, `exposure diff`):
// what a reader of a publication series needs to know to read the later release beside the earlier
// one. The kinds are listed, and reported, in the order of their constants.
type ChangeKind int

// The kinds of change, in the order a diff lists them.
const (
	PeriodAdded     ChangeKind = iota // a period with a table in the new release only
	PeriodRemoved                     // a period with a table in the old release only
	TableAdded                        // a (period, metric) table in the new release only
	TableRemoved                      // a (period, metric) table in the old release only
	CellRevised                       // published in both, with another value
	CellSuppressed                    // published in the old release, suppressed in the new one
	CellPublished                     // suppressed in the old release, published in the new one
	CellAdded                         // a cell of a table of both releases that only the new one has
	CellRemoved                       // a cell of a table of both releases that only the old one has
	FlagsChanged                      // a cell of both whose obs_status or break_reason differs
	RuleChanged                       // a protection parameter with another value
	RelationAdded                     // a relation between metrics in force in the new release only
	RelationRemoved                   // a relation between metrics in force in the old release only
	InputAdded                        // a submission file of the new release only
	InputRemoved                      // a submission file of the old release only
	InputChanged                      // the same file with another digest, source, key or row count
	numChangeKinds
)

// changeKinds are the code (the kind column of the machine output) and the label (for people) of
// each kind.
var changeKinds = [numChangeKinds]struct{ code, label string }{
	PeriodAdded:     {"period_added", "periods added"},
	PeriodRemoved:   {"period_removed", "periods removed"},
	TableAdded:      {"table_added", "tables added"},
	TableRemoved:    {"table_removed", "tables removed"},
	CellRevised:     {"cell_revised", "cells revised"},
	CellSuppressed:  {"cell_newly_suppressed", "cells newly suppressed"},
	CellPublished:   {"cell_newly_published", "cells newly published"},
	CellAdded:       {"cell_added", "cells added"},
	CellRemoved:     {"cell_removed", "cells removed"},
	FlagsChanged:    {"flags_changed", "flags changed"},
	RuleChanged:     {"rule_changed", "rules changed"},
	RelationAdded:   {"relation_added", "relations added"},
	RelationRemoved: {"relation_removed", "relations removed"},
	InputAdded:      {"input_added", "inputs added"},
	InputRemoved:    {"input_removed", "inputs removed"},
	InputChanged:    {"input_changed", "inputs changed"},
}

// ChangeKinds returns every kind of change in the order a diff lists them.
func ChangeKinds() []ChangeKind {
	kinds := make([]ChangeKind, numChangeKinds)
	for i := range kinds {
		kinds[i] = ChangeKind(i)
	}
	return kinds
}

// String returns the kind's code, as the kind column of the machine output writes it:
// "cell_revised".
func (k ChangeKind) String() string {
	if k < 0 || k >= numChangeKinds {
		return fmt.Sprintf("ChangeKind(%d)", int(k))
	}
	return changeKinds[k].code
}

// Label returns the kind as people read it, in the plural: "cells revised".
func (k ChangeKind) Label() string {
	if k < 0 || k >= numChangeKinds {
		return k.String()
	}
	return changeKinds[k].label
}

// Change is one difference between two releases. The key fields that apply to the kind are set and
// the others are empty: a period change has a period; a table change a period and a metric; a cell
// change a period, metric, area and organization type; a rule change on a metric's minimum value
// the metric. Old and New are a cell's published values in the two releases, each invalid where
// the cell is suppressed or absent, and for every kind that is not about cells. Detail says what
// changed where the values do not: the flags, the rule, the relation, the input.
type Change struct {
	Kind     ChangeKind
	Period   trend.Null[schemas.Date]
	Metric   string // metric code
	Geo      string // M49 code or ISO 3166-1 alpha-2 code
	Org      string // organization-type code, or all
	Old, New trend.Null[int64]
	Detail   string
}

// isCellValue reports whether the kind is told by the cell's two values rather than by its detail.
func (k ChangeKind) isCellValue() bool {
	return k >= CellRevised && k <= CellRemoved
}

// key writes the fields of the change's key that apply, separated by spaces:
// "2019-11-17 exposed_systems DE hospital".
func (c Change) key() string {
	var parts []string
	if c.Period.Valid {
		parts = append(parts, c.Period.V.String())
	}
	for _, s := range []string{c.Metric, c.Geo, c.Org} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

// String writes the change as one line for people, without its kind:
// "2019-11-17 exposed_systems DE hospital: 5 -> 7". A suppressed value is x (as in report.md), and
// a value of a cell that one release does not have is "none".
func (c Change) String() string {
	key := c.key()
	var what string
	switch {
	case c.Kind.isCellValue():
		what = cellValueText(c.Old, c.Kind == CellAdded) + " -> " + cellValueText(c.New, c.Kind == CellRemoved)
	case c.Detail != "":
		what = c.Detail
	}
	switch {
	case key == "":
		return what
	case what == "":
		return key
	}
	return key + ": " + what
}

// cellValueText writes one side of a cell's change: its value, x when suppressed, none when absent.
func cellValueText(v trend.Null[int64], absent bool) string {
	switch {
	case absent:
		return "none"
	case !v.Valid:
		return markSuppressed
	}
	return formatCount(v.V)
}

// ReleaseDiff is what changed from one release of a dataset to another: the two releases, as their
// manifests identify them, and every change, grouped by kind in the order of ChangeKinds and, within
// a kind, in the order of the releases' files (tables by period and metric code, cells as
// cells.parquet lists them, inputs by file).
type ReleaseDiff struct {
	Old, New ReleaseID
	Changes  []Change
}

// ReleaseID identifies a release in a diff: its folder as given, its dataset, the digest of its
// configuration and the tool that built it.
type ReleaseID struct {
	Dir          string
	Dataset      string
	ConfigSHA256 string
	Tool         string
}

// Of returns the changes of one kind, in order.
func (d *ReleaseDiff) Of(kind ChangeKind) []Change {
	var out []Change
	for _, c := range d.Changes {
		if c.Kind == kind {
			out = append(out, c)
		}
	}
	return out
}

// Count returns how many changes of the kind there are.
func (d *ReleaseDiff) Count(kind ChangeKind) int {
	n := 0
	for _, c := range d.Changes {
		if c.Kind == kind {
			n++
		}
	}
	return n
}

// Diff compares two releases of a dataset, old and new, as their report folders publish them: the
// published cells of their tables, the flags of every cell, the rules and relations in force and
// the inputs their manifests list. It reads nothing but the two releases and depends on nothing but
// them; the same two releases give the same diff. Metrics are matched by code (two releases may
// number a dataset's metrics differently), areas and organization types by code. A table without
// cells counts as absent, as cells.parquet holds no row of it.
func Diff(old, new *Release) *ReleaseDiff {
	var buckets [numChangeKinds][]Change
	add := func(c Change) { buckets[c.Kind] = append(buckets[c.Kind], c) }

	oldTables, newTables := releaseTables(old), releaseTables(new)
	diffPeriods(oldTables, newTables, add)
	for _, name := range unionSorted(oldTables, newTables, cmpTableName) {
		ot, inOld := oldTables[name]
		nt, inNew := newTables[name]
		period := trend.Some(name.period)
		switch {
		case !inOld:
			add(Change{Kind: TableAdded, Period: period, Metric: name.metric})
		case !inNew:
			add(Change{Kind: TableRemoved, Period: period, Metric: name.metric})
		default:
			diffCells(name, old.Vocab, ot, new.Vocab, nt, add)
		}
	}
	om, nm := manifestOf(old), manifestOf(new)
	diffRules(om.Protection.Parameters, nm.Protection.Parameters, add)
	diffRelations(om.Protection.Relations, nm.Protection.Relations, add)
	diffInputs(om.Inputs, nm.Inputs, add)

	d := &ReleaseDiff{Old: releaseID(old), New: releaseID(new)}
	for _, b := range buckets {
		d.Changes = append(d.Changes, b...)
	}
	return d
}

// tableName names a table across releases: its period and metric code.
type tableName struct {
	period schemas.Date
	metric string
}

func cmpTableName(a, b tableName) int {
	return cmp.Or(cmp.Compare(a.period, b.period), strings.Compare(a.metric, b.metric))
}

// releaseTables returns a release's tables that have cells, by name.
func releaseTables(r *Release) map[tableName]*protect.Table {
	out := map[tableName]*protect.Table{}
	if r == nil || r.Vocab == nil {
		return out
	}
	for _, t := range r.Tables {
		if t == nil || len(t.Cells) == 0 {
			continue
		}
		out[tableName{t.Period, r.Vocab.Metric(t.Metric).Code}] = t
	}
	return out
}

// unionSorted returns the keys of a and b, each once, sorted by compare.
func unionSorted[K comparable, V any](a, b map[K]V, compare func(K, K) int) []K {
	keys := make([]K, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, compare)
	return keys
}

// diffPeriods reports the periods that have tables in one release only.
func diffPeriods(oldTables, newTables map[tableName]*protect.Table, add func(Change)) {
	periods := func(tables map[tableName]*protect.Table) map[schemas.Date]bool {
		out := map[schemas.Date]bool{}
		for name := range tables {
			out[name.period] = true
		}
		return out
	}
	op, np := periods(oldTables), periods(newTables)
	for _, p := range unionSorted(op, np, cmp.Compare[schemas.Date]) {
		switch {
		case !op[p]:
			add(Change{Kind: PeriodAdded, Period: trend.Some(p)})
		case !np[p]:
			add(Change{Kind: PeriodRemoved, Period: trend.Some(p)})
		}
	}
}

// cellName names a cell of a table across releases: its area and organization-type codes.
type cellName struct{ geo, org string }

// diffCells compares the cells of a table that both releases have: the new table's cells in its
// order, then the cells only the old table has, in its order.
func diffCells(name tableName, oldVocab *schemas.Vocabulary, ot *protect.Table, newVocab *schemas.Vocabulary, nt *protect.Table, add func(Change)) {
	nameOf := func(v *schemas.Vocabulary, c protect.Cell) cellName {
		return cellName{v.Geo.Node(c.Geo).Code, v.Org(c.Org).Code}
	}
	oldCells := make(map[cellName]protect.Cell, len(ot.Cells))
	for _, c := range ot.Cells {
		oldCells[nameOf(oldVocab, c)] = c
	}
	seen := make(map[cellName]bool, len(nt.Cells))
	change := func(kind ChangeKind, cell cellName) Change {
		return Change{Kind: kind, Period: trend.Some(name.period), Metric: name.metric, Geo: cell.geo, Org: cell.org}
	}
	for _, nc := range nt.Cells {
		cell := nameOf(newVocab, nc)
		seen[cell] = true
		newValue := publishedValue(nc)
		oc, ok := oldCells[cell]
		if !ok {
			c := change(CellAdded, cell)
			c.New = newValue
			if !newValue.Valid {
				c.Detail = schemas.StatusSuppressed
			}
			add(c)
			continue
		}
		oldValue := publishedValue(oc)
		c := change(0, cell)
		c.Old, c.New = oldValue, newValue
		switch {
		case oldValue.Valid && newValue.Valid && oldValue.V != newValue.V:
			c.Kind = CellRevised
			add(c)
		case oldValue.Valid && !newValue.Valid:
			c.Kind = CellSuppressed
			add(c)
		case !oldValue.Valid && newValue.Valid:
			c.Kind = CellPublished
			add(c)
		}
		if was, now := flagsText(oc.Flags), flagsText(nc.Flags); was != now {
			c.Kind, c.Detail = FlagsChanged, "obs_status "+was+" -> "+now
			add(c)
		}
	}
	for _, oc := range ot.Cells {
		cell := nameOf(oldVocab, oc)
		if seen[cell] {
			continue
		}
		c := change(CellRemoved, cell)
		c.Old = publishedValue(oc)
		if !c.Old.Valid {
			c.Detail = schemas.StatusSuppressed
		}
		add(c)
	}
}

// publishedValue is a cell's published value, invalid when it is suppressed.
func publishedValue(c protect.Cell) trend.Null[int64] {
	if v, ok := c.Value(); ok {
		return trend.Some(v)
	}
	return trend.Null[int64]{}
}

// flagsText writes a cell's flags as the published files carry them: the obs_status code and, for a
// break, its causes, "B (source,coverage)". Two cells whose flags read the same in cells.parquet
// are not a change, whatever else the pipeline knew about them.
func flagsText(f schemas.ObsFlags) string {
	if reason := f.BreakReason(); reason != "" {
		return f.Code() + " (" + reason + ")"
	}
	return f.Code()
}

// diffRules reports each protection parameter that differs, in the manifest's order; a metric a
// minimum value does not name has the minimum 0 (SPEC 4).
func diffRules(old, new Parameters, add func(Change)) {
	rule := func(metric, name, was, now string) {
		if was != now {
			add(Change{Kind: RuleChanged, Metric: metric, Detail: name + " " + was + " -> " + now})
		}
	}
	rule("", "min_contributors", fmt.Sprint(old.MinContributors), fmt.Sprint(new.MinContributors))
	for _, code := range unionSorted(old.MinValue, new.MinValue, strings.Compare) {
		rule(code, "min_value", fmt.Sprint(old.MinValue[code]), fmt.Sprint(new.MinValue[code]))
	}
	rule("", "p_percent", formatNumber(old.PPercent), formatNumber(new.PPercent))
	rule("", "interval", formatNumber(old.Interval), formatNumber(new.Interval))
}

// diffRelations reports the relations in force in one release only, matched by their canonical form
// (or, in a manifest that has none, as written): the relations the old release has that the new one
// lacks, in the old order, then those only the new one has, in its order.
func diffRelations(old, new []RelationInfo, add func(Change)) {
	form := func(r RelationInfo) string { return cmp.Or(r.Normal, r.Relation) }
	in := func(list []RelationInfo, r RelationInfo) bool {
		return slices.ContainsFunc(list, func(x RelationInfo) bool { return form(x) == form(r) })
	}
	for _, r := range old {
		if !in(new, r) {
			add(Change{Kind: RelationRemoved, Detail: r.Relation})
		}
	}
	for _, r := range new {
		if !in(old, r) {
			add(Change{Kind: RelationAdded, Detail: r.Relation})
		}
	}
}

// diffInputs reports the submission files of one release only and those of both whose digest,
// source, signing key or row count differ, by file.
func diffInputs(old, new []InputInfo, add func(Change)) {
	index := func(list []InputInfo) map[string]InputInfo {
		out := make(map[string]InputInfo, len(list))
		for _, in := range list {
			out[in.File] = in
		}
		return out
	}
	oi, ni := index(old), index(new)
	describe := func(in InputInfo) string {
		return fmt.Sprintf("%s (source %s, key %s, %s rows, sha256 %s)", in.File, in.Source, in.KeyID, formatCount(in.Rows), in.SHA256)
	}
	for _, file := range unionSorted(oi, ni, strings.Compare) {
		o, inOld := oi[file]
		n, inNew := ni[file]
		switch {
		case !inOld:
			add(Change{Kind: InputAdded, Detail: describe(n)})
		case !inNew:
			add(Change{Kind: InputRemoved, Detail: describe(o)})
		default:
			var parts []string
			for _, f := range []struct{ name, was, now string }{
				{"source", o.Source, n.Source},
				{"key", o.KeyID, n.KeyID},
				{"rows", formatCount(o.Rows), formatCount(n.Rows)},
				{"sha256", o.SHA256, n.SHA256},
			} {
				if f.was != f.now {
					parts = append(parts, f.name+" "+f.was+" -> "+f.now)
				}
			}
			if len(parts) > 0 {
				add(Change{Kind: InputChanged, Detail: file + ": " + strings.Join(parts, ", ")})
			}
		}
	}
}

// manifestOf is a release's manifest, or an empty one.
func manifestOf(r *Release) *Manifest {
	if r == nil || r.Manifest == nil {
		return &Manifest{}
	}
	return r.Manifest
}

func releaseID(r *Release) ReleaseID {
	m := manifestOf(r)
	id := ReleaseID{Dataset: m.Dataset.ID, ConfigSHA256: m.Dataset.ConfigSHA256}
	if m.Tool.Name != "" {
		// Name and release only: the Go release that compiled the tool is not the release's news.
		id.Tool = m.Tool.Name + " " + m.Tool.Version
	}
	if r != nil {
		id.Dir = r.Dir
	}
	return id
}

// currentRelease is the release a build is making, as Diff sees it: its protected tables, and its
// manifest as far as it is known before any file is written (everything but the outputs).
func currentRelease(p *protect.Result, tool ToolInfo, dir string) *Release {
	m := newManifest(p, tool, nil)
	return &Release{Dir: dir, Manifest: m, Vocab: p.Vocab, Tables: p.Tables, Sources: ReleaseSources(m)}
}

// WriteText writes the diff for people: the two releases, then per kind with any change its label
// and count and its first limit changes, one a line, with how many more there are (with limit 0,
// the counts alone). A diff without changes says so.
func (d *ReleaseDiff) WriteText(w io.Writer, limit int) error {
	var b strings.Builder
	for _, r := range []struct {
		side string
		id   ReleaseID
	}{{"old", d.Old}, {"new", d.New}} {
		fmt.Fprintf(&b, "%s: %s, dataset %s, config sha256 %s", r.side, r.id.Dir, r.id.Dataset, r.id.ConfigSHA256)
		if r.id.Tool != "" {
			fmt.Fprintf(&b, ", built by %s", r.id.Tool)
		}
		b.WriteString("\n")
	}
	if len(d.Changes) == 0 {
		b.WriteString("no changes\n")
	}
	for _, kind := range ChangeKinds() {
		changes := d.Of(kind)
		if len(changes) == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s: %s\n", kind.Label(), formatCount(int64(len(changes))))
		for i, c := range changes {
			if i == limit {
				if limit > 0 {
					fmt.Fprintf(&b, "  ... and %s more\n", formatCount(int64(len(changes)-limit)))
				}
				break
			}
			fmt.Fprintf(&b, "  %s\n", c)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// DiffLayout is the layout of the machine output of a diff (`exposure diff --format csv|parquet`):
// one row per change, in the diff's order.
var DiffLayout = schemas.Table{File: "diff.parquet", Columns: []schemas.Column{
	{Name: "kind", Type: arrow.BinaryTypes.String, Description: "What changed: period_added, period_removed, table_added, table_removed, cell_revised, cell_newly_suppressed, cell_newly_published, cell_added, cell_removed, flags_changed, rule_changed, relation_added, relation_removed, input_added, input_removed or input_changed."},
	{Name: schemas.ColPeriod, Type: arrow.FixedWidthTypes.Date32, Nullable: true, Description: "The period of the table or cell; null for a rule, relation or input."},
	{Name: schemas.ColMetric, Type: arrow.BinaryTypes.String, Nullable: true, Description: "The metric code of the table or cell, or of a rule's minimum value; null otherwise."},
	{Name: schemas.ColGeo, Type: arrow.BinaryTypes.String, Nullable: true, Description: "The cell's area (M49 or alpha-2 code); null when the change is not about a cell."},
	{Name: schemas.ColOrgType, Type: arrow.BinaryTypes.String, Nullable: true, Description: "The cell's organization-type code, or all; null when the change is not about a cell."},
	{Name: "old_value", Type: arrow.PrimitiveTypes.Int64, Nullable: true, Description: "The cell's published value in the old release; null when suppressed there, absent, or not about a cell."},
	{Name: "new_value", Type: arrow.PrimitiveTypes.Int64, Nullable: true, Description: "The cell's published value in the new release; null when suppressed there, absent, or not about a cell."},
	{Name: "detail", Type: arrow.BinaryTypes.String, Nullable: true, Description: "What changed when the values do not say it: the flags (obs_status A -> B (source)), the rule (min_contributors 3 -> 4), the relation, the input; suppressed for a cell added or removed without a published value; null otherwise."},
}}

// WriteCSV writes the diff as CSV with a header row, the columns of DiffLayout, one row per change;
// a null is an empty field and a period is YYYY-MM-DD.
func (d *ReleaseDiff) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(DiffLayout.Names()); err != nil {
		return err
	}
	for _, c := range d.Changes {
		row := []string{c.Kind.String(), "", c.Metric, c.Geo, c.Org, "", "", c.Detail}
		if c.Period.Valid {
			row[1] = c.Period.V.String()
		}
		if c.Old.Valid {
			row[5] = fmt.Sprint(c.Old.V)
		}
		if c.New.Valid {
			row[6] = fmt.Sprint(c.New.V)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteParquet writes the diff as a Parquet file of DiffLayout, one row per change, with the
// settings of the report's own files: the same changes always give the same bytes.
func (d *ReleaseDiff) WriteParquet(w io.Writer) error {
	schema := DiffLayout.ArrowSchema()
	rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer rb.Release()
	kind, ok0 := rb.Field(0).(*array.StringBuilder)
	period, ok1 := rb.Field(1).(*array.Date32Builder)
	metric, ok2 := rb.Field(2).(*array.StringBuilder)
	geo, ok3 := rb.Field(3).(*array.StringBuilder)
	org, ok4 := rb.Field(4).(*array.StringBuilder)
	oldValue, ok5 := rb.Field(5).(*array.Int64Builder)
	newValue, ok6 := rb.Field(6).(*array.Int64Builder)
	detail, ok7 := rb.Field(7).(*array.StringBuilder)
	if !(ok0 && ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) {
		return fmt.Errorf("%s: the layout's column types do not match the writer", DiffLayout.File)
	}
	optional := func(b *array.StringBuilder, s string) {
		if s == "" {
			b.AppendNull()
		} else {
			b.Append(s)
		}
	}
	for _, c := range d.Changes {
		kind.Append(c.Kind.String())
		appendDate(period, c.Period)
		optional(metric, c.Metric)
		optional(geo, c.Geo)
		optional(org, c.Org)
		appendInt(oldValue, c.Old)
		appendInt(newValue, c.New)
		optional(detail, c.Detail)
	}
	var buf bytes.Buffer
	fw, err := pqarrow.NewFileWriter(schema, &buf, writerProperties(), pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return fmt.Errorf("starting %s: %w", DiffLayout.File, err)
	}
	rec := rb.NewRecord()
	defer rec.Release()
	if rec.NumRows() > 0 {
		if err := fw.Write(rec); err != nil {
			return fmt.Errorf("writing %s: %w", DiffLayout.File, err)
		}
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("finishing %s: %w", DiffLayout.File, err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}
