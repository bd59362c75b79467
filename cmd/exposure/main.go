// Command exposure builds, checks and audits privacy-protected publications of internet-exposure
// counts. It is a thin shell over package pipeline: it parses flags, calls the pipeline and maps the
// outcome to an exit status (0 success, 1 the data or a check failed, 2 wrong usage).
//
//	exposure build [DATASET_DIR] [--out DIR]
//	exposure validate DATASET_DIR
//	exposure audit REPORT_DIR [--dataset DIR]
//	exposure verify DATASET_DIR REPORT_DIR
//	exposure synth --out DIR [--periods N] [--countries N] [--seed S]
//	exposure diff OLD_REPORT NEW_REPORT [--format text|csv|parquet] [--out FILE]
//	exposure --version
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/exposure-research/exposure/internal/buildinfo"
	"github.com/exposure-research/exposure/pipeline"
)

// Exit statuses (SPEC 7).
const (
	exitOK    = 0
	exitData  = 1
	exitUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// failure is an error that ends the command with exit status 1: the data or a check failed. Every
// other error out of cobra is wrong usage (exit status 2).
type failure struct{ err error }

func (f failure) Error() string { return f.err.Error() }
func (f failure) Unwrap() error { return f.err }

// failed marks err as a data or check failure.
func failed(err error) error {
	if err == nil {
		return nil
	}
	return failure{err}
}

// usageError is wrong usage that cobra does not catch itself (a bad flag value, a missing argument).
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }

// run executes the command line args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var f failure
	if errors.As(err, &f) {
		printErrors(stderr, f.err)
		return exitData
	}
	fmt.Fprintf(stderr, "exposure: %v\n", err)
	fmt.Fprintln(stderr, "Run 'exposure --help' for usage.")
	return exitUsage
}

// printErrors writes err to stderr one error per line, each line prefixed so that it stands alone in a
// log. Errors that join several (errors.Join, a list of row errors) print one line each.
func printErrors(w io.Writer, err error) {
	for _, line := range strings.Split(strings.TrimRight(err.Error(), "\n"), "\n") {
		fmt.Fprintf(w, "exposure: %s\n", line)
	}
}

// newRoot builds the command tree.
func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "exposure",
		Short: "Build privacy-protected publications of internet-exposure counts",
		Long: `exposure turns signed, already-aggregated counts of internet-exposed systems (by period,
country and organization type) into a publication that protects small counts: it verifies every
submission's minisign signature, validates every row, suppresses sensitive cells and enough others
that none can be worked out from the published totals (proved by an exact audit), computes trend
statistics from the published values only, and writes Parquet files, a Markdown briefing and a
manifest that reproduces byte for byte.`,
		Example: `  exposure build                                   # datasets/pacs-2019 -> reports/pacs-2019
  exposure validate datasets/pacs-2019
  exposure audit reports/pacs-2019 --dataset datasets/pacs-2019
  exposure verify datasets/pacs-2019 reports/pacs-2019
  exposure synth --out /tmp/synth --periods 52 --seed 7`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       pipeline.Version,
	}
	root.SetVersionTemplate(versionText(buildinfo.Read()))
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newBuildCmd(), newValidateCmd(), newAuditCmd(), newVerifyCmd(), newSynthCmd(), newDiffCmd())
	return root
}

// args wraps a cobra argument check so that its error is reported as wrong usage.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return usageError{err}
		}
		return nil
	}
}
