package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/pipeline/publish"
	"github.com/exposure-research/exposure/schemas"
)

func newAuditCmd() *cobra.Command {
	var (
		flags   datasetFlags
		dataset string
		prev    previousFlags
	)
	cmd := &cobra.Command{
		Use:   "audit REPORT_DIR",
		Short: "Derive every suppressed cell's interval from the published files, as an outsider would",
		Long: `audit reads the published cells.parquet (and manifest.json) of a report folder and nothing
else, and computes, for every suppressed cell, the exact interval of values that the published cells,
the additive relations of the tables and non-negativity allow (the bounds of the linear program). It
prints one line per suppressed cell and exits 1 if any interval is narrower than 1.

With --dataset it also reads the true values from the dataset folder and checks the full protection
rule: every sensitive cell's interval reaches q below and above its value, also when the contributor
of any single-contributor suppressed cell uses what it knows.

With --previous, earlier releases of the dataset are in the model too (each checked against its
manifest first): their published cells, equal to this release's at every leaf whose source's
inputs are the same files in both manifests. The intervals are then those an attacker holding all
the releases derives.`,
		Example: `  exposure audit reports/pacs-2019
  exposure audit reports/pacs-2019 --dataset datasets/pacs-2019
  exposure audit /tmp/pacs-2019-v2 --previous /tmp/pacs-2019-v1`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			// With earlier releases the folder is read as a release (manifest, digests, cells),
			// once; without, its cells alone, as an outsider holding only them would.
			var self *publish.Release
			var vocab *schemas.Vocabulary
			var tables []*protect.Table
			var err error
			if len(prev.dirs) > 0 {
				if self, err = publish.OpenReleaseAs("release", a[0], "", nil); err == nil {
					vocab, tables = self.Vocab, self.Tables
				}
			} else {
				vocab, tables, err = publish.ReadCells(a[0])
			}
			if err != nil {
				return failed(err)
			}
			relations, err := publish.ReadRelations(a[0], vocab)
			if err != nil {
				return failed(err)
			}
			var report *protect.AuditReport
			switch {
			case self != nil:
				report, err = auditWithPrevious(self, relations, prev)
				if err == nil && dataset != "" && report.OK() {
					fmt.Fprint(cmd.OutOrStdout(), report.String())
					report = nil
				}
			case dataset == "":
				report, err = protect.Audit(vocab, tables, relations)
			}
			if err == nil && dataset != "" && report == nil {
				opts, oerr := flags.ingestOptions()
				if oerr != nil {
					return oerr
				}
				ds, lerr := ingest.Load(cmd.Context(), dataset, opts)
				if lerr != nil {
					return failed(lerr)
				}
				report, err = protect.AuditDataset(ds, tables)
			}
			if err != nil {
				return failed(err)
			}
			fmt.Fprint(cmd.OutOrStdout(), report.String())
			if !report.OK() {
				return failed(errors.New("audit failed: the published cells narrow a suppressed cell too far (see above)"))
			}
			return nil
		},
	}
	flags.register(cmd)
	prev.register(cmd)
	cmd.Flags().StringVar(&dataset, "dataset", "", "dataset folder with the true values: check the full protection rule")
	return cmd
}

// auditWithPrevious audits the release self with the earlier releases of prev in the joint model
// (protect.AuditWith).
func auditWithPrevious(self *publish.Release, relations []schemas.Relation, prev previousFlags) (*protect.AuditReport, error) {
	key, err := prev.publicKey()
	if err != nil {
		return nil, err
	}
	selfE, err := self.Earlier(self.Vocab, self.Dir)
	if err != nil {
		return nil, err
	}
	_, earlier, err := publish.OpenReleases(prev.dirs, self.Manifest.Dataset.ID, key, self.Vocab)
	if err != nil {
		return nil, err
	}
	return protect.AuditWith(self.Vocab, self.Tables, relations, selfE, earlier)
}
