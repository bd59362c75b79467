package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"aead.dev/minisign"
	"github.com/spf13/cobra"

	"github.com/exposure-research/exposure/pipeline/publish"
)

func newDiffCmd() *cobra.Command {
	var (
		format string
		out    string
		key    string
		limit  int
	)
	cmd := &cobra.Command{
		Use:   "diff OLD_REPORT NEW_REPORT",
		Short: "Show what changed between two releases of a dataset",
		Long: `diff compares two report folders of the same dataset, an earlier release OLD_REPORT and a later
one NEW_REPORT, from their published files alone: periods and tables added or removed; cells revised
(published in both with different values), newly suppressed, newly published, added or removed;
flags changed (a break appeared, an estimate ended); rules changed (each protection parameter, old
-> new) and relations added or removed; inputs added, removed or changed (by digest, source, key
and rows). Each folder is checked first, as a build checks a previous release: its manifest, every
file's size and SHA-256 and, with --key, the publisher's signature. A folder that is not a report,
was changed after its build, or is of another dataset than OLD_REPORT is refused.

The text output is for people: the changes grouped by kind, each kind with its count and its first
--limit changes. --format csv or parquet writes one row per change (kind, period, metric, geo,
org_type, old_value, new_value, detail; empty or null where a column does not apply), to --out or,
for csv, to stdout. The exit status is 0 whether or not anything changed, 1 when a folder is refused.`,
		Example: `  exposure diff reports/pacs-2019-r1 reports/pacs-2019
  exposure diff reports/pacs-2019-r1 reports/pacs-2019 --limit 3
  exposure diff reports/pacs-2019-r1 reports/pacs-2019 --format csv > changes.csv
  exposure diff reports/pacs-2019-r1 reports/pacs-2019 --format parquet --out changes.parquet
  exposure diff reports/pacs-2019-r1 reports/pacs-2019 --key publisher.pub`,
		Args: args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, a []string) error {
			switch format {
			case "text", "csv":
			case "parquet":
				if out == "" {
					return usageError{errors.New("--format parquet needs --out FILE: Parquet is not written to stdout")}
				}
			default:
				return usageError{fmt.Errorf("--format %q: want text, csv or parquet", format)}
			}
			if limit < 0 {
				return usageError{fmt.Errorf("--limit must be at least 0, got %d", limit)}
			}
			var pub *minisign.PublicKey
			if key != "" {
				k, err := readPublicKey(key)
				if err != nil {
					return failed(err)
				}
				pub = &k
			}
			old, err := publish.OpenReleaseAs("release", a[0], "", pub)
			if err != nil {
				return failed(err)
			}
			later, err := publish.OpenReleaseAs("release", a[1], "", pub)
			if err != nil {
				return failed(err)
			}
			if oldID, newID := old.Manifest.Dataset.ID, later.Manifest.Dataset.ID; oldID != newID {
				return failed(fmt.Errorf("%s is a release of dataset %q and %s of dataset %q: diff compares two releases of the same dataset", a[0], oldID, a[1], newID))
			}
			d := publish.Diff(old, later)
			var buf bytes.Buffer
			switch format {
			case "text":
				err = d.WriteText(&buf, limit)
			case "csv":
				err = d.WriteCSV(&buf)
			case "parquet":
				err = d.WriteParquet(&buf)
			}
			if err != nil {
				return failed(err)
			}
			if out == "" {
				_, err := cmd.OutOrStdout().Write(buf.Bytes())
				return err
			}
			if err := writeFileAtomic(out, buf.Bytes()); err != nil {
				return failed(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d changes from %s to %s\n", out, len(d.Changes), a[0], a[1])
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text (for people), csv or parquet (one row per change)")
	cmd.Flags().StringVar(&out, "out", "", "write to this file instead of stdout (required with --format parquet)")
	cmd.Flags().IntVar(&limit, "limit", 10, "show at most this many changes of each kind in the text output (0: counts only)")
	cmd.Flags().StringVar(&key, "key", "", "the publisher's minisign public key: both releases must carry a valid signature by it")
	return cmd
}

// writeFileAtomic writes data to path through a temporary file beside it, so that a reader never
// sees half a file and a failure leaves an earlier file of that name as it was.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("--out %s: %w", path, err)
	}
	return nil
}
