package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/schemas"
)

func newValidateCmd() *cobra.Command {
	var flags datasetFlags
	cmd := &cobra.Command{
		Use:   "validate DATASET_DIR",
		Short: "Check a dataset's signatures and rows; publish nothing",
		Long: `validate verifies every submission's minisign signature against its source's key, reads every
row and checks it against the contract (vocabularies, integers, contributor and dominance rules,
duplicates, the source's scope). It lists every error as file:line:column: message and exits 1 if
there is any; on success it prints a short summary of the dataset.`,
		Example: `  exposure validate datasets/pacs-2019
  EXPOSURE_PROTECTION_MIN_CONTRIBUTORS=5 exposure validate datasets/pacs-2019`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			opts, err := flags.ingestOptions()
			if err != nil {
				return err
			}
			showProgress := progressOn(cmd.ErrOrStderr(), flags.quiet)
			if showProgress {
				opts.Progress = newProgress(cmd.ErrOrStderr()).Read
			}
			ds, err := ingest.Load(cmd.Context(), a[0], opts)
			finishProgress(cmd.ErrOrStderr(), showProgress)
			if err != nil {
				return failed(err)
			}
			printDatasetSummary(cmd.OutOrStdout(), ds)
			return nil
		},
	}
	flags.register(cmd)
	return cmd
}

// printDatasetSummary writes what a valid dataset holds: sources, files, rows, periods, countries and
// metrics.
func printDatasetSummary(w io.Writer, ds *ingest.Dataset) {
	var rows int64
	for _, in := range ds.Inputs {
		rows += in.Rows
	}
	periods := map[schemas.Date]bool{}
	countries := map[schemas.GeoID]bool{}
	metrics := map[schemas.MetricID]bool{}
	cells := 0
	for _, t := range ds.Tables {
		periods[t.Period] = true
		metrics[t.Metric] = true
		for _, l := range t.Leaves {
			countries[l.Geo] = true
		}
		cells += len(t.Leaves)
	}
	var dates []schemas.Date
	for d := range periods {
		dates = append(dates, d)
	}
	sort.Slice(dates, func(i, j int) bool { return dates[i] < dates[j] })
	var metricCodes []string
	for m := range metrics {
		metricCodes = append(metricCodes, ds.Vocab.Metric(m).Code)
	}
	sort.Strings(metricCodes)
	fmt.Fprintf(w, "dataset %s: valid\n", ds.Config.ID)
	fmt.Fprintf(w, "  sources:   %d\n", len(ds.Config.Sources))
	for _, in := range ds.Inputs {
		fmt.Fprintf(w, "    %s  %s  key %s  %d rows\n", in.File, in.Source, in.KeyID, in.Rows)
	}
	fmt.Fprintf(w, "  files:     %d\n", len(ds.Inputs))
	fmt.Fprintf(w, "  rows:      %d\n", rows)
	if len(dates) > 0 {
		fmt.Fprintf(w, "  periods:   %d (%s to %s)\n", len(dates), dates[0], dates[len(dates)-1])
	} else {
		fmt.Fprintf(w, "  periods:   0\n")
	}
	fmt.Fprintf(w, "  countries: %d\n", len(countries))
	fmt.Fprintf(w, "  metrics:   %d (%s)\n", len(metricCodes), strings.Join(metricCodes, ", "))
	fmt.Fprintf(w, "  tables:    %d (%d leaf cells)\n", len(ds.Tables), cells)
}
