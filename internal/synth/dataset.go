package synth

import (
	"bytes"
	"fmt"
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
	fmt.Fprintf(&b, "title: %s\n", yamlQuote(fmt.Sprintf("Synthetic exposure counts (seed %d, %d %s periods, %d countries)", opts.Seed, opts.Periods, opts.Cadence, opts.Countries)))
	fmt.Fprintf(&b, "licence: %s\n", yamlQuote("CC0-1.0"))
	b.WriteString("sources:\n")
	for s := 0; s < opts.Sources; s++ {
		id := sourceID(s, opts.Sources)
		var codes []string
		for _, p := range g.sources[s] {
			codes = append(codes, yamlQuote(g.countries[p].code))
		}
		var metrics []string
		for _, m := range g.metrics {
			metrics = append(metrics, yamlQuote(m))
		}
		fmt.Fprintf(&b, "  - id: %s\n", yamlQuote(id))
		name := "Synthetic scanner " + id
		if opts.Shape == ShapeFullGrid {
			name += " (" + regionNames[s] + ")"
		}
		fmt.Fprintf(&b, "    name: %s\n", yamlQuote(name))
		fmt.Fprintf(&b, "    key: %s\n", yamlQuote("keys/"+id+".pub"))
		b.WriteString("    scope:\n")
		fmt.Fprintf(&b, "      countries: [%s]\n", strings.Join(codes, ", "))
		fmt.Fprintf(&b, "      metrics: [%s]\n", strings.Join(metrics, ", "))
		fmt.Fprintf(&b, "      periods: {from: %s, to: %s}\n", yamlQuote(first), yamlQuote(last))
	}
	b.WriteString("inputs:\n")
	for _, f := range g.files {
		fmt.Fprintf(&b, "  - file: %s\n", yamlQuote(f.name))
		fmt.Fprintf(&b, "    source: %s\n", yamlQuote(sourceID(f.source, opts.Sources)))
	}
	b.WriteString("protection:\n")
	fmt.Fprintf(&b, "  min_contributors: %d\n", minContributors)
	fmt.Fprintf(&b, "  min_value: {affected_patients: %d}\n", minPatients)
	fmt.Fprintf(&b, "  p_percent: %d\n", pPercent)
	fmt.Fprintf(&b, "  interval: %s\n", protectionInterval)
	if opts.Relations == RelationsIdentity {
		b.WriteString("relations:\n")
		fmt.Fprintf(&b, "  - %s\n", yamlQuote(StockFlowIdentity))
	}
	b.WriteString("caveats:\n")
	for _, c := range []string{
		"Every figure in this dataset is synthetic, drawn from a random model; none describes a real system, organization or country.",
		"Country sizes, trends and organization-type shares are made up to resemble published exposure scans, not measured.",
	} {
		fmt.Fprintf(&b, "  - %s\n", yamlQuote(c))
	}
	return b.Bytes()
}

