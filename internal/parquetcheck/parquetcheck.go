// Package parquetcheck checks the claims of a Parquet file that parquet-go trusts: the footer length,
// and the offsets, sizes and value counts of every column chunk and page. parquet-go allocates what a
// page header claims before it reads the page, and its LZ4 decoder grows its buffer without end on a
// corrupt block, so a file of a few hundred bytes could make a reader allocate gigabytes and die. Both
// readers of Parquet files that others hand over, the submissions (pipeline/ingest) and a report
// folder's cells (pipeline/publish, for the audit), run these checks before parquet-go reads a page.
package parquetcheck

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// MaxPageBytes is the largest page, compressed or not, that a submission may have: 64 MiB. Writers
// make pages of about 1 MiB (pyarrow, Spark and parquet-go alike); a page header that claims more is
// a corrupt or hostile file, and the Parquet library would allocate what it claims before it finds out.
const MaxPageBytes = 64 << 20

// maxHeaderBytes bounds a page header: a header holds sizes, counts and at most the statistics of
// one page, far below this.
const maxHeaderBytes = 1 << 20

// Frame checks the magic bytes and the footer length of a Parquet file before the library reads it,
// so that a corrupt length cannot make it allocate gigabytes. It returns what is wrong, or "" when
// the frame is sound.
func Frame(r io.ReaderAt, size int64) string {
	if size < 12 {
		return "too short"
	}
	var head, tail [8]byte
	if _, err := r.ReadAt(head[:4], 0); err != nil {
		return err.Error()
	}
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return err.Error()
	}
	if string(head[:4]) != "PAR1" || string(tail[4:]) != "PAR1" {
		return "no PAR1 magic bytes (an encrypted footer is not supported)"
	}
	footer := int64(binary.LittleEndian.Uint32(tail[:4]))
	if footer > size-12 {
		return fmt.Sprintf("the footer claims %d bytes but the file has %d", footer, size)
	}
	meta := make([]byte, footer)
	if _, err := r.ReadAt(meta, size-8-footer); err != nil {
		return err.Error()
	}
	if _, err := thriftStruct(meta); err != nil {
		return "footer: " + err.Error()
	}
	return ""
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Pages walks the metadata and the page headers of every column chunk before the
// Parquet library reads a page, and returns what is wrong, or "" when every claim is sound: each
// column chunk lies inside the file and holds one value per row of its row group (a submission is
// flat), and each page fits in what remains of its chunk, holds no more values than the chunk and
// is at most MaxPageBytes however it is compressed. parquet-go allocates a page's claimed sizes
// before it reads the page, so without this walk a file of a few bytes could make a build allocate
// gigabytes.
func Pages(r io.ReaderAt, size int64, md *format.FileMetaData) string {
	protocol := &thrift.CompactProtocol{}
	var rows int64
	for g, rg := range md.RowGroups {
		if rg.NumRows < 0 {
			return fmt.Sprintf("row group %d claims %d rows", g+1, rg.NumRows)
		}
		rows += rg.NumRows
		for c, cc := range rg.Columns {
			m := cc.MetaData
			name := fmt.Sprintf("row group %d, column %d", g+1, c+1)
			start := m.DataPageOffset
			if m.DictionaryPageOffset > 0 && m.DictionaryPageOffset < start {
				start = m.DictionaryPageOffset
			}
			end := start + m.TotalCompressedSize
			switch {
			case m.Codec == format.Lz4 || m.Codec == format.Lz4Raw:
				// parquet-go's LZ4 decoder doubles its buffer without end on a corrupt block.
				return fmt.Sprintf("%s: LZ4 compression is not supported; write the file with SNAPPY, GZIP or ZSTD (pyarrow's default is SNAPPY)", name)
			case m.DictionaryPageOffset > m.DataPageOffset:
				return fmt.Sprintf("%s: the dictionary page (byte %d) comes after the data pages (byte %d)", name, m.DictionaryPageOffset, m.DataPageOffset)
			case start < 4 || m.TotalCompressedSize < 0 || end < start || end > size-8:
				return fmt.Sprintf("%s: its data (bytes %d to %d) is not inside the file of %d bytes", name, start, end, size)
			case m.NumValues != rg.NumRows:
				return fmt.Sprintf("%s: %d values for %d rows", name, m.NumValues, rg.NumRows)
			}
			var values int64
			for at := start; at < end; {
				// Walk the header's bytes before the library decodes them (see thriftStruct).
				head := make([]byte, min(end-at, maxHeaderBytes))
				if _, err := r.ReadAt(head, at); err != nil && err != io.EOF {
					return fmt.Sprintf("%s: page header at byte %d: %v", name, at, err)
				}
				if _, err := thriftStruct(head); err != nil {
					return fmt.Sprintf("%s: page header at byte %d: %v", name, at, err)
				}
				counter := &countingReader{r: bufio.NewReaderSize(io.NewSectionReader(r, at, end-at), 512)}
				var h format.PageHeader
				if err := thrift.NewDecoder(protocol.NewReader(counter)).Decode(&h); err != nil {
					return fmt.Sprintf("%s: page header at byte %d: %v", name, at, err)
				}
				// The buffered reader reads ahead; the decoder, above the counter, takes exactly the
				// header's bytes.
				headerEnd := at + counter.n
				switch {
				case h.CompressedPageSize < 0 || h.UncompressedPageSize < 0:
					return fmt.Sprintf("%s: page at byte %d has a negative size", name, at)
				case int64(h.CompressedPageSize) > end-headerEnd:
					return fmt.Sprintf("%s: page at byte %d claims %d bytes, but its column chunk has %d left", name, at, h.CompressedPageSize, end-headerEnd)
				case h.CompressedPageSize > MaxPageBytes || h.UncompressedPageSize > MaxPageBytes:
					return fmt.Sprintf("%s: page at byte %d claims %d bytes (%d uncompressed), more than the %d a page may have", name, at, h.CompressedPageSize, h.UncompressedPageSize, MaxPageBytes)
				}
				if m.Codec == format.Snappy {
					// A Snappy block starts with its decoded length, which the decoder allocates.
					levels := int64(0)
					if v2 := h.DataPageHeaderV2; v2.Valid {
						levels = int64(v2.V.RepetitionLevelsByteLength) + int64(v2.V.DefinitionLevelsByteLength)
					}
					if levels < 0 || levels > int64(h.CompressedPageSize) {
						return fmt.Sprintf("%s: page at byte %d claims %d bytes of levels in a page of %d", name, at, levels, h.CompressedPageSize)
					}
					var head [binary.MaxVarintLen64]byte
					k, _ := r.ReadAt(head[:min(int64(len(head)), int64(h.CompressedPageSize)-levels)], headerEnd+levels)
					if decoded, w := binary.Uvarint(head[:k]); w > 0 && decoded > MaxPageBytes {
						return fmt.Sprintf("%s: page at byte %d decompresses to %d bytes, more than the %d a page may have", name, at, decoded, MaxPageBytes)
					}
				}
				n := int64(-1)
				switch {
				case h.DataPageHeader.Valid:
					n = int64(h.DataPageHeader.V.NumValues)
				case h.DataPageHeaderV2.Valid:
					n = int64(h.DataPageHeaderV2.V.NumValues)
				case h.DictionaryPageHeader.Valid:
					n = 0
					if d := int64(h.DictionaryPageHeader.V.NumValues); d < 0 || d > m.NumValues {
						return fmt.Sprintf("%s: dictionary page at byte %d claims %d values for %d rows", name, at, d, m.NumValues)
					}
				}
				if n < 0 {
					n = 0 // an index page, or a page type this walk does not know: the library decides
				}
				if values += n; values > m.NumValues {
					return fmt.Sprintf("%s: its pages hold more than the %d values of the column chunk", name, m.NumValues)
				}
				at = headerEnd + int64(h.CompressedPageSize)
			}
		}
	}
	if rows != md.NumRows {
		return fmt.Sprintf("the row groups hold %d rows but the file claims %d", rows, md.NumRows)
	}
	return ""
}
