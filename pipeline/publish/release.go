package publish

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"aead.dev/minisign"

	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/schemas"
)

// Release is an earlier report folder read back as public knowledge (SPEC 4, "Releases"): what it
// published and what its manifest says about how it was made. Every cell once published stays
// public, so a later build protects against it and `exposure diff` compares against it.
type Release struct {
	Dir      string // the folder as given
	Manifest *Manifest
	Vocab    *schemas.Vocabulary
	Tables   []*protect.Table // as ReadCells reads them: published cells with values, Sources by ReleaseSources
	Sources  []string         // ReleaseSources(Manifest): bit i of a cell's Sources
	// ManifestSHA256 is the SHA-256 of the folder's manifest.json: what identifies the release in a
	// later release's manifest (Manifest.Previous).
	ManifestSHA256 string
}

// OpenRelease reads the report folder dir as an earlier release of the dataset datasetID ("" for
// any) and checks it first: it must be a report folder (a manifest.json the tool wrote), of that
// dataset, with every listed file of the listed size and SHA-256 and no other file; with a key, its
// manifest must also carry a valid signature by that key. A folder that fails is refused with a
// message naming the folder, what is wrong and what to do.
func OpenRelease(dir, datasetID string, key *minisign.PublicKey) (*Release, error) {
	return OpenReleaseAs("previous release", dir, datasetID, key)
}

// OpenReleaseAs is OpenRelease with role naming the folder in messages ("release" for the folders
// exposure diff and audit compare, "previous release" for an earlier release of a build).
func OpenReleaseAs(role, dir, datasetID string, key *minisign.PublicKey) (*Release, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", role, showPath(dir), err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s %s is not a folder: give a report folder an earlier build wrote", role, showPath(dir))
	}
	m, err := ReadManifest(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s %s has no %s: it is not a report folder (give the folder an earlier `exposure build` wrote)", role, showPath(dir), ManifestFile)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", role, showPath(dir), err)
	}
	if datasetID != "" && m.Dataset.ID != datasetID {
		return nil, fmt.Errorf("%s %s is a release of dataset %q, not of %q: an earlier release must be of the same dataset", role, showPath(dir), m.Dataset.ID, datasetID)
	}
	if key != nil {
		check, err := VerifyPublished(dir, *key)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", role, showPath(dir), err)
		}
		if len(check.Differences) > 0 {
			return nil, fmt.Errorf("%s %s fails its signature check: %s:\n  %s", role, showPath(dir), check.Summary, strings.Join(check.Differences, "\n  "))
		}
	} else {
		diffs, err := CheckFiles(dir, m)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", role, showPath(dir), err)
		}
		if len(diffs) > 0 {
			return nil, fmt.Errorf("%s %s does not match its manifest (changed after its build, or not what it was): restore it as published:\n  %s", role, showPath(dir), strings.Join(diffs, "\n  "))
		}
	}
	vocab, tables, err := ReadCells(dir)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", role, showPath(dir), err)
	}
	digest, _, err := HashFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", role, showPath(dir), err)
	}
	return &Release{Dir: dir, Manifest: m, Vocab: vocab, Tables: tables, Sources: ReleaseSources(m), ManifestSHA256: digest}, nil
}

// Earlier returns the release as the protection and the audit know it, in the vocabulary of the
// build or audit that uses it (metrics matched by code). Name is how messages name it.
func (r *Release) Earlier(vocab *schemas.Vocabulary, name string) (protect.Earlier, error) {
	e := protect.Earlier{Name: name, Sources: r.Sources, ManifestSHA256: r.ManifestSHA256}
	metricOf := func(id schemas.MetricID) (schemas.MetricID, error) {
		code := r.Vocab.Metric(id).Code
		m, ok := vocab.MetricByCode(code)
		if !ok {
			return 0, fmt.Errorf("previous release %s has metric %q, which this dataset does not define", name, code)
		}
		return m, nil
	}
	for _, t := range r.Tables {
		m, err := metricOf(t.Metric)
		if err != nil {
			return e, err
		}
		e.Tables = append(e.Tables, &protect.Table{Period: t.Period, Metric: m, Cells: t.Cells})
	}
	for _, in := range r.Manifest.Inputs {
		ei := protect.EarlierInput{File: in.File, Source: in.Source, SHA256: in.SHA256}
		if in.Rows > 0 && len(in.Tables) == 0 {
			return e, fmt.Errorf("previous release %s: %s does not say which tables input %s covers (it was built by an earlier release of the tool): without that, what it published cannot be related to this build; rebuild it with this release of the tool first",
				r.Dir, ManifestFile, in.File)
		}
		for _, name := range in.Tables {
			period, code, ok := strings.Cut(name, " ")
			d, err := schemas.ParseDate(period)
			m, known := vocab.MetricByCode(code)
			if !ok || err != nil || !known {
				return e, fmt.Errorf("previous release %s: %s: input %s: table %q is not a period and a metric of this dataset", r.Dir, ManifestFile, in.File, name)
			}
			ei.Tables = append(ei.Tables, schemas.TableRef{Period: d, Metric: m})
		}
		e.Inputs = append(e.Inputs, ei)
	}
	p := r.Manifest.Protection.Parameters
	e.Parameters = ingest.Protection{MinContributors: p.MinContributors, PPercent: p.PPercent, Interval: p.Interval, MinValue: map[string]int64{}}
	for k, v := range p.MinValue {
		e.Parameters.MinValue[k] = v
	}
	for _, rel := range r.Manifest.Protection.Relations {
		e.Relations = append(e.Relations, rel.Normal)
	}
	return e, nil
}

// OpenReleases opens the earlier releases in dirs, in that order, each checked by OpenRelease, and
// returns them with what the protection and the audit know of each (Earlier, in vocab, named by
// its folder).
func OpenReleases(dirs []string, datasetID string, key *minisign.PublicKey, vocab *schemas.Vocabulary) ([]*Release, []protect.Earlier, error) {
	var releases []*Release
	var earlier []protect.Earlier
	for _, d := range dirs {
		rel, err := OpenRelease(d, datasetID, key)
		if err != nil {
			return nil, nil, err
		}
		e, err := rel.Earlier(vocab, d)
		if err != nil {
			return nil, nil, err
		}
		releases, earlier = append(releases, rel), append(earlier, e)
	}
	return releases, earlier, nil
}
