package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/exposure-research/exposure/internal/synth"
)

func newSynthCmd() *cobra.Command {
	var opts synth.Options
	var out, shape, cadence, metrics, relations string
	cmd := &cobra.Command{
		Use:   "synth --out DIR",
		Short: "Write a signed synthetic dataset of any size, for tests and benchmarks",
		Long: `synth writes a complete, signed, valid dataset folder of made-up counts: periods, countries,
every organization type, the chosen metrics, heavy-tailed values and a realistic share of small cells.
Systems are simulated through time, so exposed, new and offline systems always satisfy the
vocabulary's relations: new_systems <= exposed_systems, and offline_systems <= the previous period's
exposed_systems (there are no flows at the first period). The same options give the same bytes. The
signing keys are generated from the seed and never written inside the dataset folder (use --key-out
to keep them elsewhere).

Shapes:
  standard   the first --countries countries (one per M49 region in turn), shared among --sources
             sources country by country, one file per source, --density of the cells
  full-grid  every cell: all 249 countries x 8 organization types x the metrics at every period
             (tables of 2,448 cells with their totals), four sources that each cover whole M49
             regions, one file per source and calendar year; tuned to about 24 % of the leaves with
             1 or 2 contributors, 11 % zeros and the dominance pair on 46 % of the rows

Relations:
  inequalities  a system that went offline may come back; new_systems counts the systems seen for
                the first time, so a returning one is neither new nor offline: only the two
                inequalities hold, and dataset.yaml declares nothing
  identity      new_systems counts every system the previous period did not see, so
                exposed_systems = prev(exposed_systems) + new_systems - offline_systems holds exactly
                and dataset.yaml declares it under relations: (needs the three system metrics)

With --density below 1 the systems' cells are kept or left out together (a period's exposed_systems,
its new_systems and the next period's offline_systems); a unit left out is a structural zero of the
model, so every relation still holds.`,
		Example: `  exposure synth --out /tmp/synth
  exposure synth --out /tmp/linked --countries 40 --periods 6 --cadence monthly \
      --metrics exposed_systems,new_systems,offline_systems,exposed_studies --relations identity
  exposure synth --out /tmp/grid --shape full-grid --periods 63 --seed 1   # 999,984 rows`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, a []string) error {
			if out == "" {
				return usageError{fmt.Errorf("--out is required")}
			}
			var err error
			if opts.Shape, err = synth.ParseShape(shape); err != nil {
				return usageError{fmt.Errorf("--shape: %w", err)}
			}
			if opts.Cadence, err = synth.ParseCadence(cadence); err != nil {
				return usageError{fmt.Errorf("--cadence: %w", err)}
			}
			if opts.Relations, err = synth.ParseRelations(relations); err != nil {
				return usageError{fmt.Errorf("--relations: %w", err)}
			}
			opts.Metrics = nil
			if cmd.Flags().Changed("metrics") {
				for _, m := range strings.Split(metrics, ",") {
					opts.Metrics = append(opts.Metrics, strings.TrimSpace(m))
				}
			}
			// Zero options take the shape's defaults: a flag left alone passes zero, so that the full
			// grid can fix its countries, sources and density; a zero typed on the command line is
			// wrong usage, not a request for the default.
			if opts.Periods < 1 {
				return usageError{fmt.Errorf("--periods must be at least 1, not %d", opts.Periods)}
			}
			for _, f := range []struct {
				name string
				zero bool
				set  func()
			}{
				{"countries", opts.Countries < 1, func() { opts.Countries = 0 }},
				{"sources", opts.Sources < 1, func() { opts.Sources = 0 }},
				{"density", opts.Density <= 0, func() { opts.Density = 0 }},
			} {
				switch {
				case !cmd.Flags().Changed(f.name):
					f.set()
				case f.zero:
					return usageError{fmt.Errorf("--%s must be more than 0", f.name)}
				}
			}
			summary, err := synth.Generate(out, opts)
			if errors.Is(err, synth.ErrOptions) {
				return usageError{err}
			}
			if err != nil {
				return failed(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %s\n", out, summary)
			return nil
		},
	}
	d := synth.DefaultOptions()
	cmd.Flags().StringVar(&out, "out", "", "dataset folder to create (must not exist or be empty)")
	cmd.Flags().StringVar(&shape, "shape", string(d.Shape), "standard or full-grid (see above)")
	cmd.Flags().IntVar(&opts.Periods, "periods", d.Periods, "number of periods")
	cmd.Flags().StringVar(&cadence, "cadence", string(d.Cadence),
		"weekly (Mondays from "+synth.FirstPeriod+") or monthly (the first day of each month from "+synth.FirstMonth+")")
	cmd.Flags().IntVar(&opts.Countries, "countries", d.Countries, "number of countries (at most 249; the full grid has all)")
	cmd.Flags().Int64Var(&opts.Seed, "seed", d.Seed, "seed of the generator: the same seed gives the same bytes")
	cmd.Flags().IntVar(&opts.Sources, "sources", d.Sources, "number of sources, each with its own key and files (the full grid has 4)")
	cmd.Flags().Float64Var(&opts.Density, "density", d.Density, "share of the (period, country, org_type, metric) cells present (the full grid has 1)")
	cmd.Flags().StringVar(&metrics, "metrics", "", "comma-separated metric codes to write (default all eight)")
	cmd.Flags().StringVar(&relations, "relations", string(d.Relations), "inequalities or identity (see above)")
	cmd.Flags().StringVar(&opts.KeyOut, "key-out", "", "folder outside the dataset to write the private keys to")
	return cmd
}
