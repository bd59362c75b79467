package publish

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"aead.dev/minisign"

	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/pipeline/publish/chart"
	"github.com/exposure-research/exposure/pipeline/publish/datapackage"
	"github.com/exposure-research/exposure/pipeline/trend"
)

// ReportFile is the name of the Markdown briefing in a report folder.
const ReportFile = "report.md"

// Options says where to publish and which software is publishing.
type Options struct {
	// Target is the report folder, reserved by OpenTarget. When it is nil, Publish reserves Out
	// itself, keeping clear of the folders of ReadFrom.
	Target   *Target
	Out      string   // the report folder; replaced as a whole, its parent created if missing
	ReadFrom []string // folders the build reads (the dataset folder), which Out must keep clear of
	Tool     ToolInfo // recorded in the manifest and the report

	// Signer, if set, is the publisher's minisign secret key: manifest.json is signed with it
	// (prehashed, as minisign -Sm does) into manifest.json.minisig, written with the rest of the
	// report before it is swapped into place.
	Signer *minisign.PrivateKey

	// Previous, if set, is the dataset's previous release, as OpenRelease read it: report.md then
	// says what changed since it (Diff) in a section of its own. Without it report.md has no such
	// section.
	Previous *Release

	// Progress, if set, is called with the name of each file of the report once it is written;
	// calls may come from more than one goroutine, never at the same time.
	Progress func(file string)
}

// testHookFileWritten, when set by a test, is called after each file of the report is complete in the
// temporary folder; an error it returns fails the build there, as a full disk or a crash would.
var testHookFileWritten func(name string) error

// Publish writes the report folder of a build (SPEC 5) and returns its manifest. Everything is
// written into a temporary folder beside the report folder and synced to stable storage before it
// replaces the previous report in one step, so a failed or interrupted build leaves the previous
// report exactly as it was. Only a folder that OpenTarget accepts is replaced, and only while its
// lock is held; temporary folders of earlier builds that were killed are removed first.
func Publish(ctx context.Context, r *trend.Result, opts Options) (*Manifest, error) {
	if r == nil || r.Protected == nil || r.Protected.Vocab == nil || r.Protected.Vocab.Geo == nil {
		return nil, errors.New("publish: no protected result to publish")
	}
	if opts.Tool.Name == "" || opts.Tool.Version == "" {
		return nil, errors.New("publish: the tool's name and version are required for the manifest")
	}
	if err := checkProtected(r.Protected); err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	target := opts.Target
	if target == nil {
		t, err := OpenTarget(opts.Out, opts.ReadFrom...)
		if err != nil {
			return nil, err
		}
		defer t.Close()
		target = t
	}
	if target.lock == nil {
		return nil, fmt.Errorf("publish %s: the report folder's lock was released", showPath(target.out))
	}
	out := target.out
	parent, base := filepath.Dir(out), filepath.Base(out)
	if err := removeStale(parent, base); err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	tmp, err := tempName(out)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			os.RemoveAll(tmp)
		}
	}()
	// The report is for everyone who can read its parent, whatever the umask.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	manifest, err := build(ctx, r, opts, tmp)
	if err != nil {
		return nil, fmt.Errorf("publish %s: %w", out, err)
	}
	if err := syncDir(tmp); err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	// Someone may have put a file into the report folder while the report was being built.
	if err := target.checkContents(); err != nil {
		return nil, err
	}
	if err := swapIntoPlace(tmp, out, exchange); err != nil {
		return nil, fmt.Errorf("publish %s: %w", out, err)
	}
	committed = true
	target.done = true
	return manifest, nil
}

