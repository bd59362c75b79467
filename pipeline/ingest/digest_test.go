package ingest

import "testing"

// TestConfigDigest checks that the manifest's config digest names what decides the publication and
// nothing else: the order of sources, inputs and scope lists and the limits leave it alone; a changed
// parameter, title, input or caveat changes it.
func TestConfigDigest(t *testing.T) {
	base := func() *Config {
		return &Config{
			ID: "tiny", Title: "A tiny dataset", Licence: "CC-BY-4.0",
			Sources: []Source{
				{ID: "acme", Name: "Acme", Key: "keys/acme.pub", Scope: Scope{Countries: []string{"DE", "FR"}}},
				{ID: "beta", Name: "Beta", Key: "keys/beta.pub"},
			},
			Inputs:     []Input{{File: "data/a.csv", Source: "acme"}, {File: "data/b.csv", Source: "beta"}},
			Protection: DefaultProtection(),
			Caveats:    []string{"one", "two"},
			Limits:     DefaultLimits(),
		}
	}
	digest := func(c *Config) string {
		d, err := configDigest(c)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	want := digest(base())
	same := map[string]func(*Config){
		"sources reordered": func(c *Config) { c.Sources[0], c.Sources[1] = c.Sources[1], c.Sources[0] },
		"inputs reordered":  func(c *Config) { c.Inputs[0], c.Inputs[1] = c.Inputs[1], c.Inputs[0] },
		"scope reordered":   func(c *Config) { c.Sources[0].Scope.Countries = []string{"FR", "DE"} },
		"limits raised":     func(c *Config) { c.Limits.MaxRowsPerFile *= 2 },
	}
	differ := map[string]func(*Config){
		"interval":          func(c *Config) { c.Protection.Interval = 0.25 },
		"min_value":         func(c *Config) { c.Protection.MinValue = map[string]int64{"affected_patients": 12} },
		"title":             func(c *Config) { c.Title = "Another" },
		"a declared break":  func(c *Config) { c.Breaks = []Break{{Period: "2019-03-01", Reason: "new method"}} },
		"an estimate":       func(c *Config) { c.Estimates = []Estimate{{File: "data/a.csv", Reason: "allocated"}} },
		"a comparison":      func(c *Config) { c.Comparisons = [][]string{{"DE", "FR"}} },
		"input source":      func(c *Config) { c.Inputs[1].Source = "acme" },
		"caveats reordered": func(c *Config) { c.Caveats[0], c.Caveats[1] = c.Caveats[1], c.Caveats[0] },
		"scope":             func(c *Config) { c.Sources[0].Scope.Countries = []string{"DE"} },
	}
	for name, change := range same {
		c := base()
		change(c)
		if got := digest(c); got != want {
			t.Errorf("%s changes the digest", name)
		}
	}
	for name, change := range differ {
		c := base()
		change(c)
		if got := digest(c); got == want {
			t.Errorf("%s leaves the digest unchanged", name)
		}
	}
}
