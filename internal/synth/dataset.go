package synth

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Protection parameters written to a synthetic dataset.yaml: the defaults of SPEC 4, spelled out so
// that the folder documents the rules it was built for.
const (
	minContributors    = 3
	minPatients        = 11
	pPercent           = 10
	protectionInterval = "0.2"
)

// yamlQuote writes s as a double-quoted YAML scalar. Everything is quoted because YAML would otherwise
// read some country codes (NO) as booleans and dates as timestamps.
func yamlQuote(s string) string { return strconv.Quote(s) }

// datasetYAML returns the dataset.yaml (SPEC 6) of the synthetic dataset.
func datasetYAML(g *generator, opts Options) []byte {
	var b bytes.Buffer
	first, last := g.periods[0].String(), g.periods[len(g.periods)-1].String()
	fmt.Fprintf(&b, "# A synthetic dataset written by `exposure synth`: every count is made up. See README.md.\n")
	fmt.Fprintf(&b, "id: %s\n", yamlQuote(datasetID(opts.Seed)))
	fmt.Fprintf(&b, "title: %s\n", yamlQuote(fmt.Sprintf("Synthetic exposure counts (seed %d, %d weekly periods, %d countries)", opts.Seed, opts.Periods, opts.Countries)))
	fmt.Fprintf(&b, "licence: %s\n", yamlQuote("CC0-1.0"))
	b.WriteString("sources:\n")
	for s := 0; s < opts.Sources; s++ {
		id := sourceID(s, opts.Sources)
		var codes []string
		for _, p := range sourceCountries(opts, s) {
			codes = append(codes, yamlQuote(g.countries[p].code))
		}
		sort.Strings(codes)
		var metrics []string
		for _, m := range g.metrics {
			metrics = append(metrics, yamlQuote(m))
		}
		fmt.Fprintf(&b, "  - id: %s\n", yamlQuote(id))
		fmt.Fprintf(&b, "    name: %s\n", yamlQuote("Synthetic scanner "+id))
		fmt.Fprintf(&b, "    key: %s\n", yamlQuote("keys/"+id+".pub"))
		b.WriteString("    scope:\n")
		fmt.Fprintf(&b, "      countries: [%s]\n", strings.Join(codes, ", "))
		fmt.Fprintf(&b, "      metrics: [%s]\n", strings.Join(metrics, ", "))
		fmt.Fprintf(&b, "      periods: {from: %s, to: %s}\n", yamlQuote(first), yamlQuote(last))
	}
	b.WriteString("inputs:\n")
	for s := 0; s < opts.Sources; s++ {
		id := sourceID(s, opts.Sources)
		fmt.Fprintf(&b, "  - file: %s\n", yamlQuote("data/"+id+".csv"))
		fmt.Fprintf(&b, "    source: %s\n", yamlQuote(id))
	}
	b.WriteString("protection:\n")
	fmt.Fprintf(&b, "  min_contributors: %d\n", minContributors)
	fmt.Fprintf(&b, "  min_value: {affected_patients: %d}\n", minPatients)
	fmt.Fprintf(&b, "  p_percent: %d\n", pPercent)
	fmt.Fprintf(&b, "  interval: %s\n", protectionInterval)
	b.WriteString("caveats:\n")
	for _, c := range []string{
		"Every figure in this dataset is synthetic, drawn from a random model; none describes a real system, organization or country.",
		"Country sizes, trends and organization-type shares are made up to resemble published exposure scans, not measured.",
	} {
		fmt.Fprintf(&b, "  - %s\n", yamlQuote(c))
	}
	return b.Bytes()
}

// readme returns the README.md of the synthetic dataset: what it is, how it was made and how to make
// it again.
func readme(g *generator, opts Options, sum *Summary) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s: a synthetic dataset\n\n", sum.ID)
	b.WriteString("**Every number in this folder is synthetic.** It was written by `exposure synth`, a random model\n" +
		"of internet-exposure counts, to test and benchmark the pipeline. It describes no real system,\n" +
		"organization, person or country; the country codes only give the counts a realistic geography.\n\n")
	b.WriteString("## Contents\n\n")
	fmt.Fprintf(&b, "- %d weekly periods, %s to %s\n", sum.Periods, sum.FirstPeriod, sum.LastPeriod)
	fmt.Fprintf(&b, "- %d countries, %d organization types, %d metrics\n", sum.Countries, len(g.orgCodes), len(g.metrics))
	fmt.Fprintf(&b, "- %d sources, one signed file each, %s rows in all\n\n", sum.Sources, groupThousands(sum.Rows))
	b.WriteString("| source | file | key id |\n|---|---|---|\n")
	for s := 0; s < opts.Sources; s++ {
		id := sourceID(s, opts.Sources)
		fmt.Fprintf(&b, "| %s | data/%s.csv | %s |\n", id, id, sum.KeyIDs[s])
	}
	b.WriteString("\n## How it was made\n\n")
	fmt.Fprintf(&b, "    exposure synth --out DIR --periods %d --countries %d --seed %d --sources %d --density %s\n\n",
		opts.Periods, opts.Countries, opts.Seed, opts.Sources, strconv.FormatFloat(opts.Density, 'g', -1, 64))
	b.WriteString("The same command gives the same bytes, signatures included: every draw, the signing keys too,\n" +
		"comes from generators seeded from the seed. The private keys are not in this folder.\n\n")
	b.WriteString("The model, per country, organization type and week:\n\n" +
		"- Countries are taken one per UN M49 region in turn. Each has a size drawn from a Pareto\n" +
		"  distribution (a few countries hold most systems), a weekly growth rate (so trends exist) and\n" +
		"  its own split of systems over organization types.\n" +
		"- Exposed systems are Poisson around the country's size times its organization-type share, with\n" +
		"  week-to-week noise; the organizations behind them (contributors) are fewer than the systems.\n" +
		"- Studies, images and patients follow from the systems (images > studies > patients); new and\n" +
		"  offline systems are a few percent of the systems; vulnerabilities are Poisson per system.\n" +
		"- About 40 % of the non-zero rows give the largest and second largest organization's parts.\n" +
		"- Cells with no system have value 0 and no contributors; about a quarter of the non-zero cells\n" +
		"  have fewer than three contributors, so the disclosure rules have work to do.\n")
	if opts.Density < 1 {
		fmt.Fprintf(&b, "- Only a share of %s of the cells is written, chosen at random (selection sampling);\n"+
			"  the others are structural zeros.\n", strconv.FormatFloat(opts.Density, 'g', -1, 64))
	}
	b.WriteString("\n## Licence\n\nCC0-1.0: the synthetic counts are free of any right.\n")
	return b.Bytes()
}