// commandLine returns the `exposure synth` command line that writes the dataset of opts again (every
// option spelled out, --out and --key-out left to the reader).
func commandLine(opts Options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "exposure synth --out DIR --shape %s --periods %d --cadence %s", opts.Shape, opts.Periods, opts.Cadence)
	if opts.Shape != ShapeFullGrid {
		fmt.Fprintf(&b, " --countries %d --sources %d --density %s", opts.Countries, opts.Sources, strconv.FormatFloat(opts.Density, 'g', -1, 64))
	}
	fmt.Fprintf(&b, " --seed %d --metrics %s --relations %s", opts.Seed, strings.Join(opts.Metrics, ","), opts.Relations)
	return b.String()
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
	fmt.Fprintf(&b, "- shape %s: ", opts.Shape)
	if opts.Shape == ShapeFullGrid {
		b.WriteString("every country, organization type and metric at every period, four sources by M49 region,\n" +
			"  one file per source and calendar year\n")
	} else {
		b.WriteString("the countries shared among the sources one by one, one file per source\n")
	}
	fmt.Fprintf(&b, "- %d %s periods, %s to %s\n", sum.Periods, opts.Cadence, sum.FirstPeriod, sum.LastPeriod)
	fmt.Fprintf(&b, "- %d countries, %d organization types, %d metrics: %s\n", sum.Countries, len(g.orgCodes), len(g.metrics), strings.Join(g.metrics, ", "))
	fmt.Fprintf(&b, "- %d sources, %d signed files, %s rows in all\n\n", sum.Sources, sum.Files, groupThousands(sum.Rows))
	b.WriteString("| source | file | key id |\n|---|---|---|\n")
	for _, f := range g.files {
		id := sourceID(f.source, opts.Sources)
		fmt.Fprintf(&b, "| %s | %s | %s |\n", id, f.name, sum.KeyIDs[f.source])
	}
	b.WriteString("\n## How it was made\n\n")
	fmt.Fprintf(&b, "    %s\n\n", commandLine(opts))
	b.WriteString("The same command gives the same bytes, signatures included: every draw, the signing keys too,\n" +
		"comes from generators seeded from the seed. The private keys are not in this folder.\n\n")
	b.WriteString("The model, per country and organization type, period after period:\n\n" +
		"- Countries are taken one per UN M49 region in turn. Each has a size drawn from a Pareto\n" +
		"  distribution (a few countries hold most systems), a weekly growth rate (so trends exist) and\n" +
		"  its own split of systems over organization types.\n")
	fmt.Fprintf(&b, "- Systems are simulated through time: each period some go offline (a country's weekly rate,\n"+
		"  %.0f to %.0f %%), some of those come back later, and new ones appear so that the stock follows the\n", 100*g.model.offLo, 100*g.model.offHi)
	b.WriteString(
		"  country's trend with persistent noise. exposed_systems, new_systems and offline_systems are\n" +
			"  counted from that one history, so new_systems <= exposed_systems and offline_systems <= the\n" +
			"  previous period's exposed_systems always hold. There are no flows at the first period.\n")
	if opts.Relations == RelationsIdentity {
		b.WriteString("- Relations: identity. A system that the previous period did not see is new, a returning one\n" +
			"  too, so exposed_systems = prev(exposed_systems) + new_systems - offline_systems holds exactly\n" +
			"  for every country and organization type, and dataset.yaml declares it.\n")
	} else {
		b.WriteString("- Relations: inequalities. new_systems counts the systems seen for the first time; a system\n" +
			"  that comes back after going offline is counted neither new nor offline, so the stock-flow\n" +
			"  identity does not hold and dataset.yaml declares no relation.\n")
	}
	b.WriteString("- The organizations behind a count (contributors) are fewer than its systems; a flow's are\n" +
		"  never more than its stock's. Studies, images and patients follow from the systems (images >=\n" +
		"  studies >= systems); vulnerabilities are Poisson per system.\n")
	fmt.Fprintf(&b, "- About %.0f %% of the non-zero rows give the largest and second largest organization's parts.\n", 100*g.model.dominanceShare)
	b.WriteString("- Cells with no system have value 0 and no contributors; many flows and small countries' cells\n" +
		"  have fewer than three contributors, so the disclosure rules have work to do.\n")
	if opts.Density < 1 {
		fmt.Fprintf(&b, "- Only a share of %s of the cells is written, chosen at random per source and period\n"+
			"  (selection sampling). The other metrics are chosen cell by cell. Systems are chosen by unit:\n"+
			"  a period's exposed_systems with its new_systems and the next period's offline_systems. A unit\n"+
			"  left out is a structural zero of the model: that period sees none of the systems, so the\n"+
			"  previous period's all count as offline and the next period's as not seen before.\n",
			strconv.FormatFloat(opts.Density, 'g', -1, 64))
	}
	b.WriteString("\n## Licence\n\nCC0-1.0: the synthetic counts are free of any right.\n")
	return b.Bytes()
}
