package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"

	"github.com/exposure-research/exposure/schemas"
)

// inputReader reads the rows of one submission into the builder, reporting each problem with the
// place it was found. It is shared by the CSV and the Parquet reader; only how a place is named
// differs (a line and column, or a row and column name).
type inputReader struct {
	file    string // relative path, for messages
	index   int    // position of the input in dataset.yaml
	parquet bool
	rules   *rowRules
	errs    *collector
	b       *builder
	fileCol [colCount]int // 0-based column of each submission column in the file; -1 when absent
	rows    int64         // data rows read
	maxRows int64         // data rows the file may have (limits.max_rows_per_file)
	scratch []fieldError
	// lastPeriod caches the last date read: rows of one period come together, and parsing a date
	// is the dearest part of a row.
	lastPeriodText string
	lastPeriod     schemas.Date
	// misspelt marks columns that an unknown column name resembles, so that the header's error
	// says "did you mean" once instead of adding "missing column" as well.
	misspelt [colCount]bool
}

func newInputReader(file string, index int, parquet bool, rules *rowRules, errs *collector, b *builder) *inputReader {
	ir := &inputReader{file: file, index: index, parquet: parquet, rules: rules, errs: errs, b: b, maxRows: maxPlace}
	for i := range ir.fileCol {
		ir.fileCol[i] = -1
	}
	return ir
}

// fieldErr reports a problem with submission column col at a line (CSV) or row (Parquet).
func (ir *inputReader) fieldErr(col int, at int64, err error) {
	if ir.parquet {
		ir.errs.add(&Error{File: ir.file, Row: at, Field: columnNames[col], Err: err})
		return
	}
	ir.errs.add(&Error{File: ir.file, Line: int(at), Column: ir.fileCol[col] + 1, Field: columnNames[col], Err: err})
}

// fileErr reports a problem with the whole file or its header.
func (ir *inputReader) fileErr(line int, err error) {
	ir.errs.add(&Error{File: ir.file, Line: line, Err: err})
}

// headerColumn records that the file's column at (0-based) has the given name, refusing names that
// are not submission columns and names given twice. report places a message at that column.
func (ir *inputReader) headerColumn(at int, name string, report func(error)) bool {
	if err := checkText(name); err != nil {
		report(err)
		return false
	}
	col := columnIndex(name)
	if col < 0 {
		if like := columnIndex(normalColumn(name)); like >= 0 {
			ir.misspelt[like] = true
		}
		report(fail(ErrUnknownColumn, "%s", unknownColumnMessage(name)))
		return false
	}
	if prev := ir.fileCol[col]; prev >= 0 {
		report(fail(ErrDupColumn, "column %s appears twice (columns %d and %d)", quote(name), prev+1, at+1))
		return false
	}
	ir.fileCol[col] = at
	return true
}

// missingColumns reports each required column the header lacks.
func (ir *inputReader) missingColumns(report func(error)) bool {
	ok := true
	for col := 0; col < requiredColumns; col++ {
		if ir.fileCol[col] < 0 && !ir.misspelt[col] {
			report(fail(ErrMissingColumn, "missing column %s", quote(columnNames[col])))
			ok = false
		}
	}
	return ok
}

// accept checks a row whose fields were read without error against the rules and adds it to the
// dataset; locate gives the line (CSV) or row (Parquet) of a submission column.
func (ir *inputReader) accept(row *cellRow, at place, locate func(col int) int64) {
	errs := ir.rules.check(row, ir.scratch[:0])
	for _, fe := range errs {
		ir.fieldErr(fe.col, locate(fe.col), fe.err)
	}
	ir.scratch = errs
	if len(errs) > 0 {
		return
	}
	if ok, first := ir.b.add(row, at); !ok && first {
		err := fail(ErrTooManyCells, "the table (%s, %s) has more than %d leaf cells (limits.max_cells_per_table; raise it in dataset.yaml, with --max-cells-per-table or --set limits.max_cells_per_table=N)",
			row.period, ir.rules.vocab.Metric(row.metric).Code, ir.b.maxCells)
		if ir.parquet {
			ir.errs.add(&Error{File: ir.file, Row: at.at(), Err: err})
		} else {
			ir.errs.add(&Error{File: ir.file, Line: int(at.at()), Err: err})
		}
	}
}

