package ingest

import (
	"context"
	"fmt"
	"io"
	"math"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/exposure-research/exposure/internal/parquetcheck"
	"github.com/exposure-research/exposure/schemas"
)

// parquetColumn is how one column of a Parquet submission is stored.
type parquetColumn struct {
	col      int  // submission column
	int64    bool // physical INT64 (else INT32) for numbers
	unsigned bool // an unsigned integer logical type: the bits are read as unsigned
}

// The range of dates that can be written as YYYY-MM-DD: 0001-01-01 to 9999-12-31.
const (
	minDate schemas.Date = -719162
	maxDate schemas.Date = 2932896
)

// readParquet reads a Parquet submission (SPEC 3.1): a flat schema of the submission's columns, by
// name in any order; period a DATE (INT32 with the DATE logical type); the codes strings
// (BYTE_ARRAY, plain or STRING/ENUM); the numbers integers (INT32 or INT64, signed or unsigned, an
// unsigned INT64 above the int64 range being an overflow). Nested, repeated and extra columns are
// refused. A column may be optional in the schema, but a null in a required column is an empty
// field. Problems are placed as file:row N:column. It returns only the context's error.
func (ir *inputReader) readParquet(ctx context.Context, r io.ReaderAt, size int64) (err error) {
	defer func() {
		// parquet-go may panic on a corrupt file; a file that a user hands in must give an error.
		if p := recover(); p != nil {
			ir.fileErr(0, fail(ErrFormat, "malformed Parquet file: %v", p))
			err = nil
		}
	}()
	if msg := parquetcheck.Frame(r, size); msg != "" {
		ir.fileErr(0, fail(ErrFormat, "not a Parquet file: %s", msg))
		return nil
	}
	f, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		ir.fileErr(0, fail(ErrFormat, "malformed Parquet file: %v", err))
		return nil
	}
	columns, ok := ir.parquetSchema(f.Metadata().Schema)
	if !ok {
		return nil
	}
	if msg := parquetcheck.Pages(r, size, f.Metadata()); msg != "" {
		ir.fileErr(0, fail(ErrFormat, "malformed Parquet file: %s", msg))
		return nil
	}
	if n := f.NumRows(); n > ir.maxRows {
		ir.fileErr(0, fail(ErrTooManyLines, "the file has %d rows, more than %d (limits.max_rows_per_file; raise it in dataset.yaml, with --max-rows-per-file or --set limits.max_rows_per_file=N)", n, ir.maxRows))
		return nil
	}
	var row int64
	locate := func(int) int64 { return row }
	buf := make([]parquet.Row, 256)
	for _, rg := range f.RowGroups() {
		rows := rg.Rows()
		for {
			n, rerr := rows.ReadRows(buf)
			for _, values := range buf[:n] {
				row++
				ir.rows++
				if ir.tooManyRows(row) {
					rows.Close()
					return nil
				}
				if cell, ok := ir.parquetRow(values, columns, row); ok {
					ir.accept(&cell, makePlace(ir.index, row), locate)
				}
			}
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				rows.Close()
				ir.errs.add(&Error{File: ir.file, Row: row + 1, Err: fail(ErrFormat, "malformed Parquet data: %v", rerr)})
				return nil
			}
			if err := ctx.Err(); err != nil {
				rows.Close()
				return err
			}
		}
		if err := rows.Close(); err != nil {
			ir.fileErr(0, fail(ErrFormat, "malformed Parquet data: %v", err))
			return nil
		}
	}
	return nil
}

// parquetSchema checks the file's schema and maps its leaf columns to submission columns.
func (ir *inputReader) parquetSchema(elements []format.SchemaElement) ([]parquetColumn, bool) {
	report := func(name string, err error) { ir.errs.add(&Error{File: ir.file, Field: name, Err: err}) }
	if len(elements) == 0 {
		ir.fileErr(0, fail(ErrFormat, "malformed Parquet file: no schema"))
		return nil, false
	}
	if n, _ := elements[0].NumChildren.Get(); int(n) != len(elements)-1 {
		ir.fileErr(0, fail(ErrColumnType, "nested columns are not allowed: a submission is a flat table"))
		return nil, false
	}
	ok := true
	columns := make([]parquetColumn, 0, len(elements)-1)
	for i, el := range elements[1:] {
		name := el.Name
		if n, _ := el.NumChildren.Get(); n > 0 || !el.Type.Valid {
			report(name, fail(ErrColumnType, "nested columns are not allowed: a submission is a flat table"))
			ok = false
			continue
		}
		if !ir.headerColumn(i, name, func(err error) { report(name, err) }) {
			ok = false
			continue
		}
		if rep, _ := el.RepetitionType.Get(); rep == format.Repeated {
			report(name, fail(ErrColumnType, "repeated (list) columns are not allowed: one value per row"))
			ok = false
			continue
		}
		pc := parquetColumn{col: columnIndex(name)}
		if err := checkParquetType(&pc, el); err != nil {
			report(name, err)
			ok = false
		}
		columns = append(columns, pc)
	}
	ok = ir.missingColumns(func(err error) { ir.fileErr(0, err) }) && ok
	return columns, ok
}

