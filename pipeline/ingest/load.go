package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"

	"aead.dev/minisign"

	"github.com/exposure-research/exposure/schemas"
)

// Load reads the dataset folder dir: dataset.yaml (with the overrides of opts), then each input in
// dataset.yaml's order. An input's minisign signature is verified against its source's key before
// any of its rows is read, and a file whose signature fails is not read at all; every row of every
// trusted file is then validated (SPEC 3.1) and checked against its source's scope (SPEC 3.2), and
// cells submitted twice anywhere in the dataset are found. Every leaf gets its observation flags
// (flags.go): declared breaks and estimates, and a break wherever its source changes. Load returns a complete Dataset, or nil
// and an ErrorList of every problem found (up to opts.MaxErrors), or the context's error.
func Load(ctx context.Context, dir string, opts Options) (*Dataset, error) {
	opts = opts.withDefaults()
	lc, err := loadConfig(dir, opts)
	if err != nil {
		return nil, err
	}
	defer lc.root.Close()
	cfg := lc.cfg
	sources := map[string]Source{}
	for _, s := range cfg.Sources {
		sources[s.ID] = s
	}
	errs := &collector{max: opts.MaxErrors}
	lim := cfg.Limits
	b := newBuilder(lim.MaxCellsPerTable)
	inputs := make([]InputFile, len(cfg.Inputs))
	readers := make([]*inputReader, len(cfg.Inputs))
	for i, in := range cfg.Inputs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		src := sources[in.Source]
		ir := newInputReader(in.File, i, formatOf(in.File) == "parquet", newRowRules(lc.vocab, src), errs, b)
		ir.maxRows = lim.MaxRowsPerFile
		readers[i] = ir
		inputs[i], err = readInput(ctx, lc.root, ir, in, src, lc.keys[in.Source], lim.MaxFileBytes, opts)
		if err != nil {
			return nil, err
		}
	}
	dupError := func(at, first place, cell string) error {
		ir := readers[at.input()]
		err := fail(ErrDuplicateCell, "duplicate cell %s: also at %s", cell, readers[first.input()].placeText(first))
		if ir.parquet {
			return &Error{File: ir.file, Row: at.at(), Err: err}
		}
		return &Error{File: ir.file, Line: int(at.at()), Column: ir.fileCol[colPeriod] + 1, Err: err}
	}
	tables, places := b.finish(lc.vocab, dupError, errs)
	markFlags(lc, tables, errs)
	if errs.count() == 0 {
		checkRelations(lc.vocab, lc.relations, tables, places, readers, errs)
	}
	if len(tables) == 0 && errs.count() == 0 {
		// Publishing an empty report over a previous one is never what a sender of empty files
		// meant.
		for _, in := range inputs {
			errs.add(&Error{File: in.File, Err: fail(ErrNoData, "no data rows, and no other input has any: there is nothing to publish")})
		}
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	coverInputs(inputs, tables)
	return &Dataset{Dir: dir, Config: cfg, Vocab: lc.vocab, Inputs: inputs, Tables: tables, Relations: lc.relations}, nil
}

// coverInputs sets each input's Tables: the tables it has leaves in, in the dataset's table order.
func coverInputs(inputs []InputFile, tables []*Table) {
	seen := make([]int, len(inputs))
	for i := range seen {
		seen[i] = -1
	}
	for ti, t := range tables {
		for _, l := range t.Leaves {
			if in := int(l.Input); seen[in] != ti {
				seen[in] = ti
				inputs[in].Tables = append(inputs[in].Tables, schemas.TableRef{Period: t.Period, Metric: t.Metric})
			}
		}
	}
}

// placeText names a place of this input for a message: "data/a.csv:3:1" or "data/b.parquet:row 3".
func (ir *inputReader) placeText(p place) string {
	if ir.parquet {
		return fmt.Sprintf("%s:row %d", ir.file, p.at())
	}
	return fmt.Sprintf("%s:%d:%d", ir.file, p.at(), ir.fileCol[colPeriod]+1)
}

