package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/pipeline/publish"
)

func newAuditCmd() *cobra.Command {
	var (
		flags   datasetFlags
		dataset string
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
of any single-contributor suppressed cell uses what it knows.`,
		Example: `  exposure audit reports/pacs-2019
  exposure audit reports/pacs-2019 --dataset datasets/pacs-2019`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			vocab, tables, err := publish.ReadCells(a[0])
			if err != nil {
				return failed(err)
			}
			relations, err := publish.ReadRelations(a[0], vocab)
			if err != nil {
				return failed(err)
			}
			var report *protect.AuditReport
			if dataset == "" {
				report, err = protect.Audit(vocab, tables, relations)
			} else {
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
	cmd.Flags().StringVar(&dataset, "dataset", "", "dataset folder with the true values: check the full protection rule")
	return cmd
}
