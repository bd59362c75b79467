package publish

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"

	"github.com/exposure-research/exposure/pipeline/trend"
	"github.com/exposure-research/exposure/schemas"
)

// batchRows is the number of rows built in memory before they are written out as one row group. It
// bounds the memory of the writers whatever the size of the output (a 12-million-row trends file is
// about 90 row groups), and row groups of this size let readers skip and parallelise.
var batchRows = 128 * 1024

// writerProperties are the Parquet settings of every output, chosen so that DuckDB, pyarrow and Spark
// read the files without options and so that the same rows always give the same bytes:
//   - format 2.6 logical types (DATE for periods, STRING for codes);
//   - version 2 data pages: with version 1 pages, Arrow Go v15 re-allocates the definition-level
//     buffer of a nullable column on every literal run (PooledBufferWriter.Reserve with a non-zero
//     offset), which made writing a 470,000-row report allocate 24 GB; version 2 pages avoid it, and
//     every reader named above reads them;
//   - dictionary encoding (falling back to plain for large dictionaries), zstd compression;
//   - a required root (some readers reject the repeated root of the library's default);
//   - created_by fixed by the library release, no timestamps: the file depends only on its rows.
func writerProperties() *parquet.WriterProperties {
	return parquet.NewWriterProperties(
		parquet.WithVersion(parquet.V2_6),
		parquet.WithDataPageVersion(parquet.DataPageV2),
		parquet.WithDictionaryDefault(true),
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithRootRepetition(parquet.Repetitions.Required),
		parquet.WithMaxRowGroupLength(int64(batchRows)),
		parquet.WithStats(true),
	)
}

// tableWriter writes one Parquet output in batches: rows are appended to Arrow builders, and every
// batchRows rows become a record written as one row group. It hashes and counts the bytes as they are
// written, so the manifest needs no second pass over the file.
type tableWriter struct {
	ctx     context.Context
	table   schemas.Table
	path    string
	file    *os.File
	buf     *bufio.Writer
	digest  hash.Hash
	counter *byteCounter
	fw      *pqarrow.FileWriter
	rb      *array.RecordBuilder
	rows    int64
	pending int
}

type byteCounter struct{ n int64 }

func (c *byteCounter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// newTableWriter creates dir/table.File and starts a Parquet file with the table's Arrow schema.
func newTableWriter(ctx context.Context, dir string, table schemas.Table) (*tableWriter, error) {
	path := filepath.Join(dir, table.File)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", table.File, err)
	}
	w := &tableWriter{ctx: ctx, table: table, path: path, file: f, digest: sha256.New(), counter: &byteCounter{}}
	w.buf = bufio.NewWriterSize(io.MultiWriter(f, w.digest, w.counter), 1<<20)
	schema := table.ArrowSchema()
	// The stored Arrow schema lets Arrow-based readers restore exact types; it is serialized
	// deterministically from the schema alone.
	w.fw, err = pqarrow.NewFileWriter(schema, w.buf, writerProperties(), pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s: %w", table.File, err)
	}
	w.rb = array.NewRecordBuilder(memory.DefaultAllocator, schema)
	return w, nil
}

// endRow counts a completed row and writes the batch when it is full.
func (w *tableWriter) endRow() error {
	w.rows++
	w.pending++
	if w.pending >= batchRows {
		return w.flush()
	}
	return nil
}

// flush writes the pending rows as one row group.
func (w *tableWriter) flush() error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	rec := w.rb.NewRecord()
	defer rec.Release()
	w.pending = 0
	if err := w.fw.Write(rec); err != nil {
		return fmt.Errorf("writing %s: %w", w.table.File, err)
	}
	return nil
}

// close writes the last batch and the footer, flushes the file to stable storage and returns its
// manifest entry.
func (w *tableWriter) close() (OutputInfo, error) {
	defer w.rb.Release()
	if w.pending > 0 {
		if err := w.flush(); err != nil {
			w.file.Close()
			return OutputInfo{}, err
		}
	}
	err := w.fw.Close()
	if err == nil {
		err = w.buf.Flush()
	}
	if err == nil {
		err = w.file.Sync()
	}
	if cerr := w.file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return OutputInfo{}, fmt.Errorf("finishing %s: %w", w.table.File, err)
	}
	rows := w.rows
	return OutputInfo{File: w.table.File, SHA256: hex.EncodeToString(w.digest.Sum(nil)), Bytes: w.counter.n, Rows: &rows}, nil
}