// checkParquetType checks that a column is stored with a type its values can be read from exactly.
func checkParquetType(pc *parquetColumn, el format.SchemaElement) error {
	physical := el.Type.V
	logical := el.LogicalType.Value
	converted, hasConverted := el.ConvertedType.Get()
	switch pc.col {
	case colPeriod:
		_, isDate := logical.(*format.DateType)
		if physical == format.Int32 && (isDate || (logical == nil && hasConverted && converted == deprecated.Date)) {
			return nil
		}
		return fail(ErrColumnType, "period must be a DATE (INT32 with the DATE logical type), got %s", typeName(el))
	case colCountry, colOrgType, colMetric:
		if physical != format.ByteArray {
			return fail(ErrColumnType, "%s must be a string (BYTE_ARRAY), got %s", columnNames[pc.col], typeName(el))
		}
		switch logical.(type) {
		case nil:
			if !hasConverted || converted == deprecated.UTF8 || converted == deprecated.Enum {
				return nil
			}
		case *format.StringType, *format.EnumType:
			return nil
		}
		return fail(ErrColumnType, "%s must be a string (BYTE_ARRAY, STRING), got %s", columnNames[pc.col], typeName(el))
	default:
		if physical != format.Int32 && physical != format.Int64 {
			return fail(ErrColumnType, "%s must be an integer (INT32 or INT64), got %s", columnNames[pc.col], typeName(el))
		}
		pc.int64 = physical == format.Int64
		switch lt := logical.(type) {
		case nil:
			if !hasConverted {
				return nil
			}
			switch converted {
			case deprecated.Int8, deprecated.Int16, deprecated.Int32, deprecated.Int64:
				return nil
			case deprecated.Uint8, deprecated.Uint16, deprecated.Uint32, deprecated.Uint64:
				pc.unsigned = true
				return nil
			}
		case *format.IntType:
			pc.unsigned = !lt.IsSigned
			return nil
		}
		return fail(ErrColumnType, "%s must be a plain integer (INT32 or INT64), got %s", columnNames[pc.col], typeName(el))
	}
}

// typeName writes a column's Parquet type for messages, e.g. "INT64 (TIMESTAMP(...))".
func typeName(el format.SchemaElement) string {
	s := el.Type.V.String()
	if el.LogicalType.Value != nil {
		s += " (" + el.LogicalType.Value.String() + ")"
	} else if c, ok := el.ConvertedType.Get(); ok {
		s += fmt.Sprintf(" (converted type %d)", c)
	}
	return s
}

// parquetRow reads one row's values, reporting each that is not valid.
func (ir *inputReader) parquetRow(values parquet.Row, columns []parquetColumn, row int64) (cellRow, bool) {
	cell := cellRow{largest: Unknown, secondLargest: Unknown}
	ok := true
	report := func(col int, err error) {
		ir.fieldErr(col, row, err)
		ok = false
	}
	var seen [colCount]bool
	for _, v := range values {
		i := v.Column()
		if i < 0 || i >= len(columns) {
			ir.errs.add(&Error{File: ir.file, Row: row, Err: fail(ErrFormat, "malformed Parquet data: value of column %d", i)})
			return cell, false
		}
		pc := columns[i]
		seen[pc.col] = true
		if v.IsNull() {
			if pc.col < requiredColumns {
				report(pc.col, fail(ErrEmpty, "null; a value is required"))
			}
			continue
		}
		var err error
		switch pc.col {
		case colPeriod:
			d := schemas.Date(v.Int32())
			if d < minDate || d > maxDate {
				err = fail(ErrDate, "day %d since 1970-01-01 is outside the years 0001 to 9999", int32(d))
			}
			cell.period = d
		case colCountry, colOrgType, colMetric:
			s := string(v.ByteArray())
			if err = checkText(s); err != nil {
				break
			}
			switch pc.col {
			case colCountry:
				cell.geo, err = ir.rules.country(s)
			case colOrgType:
				cell.org, err = ir.rules.org(s)
			default:
				cell.metric, err = ir.rules.metric(s)
			}
		default:
			var n int64
			n, err = parquetCount(v, pc)
			switch pc.col {
			case colValue:
				cell.value = n
			case colContributors:
				cell.contributors = n
			case colLargest:
				cell.largest = n
			case colSecondLargest:
				cell.secondLargest = n
			}
		}
		if err != nil {
			report(pc.col, err)
		}
	}
	for col := 0; col < requiredColumns; col++ {
		if !seen[col] {
			report(col, fail(ErrEmpty, "no value; a value is required"))
		}
	}
	return cell, ok
}

// parquetCount reads an integer value as a count: not negative, within int64.
func parquetCount(v parquet.Value, pc parquetColumn) (int64, error) {
	var n int64
	switch {
	case pc.int64 && pc.unsigned:
		u := v.Uint64()
		if u > math.MaxInt64 {
			return 0, fail(ErrOverflow, "%d is larger than the largest 64-bit integer", u)
		}
		n = int64(u)
	case pc.int64:
		n = v.Int64()
	case pc.unsigned:
		n = int64(v.Uint32())
	default:
		n = int64(v.Int32())
	}
	if n < 0 {
		return 0, fail(ErrNegative, "%d is negative", n)
	}
	return n, nil
}
