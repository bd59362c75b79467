package publish

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"aead.dev/minisign"

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
}

// OpenRelease reads the report folder dir as an earlier release of the dataset datasetID ("" for
// any) and checks it first: it must be a report folder (a manifest.json the tool wrote), of that
// dataset, with every listed file of the listed size and SHA-256 and no other file; with a key, its
// manifest must also carry a valid signature by that key. A folder that fails is refused with a
// message naming the folder, what is wrong and what to do.
func OpenRelease(dir, datasetID string, key *minisign.PublicKey) (*Release, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("previous release %s: %w", showPath(dir), err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("previous release %s is not a folder: give the report folder of the earlier build", showPath(dir))
	}
	m, err := ReadManifest(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("previous release %s has no %s: it is not a report folder (give the folder an earlier `exposure build` wrote)", showPath(dir), ManifestFile)
	}
	if err != nil {
		return nil, fmt.Errorf("previous release %s: %w", showPath(dir), err)
	}
	if datasetID != "" && m.Dataset.ID != datasetID {
		return nil, fmt.Errorf("previous release %s is a release of dataset %q, not of %q: an earlier release must be of the same dataset", showPath(dir), m.Dataset.ID, datasetID)
	}
	if key != nil {
		check, err := VerifyPublished(dir, *key)
		if err != nil {
			return nil, fmt.Errorf("previous release %s: %w", showPath(dir), err)
		}
		if len(check.Differences) > 0 {
			return nil, fmt.Errorf("previous release %s fails its signature check: %s:\n  %s", showPath(dir), check.Summary, strings.Join(check.Differences, "\n  "))
		}
	} else {
		diffs, err := CheckFiles(dir, m)
		if err != nil {
			return nil, fmt.Errorf("previous release %s: %w", showPath(dir), err)
		}
		if len(diffs) > 0 {
			return nil, fmt.Errorf("previous release %s does not match its manifest (changed after its build, or not what it was): restore it as published:\n  %s", showPath(dir), strings.Join(diffs, "\n  "))
		}
	}
	vocab, tables, err := ReadCells(dir)
	if err != nil {
		return nil, fmt.Errorf("previous release %s: %w", showPath(dir), err)
	}
	return &Release{Dir: dir, Manifest: m, Vocab: vocab, Tables: tables, Sources: ReleaseSources(m)}, nil
}