// tooManyRows reports, once the file has more data rows than maxRows, that the rest is not read;
// at is the line (CSV) or row (Parquet) of the first row beyond the limit.
func (ir *inputReader) tooManyRows(at int64) bool {
	if ir.rows <= ir.maxRows {
		return false
	}
	err := fail(ErrTooManyLines, "more than %d data rows (limits.max_rows_per_file; raise it in dataset.yaml, with --max-rows-per-file or --set limits.max_rows_per_file=N); the rest of the file was not read", ir.maxRows)
	if ir.parquet {
		ir.errs.add(&Error{File: ir.file, Row: at, Err: err})
	} else {
		ir.errs.add(&Error{File: ir.file, Line: int(at), Err: err})
	}
	return true
}

// MaxRecordBytes is the longest CSV record (one row, with the line end) that a submission may have:
// 1 MiB. A real row is well under 200 bytes; a longer one is a broken file (a quote that is never
// closed) or a hostile one, and encoding/csv would otherwise hold all of it in memory.
const MaxRecordBytes = 1 << 20

// recordTooLong is the error of a recordLimiter: the record starting at line is too long.
type recordTooLong struct{ line int64 }

func (e *recordTooLong) Error() string {
	return fmt.Sprintf("line %d: record longer than %d bytes", e.line, MaxRecordBytes)
}

// recordLimiter passes a CSV file through while it tracks, by the parity of quotes as RFC 4180
// writes them, where each record starts, and fails with recordTooLong when one record exceeds
// MaxRecordBytes. It sits below the CSV reader's buffer, so the CSV reader reports any syntax error
// before the point where the limiter stops.
type recordLimiter struct {
	r        io.Reader
	line     int64 // 1-based line of the byte read next
	start    int64 // line on which the current record started
	size     int   // bytes of the current record so far
	inQuotes bool
	err      error
}

func newRecordLimiter(r io.Reader) *recordLimiter { return &recordLimiter{r: r, line: 1, start: 1} }

func (l *recordLimiter) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	for i, c := range p[:n] {
		l.size++
		switch c {
		case '"':
			l.inQuotes = !l.inQuotes
		case '\n':
			l.line++
			if !l.inQuotes {
				l.start, l.size = l.line, 0
			}
		}
		if l.size > MaxRecordBytes {
			l.err = &recordTooLong{line: l.start}
			return i, l.err
		}
	}
	return n, err
}

