// Package pipeline wires the stages of a build in the order the data flows:
//
//	ingest.Load -> protect.Protect -> trend.Compute -> publish.Publish
//
// Each stage takes the previous stage's typed result and nothing else, so the trend and publish
// stages cannot see an unprotected value. Nothing else lives here: the stages are packages of their
// own, and the command line (cmd/exposure) only parses flags and calls Run or Verify.
package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"aead.dev/minisign"

	"github.com/exposure-research/exposure/internal/buildinfo"
	"github.com/exposure-research/exposure/pipeline/ingest"
	"github.com/exposure-research/exposure/pipeline/protect"
	"github.com/exposure-research/exposure/pipeline/publish"
	"github.com/exposure-research/exposure/pipeline/trend"
	"github.com/exposure-research/exposure/schemas"
)

// ToolName and Version identify the software in every manifest. Version changes with every release
// whose outputs differ, so that a rebuild years later knows which release to run.
const (
	ToolName = "exposure"
	Version  = "0.1.0"
)

// Tool is the tool as every manifest records it: this release, the Go release that built the binary
// and the versions of the modules that write the outputs, all of which are the same whether the tool
// was built with go build or go install or started with go run. The binary's VCS revision, which
// go run does not record, is left out, so that the bytes of a report do not depend on it.
func Tool(info buildinfo.Info) publish.ToolInfo {
	tool := publish.ToolInfo{Name: ToolName, Version: Version, Go: info.Go}
	for _, m := range info.Modules {
		tool.Modules = append(tool.Modules, publish.ModuleInfo{Path: m.Path, Version: m.Version})
	}
	return tool
}

// Config is what a build needs: the dataset folder, where to publish, and the stages' options.
type Config struct {
	Dataset  string          // the dataset folder (SPEC 3)
	Out      string          // the report folder to publish into (replaced atomically; see publish.OpenTarget)
	Workers  int             // tables protected in parallel; 0 means GOMAXPROCS
	Ingest   ingest.Options  // overrides, error limits
	Publish  publish.Options // filled by Run: Out and Target, and Tool where empty
	Progress Progress        // where the build reports its progress

	// Previous are earlier report folders of the dataset besides those dataset.yaml's previous
	// names, oldest first (SPEC 6, 7: --previous). PreviousKey, if set, is the publisher's public
	// key: each earlier release must then carry its valid signature.
	Previous    []string
	PreviousKey *minisign.PublicKey
	// AcceptDisclosed is a cell list (schemas.ParseCellList) of the frozen cells the publisher
	// accepts as disclosed by the earlier releases; "" for none.
	AcceptDisclosed string
}

// Progress receives a build's progress, stage by stage; any field may be nil. The command line
// draws progress bars with it when stderr is a terminal.
type Progress struct {
	Read      func(file, phase string, done, total int64) // ingest: bytes of each file verified, then read
	Protected func(done, total int)                       // protect: tables protected
	Written   func(file string)                           // publish: files of the report written
}

