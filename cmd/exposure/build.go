package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/exposure-research/exposure/internal/signing"
	"github.com/exposure-research/exposure/pipeline"
	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/pipeline/publish"
)

// defaultDataset is the bundled dataset that `exposure build` builds when given no folder.
const defaultDataset = "datasets/pacs-2019"

func newBuildCmd() *cobra.Command {
	var (
		flags   datasetFlags
		out     string
		workers int
		signKey string
		prev    previousFlags
		accept  string
	)
	cmd := &cobra.Command{
		Use:   "build [DATASET_DIR]",
		Short: "Verify, protect and publish a dataset (default datasets/pacs-2019 -> reports/pacs-2019)",
		Long: `build runs the whole pipeline on a dataset folder: it verifies every submission's signature,
validates every row, suppresses sensitive cells and enough others to protect them, proves the
protection with an exact audit, computes trend statistics from the published values and publishes
cells, trends, series and summary Parquet files, report.md and manifest.json into the report folder.
The folder is replaced atomically: a failed build publishes nothing and leaves the previous report
as it was. Only a new or empty folder, or an earlier report folder (its files exactly those its
manifest.json lists), is replaced; any other folder, the dataset folder, a folder inside or above
it, a symbolic link and a folder that another build is writing are refused.

With --sign, manifest.json is signed with the publisher's minisign secret key into
manifest.json.minisig (prehashed, as minisign -Sm does; the trusted comment names the dataset and
the release). An encrypted key's passphrase is read from EXPOSURE_SIGN_PASSWORD, else asked for on
the terminal. Anyone can then check the release without the dataset: exposure verify --published.

With --previous (or dataset.yaml's previous), earlier releases of the dataset are public knowledge:
each is checked against its manifest first; a table whose inputs and rules did not change keeps its
earlier pattern, a changed or new table is protected jointly with everything published before, and
a cell published before with the same value stays published. Where earlier releases already give a
sensitive cell away (a stricter rule, a late leaf beside published totals) the build refuses and
lists those cells; --accept-disclosed FILE (CSV: period,metric,geo,org_type) accepts them, and the
report's methodology names them.`,
		Example: `  exposure build
  exposure build datasets/pacs-2019 --out /tmp/pacs-report
  exposure build /data/consortium-2024 --workers 4 --set protection.min_contributors=5
  EXPOSURE_SIGN_PASSWORD=... exposure build --sign ~/.minisign/publisher.key
  exposure build datasets/pacs-2019 --previous /tmp/pacs-2019-v1 --out /tmp/pacs-2019-v2`,
		Args: args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			dataset := defaultDataset
			if len(a) == 1 {
				dataset = a[0]
			}
			opts, err := flags.ingestOptions()
			if err != nil {
				return err
			}
			if workers < 0 {
				return usageError{fmt.Errorf("--workers must be 0 (all cores) or more, got %d", workers)}
			}
			if out == "" {
				cfg, err := ingest.LoadConfig(dataset, opts)
				if err != nil {
					return failed(err)
				}
				out = filepath.Join("reports", cfg.ID)
			}
			cfg := pipeline.Config{Dataset: dataset, Out: out, Workers: workers, Ingest: opts, AcceptDisclosed: accept}
			if err := prev.apply(&cfg); err != nil {
				return err
			}
			if signKey != "" {
				// Read before the build, so that a wrong passphrase stops it at once.
				key, err := readSecretKey(signKey, terminalPassphrase(cmd.ErrOrStderr()))
				if err != nil {
					return failed(err)
				}
				cfg.Publish.Signer = &key
			}
			showProgress := progressOn(cmd.ErrOrStderr(), flags.quiet)
			if showProgress {
				cfg.Progress = newProgress(cmd.ErrOrStderr())
			}
			manifest, err := pipeline.Run(cmd.Context(), cfg)
			finishProgress(cmd.ErrOrStderr(), showProgress)
			if err != nil {
				return failed(err)
			}
			w := cmd.OutOrStdout()
			p := manifest.Protection
			fmt.Fprintf(w, "published %s: %d tables, %d cells, %d suppressed\n", out, p.Tables, p.Cells, p.Suppressed)
			for _, o := range manifest.Outputs {
				fmt.Fprintf(w, "  %-16s %12d bytes  sha256 %s\n", o.File, o.Bytes, o.SHA256)
			}
			if cfg.Publish.Signer != nil {
				fmt.Fprintf(w, "signed %s with key %s into %s (trusted comment: %s)\n", publish.ManifestFile,
					signing.KeyID(cfg.Publish.Signer.ID()), publish.SignatureFile, publish.TrustedComment(manifest))
			}
			return nil
		},
	}
	flags.register(cmd)
	prev.register(cmd)
	cmd.Flags().StringVar(&accept, "accept-disclosed", "", "CSV file (period,metric,geo,org_type) of the cells earlier releases disclosed that the publisher accepts")
	cmd.Flags().StringVar(&out, "out", "", "report folder to publish into (default reports/<dataset id>)")
	cmd.Flags().IntVar(&workers, "workers", 0, "tables protected in parallel (0: one per core)")
	cmd.Flags().StringVar(&signKey, "sign", "",
		"sign manifest.json with this minisign secret key into manifest.json.minisig (passphrase from "+signPasswordEnv+" or a prompt)")
	return cmd
}