// readInput verifies one input's signature and, if it holds, reads its rows. Problems go to the
// reader's collector; the error returned is only the context's.
func readInput(ctx context.Context, root *os.Root, ir *inputReader, in Input, src Source, key minisign.PublicKey, maxBytes int64, opts Options) (InputFile, error) {
	rec := InputFile{File: in.File, Source: in.Source, KeyID: keyIDOf(key.ID())}
	report := func(err error) { ir.errs.add(&Error{File: in.File, Err: err}) }
	sigFile := in.File + ".minisig"
	sigText, err := readInside(root, sigFile, maxSignatureBytes)
	if errors.Is(err, ErrNoFile) {
		report(fail(ErrSignatureMissing, "not signed: %s does not exist (every submission needs a detached minisign signature, e.g. minisign -Sm %s)", sigFile, in.File))
		return rec, nil
	}
	if err != nil {
		report(err)
		return rec, nil
	}
	check, err := checkSignature(sigText, key, sigFile, src.Key)
	if err != nil {
		report(err)
		return rec, nil
	}
	f, size, err := openInside(root, in.File)
	if err != nil {
		report(err)
		return rec, nil
	}
	defer f.Close()
	if size > maxBytes {
		report(fail(ErrTooLarge, "%d bytes is more than the limit of %d (limits.max_file_bytes; raise it in dataset.yaml, with --max-file-bytes or --set limits.max_file_bytes=N)", size, maxBytes))
		return rec, nil
	}
	tampered := fail(ErrTampered, "the file does not match its signature %s: it was changed after it was signed, or the signature is of another file", sigFile)

	if !check.prehashed() {
		// A legacy signature covers the file itself, which must therefore be held whole (at most
		// maxBytes, checked above).
		data, err := io.ReadAll(io.LimitReader(progress(opts, in.File, "verify", size, &ctxReader{ctx, f}), maxBytes+1))
		if err != nil {
			return rec, readError(ctx, report, err)
		}
		if int64(len(data)) > maxBytes {
			report(fail(ErrTooLarge, "the file grew past %d bytes while it was read", maxBytes))
			return rec, nil
		}
		if !check.checkMessage(key, data) {
			report(tampered)
			return rec, nil
		}
		sum := sha256.Sum256(data)
		rec.SHA256 = hex.EncodeToString(sum[:])
		if ir.parquet {
			err = ir.readParquet(ctx, bytes.NewReader(data), int64(len(data)))
		} else {
			err = ir.readCSV(ctx, progress(opts, in.File, "read", size, bytes.NewReader(data)))
		}
		rec.Rows = ir.rows
		if err == nil && ir.parquet && opts.Progress != nil {
			opts.Progress(in.File, "read", size, size)
		}
		return rec, err
	}

	// A prehashed signature covers the file's BLAKE2b-512 hash: stream it once to verify, then read
	// it again for the rows, hashing that reading too so that a file changed in between is caught.
	first := sha256.New()
	verifier := minisign.NewReader(io.TeeReader(progress(opts, in.File, "verify", size, &ctxReader{ctx, f}), first))
	if _, err := io.Copy(io.Discard, verifier); err != nil {
		return rec, readError(ctx, report, err)
	}
	if !verifier.Verify(key, sigText) {
		report(tampered)
		return rec, nil
	}
	rec.SHA256 = hex.EncodeToString(first.Sum(nil))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return rec, readError(ctx, report, err)
	}
	second := sha256.New()
	if ir.parquet {
		err = ir.readParquet(ctx, f, size)
	} else {
		err = ir.readCSV(ctx, io.TeeReader(progress(opts, in.File, "read", size, &ctxReader{ctx, f}), second))
	}
	rec.Rows = ir.rows
	if err != nil {
		return rec, err
	}
	if ir.parquet && opts.Progress != nil {
		// The Parquet reader reads out of order; its progress is known only at the end.
		opts.Progress(in.File, "read", size, size)
	}
	if err := rehash(ctx, f, ir.parquet, second); err != nil {
		return rec, readError(ctx, report, err)
	}
	if !bytes.Equal(first.Sum(nil), second.Sum(nil)) {
		report(fail(ErrChanged, "the file changed while it was read; run again when nothing writes to the dataset folder"))
	}
	return rec, nil
}

// rehash completes the hash of the second reading: the rest of a CSV file that the reader stopped
// in (after a syntax error), or the whole of a Parquet file, which is read out of order.
func rehash(ctx context.Context, f *os.File, whole bool, h hash.Hash) error {
	if whole {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
	}
	_, err := io.Copy(h, &ctxReader{ctx, f})
	return err
}

// readError reports an I/O error, or returns the context's error when that is what stopped the read.
func readError(ctx context.Context, report func(error), err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	report(&ruleError{kind: ErrIO, msg: "reading: " + err.Error()})
	return nil
}

// progress wraps r to report to opts.Progress, if set, how much of a file of size total was read.
func progress(opts Options, file, phase string, total int64, r io.Reader) io.Reader {
	if opts.Progress == nil {
		return r
	}
	return &progressReader{r: r, report: func(done int64) { opts.Progress(file, phase, done, total) }}
}

// progressReader counts the bytes read and reports them about every MiB and at the end.
type progressReader struct {
	r        io.Reader
	done     int64
	reported int64
	report   func(done int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.done-p.reported >= 1<<20 || (err == io.EOF && p.done != p.reported) {
		p.reported = p.done
		p.report(p.done)
	}
	return n, err
}

// ctxReader stops a long read when the context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
