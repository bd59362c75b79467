package protect

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/exposure-research/exposure/pipeline/ingest"
)

// Options tunes how Protect runs; no option changes its result.
type Options struct {
	Workers int // tables protected in parallel; 0 means GOMAXPROCS

	// ConsumeInput lets Protect drop each table's leaves from the dataset (Table.Leaves = nil) as
	// soon as the table is protected, so that the memory of the leaves is returned while the result
	// grows; the dataset's tables are empty afterwards. A build that has no further use for the
	// dataset sets it: at 10,000,000 rows the leaves are about 400 MB and the result about 200 MB,
	// which otherwise are both alive at the end of the stage.
	ConsumeInput bool

	// Progress, if set, is called after each table is protected with the number done and the
	// total; calls come from the workers but never at the same time.
	Progress func(done, total int)

	// Earlier are earlier releases of the dataset, oldest first: their published cells are public
	// knowledge, and a table that did not change keeps its earlier pattern (earlier.go).
	Earlier []Earlier
	// AcceptDisclosed lists the cells the publisher accepts as disclosed by the earlier releases
	// (frozen cells): they are withheld without the guarantee, or published when an earlier release
	// published them with the same value, and the methodology names them.
	AcceptDisclosed []DisclosedCell
}

// Protect applies the disclosure rules of SPEC 4 to every table of ds: it marks the sensitive cells,
// adds secondary suppressions until every sensitive cell is protected (singletons included), and
// proves the result with an exact audit against the true values before returning it. The tables are
// independent and are protected in parallel; the result is the same for any worker count and any
// order of tables and leaves. If any table fails, Protect returns the errors of all failing tables
// (in table order) and no Result.
func Protect(ctx context.Context, ds *ingest.Dataset, opts Options) (*Result, error) {
	if ds == nil || ds.Config == nil || ds.Vocab == nil {
		return nil, errors.New("protect: dataset has no configuration or vocabulary")
	}
	r, err := newRules(ds.Config.Protection, ds.Vocab)
	if err != nil {
		return nil, fmt.Errorf("protect: %w", err)
	}
	lay := newLayout(ds.Vocab)
	tables := append([]*ingest.Table(nil), ds.Tables...)
	if slices.Contains(tables, nil) {
		return nil, errors.New("protect: dataset has a nil table")
	}
	sort.SliceStable(tables, func(i, j int) bool {
		a, b := tables[i], tables[j]
		return a.Period < b.Period || (a.Period == b.Period && a.Metric < b.Metric)
	})
	for i := 1; i < len(tables); i++ {
		if tables[i].Period == tables[i-1].Period && tables[i].Metric == tables[i-1].Metric {
			return nil, fmt.Errorf("protect: two tables for %s %s", tables[i].Period, metricCode(ds.Vocab, tables[i].Metric))
		}
	}
	sources := sortedSources(ds.Config.Sources)
	inputSource, err := inputSources(ds, sources)
	if err != nil {
		return nil, fmt.Errorf("protect: %w", err)
	}
	coverage := coverageBreaks(lay, tables)
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(tables)))
	prs := make([]*protector, workers)
	for i := range prs {
		prs[i] = newProtector(lay, r)
		prs[i].b.inputSource = inputSource
	}
	j := &joint{lay: lay, rules: r, tables: make([]*tableState, len(tables))}
	// The tables' problems first: the relations between them need every table.
	err = parallel(ctx, len(tables), prs, func(pr *protector, i int) error {
		p, err := pr.b.makeProblem(tables[i], coverage[i])
		if err != nil {
			return err
		}
		j.tables[i] = newTableState(lay, p)
		if opts.ConsumeInput {
			tables[i].Leaves = nil
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("protect: %w", err)
	}
	j.addRelations(ds.Vocab, ds.Relations)
	disclosed, err := j.addEarlier(prs[0].b, ds, sources, opts.Earlier, opts.AcceptDisclosed)
	if err != nil {
		return nil, fmt.Errorf("protect: %w", err)
	}
	if len(disclosed) > 0 {
		return nil, fmt.Errorf("protect: %d sensitive cells were published by earlier releases:\n  %s\n%s", len(disclosed), strings.Join(disclosed, "\n  "), frozenAdvice)
	}
	var progressMu sync.Mutex
	done := 0
	progress := func() {
		if opts.Progress != nil {
			progressMu.Lock()
			done++
			opts.Progress(done, len(tables))
			progressMu.Unlock()
		}
	}
	if err := protectJointCtx(ctx, j, prs, progress); err != nil {
		return nil, fmt.Errorf("protect: %w", err)
	}
	out := make([]*Table, len(tables))
	for i, ts := range j.tables[:len(tables)] {
		out[i] = ts.result()
	}
	res := &Result{
		Vocab: ds.Vocab,
		Provenance: Provenance{
			DatasetID:    ds.Config.ID,
			Title:        ds.Config.Title,
			Licence:      ds.Config.Licence,
			ConfigSHA256: ds.Config.SHA256,
			Sources:      sources,
			Inputs:       append([]ingest.InputFile(nil), ds.Inputs...),
			Parameters:   ds.Config.Protection,
			Caveats:      append([]string(nil), ds.Config.Caveats...),
			Relations:    slices.Clone(ds.Relations),
			Breaks:       append([]ingest.Break(nil), ds.Config.Breaks...),
			Estimates:    append([]ingest.Estimate(nil), ds.Config.Estimates...),
			Comparisons:  append([][]string(nil), ds.Config.Comparisons...),
			Accepted:     j.earlier.acceptedCells(),
			Previous:     earlierDigests(opts.Earlier),
		},
		Tables: out,
	}
	// The publication must not depend on the order in which dataset.yaml lists its sources and inputs.
	slices.SortFunc(res.Provenance.Inputs, func(a, b ingest.InputFile) int { return strings.Compare(a.File, b.File) })
	res.Summary.Tables = len(out)
	for _, t := range out {
		res.Summary.Cells += len(t.Cells)
		for _, c := range t.Cells {
			if c.Suppressed() {
				res.Summary.Suppressed++
			}
		}
	}
	return res, nil
}

// sortedSources returns the dataset's sources sorted by id: the order of SourceSet's bits and of the
// publication, whatever the order of dataset.yaml.
func sortedSources(sources []ingest.Source) []ingest.Source {
	out := append([]ingest.Source(nil), sources...)
	slices.SortFunc(out, func(a, b ingest.Source) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// inputSources maps each input of ds (the leaves' Input) to its source, as a one-element SourceSet
// over the sorted sources.
func inputSources(ds *ingest.Dataset, sources []ingest.Source) ([]SourceSet, error) {
	if len(sources) > 64 {
		return nil, fmt.Errorf("%d sources: at most 64 can be told apart in the published cells", len(sources))
	}
	out := make([]SourceSet, len(ds.Inputs))
	for i, in := range ds.Inputs {
		j := slices.IndexFunc(sources, func(s ingest.Source) bool { return s.ID == in.Source })
		if j < 0 {
			return nil, fmt.Errorf("input %s names source %q, which is not configured", in.File, in.Source)
		}
		out[i] = 1 << uint(j)
	}
	return out, nil
}

// SuppressedByMetric returns the number of suppressed cells of each metric over all periods, indexed
// by MetricID, for the report's methodology section.
func (r *Result) SuppressedByMetric() []int {
	counts := make([]int, r.Vocab.NumMetrics())
	for _, t := range r.Tables {
		for _, c := range t.Cells {
			if c.Suppressed() {
				counts[t.Metric]++
			}
		}
	}
	return counts
}

// result is the protected form of a table: published cells with their values, suppressed ones
// without, and every cell's public facts.
func (ts *tableState) result() *Table {
	p := ts.p
	out := &Table{Period: p.period, Metric: p.metric, Cells: make([]Cell, len(p.cells))}
	for i, c := range p.cells {
		if ts.free[i] {
			out.Cells[i] = SuppressedCell(c.key.Geo, c.key.Org).WithFacts(c.flags, c.sources)
		} else {
			out.Cells[i] = PublishedCell(c.key.Geo, c.key.Org, c.value).WithFacts(c.flags, c.sources)
		}
	}
	return out
}

// parallel runs work(pr, i) for i in [0, n) on the protectors, one goroutine each, and returns the
// errors of every failing item joined in item order, or the context's error.
func parallel(ctx context.Context, n int, prs []*protector, work func(pr *protector, i int) error) error {
	errs := make([]error, n)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for _, pr := range prs[:max(1, min(len(prs), n))] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				errs[i] = work(pr, i)
			}
		}()
	}
feed:
	for i := range n {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(errs...)
}