// utf8BOM is the byte order mark that some spreadsheet programs write at the start of a UTF-8 file.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// readCSV reads a CSV submission (SPEC 3.1): UTF-8 with an optional BOM, LF or CRLF line ends,
// RFC 4180 quoting, a header row naming the columns in any order, then one row per cell. Every
// problem of every row is reported; a syntax error (a stray quote) ends the file, since what
// follows it cannot be placed reliably. It returns only the context's error.
func (ir *inputReader) readCSV(ctx context.Context, r io.Reader) error {
	br := bufio.NewReaderSize(newRecordLimiter(r), 256<<10)
	if head, err := br.Peek(len(utf8BOM)); err == nil && bytes.Equal(head, utf8BOM) {
		br.Discard(len(utf8BOM))
	}
	if head, _ := br.Peek(4); string(head) == "PAR1" {
		ir.fileErr(1, fail(ErrFormat, "this is a Parquet file, not CSV: name it .parquet in dataset.yaml (and sign it under that name)"))
		return nil
	}
	if head, _ := br.Peek(2); bytes.Equal(head, []byte{0xFF, 0xFE}) || bytes.Equal(head, []byte{0xFE, 0xFF}) {
		// Spreadsheet programs save "Unicode text" as UTF-16; read as UTF-8 every field would be
		// an error of its own, and the one cause is better said once.
		ir.fileErr(1, fail(ErrEncoding, "the file is UTF-16 (it starts with the byte order mark % X); a submission is UTF-8: save it as \"CSV UTF-8\"", head))
		return nil
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		ir.fileErr(0, fail(ErrFormat, "empty file: a submission starts with a header row naming its columns"))
		return nil
	}
	if err != nil {
		ir.csvError(err)
		return nil
	}
	ok := true
	for i, name := range header {
		ok = ir.headerColumn(i, name, func(err error) {
			ir.errs.add(&Error{File: ir.file, Line: 1, Column: i + 1, Err: err})
		}) && ok
	}
	ok = ir.missingColumns(func(err error) { ir.fileErr(1, err) }) && ok
	if !ok {
		return nil
	}
	var rec []string
	locate := func(col int) int64 {
		line, _ := cr.FieldPos(ir.fileCol[col])
		return int64(line)
	}
	for {
		rec, err = cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				ir.rows++
				if ir.tooManyRows(int64(pe.StartLine)) {
					return nil
				}
				ir.errs.add(&Error{File: ir.file, Line: pe.StartLine, Err: fail(ErrFormat,
					"%d fields, but the header has %d", len(rec), len(header))})
				continue
			}
			ir.csvError(err)
			return nil
		}
		ir.rows++
		if ir.rows&0x1fff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line, _ := cr.FieldPos(0)
		if line > maxPlace {
			ir.fileErr(0, fail(ErrTooManyLines, "more than %d lines", int64(maxPlace)))
			return nil
		}
		if ir.tooManyRows(int64(line)) {
			return nil
		}
		row, ok := ir.csvRow(rec, locate)
		if ok {
			ir.accept(&row, makePlace(ir.index, int64(line)), locate)
		}
	}
}

// csvRow reads the fields of one record, reporting each that is not valid.
func (ir *inputReader) csvRow(rec []string, locate func(int) int64) (cellRow, bool) {
	row := cellRow{largest: Unknown, secondLargest: Unknown}
	ok := true
	report := func(col int, err error) {
		ir.fieldErr(col, locate(col), err)
		ok = false
	}
	for col := 0; col < colCount; col++ {
		at := ir.fileCol[col]
		if at < 0 {
			continue
		}
		field := rec[at]
		if err := checkText(field); err != nil {
			report(col, err)
			continue
		}
		var err error
		switch col {
		case colPeriod:
			if field != ir.lastPeriodText || field == "" {
				var d schemas.Date
				if d, err = parsePeriod(field); err == nil {
					ir.lastPeriodText, ir.lastPeriod = field, d
				}
			}
			row.period = ir.lastPeriod
		case colCountry:
			row.geo, err = ir.rules.country(field)
		case colOrgType:
			row.org, err = ir.rules.org(field)
		case colMetric:
			row.metric, err = ir.rules.metric(field)
		case colValue:
			row.value, err = parseCount(field)
		case colContributors:
			row.contributors, err = parseCount(field)
		case colLargest:
			if field != "" {
				row.largest, err = parseCount(field)
			}
		case colSecondLargest:
			if field != "" {
				row.secondLargest, err = parseCount(field)
			}
		}
		if err != nil {
			report(col, err)
		}
	}
	return row, ok
}

// csvError reports an error of encoding/csv at the line and byte column it gives.
func (ir *inputReader) csvError(err error) {
	var long *recordTooLong
	if errors.As(err, &long) {
		ir.errs.add(&Error{File: ir.file, Line: int(long.line), Err: fail(ErrLineTooLong,
			"a record longer than %d bytes starts on this line (a quoted field that is never closed, or not a submission at all); the rest of the file was not read", MaxRecordBytes)})
		return
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		hint := ""
		if errors.Is(pe.Err, csv.ErrBareQuote) || errors.Is(pe.Err, csv.ErrQuote) {
			hint = " (RFC 4180: put a field with quotes in quotes and double each quote inside it)"
		}
		ir.errs.add(&Error{File: ir.file, Line: pe.Line, Column: pe.Column, Err: fail(ErrFormat, "malformed CSV: %v%s", pe.Err, hint)})
		return
	}
	ir.fileErr(0, &ruleError{kind: ErrIO, msg: "reading: " + err.Error()})
}
