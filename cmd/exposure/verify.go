package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/exposure-research/exposure/pipeline"
)

func newVerifyCmd() *cobra.Command {
	var (
		flags   datasetFlags
		workers int
	)
	cmd := &cobra.Command{
		Use:   "verify DATASET_DIR REPORT_DIR",
		Short: "Rebuild a dataset and check that the published report is exactly what it gives",
		Long: `verify rebuilds the dataset in a temporary folder and compares every byte of the result with
the manifest of the published report folder, and the report folder's files with its manifest. It
names every file that differs and exits 1 if any does.`,
		Example: `  exposure verify datasets/pacs-2019 reports/pacs-2019`,
		Args:    args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, a []string) error {
			opts, err := flags.ingestOptions()
			if err != nil {
				return err
			}
			cfg := pipeline.Config{Dataset: a[0], Workers: workers, Ingest: opts}
			showProgress := progressOn(cmd.ErrOrStderr(), flags.quiet)
			if showProgress {
				cfg.Progress = newProgress(cmd.ErrOrStderr())
			}
			diffs, err := pipeline.Verify(cmd.Context(), cfg, a[1])
			finishProgress(cmd.ErrOrStderr(), showProgress)
			if err != nil {
				return failed(err)
			}
			if len(diffs) > 0 {
				return failed(errors.New(a[1] + " does not match a rebuild of " + a[0] + ":\n" + strings.Join(diffs, "\n")))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: every file matches a rebuild of %s\n", a[1], a[0])
			return nil
		},
	}
	flags.register(cmd)
	cmd.Flags().IntVar(&workers, "workers", 0, "tables protected in parallel (0: one per core)")
	return cmd
}