// Run builds and publishes one dataset: it verifies and validates the inputs, protects every table
// and proves it with the exact audit, derives the trends from the published values, and publishes the
// report folder atomically. On any error nothing is published and the previous report is untouched.
//
// Unless the process has a memory limit of its own (GOMEMLIMIT, or debug.SetMemoryLimit), Run sets
// a soft limit for its duration (limitMemory).
func Run(ctx context.Context, cfg Config) (*publish.Manifest, error) {
	defer limitMemory()()
	// The report folder is checked and locked first, so that a folder the build may not replace,
	// or one another build is writing, is refused before the long work starts.
	target, err := publish.OpenTarget(cfg.Out, cfg.Dataset)
	if err != nil {
		return nil, err
	}
	defer target.Close()
	if cfg.Progress.Read != nil {
		cfg.Ingest.Progress = cfg.Progress.Read
	}
	ds, err := ingest.Load(ctx, cfg.Dataset, cfg.Ingest)
	if err != nil {
		return nil, err
	}
	earlier, releases, err := openPrevious(cfg, ds)
	if err != nil {
		return nil, err
	}
	var accept []schemas.CellID
	if cfg.AcceptDisclosed != "" {
		data, err := os.ReadFile(cfg.AcceptDisclosed)
		if err != nil {
			return nil, fmt.Errorf("reading the accepted disclosures: %w", err)
		}
		if accept, err = schemas.ParseCellList(data, cfg.AcceptDisclosed, ds.Vocab); err != nil {
			return nil, err
		}
	}
	// The leaves are not needed once protected: letting Protect drop them keeps the peak memory of
	// a build near the larger of the dataset and the protected result, not their sum.
	protected, err := protect.Protect(ctx, ds, protect.Options{Workers: cfg.Workers, ConsumeInput: true, Progress: cfg.Progress.Protected,
		Earlier: earlier, AcceptDisclosed: accept})
	if err != nil {
		return nil, fmt.Errorf("protecting %s: %w", cfg.Dataset, err)
	}
	trends, err := trend.Compute(ctx, protected)
	if err != nil {
		return nil, fmt.Errorf("computing trends: %w", err)
	}
	opts := cfg.Publish
	opts.Out, opts.Target = cfg.Out, target
	if len(releases) > 0 {
		opts.Previous = releases[len(releases)-1]
	}
	if cfg.Progress.Written != nil {
		opts.Progress = cfg.Progress.Written
	}
	if opts.Tool.Name == "" {
		opts.Tool = Tool(buildinfo.Read())
	}
	manifest, err := publish.Publish(ctx, trends, opts)
	if err != nil {
		return nil, fmt.Errorf("publishing %s: %w", cfg.Out, err)
	}
	return manifest, nil
}

// openPrevious opens the earlier releases that dataset.yaml's previous and cfg.Previous name (the
// former relative to the dataset folder), each once, in that order, checked by publish.OpenRelease.
func openPrevious(cfg Config, ds *ingest.Dataset) ([]protect.Earlier, []*publish.Release, error) {
	var dirs []string
	for _, d := range ds.Config.Previous {
		if !filepath.IsAbs(d) {
			d = filepath.Join(cfg.Dataset, d)
		}
		dirs = append(dirs, d)
	}
	dirs = append(dirs, cfg.Previous...)
	seen := map[string]bool{}
	var unique []string
	for _, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, nil, fmt.Errorf("previous release %s: %w", d, err)
		}
		if !seen[abs] {
			seen[abs] = true
			unique = append(unique, d)
		}
	}
	releases, earlier, err := publish.OpenReleases(unique, ds.Config.ID, cfg.PreviousKey, ds.Vocab)
	if err != nil {
		return nil, nil, err
	}
	// Every cell once published stays public: a release built over earlier ones needs them too.
	given := map[string]bool{}
	for _, r := range releases {
		given[r.ManifestSHA256] = true
	}
	for _, r := range releases {
		for _, digest := range r.Manifest.Previous {
			if !given[digest] {
				return nil, nil, fmt.Errorf("previous release %s was protected against an earlier release (manifest.json sha256 %s) that is not given: what that one published is public too; give it with --previous, oldest first", r.Dir, digest)
			}
		}
	}
	return earlier, releases, nil
}

// Verify rebuilds the dataset into a temporary folder and compares the result with the published
// report folder: every output's bytes and digest, the inputs' digests and rows, the tool and the
// configuration. It returns every difference, after a one-line summary of their likely cause; none
// means the publication is exactly what the signed inputs give.
func Verify(ctx context.Context, cfg Config, reportDir string) (*publish.Mismatch, error) {
	published, err := publish.ReadManifest(reportDir)
	if err != nil {
		return nil, err
	}
	scratch, err := os.MkdirTemp("", "exposure-verify-")
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	defer os.RemoveAll(scratch)
	cfg.Out = filepath.Join(scratch, "report")
	cfg.Publish.Signer = nil
	rebuilt, err := Run(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("rebuilding %s: %w", cfg.Dataset, err)
	}
	return publish.CompareRebuild(reportDir, published, cfg.Out, rebuilt)
}