// abort closes the file after a failure; the caller removes the whole temporary folder.
func (w *tableWriter) abort() {
	w.rb.Release()
	w.file.Close()
}

// builder returns the builder of the named column, checking that the schema gives it the Go builder
// type the writer fills, so that a change of schemas/columns.go is an error, not a panic.
func builder[B array.Builder](w *tableWriter, name string) (B, error) {
	var zero B
	idx := w.rb.Schema().FieldIndices(name)
	if len(idx) != 1 {
		return zero, fmt.Errorf("%s: the schema has %d columns named %s, want 1", w.table.File, len(idx), name)
	}
	b, ok := w.rb.Field(idx[0]).(B)
	if !ok {
		return zero, fmt.Errorf("%s: column %s has type %s, which this writer does not fill", w.table.File, name, w.rb.Schema().Field(idx[0]).Type)
	}
	return b, nil
}

// columnSet resolves the builders of a table's columns by name and reports the first that is missing
// or of another type.
type columnSet struct {
	w   *tableWriter
	err error
}

func (c *columnSet) date(name string) *array.Date32Builder {
	return resolve[*array.Date32Builder](c, name)
}
func (c *columnSet) str(name string) *array.StringBuilder {
	return resolve[*array.StringBuilder](c, name)
}
func (c *columnSet) i64(name string) *array.Int64Builder {
	return resolve[*array.Int64Builder](c, name)
}
func (c *columnSet) f64(name string) *array.Float64Builder {
	return resolve[*array.Float64Builder](c, name)
}

func resolve[B array.Builder](c *columnSet, name string) B {
	b, err := builder[B](c.w, name)
	if err != nil && c.err == nil {
		c.err = err
	}
	return b
}

// keyColumns are the shared key columns (SPEC 5); a file that lacks one has a nil builder for it.
type keyColumns struct {
	vocab                            *schemas.Vocabulary
	period                           *array.Date32Builder
	metric, level, geo, org, geoName *array.StringBuilder
}

func newKeyColumns(c *columnSet, vocab *schemas.Vocabulary) keyColumns {
	k := keyColumns{vocab: vocab}
	has := map[string]bool{}
	for _, col := range c.w.table.Columns {
		has[col.Name] = true
	}
	if has[schemas.ColPeriod] {
		k.period = c.date(schemas.ColPeriod)
	}
	k.metric = c.str(schemas.ColMetric)
	k.level = c.str(schemas.ColGeoLevel)
	if has[schemas.ColGeo] {
		k.geo = c.str(schemas.ColGeo)
	}
	k.org = c.str(schemas.ColOrgType)
	if has[schemas.ColGeoName] {
		k.geoName = c.str(schemas.ColGeoName)
	}
	return k
}

// appendKey appends the key of one row. geo is used for its level, code and name where the file has
// them; a summary row passes its level and no area.
func (k keyColumns) appendKey(period schemas.Date, metric schemas.MetricID, level schemas.GeoLevel, geo schemas.GeoID, org schemas.OrgID) {
	if k.period != nil {
		k.period.Append(dateOf(period))
	}
	k.metric.Append(k.vocab.Metric(metric).Code)
	k.level.Append(level.String())
	if k.geo != nil {
		k.geo.Append(k.vocab.Geo.Node(geo).Code)
	}
	k.org.Append(k.vocab.Org(org).Code)
	if k.geoName != nil {
		k.geoName.Append(k.vocab.Geo.Node(geo).Name)
	}
}

func appendInt(b *array.Int64Builder, v trend.Null[int64]) {
	if v.Valid {
		b.Append(v.V)
	} else {
		b.AppendNull()
	}
}

// appendFloat appends a statistic; a value that is not finite is not a statistic anyone can use, and
// is published as null like any other figure that cannot be computed.
func appendFloat(b *array.Float64Builder, v trend.Null[float64]) {
	if v.Valid && !math.IsNaN(v.V) && !math.IsInf(v.V, 0) {
		b.Append(v.V)
	} else {
		b.AppendNull()
	}
}

func appendString(b *array.StringBuilder, v trend.Null[string]) {
	if v.Valid {
		b.Append(v.V)
	} else {
		b.AppendNull()
	}
}

func appendDate(b *array.Date32Builder, v trend.Null[schemas.Date]) {
	if v.Valid {
		b.Append(dateOf(v.V))
	} else {
		b.AppendNull()
	}
}

// dateOf is a period as an Arrow DATE32, which Parquet stores as a DATE: days since 1970-01-01.
func dateOf(d schemas.Date) arrow.Date32 { return arrow.Date32(d) }
