package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/exposure-research/exposure/pipeline"
	"github.com/exposure-research/exposure/pipeline/publish"
)

func newVerifyCmd() *cobra.Command {
	var (
		flags     datasetFlags
		workers   int
		published string
		key       string
		prev      previousFlags
		accept    string
	)
	cmd := &cobra.Command{
		Use:   "verify DATASET_DIR REPORT_DIR | verify --published REPORT_DIR --key PUB",
		Short: "Check a published report: against a rebuild of its dataset, or against its signed manifest",
		Long: `verify DATASET_DIR REPORT_DIR rebuilds the dataset in a temporary folder and compares every byte
of the result with the manifest of the published report folder, and the report folder's files with
its manifest. It names every difference, after a one-line summary of the cause (another release of
the tool, an input that changed, another configuration, or files changed after the build), and exits
1 if there is any. A signature (manifest.json.minisig) in the report folder is the one file a
rebuild does not make; it is accepted, and checked with --published. A release built with
--previous (or --accept-disclosed) is rebuilt with the same earlier releases (and list).

verify --published REPORT_DIR --key PUB needs no dataset: it checks that manifest.json.minisig is
a valid minisign signature of manifest.json by the publisher's public key PUB, that every file the
manifest lists has the listed size and SHA-256, and that the folder holds no other file.`,
		Example: `  exposure verify datasets/pacs-2019 reports/pacs-2019
  exposure verify --published reports/pacs-2019 --key publisher.pub`,
		Args: func(cmd *cobra.Command, a []string) error {
			if published != "" {
				if len(a) > 0 {
					return usageError{fmt.Errorf("verify --published takes the report folder as its value and no arguments, got %q", a)}
				}
				if key == "" {
					return usageError{errors.New("verify --published needs --key, the publisher's minisign public key")}
				}
				return nil
			}
			if key != "" {
				return usageError{errors.New("--key goes with --published: verify --published REPORT_DIR --key PUB")}
			}
			return args(cobra.ExactArgs(2))(cmd, a)
		},
		RunE: func(cmd *cobra.Command, a []string) error {
			if published != "" {
				return verifyPublished(cmd, published, key)
			}
			opts, err := flags.ingestOptions()
			if err != nil {
				return err
			}
			cfg := pipeline.Config{Dataset: a[0], Workers: workers, Ingest: opts, AcceptDisclosed: accept}
			if err := prev.apply(&cfg); err != nil {
				return err
			}
			showProgress := progressOn(cmd.ErrOrStderr(), flags.quiet)
			if showProgress {
				cfg.Progress = newProgress(cmd.ErrOrStderr())
			}
			mismatch, err := pipeline.Verify(cmd.Context(), cfg, a[1])
			finishProgress(cmd.ErrOrStderr(), showProgress)
			if err != nil {
				return failed(err)
			}
			if len(mismatch.Differences) > 0 {
				return failed(fmt.Errorf("%s does not match a rebuild of %s: %s", a[1], a[0], mismatch))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: every file matches a rebuild of %s\n", a[1], a[0])
			return nil
		},
	}
	flags.register(cmd)
	prev.register(cmd)
	cmd.Flags().StringVar(&accept, "accept-disclosed", "", "the accepted disclosures the build was given (see build --help)")
	cmd.Flags().IntVar(&workers, "workers", 0, "tables protected in parallel (0: one per core)")
	cmd.Flags().StringVar(&published, "published", "", "check this report folder against its signed manifest, without the dataset")
	cmd.Flags().StringVar(&key, "key", "", "the publisher's minisign public key (with --published)")
	return cmd
}

// verifyPublished is verify --published: the signature and every file, without the dataset.
func verifyPublished(cmd *cobra.Command, dir, keyFile string) error {
	pub, err := readPublicKey(keyFile)
	if err != nil {
		return failed(err)
	}
	check, err := publish.VerifyPublished(dir, pub)
	if err != nil {
		return failed(err)
	}
	if len(check.Differences) > 0 {
		return failed(fmt.Errorf("%s does not match its signed manifest: %s", dir, strings.Join(check.Lines(), "\n")))
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: the signature of manifest.json by key %s is valid (trusted comment: %s), and all %d files it lists match it\n",
		dir, check.KeyID, check.TrustedComment, check.Files)
	return nil
}
