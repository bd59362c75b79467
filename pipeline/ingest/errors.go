package ingest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The kinds of error that Load and LoadConfig report. Every error they list wraps exactly one of
// them, so that a caller (or a test) can tell with errors.Is which rule fired.
var (
	// ErrConfig is a value of dataset.yaml, the environment or an override that breaks a check.
	ErrConfig = errors.New("invalid configuration")
	// ErrUnknownKey is a key that dataset.yaml may not have (a typo), or an override of no key.
	ErrUnknownKey = errors.New("unknown key")
	// ErrYAML is dataset.yaml that is not well-formed YAML, repeats a key or uses anchors.
	ErrYAML = errors.New("malformed YAML")
	// ErrUnsafePath is a path that leaves the dataset folder, or names something not a file.
	ErrUnsafePath = errors.New("unsafe path")
	// ErrNoFile is a key or input file that does not exist.
	ErrNoFile = errors.New("file not found")
	// ErrIO is a file that could not be read.
	ErrIO = errors.New("read error")

	// ErrSignatureMissing is a submission without its .minisig file (SPEC 3.2).
	ErrSignatureMissing = errors.New("signature missing")
	// ErrSignatureMalformed is a .minisig file that is not a minisign signature.
	ErrSignatureMalformed = errors.New("malformed signature")
	// ErrBadKey is a public key file that is not a minisign public key.
	ErrBadKey = errors.New("malformed public key")
	// ErrForeignKey is a signature by a key other than that of the input's source.
	ErrForeignKey = errors.New("signed by another key")
	// ErrTampered is a file whose bytes are not those that were signed.
	ErrTampered = errors.New("signature does not match the file")
	// ErrCommentTampered is a signature whose trusted comment (or signature line) was changed.
	ErrCommentTampered = errors.New("trusted comment does not match its signature")
	// ErrUnlisted is a signed file under data/ that is neither an input nor ignored (SPEC 6).
	ErrUnlisted = errors.New("signed file not listed")
	// ErrOrphanSignature is a .minisig file under data/ without the file it would sign.
	ErrOrphanSignature = errors.New("signature without a file")
	// ErrTooLarge is a file above a size limit (limits.max_file_bytes for a submission).
	ErrTooLarge = errors.New("file too large")
	// ErrChanged is a file whose bytes changed between verification and reading.
	ErrChanged = errors.New("file changed while it was read")

	// ErrFormat is a file that is not well-formed CSV or Parquet, or a record of the wrong length.
	ErrFormat = errors.New("malformed file")
	// ErrEncoding is a field with a NUL byte or invalid UTF-8.
	ErrEncoding = errors.New("invalid encoding")
	// ErrUnknownColumn is a column that a submission may not have (SPEC 3.1: aggregates only).
	ErrUnknownColumn = errors.New("unknown column")
	// ErrMissingColumn is a required column that a submission lacks.
	ErrMissingColumn = errors.New("missing column")
	// ErrDupColumn is a column name given twice.
	ErrDupColumn = errors.New("duplicate column")
	// ErrColumnType is a Parquet column of a type its values cannot be read from exactly.
	ErrColumnType = errors.New("wrong column type")
	// ErrTooManyLines is a file with more data rows than limits.max_rows_per_file allows.
	ErrTooManyLines = errors.New("too many lines")
	// ErrLineTooLong is a CSV record longer than MaxRecordBytes: no submission row is near that
	// long, and reading on would hold an unbounded line in memory.
	ErrLineTooLong = errors.New("line too long")
	// ErrTooManyCells is a (period, metric) table with more leaf cells than
	// limits.max_cells_per_table allows.
	ErrTooManyCells = errors.New("too many cells in a table")

	// ErrNoData is a dataset whose inputs have no data rows at all: nothing to publish.
	ErrNoData = errors.New("no data")

	// ErrEmpty is a required field left empty (or null).
	ErrEmpty = errors.New("empty field")
	// ErrVocabulary is a code that is not in its vocabulary (`UK` is not ISO 3166-1; `GB` is).
	ErrVocabulary = errors.New("not in the vocabulary")
	// ErrDate is a date not written YYYY-MM-DD, or one that does not exist.
	ErrDate = errors.New("not a date")
	// ErrNotInteger is a number that is not a plain decimal integer.
	ErrNotInteger = errors.New("not a plain decimal integer")
	// ErrNegative is a negative count.
	ErrNegative = errors.New("negative number")
	// ErrOverflow is an integer beyond int64.
	ErrOverflow = errors.New("integer overflows int64")
	// ErrNoContributors is a non-zero value with no contributors.
	ErrNoContributors = errors.New("value > 0 with contributors == 0")
	// ErrZeroWithContributors is a zero value with contributors.
	ErrZeroWithContributors = errors.New("value == 0 with contributors > 0")
	// ErrLargestAboveValue is a largest part above the value.
	ErrLargestAboveValue = errors.New("largest > value")
	// ErrSecondAboveLargest is a second largest part above the largest.
	ErrSecondAboveLargest = errors.New("second_largest > largest")
	// ErrDominanceAboveValue is a largest and second largest part that add up to more than the value.
	ErrDominanceAboveValue = errors.New("largest + second_largest > value")
	// ErrSecondWithoutLargest is a second largest part given without the largest.
	ErrSecondWithoutLargest = errors.New("second_largest without largest")
	// ErrOutOfScope is a row outside its source's scope of countries, metrics or periods (SPEC 3.2).
	ErrOutOfScope = errors.New("outside the source's scope")
	// ErrDuplicateCell is a cell (period, country, org_type, metric) given twice in the dataset.
	ErrDuplicateCell = errors.New("duplicate cell")
	// ErrRelation: the leaves of one cell break a relation between metrics in force (SPEC 3.3).
	ErrRelation = errors.New("relation between metrics broken")
)

