package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/exposure-research/exposure/pipeline/ingest"
)

// datasetFlags are the flags of every command that reads a dataset folder.
type datasetFlags struct {
	set       []string // KEY=VALUE overrides of dataset.yaml
	maxErrors int
	// The limits of ingest.Limits; 0 leaves dataset.yaml's value (or the default).
	maxFileBytes     int64
	maxRowsPerFile   int64
	maxCellsPerTable int64
	quiet            bool // no progress bars, even on a terminal
}

func (f *datasetFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.set, "set", nil,
		"override a dataset.yaml key, e.g. --set protection.min_contributors=5 (repeatable; beats EXPOSURE_* variables)")
	cmd.Flags().BoolVarP(&f.quiet, "quiet", "q", false, "draw no progress on stderr (it is drawn only when stderr is a terminal)")
	cmd.Flags().IntVar(&f.maxErrors, "max-errors", 50, "list at most this many errors, then a count of the rest")
	cmd.Flags().Int64Var(&f.maxFileBytes, "max-file-bytes", 0,
		"refuse a submission file larger than this many bytes (default: dataset.yaml's limits.max_file_bytes, else 4 GiB)")
	cmd.Flags().Int64Var(&f.maxRowsPerFile, "max-rows-per-file", 0,
		"refuse a submission file with more data rows (default: limits.max_rows_per_file, else 50,000,000)")
	cmd.Flags().Int64Var(&f.maxCellsPerTable, "max-cells-per-table", 0,
		"refuse a (period, metric) table with more leaf cells (default: limits.max_cells_per_table, else 1,000,000)")
}

// ingestOptions turns the flags into the ingest stage's options.
func (f *datasetFlags) ingestOptions() (ingest.Options, error) {
	opts := ingest.Options{MaxErrors: f.maxErrors, Env: os.Environ()}
	if f.maxErrors < 1 {
		return opts, usageError{fmt.Errorf("--max-errors must be at least 1, got %d", f.maxErrors)}
	}
	for _, l := range []struct {
		flag  string
		value int64
	}{{"--max-file-bytes", f.maxFileBytes}, {"--max-rows-per-file", f.maxRowsPerFile}, {"--max-cells-per-table", f.maxCellsPerTable}} {
		if l.value < 0 {
			return opts, usageError{fmt.Errorf("%s must be at least 1, got %d", l.flag, l.value)}
		}
	}
	opts.MaxFileBytes, opts.MaxRowsPerFile, opts.MaxCellsPerTable = f.maxFileBytes, f.maxRowsPerFile, f.maxCellsPerTable
	if len(f.set) > 0 {
		opts.Overrides = map[string]any{}
	}
	for _, kv := range f.set {
		key, value, ok := strings.Cut(kv, "=")
		if !ok || key == "" {
			return opts, usageError{fmt.Errorf("--set %q: want KEY=VALUE, e.g. protection.interval=0.25", kv)}
		}
		opts.Overrides[key] = parseScalar(value)
	}
	return opts, nil
}

// parseScalar reads a flag value the way YAML would read a plain scalar: an integer, a number, a
// boolean or else a string, so that --set gives the same value as the same text in dataset.yaml.
func parseScalar(s string) any {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f
	}
	if b, err := strconv.ParseBool(s); err == nil {
		return b
	}
	return s
}