// build writes every file of the report into dir and returns the manifest, which it writes last.
func build(ctx context.Context, r *trend.Result, opts Options, dir string) (*Manifest, error) {
	tool := opts.Tool
	p := r.Protected
	var outputs []OutputInfo
	done := func(info OutputInfo, err error) error {
		if err != nil {
			return err
		}
		outputs = append(outputs, info)
		if opts.Progress != nil {
			opts.Progress(info.File)
		}
		if testHookFileWritten != nil {
			return testHookFileWritten(info.File)
		}
		return nil
	}
	// trends.parquet, streamed from the trend stage, is half of the Parquet work; the other four
	// files are written beside it, so that a second core shortens the stage by the time of cells.parquet
	// (1,000,000 rows: 1.4 of 3.4 s of CPU). Each file is written by one goroutine from data that no
	// one changes, so its bytes do not depend on the scheduling.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var others [4]OutputInfo
	othersErr := make(chan error, 1)
	go func() {
		var err error
		for i, write := range []func(context.Context, string, *trend.Result) (OutputInfo, error){writeCellsOf, writeSeries, writeSummary, writeComparisons} {
			if others[i], err = write(ctx, dir, r); err != nil {
				cancel() // the build has failed: trends.parquet need not be finished
				break
			}
		}
		othersErr <- err
	}()
	facts := newReportFacts(r)
	if opts.Previous != nil {
		facts.sincePrevious = Diff(opts.Previous, currentRelease(p, tool, ""))
	}
	trendsInfo, err := writeTrends(ctx, dir, r, facts.observe)
	if err != nil {
		cancel()
		if othersErr := <-othersErr; othersErr != nil && !errors.Is(othersErr, context.Canceled) {
			return nil, othersErr // the cause; trends.parquet stopped because of it
		}
		return nil, err
	}
	if err := <-othersErr; err != nil {
		return nil, err
	}
	for _, info := range append(others[:1:1], trendsInfo, others[1], others[2], others[3]) {
		if err := done(info, nil); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	charts, err := chart.Render(r, chart.Options{Source: chart.DefaultSource(p.Provenance)})
	if err != nil {
		return nil, fmt.Errorf("drawing charts: %w", err)
	}
	for _, c := range charts {
		if err := done(writeFile(dir, c.Name, c.Data)); err != nil {
			return nil, err
		}
	}
	facts.setCharts(charts)
	if err := writePages(dir, facts, tool, charts, done); err != nil {
		return nil, err
	}
	slices.SortFunc(outputs, func(a, b OutputInfo) int { return strings.Compare(a.File, b.File) })
	// The data package describes every file but the manifest, which in turn lists the data package.
	var resources []datapackage.Resource
	for _, o := range outputs {
		res := datapackage.Resource{Path: o.File, Bytes: o.Bytes, SHA256: o.SHA256}
		if o.Rows != nil {
			res.Rows = *o.Rows
		}
		resources = append(resources, res)
	}
	descriptor, err := datapackage.Build(p.Provenance, p.Vocab, resources)
	if err != nil {
		return nil, fmt.Errorf("describing the data package: %w", err)
	}
	if err := done(writeFile(dir, datapackage.FileName, descriptor)); err != nil {
		return nil, err
	}
	slices.SortFunc(outputs, func(a, b OutputInfo) int { return strings.Compare(a.File, b.File) })
	m := newManifest(p, tool, outputs)
	data, err := encodeManifest(m)
	if err != nil {
		return nil, err
	}
	if err := done(writeFile(dir, ManifestFile, data)); err != nil {
		return nil, err
	}
	if opts.Signer != nil {
		sig, err := signManifest(data, m, *opts.Signer)
		if err != nil {
			return nil, err
		}
		// The signature is not an output: the manifest cannot list the file that signs it.
		if _, err := writeFile(dir, SignatureFile, sig); err != nil {
			return nil, err
		}
		if opts.Progress != nil {
			opts.Progress(SignatureFile)
		}
	}
	return m, nil
}

// writePages writes report.md and the country pages, and the HTML page of each, whose charts are
// inlined from charts.
func writePages(dir string, facts *reportFacts, tool ToolInfo, charts []chart.File, done func(OutputInfo, error) error) error {
	files := map[string][]byte{}
	for _, c := range charts {
		files[c.Name] = c.Data
	}
	prov := facts.r.Protected.Provenance
	title := prov.Title
	if title == "" {
		title = prov.DatasetID
	}
	type page struct {
		name, title string
		markdown    []byte
	}
	pages := []page{{ReportFile, title, renderReport(facts, tool)}}
	for _, geo := range facts.pages {
		node := facts.vocab.Geo.Node(geo)
		pages = append(pages, page{facts.countryPage(geo), fmt.Sprintf("%s (%s) – %s", node.Name, node.Code, title), renderCountryPage(facts, geo)})
	}
	for _, pg := range pages {
		if err := done(writeFile(dir, pg.name, pg.markdown)); err != nil {
			return err
		}
		doc, err := renderHTML(pg.name, pg.title, pg.markdown, files)
		if err != nil {
			return err
		}
		if err := done(writeFile(dir, htmlName(pg.name), doc)); err != nil {
			return err
		}
	}
	return nil
}

// newManifest describes the report: its provenance, the outputs and the protection's counts.
func newManifest(p *protect.Result, tool ToolInfo, outputs []OutputInfo) *Manifest {
	prov := p.Provenance
	m := &Manifest{
		Tool: tool,
		Dataset: DatasetInfo{
			ID:           prov.DatasetID,
			Title:        prov.Title,
			Licence:      prov.Licence,
			ConfigSHA256: prov.ConfigSHA256,
			Metrics:      []MetricInfo{},
		},
		Inputs:  []InputInfo{},
		Outputs: outputs,
		Protection: ProtectionInfo{
			Parameters: Parameters{
				MinContributors: prov.Parameters.MinContributors,
				MinValue:        map[string]int64{},
				PPercent:        prov.Parameters.PPercent,
				Interval:        prov.Parameters.Interval,
			},
			Relations:  relationInfos(p),
			Tables:     int64(p.Summary.Tables),
			Cells:      int64(p.Summary.Cells),
			Suppressed: int64(p.Summary.Suppressed),
		},
	}
	for code, v := range prov.Parameters.MinValue {
		m.Protection.Parameters.MinValue[code] = v
	}
	for _, id := range p.Vocab.MetricOrder() {
		metric := p.Vocab.Metric(id)
		m.Dataset.Metrics = append(m.Dataset.Metrics, MetricInfo{Code: metric.Code, Description: metric.Description, Unit: metric.Unit})
	}
	m.Previous = slices.Clone(prov.Previous)
	for _, c := range prov.Accepted {
		m.Protection.AcceptedDisclosed = append(m.Protection.AcceptedDisclosed, c.String(p.Vocab))
	}
	for _, in := range prov.Inputs {
		tables := make([]string, len(in.Tables))
		for i, t := range in.Tables {
			tables[i] = TableName(t.Period, p.Vocab.Metric(t.Metric).Code)
		}
		m.Inputs = append(m.Inputs, InputInfo{File: in.File, Source: in.Source, SHA256: in.SHA256, KeyID: in.KeyID, Rows: in.Rows, Tables: tables})
	}
	return m
}

// writeFile writes a non-tabular file of the report and syncs it; its manifest entry has no rows.
// name is a slash-separated path inside the folder; a sub-folder is created and synced as needed.
func writeFile(dir, name string, data []byte) (OutputInfo, error) {
	if !isReportPath(name) {
		return OutputInfo{}, fmt.Errorf("%q is not a path inside a report folder", name)
	}
	path := filepath.Join(dir, filepath.FromSlash(name))
	sub := filepath.Dir(path)
	if sub != dir {
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return OutputInfo{}, fmt.Errorf("creating %s: %w", name, err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return OutputInfo{}, fmt.Errorf("creating %s: %w", name, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && sub != dir {
		err = syncDir(sub)
	}
	if err != nil {
		return OutputInfo{}, fmt.Errorf("writing %s: %w", name, err)
	}
	return OutputInfo{File: name, SHA256: sha256Hex(data), Bytes: int64(len(data))}, nil
}

// checkProtected makes sure that every id in p is in its vocabulary and that tables and cells are in
// the published order, so that the writers can neither index out of range nor publish rows out of order.
func checkProtected(p *protect.Result) error {
	v := p.Vocab
	for i, t := range p.Tables {
		if t == nil {
			return fmt.Errorf("table %d is missing", i)
		}
		if int(t.Metric) >= v.NumMetrics() {
			return fmt.Errorf("table %d (%s): metric id %d is not in the vocabulary", i, t.Period, t.Metric)
		}
		name := fmt.Sprintf("table %s %s", t.Period, v.Metric(t.Metric).Code)
		if i > 0 {
			prev := p.Tables[i-1]
			if prev.Period > t.Period || prev.Period == t.Period && prev.Metric >= t.Metric {
				return fmt.Errorf("%s: tables are not in (period, metric) order", name)
			}
		}
		for j, c := range t.Cells {
			if int(c.Geo) >= v.Geo.Len() || int(c.Org) > v.NumOrgs() {
				return fmt.Errorf("%s: cell %d has an area or organization type outside the vocabulary", name, j)
			}
			if j > 0 {
				prev := t.Cells[j-1]
				if prev.Geo > c.Geo || prev.Geo == c.Geo && prev.Org >= c.Org {
					return fmt.Errorf("%s: cell %d (%s %s) is out of order or repeated", name, j, v.Geo.Node(c.Geo).Code, v.Org(c.Org).Code)
				}
			}
		}
	}
	return nil
}

// relationInfos lists the relations between metrics in force for the manifest.
func relationInfos(p *protect.Result) []RelationInfo {
	out := []RelationInfo{}
	for _, r := range p.Provenance.Relations {
		out = append(out, RelationInfo{Relation: r.Text, Normal: r.Normal(p.Vocab), Reason: r.Reason})
	}
	return out
}
