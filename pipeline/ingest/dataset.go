// Package ingest is the first stage of the pipeline: it reads a dataset folder (dataset.yaml, the
// sources' public keys, the signed submissions), verifies that every submission was signed by the
// source its input entry names, validates every row against the contract (SPEC 3.1) and the source's
// scope (SPEC 3.2), and hands the next stage the leaf cells of every table as a Dataset.
//
// Nothing that fails verification or validation reaches a Dataset: Load returns either a complete,
// authorized Dataset or every error it found (up to a limit), each naming file, line and column.
package ingest

import (
	"github.com/exposure-research/exposure/schemas"
)

// Dataset is the verified, validated content of a dataset folder: the leaf cells of every table, the
// configuration that governs the build and the provenance of every input. It holds confidential
// values (contributors, dominance, small counts); only pipeline/protect reads it.
type Dataset struct {
	Dir    string              // the dataset folder as given
	Config *Config             // dataset.yaml after overrides, checked
	Vocab  *schemas.Vocabulary // the default vocabulary plus the dataset's own metrics
	Inputs []InputFile         // one per input entry, in dataset.yaml's order
	// Relations are the relations between metrics in force: the vocabulary's, then the dataset's
	// own. The data satisfy every one of them wherever it is in force (see checkRelations).
	Relations []schemas.Relation
	Tables    []*Table // one per (period, metric) that a submission names, sorted by period then MetricID
}

// InputFile is the provenance of one submission: what was read, from whom, and how it was verified.
type InputFile struct {
	File   string // path relative to the dataset folder, with forward slashes
	Source string // id of the source whose key signed it
	SHA256 string // lower-case hex SHA-256 of the file's bytes
	KeyID  string // minisign key id of the signing key, 16 upper-case hex digits
	Rows   int64  // data rows read
	// Tables are the tables (period, metric) the file has leaves in, sorted: public, like the
	// sources' scopes. Two releases' versions of a table agree at every leaf whose source's inputs
	// covering the table are the same (SPEC 4, "Releases").
	Tables []schemas.TableRef
}

// Table is the set of leaf cells of one (period, metric): one per (country, organization type) that a
// submission names. Combinations that no submission names are structural zeros.
type Table struct {
	Period schemas.Date
	Metric schemas.MetricID
	Leaves []Leaf // sorted by (Geo, Org); no two share both
}

// Unknown marks a Leaf's Largest or SecondLargest as not given by the submission.
const Unknown int64 = -1

// Leaf is one submitted cell: a count of one metric for one country and organization type in one
// period, with the facts about its contributors that the disclosure rules need.
type Leaf struct {
	Geo           schemas.GeoID // a country
	Org           schemas.OrgID // an organization type, never OrgAll
	Input         uint16        // index in Dataset.Inputs of the file the leaf was read from
	Flags         schemas.ObsFlags
	Value         int64 // the count, >= 0
	Contributors  int64 // distinct organizations behind the count, >= 0
	Largest       int64 // largest single organization's part of Value, or Unknown
	SecondLargest int64 // second largest part, or Unknown
}

// HasDominance reports whether the leaf gives both largest parts, so that the p% rule applies to it.
func (l Leaf) HasDominance() bool { return l.Largest != Unknown && l.SecondLargest != Unknown }
