package publish

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/exposure-research/exposure/internal/parquetcheck"
	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/schemas"
)

// maxFormatErrors is how many malformed rows ReadCells reports before it stops reading.
const maxFormatErrors = 20

// FormatError is a malformed value in a published Parquet file: the file, the 1-based data row
// (0 when the problem is the file's layout) and the column. It prints as
// `file: row 12, column status: message` and works with errors.As.
type FormatError struct {
	File   string
	Row    int64
	Column string
	Msg    string
}

// Error implements error.
func (e *FormatError) Error() string {
	switch {
	case e.Row > 0 && e.Column != "":
		return fmt.Sprintf("%s: row %d, column %s: %s", e.File, e.Row, e.Column, e.Msg)
	case e.Row > 0:
		return fmt.Sprintf("%s: row %d: %s", e.File, e.Row, e.Msg)
	case e.Column != "":
		return fmt.Sprintf("%s: column %s: %s", e.File, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// ReadCells reads the cells.parquet of a report folder back into protected tables, the way an
// outsider's audit sees them: published cells with their values, suppressed cells with none. The
// vocabulary is the default one plus the metrics the folder's manifest.json adds (a folder without a
// manifest is read with the default vocabulary). It is written against parquet-go, not the Arrow
// library that wrote the file, so that it checks the file rather than the writer's own assumptions.
//
// Every row is checked: codes must be in the vocabulary, geo_level must be the area's level, status
// must be published (with a non-negative value) or suppressed (with a null value), and no cell may
// appear twice. Malformed rows are reported together (up to a limit), each as a *FormatError.
func ReadCells(dir string) (*schemas.Vocabulary, []*protect.Table, error) {
	vocab, err := schemas.Default()
	if err != nil {
		return nil, nil, err
	}
	m, err := ReadManifest(dir)
	switch {
	case err == nil:
		var extra []schemas.Metric
		for _, mi := range m.Dataset.Metrics {
			if _, ok := vocab.MetricByCode(mi.Code); !ok {
				extra = append(extra, schemas.Metric{Code: mi.Code, Description: mi.Description, Unit: mi.Unit})
			}
		}
		if vocab, err = vocab.WithMetrics(extra); err != nil {
			return nil, nil, fmt.Errorf("%s: dataset.metrics: %w", filepath.Join(dir, ManifestFile), err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return nil, nil, err
	}
	path := filepath.Join(dir, schemas.Cells.File)
	tables, err := readCellsFile(path, vocab, sourceIndex(m))
	if err != nil {
		return nil, nil, err
	}
	return vocab, tables, nil
}

// ReleaseSources returns the ids of the sources of a report's inputs, sorted and distinct: bit i of
// a cell's Sources, as ReadCells reads them, stands for the i-th.
func ReleaseSources(m *Manifest) []string {
	var ids []string
	if m != nil {
		for _, in := range m.Inputs {
			ids = append(ids, in.Source)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// sourceIndex maps each source id of ReleaseSources to its bit; nil without a manifest.
func sourceIndex(m *Manifest) map[string]int {
	if m == nil {
		return nil
	}
	idx := map[string]int{}
	for i, id := range ReleaseSources(m) {
		idx[id] = i
	}
	return idx
}

// cellColumns are the leaf column indexes of the columns ReadCells needs.
type cellColumns struct {
	period, metric, level, geo, org, value, status int
	obsStatus, breakReason                         int // -1 in a report from before the flags
	source                                         int // -1 in a report from before the column
}

// lookupCellColumns finds the columns by name and checks their physical and logical types and
// whether they may be null, so that a file of another layout is refused before any row is read.
func lookupCellColumns(file string, schema *parquet.Schema) (cellColumns, error) {
	find := func(name string, kind parquet.Kind, optional bool) (int, error) {
		leaf, ok := schema.Lookup(name)
		if !ok {
			return 0, &FormatError{File: file, Column: name, Msg: "no such column"}
		}
		if leaf.Node.Type().Kind() != kind {
			return 0, &FormatError{File: file, Column: name, Msg: fmt.Sprintf("physical type %s, want %s", leaf.Node.Type().Kind(), kind)}
		}
		if leaf.Node.Repeated() || leaf.Node.Optional() && !optional {
			return 0, &FormatError{File: file, Column: name, Msg: "repetition does not match the published layout"}
		}
		return leaf.ColumnIndex, nil
	}
	var c cellColumns
	var errs []error
	for _, col := range []struct {
		name     string
		kind     parquet.Kind
		optional bool
		index    *int
	}{
		{schemas.ColPeriod, parquet.Int32, false, &c.period},
		{schemas.ColMetric, parquet.ByteArray, false, &c.metric},
		{schemas.ColGeoLevel, parquet.ByteArray, false, &c.level},
		{schemas.ColGeo, parquet.ByteArray, false, &c.geo},
		{schemas.ColOrgType, parquet.ByteArray, false, &c.org},
		{schemas.ColValue, parquet.Int64, true, &c.value},
		{schemas.ColStatus, parquet.ByteArray, false, &c.status},
	} {
		idx, err := find(col.name, col.kind, col.optional)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		*col.index = idx
	}
	c.obsStatus, c.breakReason, c.source = -1, -1, -1
	if _, ok := schema.Lookup(schemas.ColSource); ok {
		idx, err := find(schemas.ColSource, parquet.ByteArray, false)
		if err != nil {
			errs = append(errs, err)
		}
		c.source = idx
	}
	if _, ok := schema.Lookup(schemas.ColObsStatus); ok {
		idx, err := find(schemas.ColObsStatus, parquet.ByteArray, false)
		if err != nil {
			errs = append(errs, err)
		}
		c.obsStatus = idx
		if idx, err = find(schemas.ColBreakReason, parquet.ByteArray, true); err != nil {
			errs = append(errs, err)
		}
		c.breakReason = idx
	}
	if len(errs) > 0 {
		return c, errors.Join(errs...)
	}
	if leaf, _ := schema.Lookup(schemas.ColPeriod); !isDate(leaf.Node.Type().LogicalType()) {
		return c, &FormatError{File: file, Column: schemas.ColPeriod, Msg: "not a DATE column"}
	}
	return c, nil
}

func isDate(t *format.LogicalType) bool {
	if t == nil {
		return false
	}
	_, ok := t.Value.(*format.DateType)
	return ok
}

type tableKey struct {
	period schemas.Date
	metric schemas.MetricID
}

// tableBuild collects the cells of one table as they are read; sorted stays true while they arrive
// in the published order, which lets a repeated cell be found without a second pass.
type tableBuild struct {
	table  *protect.Table
	sorted bool
}

func readCellsFile(path string, vocab *schemas.Vocabulary, sources map[string]int) ([]*protect.Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading cells: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading cells: %w", err)
	}
	return readCellsFrom(f, info.Size(), path, vocab, sources)
}

// readCellsFrom reads the cells file of size bytes in r; path names it in messages. sources maps
// the source ids a cell may name to their bits in Cell.Sources (nil: the column is not read).
func readCellsFrom(r io.ReaderAt, size int64, path string, vocab *schemas.Vocabulary, sources map[string]int) (result []*protect.Table, err error) {
	defer func() {
		// parquet-go may panic on a corrupt file; a report folder that anyone may hand over to be
		// audited must give an error.
		if p := recover(); p != nil {
			result, err = nil, &FormatError{File: path, Msg: fmt.Sprintf("malformed Parquet file: %v", p)}
		}
	}()
	if msg := parquetcheck.Frame(r, size); msg != "" {
		return nil, &FormatError{File: path, Msg: "not a Parquet file: " + msg}
	}
	pf, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, &FormatError{File: path, Msg: err.Error()}
	}
	if msg := parquetcheck.Pages(r, size, pf.Metadata()); msg != "" {
		return nil, &FormatError{File: path, Msg: "malformed Parquet file: " + msg}
	}
	cols, err := lookupCellColumns(path, pf.Schema())
	if err != nil {
		return nil, err
	}
	tables := map[tableKey]*tableBuild{}
	var errs []error
	fail := func(row int64, column, format string, args ...any) {
		errs = append(errs, &FormatError{File: path, Row: row, Column: column, Msg: fmt.Sprintf(format, args...)})
	}
	var rowNum int64
	buf := make([]parquet.Row, 1024)
	for _, rg := range pf.RowGroups() {
		rows := rg.Rows()
		for len(errs) < maxFormatErrors {
			n, err := rows.ReadRows(buf)
			for _, row := range buf[:n] {
				rowNum++
				key, cell, ok := parseCellRow(row, cols, vocab, sources, func(column, format string, args ...any) {
					fail(rowNum, column, format, args...)
				})
				if !ok {
					continue
				}
				tb := tables[key]
				if tb == nil {
					tb = &tableBuild{table: &protect.Table{Period: key.period, Metric: key.metric}, sorted: true}
					tables[key] = tb
				}
				if n := len(tb.table.Cells); n > 0 && tb.sorted {
					switch cmpCell(tb.table.Cells[n-1], cell) {
					case 0:
						fail(rowNum, "", "the cell %s %s of %s %s appears twice", vocab.Geo.Node(cell.Geo).Code, vocab.Org(cell.Org).Code, key.period, vocab.Metric(key.metric).Code)
						continue
					case 1:
						tb.sorted = false
					}
				}
				tb.table.Cells = append(tb.table.Cells, cell)
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				rows.Close()
				return nil, &FormatError{File: path, Row: rowNum + 1, Msg: err.Error()}
			}
		}
		if err := rows.Close(); err != nil {
			return nil, &FormatError{File: path, Msg: err.Error()}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	keys := make([]tableKey, 0, len(tables))
	for k := range tables {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b tableKey) int {
		return cmp.Or(cmp.Compare(a.period, b.period), cmp.Compare(a.metric, b.metric))
	})
	out := make([]*protect.Table, 0, len(keys))
	for _, k := range keys {
		tb := tables[k]
		if !tb.sorted {
			slices.SortStableFunc(tb.table.Cells, cmpCell)
			for i := 1; i < len(tb.table.Cells); i++ {
				if c := tb.table.Cells[i]; cmpCell(tb.table.Cells[i-1], c) == 0 {
					errs = append(errs, &FormatError{File: path, Msg: fmt.Sprintf("the cell %s %s of %s %s appears twice",
						vocab.Geo.Node(c.Geo).Code, vocab.Org(c.Org).Code, k.period, vocab.Metric(k.metric).Code)})
					break
				}
			}
		}
		out = append(out, tb.table)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func cmpCell(a, b protect.Cell) int {
	return cmp.Or(cmp.Compare(a.Geo, b.Geo), cmp.Compare(a.Org, b.Org))
}

// parseCellRow turns one row into a cell of a table, reporting every malformed value of the row.
func parseCellRow(row parquet.Row, cols cellColumns, vocab *schemas.Vocabulary, sources map[string]int, fail func(column, format string, args ...any)) (tableKey, protect.Cell, bool) {
	var values [7]parquet.Value
	var present [7]bool
	slots := map[int]int{cols.period: 0, cols.metric: 1, cols.level: 2, cols.geo: 3, cols.org: 4, cols.value: 5, cols.status: 6}
	var obs, reason, source parquet.Value
	for _, v := range row {
		if slot, ok := slots[v.Column()]; ok {
			values[slot], present[slot] = v, true
		}
		if cols.source >= 0 && v.Column() == cols.source {
			source = v
		}
		if cols.obsStatus >= 0 {
			switch v.Column() {
			case cols.obsStatus:
				obs = v
			case cols.breakReason:
				reason = v
			}
		}
	}
	names := [7]string{schemas.ColPeriod, schemas.ColMetric, schemas.ColGeoLevel, schemas.ColGeo, schemas.ColOrgType, schemas.ColValue, schemas.ColStatus}
	ok := true
	for i := range values {
		if !present[i] || values[i].IsNull() && i != 5 {
			fail(names[i], "missing value")
			ok = false
		}
	}
	if !ok {
		return tableKey{}, protect.Cell{}, false
	}
	key := tableKey{period: schemas.Date(values[0].Int32())}
	metric, found := vocab.MetricByCode(string(values[1].ByteArray()))
	if !found {
		fail(schemas.ColMetric, "unknown metric %q", values[1].ByteArray())
		ok = false
	}
	key.metric = metric
	geoCode := string(values[3].ByteArray())
	geo, found := vocab.Geo.ByCode(geoCode)
	if !found {
		fail(schemas.ColGeo, "unknown area %q", geoCode)
		ok = false
	} else if level := string(values[2].ByteArray()); level != vocab.Geo.Node(geo).Level.String() {
		fail(schemas.ColGeoLevel, "%q, but %s is a %s", level, geoCode, vocab.Geo.Node(geo).Level)
		ok = false
	}
	org, found := vocab.OrgByCode(string(values[4].ByteArray()))
	if !found {
		fail(schemas.ColOrgType, "unknown organization type %q", values[4].ByteArray())
		ok = false
	}
	var cell protect.Cell
	switch status := string(values[6].ByteArray()); status {
	case schemas.StatusPublished:
		switch {
		case values[5].IsNull():
			fail(schemas.ColValue, "null, but the status is %s", schemas.StatusPublished)
			ok = false
		case values[5].Int64() < 0:
			fail(schemas.ColValue, "negative count %d", values[5].Int64())
			ok = false
		default:
			cell = protect.PublishedCell(geo, org, values[5].Int64())
		}
	case schemas.StatusSuppressed:
		if !values[5].IsNull() {
			fail(schemas.ColValue, "%d, but the status is %s and a suppressed cell has no value", values[5].Int64(), schemas.StatusSuppressed)
			ok = false
		}
		cell = protect.SuppressedCell(geo, org)
	default:
		fail(schemas.ColStatus, "%q is neither %s nor %s", status, schemas.StatusPublished, schemas.StatusSuppressed)
		ok = false
	}
	var set protect.SourceSet
	if cols.source >= 0 && sources != nil {
		// The sources say which leaves an input that changed between releases can have changed.
		for id := range strings.SplitSeq(string(source.ByteArray()), ",") {
			if bit, known := sources[id]; known && bit < 64 {
				set |= 1 << uint(bit)
			} else if id != "" {
				fail(schemas.ColSource, "%q is not the source of an input the manifest lists", id)
				ok = false
			}
		}
	}
	cell = cell.WithFacts(0, set)
	if cols.obsStatus >= 0 {
		// The flags say where the relations between metrics with a previous period are not in
		// force (at breaks), which the audit needs.
		var flags schemas.ObsFlags
		switch code := string(obs.ByteArray()); code {
		case schemas.ObsCodeBreak:
			causes, known := schemas.ParseBreakReason(string(reason.ByteArray()))
			if reason.IsNull() || !known {
				fail(schemas.ColBreakReason, "%q is not a list of break causes (declared, source, coverage)", reason.ByteArray())
				ok = false
			}
			flags = schemas.ObsBreak | causes
		case schemas.ObsCodeEstimated:
			flags = schemas.ObsEstimated
		case schemas.ObsCodeProvisional:
			flags = schemas.ObsProvisional
		case schemas.ObsCodeNormal:
		default:
			fail(schemas.ColObsStatus, "%q is not an SDMX OBS_STATUS code the report uses (A, B, E, P)", code)
			ok = false
		}
		cell = cell.WithFacts(flags, set)
	}
	return key, cell, ok
}
