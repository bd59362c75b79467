package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/exposure-research/exposure/internal/synth"
)

func newSynthCmd() *cobra.Command {
	var opts synth.Options
	var out string
	cmd := &cobra.Command{
		Use:   "synth --out DIR",
		Short: "Write a signed synthetic dataset of any size, for tests and benchmarks",
		Long: `synth writes a complete, signed, valid dataset folder of made-up counts: weekly periods, the
given number of countries, every organization type and metric, heavy-tailed values and a realistic
share of small cells. The same options give the same bytes. The signing keys are generated from the
seed and never written inside the dataset folder (use --key-out to keep them elsewhere).`,
		Example: `  exposure synth --out /tmp/synth
  exposure synth --out /tmp/synth-1m --periods 63 --countries 249 --seed 1   # about 1,000,000 rows`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, a []string) error {
			if out == "" {
				return usageError{fmt.Errorf("--out is required")}
			}
			if opts.Periods < 1 || opts.Countries < 1 || opts.Sources < 1 || opts.Density <= 0 || opts.Density > 1 {
				return usageError{fmt.Errorf("--periods, --countries and --sources must be at least 1 and --density in (0, 1]")}
			}
			summary, err := synth.Generate(out, opts)
			if err != nil {
				return failed(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %s\n", out, summary)
			return nil
		},
	}
	d := synth.DefaultOptions()
	cmd.Flags().StringVar(&out, "out", "", "dataset folder to create (must not exist or be empty)")
	cmd.Flags().IntVar(&opts.Periods, "periods", d.Periods, "number of weekly periods")
	cmd.Flags().IntVar(&opts.Countries, "countries", d.Countries, "number of countries (at most 249)")
	cmd.Flags().Int64Var(&opts.Seed, "seed", d.Seed, "seed of the generator: the same seed gives the same bytes")
	cmd.Flags().IntVar(&opts.Sources, "sources", d.Sources, "number of sources, each with its own key and file")
	cmd.Flags().Float64Var(&opts.Density, "density", d.Density, "share of the (period, country, org_type, metric) cells present")
	cmd.Flags().StringVar(&opts.KeyOut, "key-out", "", "folder outside the dataset to write the private keys to")
	return cmd
}