// Error is one problem found in a file, located as precisely as the file allows, in the manner of
// encoding/csv.ParseError. It prints as
//
//	file:line:col: field: message     a text file (CSV, dataset.yaml) where the line is known
//	file:row N:field: message         a Parquet file, which has rows but no lines
//	file: field: message              anything else (a signature, a missing file)
//
// File is relative to the dataset folder with forward slashes, so that a message reads the same on
// every machine. For CSV, Column is the 1-based index of the field in its record (the column a
// spreadsheet shows), not a byte offset, except for a syntax error (a stray quote), where it is the
// 1-based byte position that encoding/csv reports. For dataset.yaml it is the YAML column.
type Error struct {
	File   string // path relative to the dataset folder, or "environment" / "override" for overrides
	Line   int    // 1-based line, 0 when the file has no lines or it is not known
	Column int    // 1-based column (see above), 0 when not known
	Field  string // column name of a row error; key path of a configuration error
	Row    int64  // 1-based data row of a Parquet file, 0 otherwise
	Err    error  // the cause; wraps one of the Err* kinds
}

// Error formats the error as described on the type.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(printableField(e.File))
	switch {
	case e.Line > 0:
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Column))
		}
	case e.Row > 0:
		b.WriteString(":row ")
		b.WriteString(strconv.FormatInt(e.Row, 10))
		if e.Field != "" {
			b.WriteByte(':')
			b.WriteString(printableField(e.Field))
		}
	}
	b.WriteString(": ")
	if e.Field != "" && e.Row == 0 {
		b.WriteString(printableField(e.Field))
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// printableField returns a field name (a column name from a Parquet schema, a key path from
// dataset.yaml) or a file name as it is when it is printable text, and quoted otherwise, so that a name with a line
// break or an escape sequence cannot forge or hide a line of the error output.
func printableField(field string) string {
	for _, r := range field {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return quote(field)
		}
	}
	return field
}

// Unwrap returns the cause, so that errors.Is finds the kind.
func (e *Error) Unwrap() error { return e.Err }

// ruleError is a cause with a message of its own that still answers errors.Is for its kind: the
// message says what is wrong with this value, the kind says which rule it broke.
type ruleError struct {
	kind error
	msg  string
}

func (r *ruleError) Error() string { return r.msg }
func (r *ruleError) Unwrap() error { return r.kind }

// fail returns a cause of the given kind with a formatted message.
func fail(kind error, format string, args ...any) error {
	return &ruleError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// ErrorList is every error a Load found, in the order found: configuration, then each input in
// dataset.yaml's order (signature, then rows in file order), then duplicate cells. When there were
// more than Options.MaxErrors, the list ends with a MoreErrors that counts the rest. It prints one
// error per line, and errors.Is and errors.As look into every element.
type ErrorList []error

// Error joins the errors, one per line.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, err := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(err.Error())
	}
	return b.String()
}

// Unwrap returns the elements, so that errors.Is and errors.As look into each of them.
func (l ErrorList) Unwrap() []error { return l }

// MoreErrors ends an ErrorList that was cut at Options.MaxErrors: it counts the errors left out.
type MoreErrors int

// Error says how many errors were left out.
func (n MoreErrors) Error() string {
	if n == 1 {
		return "... and 1 more error"
	}
	return fmt.Sprintf("... and %d more errors", int(n))
}

// collector gathers errors up to a limit and counts the rest.
type collector struct {
	max     int
	errs    []error
	dropped int
}

func (c *collector) add(err error) {
	if len(c.errs) < c.max {
		c.errs = append(c.errs, err)
		return
	}
	c.dropped++
}

func (c *collector) count() int { return len(c.errs) + c.dropped }

// err returns the collected errors as an ErrorList, or nil when there are none.
func (c *collector) err() error {
	if c.count() == 0 {
		return nil
	}
	list := ErrorList(append([]error(nil), c.errs...))
	if c.dropped > 0 {
		list = append(list, MoreErrors(c.dropped))
	}
	return list
}

// maxQuoted is how many bytes of a value quote shows. A path or value that names where a problem is
// must be shown whole, so the cap is far above any real path, code or number; it only keeps a
// hostile value (a 100 MB field) from flooding the terminal.
const maxQuoted = 4 << 10

// quote renders a value from a file for a message: quoted and escaped, so that control characters
// and invalid UTF-8 cannot break the one-error-per-line output. A value longer than maxQuoted bytes
// is cut at a character boundary, and the message says how long it was.
func quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > maxQuoted-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes in all)", strconv.Quote(s[:cut]), len(s))
}
