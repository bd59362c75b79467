package ingest

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// validYAML is a configuration that loads; each case of TestConfigRules changes one thing in it.
const validYAML = `id: test-set
title: Test dataset
licence: CC-BY-4.0
sources:
  - id: alpha
    name: Alpha Research
    key: keys/alpha.pub
    scope:
      countries: [DE, FR]
      metrics: [exposed_systems]
      periods: {from: 2019-01-01, to: 2019-12-31}
inputs:
  - file: data/a.csv
    source: alpha
protection:
  min_contributors: 3
  min_value: {exposed_studies: 5}
  p_percent: 10
  interval: 0.2
metrics:
  - code: exposed_ports
    description: Open ports of exposed systems
    unit: ports
caveats:
  - Figures are illustrative.
`

// configDir writes a dataset folder with the given dataset.yaml, alpha's key and a signed data/a.csv.
func configDir(t testing.TB, yamlText string) string {
	t.Helper()
	dir := t.TempDir()
	writePublicKey(t, filepath.Join(dir, "keys/alpha.pub"), keyFor(t, "alpha").pub)
	mustWrite(t, filepath.Join(dir, "data/a.csv"), []byte(header+"2019-09-01,DE,hospital,exposed_systems,10,3,,\n"))
	mustWrite(t, filepath.Join(dir, ConfigFile), []byte(yamlText))
	return dir
}

// TestLoadConfigValid checks that a valid file decodes completely, with defaults and merges applied.
func TestLoadConfigValid(t *testing.T) {
	cfg, err := LoadConfig(configDir(t, validYAML), Options{Env: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ID != "test-set" || cfg.Title != "Test dataset" || cfg.Licence != "CC-BY-4.0" {
		t.Errorf("header fields: %+v", cfg)
	}
	if len(cfg.Sources) != 1 || cfg.Sources[0].Scope.Periods.From != "2019-01-01" || cfg.Sources[0].Scope.Periods.To != "2019-12-31" ||
		strings.Join(cfg.Sources[0].Scope.Countries, ",") != "DE,FR" {
		t.Errorf("sources: %+v", cfg.Sources)
	}
	if len(cfg.Inputs) != 1 || cfg.Inputs[0] != (Input{File: "data/a.csv", Source: "alpha"}) {
		t.Errorf("inputs: %+v", cfg.Inputs)
	}
	want := map[string]int64{"affected_patients": 11, "exposed_studies": 5}
	if len(cfg.Protection.MinValue) != 2 || cfg.Protection.MinValue["affected_patients"] != 11 || cfg.Protection.MinValue["exposed_studies"] != 5 {
		t.Errorf("min_value: got %v, want %v (merged over the defaults)", cfg.Protection.MinValue, want)
	}
	if len(cfg.Metrics) != 1 || cfg.Metrics[0].Code != "exposed_ports" || cfg.Metrics[0].Unit != "ports" {
		t.Errorf("metrics: %+v", cfg.Metrics)
	}
	if len(cfg.Caveats) != 1 || cfg.Caveats[0] != "Figures are illustrative." {
		t.Errorf("caveats: %+v", cfg.Caveats)
	}
	if len(cfg.SHA256) != 64 {
		t.Errorf("SHA256 %q", cfg.SHA256)
	}
}

// TestLoadConfigDefaults checks the protection defaults where dataset.yaml has no protection key.
func TestLoadConfigDefaults(t *testing.T) {
	text := validYAML[:strings.Index(validYAML, "protection:")]
	cfg, err := LoadConfig(configDir(t, text), Options{Env: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultProtection()
	p := cfg.Protection
	if p.MinContributors != def.MinContributors || p.PPercent != def.PPercent || p.Interval != def.Interval ||
		len(p.MinValue) != 1 || p.MinValue["affected_patients"] != 11 {
		t.Errorf("got %+v, want the defaults %+v", p, def)
	}
}

// TestConfigRules has one case per check of dataset.yaml. Each replaces a piece of validYAML and
// asserts the kind of the first error and its whole message, with line and column.
func TestConfigRules(t *testing.T) {
	tests := []struct {
		name     string
		old, new string // replace old by new in validYAML; old "" means new is the whole file
		kind     error
		want     string
	}{
		{"unknown key with suggestion", "  min_contributors: 3", "  min_contributor: 3", ErrUnknownKey,
			"dataset.yaml:16:3: protection.min_contributor: unknown key (did you mean min_contributors?)"},
		{"unknown top-level key", "licence: CC-BY-4.0", "licence: CC-BY-4.0\nowner: me", ErrUnknownKey,
			"dataset.yaml:4:1: owner: unknown key (known here: breaks, caveats, comparisons, estimates, id, ignore, inputs, licence, limits, metrics, previous, protection, relations, sources, title)"},
		{"key case matters", "title: Test dataset", "Title: Test dataset", ErrUnknownKey,
			"dataset.yaml:2:1: Title: unknown key (did you mean title?)"},
		{"duplicate key", "title: Test dataset", "title: Test dataset\ntitle: Again", ErrYAML,
			"dataset.yaml:3:1: title: key defined twice (first at line 2)"},
		{"anchor and alias", "  p_percent: 10\n  interval: 0.2", "  p_percent: &x 10\n  interval: *x", ErrYAML,
			"dataset.yaml:18:14: protection.p_percent: anchors and aliases (&, *) are not allowed in dataset.yaml"},
		{"alias bomb", "caveats:\n  - Figures are illustrative.\n", "caveats:\n  - &a [x, x, x, x, x, x, x, x, x]\n  - &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n  - &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n  - [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n", ErrYAML,
			"dataset.yaml:25:5: caveats[0]: anchors and aliases (&, *) are not allowed in dataset.yaml"},
		{"syntax error", "title: Test dataset", "\ttitle: Test dataset", ErrYAML,
			"dataset.yaml:2: found a tab character that violates indentation"},
		{"two documents", "", validYAML + "---\nid: other\n", ErrYAML,
			"dataset.yaml:26:1: more than one YAML document; a dataset has one"},
		{"empty file", "", "", ErrConfig, "dataset.yaml: the file is empty"},
		{"not a mapping", "", "- a\n- b\n", ErrConfig, "dataset.yaml:1:1: the file must be a mapping of keys to values, got a list"},
		{"integer as string", "  min_contributors: 3", "  min_contributors: \"3\"", ErrConfig,
			`dataset.yaml:16:21: protection.min_contributors: must be an integer, got the string "3"`},
		{"fraction as integer", "  min_contributors: 3", "  min_contributors: 2.5", ErrConfig,
			`dataset.yaml:16:21: protection.min_contributors: must be an integer, got the number "2.5"`},
		{"number as string", "  interval: 0.2", "  interval: wide", ErrConfig,
			`dataset.yaml:19:13: protection.interval: must be a number, got the string "wide"`},
		{"string as number", "title: Test dataset", "title: 2019", ErrConfig,
			`dataset.yaml:2:8: title: must be a string, got the integer "2019"; put it in quotes`},
		{"list as scalar", "      countries: [DE, FR]", "      countries: DE", ErrConfig,
			`dataset.yaml:9:18: sources[0].scope.countries: must be a list of strings, got the string "DE"`},
		{"empty id", "id: test-set", "id: \"\"", ErrConfig, "dataset.yaml:1:5: id: the dataset needs an id"},
		{"unsafe id", "id: test-set", "id: Test Set", ErrConfig,
			`dataset.yaml:1:5: id: "Test Set" is not a safe id: use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit`},
		{"no title", "title: Test dataset\n", "", ErrConfig, "dataset.yaml: title: the dataset needs a title"},
		{"no sources", "sources:\n  - id: alpha\n    name: Alpha Research\n    key: keys/alpha.pub\n    scope:\n      countries: [DE, FR]\n      metrics: [exposed_systems]\n      periods: {from: 2019-01-01, to: 2019-12-31}\n", "sources: []\n", ErrConfig,
			"dataset.yaml:4:10: sources: the dataset needs at least one source"},
		{"no inputs", "inputs:\n  - file: data/a.csv\n    source: alpha\n", "", ErrConfig,
			"dataset.yaml: inputs: the dataset needs at least one input"},
		{"duplicate source id", "inputs:", "  - id: alpha\n    name: Again\n    key: keys/alpha.pub\ninputs:", ErrConfig,
			`dataset.yaml:12:9: sources[1].id: source id "alpha" is used twice (first at line 5)`},
		{"source without name", "    name: Alpha Research\n", "", ErrConfig,
			"dataset.yaml: sources[0].name: the source needs a display name"},
		{"missing key file", "key: keys/alpha.pub", "key: keys/gamma.pub", ErrNoFile,
			"dataset.yaml:7:10: sources[0].key: keys/gamma.pub does not exist"},
		{"malformed key file", "key: keys/alpha.pub", "key: data/a.csv", ErrBadKey,
			`dataset.yaml:7:10: sources[0].key: data/a.csv: unexpected text after the key: "2019-09-01,DE,hospital,exposed_systems,10,3,,"`},
		{"country not in vocabulary", "countries: [DE, FR]", "countries: [DE, UK]", ErrVocabulary,
			`dataset.yaml:9:23: sources[0].scope.countries[1]: "UK" is not an ISO 3166-1 alpha-2 country code; the United Kingdom is "GB"`},
		{"scope metric unknown", "metrics: [exposed_systems]", "metrics: [exposed_hosts]", ErrVocabulary,
			`dataset.yaml:10:17: sources[0].scope.metrics[0]: "exposed_hosts" is not a metric (known: affected_patients, critical_vulnerabilities, exposed_images, exposed_ports, exposed_studies, exposed_systems, high_vulnerabilities, new_systems, offline_systems)`},
		{"scope date invalid", "from: 2019-01-01", "from: 2019-13-01", ErrDate,
			`dataset.yaml:11:23: sources[0].scope.periods.from: "2019-13-01" is not a date of the form YYYY-MM-DD`},
		{"scope date with time", "from: 2019-01-01", "from: 2019-01-01T10:00:00Z", ErrDate,
			`dataset.yaml:11:23: sources[0].scope.periods.from: "2019-01-01T10:00:00Z" is not a date of the form YYYY-MM-DD`},
		{"scope periods reversed", "to: 2019-12-31", "to: 2018-12-31", ErrConfig,
			"dataset.yaml:11:39: sources[0].scope.periods.to: the period range ends (2018-12-31) before it starts (2019-01-01)"},
		{"input of unknown source", "    source: alpha", "    source: gamma", ErrConfig,
			`dataset.yaml:14:13: inputs[0].source: unknown source "gamma" (the sources are: alpha)`},
		{"input listed twice", "    source: alpha\n", "    source: alpha\n  - file: ./data/a.csv\n    source: alpha\n", ErrConfig,
			"dataset.yaml:15:11: inputs[1].file: data/a.csv is listed twice (first at line 13); remove one of the two entries"},
		{"absolute input path", "file: data/a.csv", "file: /etc/passwd.csv", ErrUnsafePath,
			`dataset.yaml:13:11: inputs[0].file: path "/etc/passwd.csv" is absolute; give it relative to the dataset folder`},
		{"dot-dot input path", "file: data/a.csv", "file: data/../../a.csv", ErrUnsafePath,
			`dataset.yaml:13:11: inputs[0].file: path "data/../../a.csv" leaves the dataset folder (..)`},
		{"control character in path", "file: data/a.csv", "file: \"data/a\\tb.csv\"", ErrUnsafePath,
			`dataset.yaml:13:11: inputs[0].file: path "data/a\tb.csv" contains a control character`},
		{"backslash in path", "file: data/a.csv", "file: data\\a.csv", ErrUnsafePath,
			`dataset.yaml:13:11: inputs[0].file: path "data\\a.csv" contains a backslash; separate folders with /`},
		{"input not csv or parquet", "file: data/a.csv", "file: data/a.xlsx", ErrConfig,
			"dataset.yaml:13:11: inputs[0].file: data/a.xlsx: an input is a .csv or a .parquet file"},
		{"missing input", "file: data/a.csv", "file: data/b.csv", ErrNoFile,
			"dataset.yaml:13:11: inputs[0].file: data/b.csv does not exist"},
		{"min_contributors below 1", "min_contributors: 3", "min_contributors: 0", ErrConfig,
			"dataset.yaml:16:21: protection.min_contributors: must be at least 1, got 0"},
		{"interval 0", "interval: 0.2", "interval: 0", ErrConfig,
			"dataset.yaml:19:13: protection.interval: must be more than 0 and less than 1 (a fraction of the value), got 0"},
		{"interval 1", "interval: 0.2", "interval: 1", ErrConfig,
			"dataset.yaml:19:13: protection.interval: must be more than 0 and less than 1 (a fraction of the value), got 1"},
		{"interval NaN", "interval: 0.2", "interval: .nan", ErrConfig,
			"dataset.yaml:19:13: protection.interval: must be more than 0 and less than 1 (a fraction of the value), got NaN"},
		{"p_percent 100", "p_percent: 10", "p_percent: 100", ErrConfig,
			"dataset.yaml:18:14: protection.p_percent: must be at least 0 and less than 100, got 100"},
		{"p_percent negative", "p_percent: 10", "p_percent: -1", ErrConfig,
			"dataset.yaml:18:14: protection.p_percent: must be at least 0 and less than 100, got -1"},
		{"min_value negative", "{exposed_studies: 5}", "{exposed_studies: -5}", ErrConfig,
			"dataset.yaml:17:32: protection.min_value.exposed_studies: must be at least 0, got -5"},
		{"min_value unknown metric", "{exposed_studies: 5}", "{exposed_study: 5}", ErrVocabulary,
			`dataset.yaml:17:30: protection.min_value.exposed_study: "exposed_study" is not a metric (known: affected_patients, critical_vulnerabilities, exposed_images, exposed_ports, exposed_studies, exposed_systems, high_vulnerabilities, new_systems, offline_systems)`},
		{"min_value key in upper case", "{exposed_studies: 5}", "{Exposed_Studies: 5}", ErrVocabulary,
			`dataset.yaml:17:15: protection.min_value.Exposed_Studies: "Exposed_Studies" is not a metric code (codes are lower-case letters, digits and _)`},
		{"extra metric redefines a default", "code: exposed_ports", "code: exposed_systems", ErrConfig,
			`dataset.yaml:21:3: metrics: metric "exposed_systems": defined twice`},
		{"extra metric without unit", "    unit: ports\n", "", ErrConfig,
			`dataset.yaml:21:3: metrics: metric "exposed_ports": needs a description and a unit`},
		{"empty caveat", "  - Figures are illustrative.", "  - \"\"", ErrConfig,
			"dataset.yaml:25:5: caveats[0]: a caveat must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := tt.new
			if tt.old != "" {
				if !strings.Contains(validYAML, tt.old) {
					t.Fatalf("validYAML has no %q", tt.old)
				}
				text = strings.Replace(validYAML, tt.old, tt.new, 1)
			}
			_, err := LoadConfig(configDir(t, text), Options{Env: []string{}})
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("got %v, want an ErrorList", err)
			}
			if !errors.Is(list[0], tt.kind) {
				t.Errorf("error %q is not of kind %q", list[0], tt.kind)
			}
			if got := list[0].Error(); got != tt.want {
				t.Errorf("message\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

// TestDataFolderListed checks SPEC 6's rule against forgotten inputs: every signed file under data/
// is an input or listed in ignore, every signature under data/ has its file, and every ignore entry
// names an existing file under data/ that is not an input. Each case adds files to configDir's
// dataset (whose data/a.csv is its input) and ignore entries, and lists every error expected.
func TestDataFolderListed(t *testing.T) {
	tests := []struct {
		name   string
		files  []string // created under the dataset folder
		ignore string   // the ignore key's value, as YAML; "" leaves the key out
		want   []string // every error, in order; none means the configuration loads
	}{
		{"only the input", []string{"data/a.csv.minisig"}, "", nil},
		{"unsigned notes beside the inputs", []string{"data/README.txt", "data/old/draft.csv"}, "", nil},
		{"a forgotten signed file", []string{"data/b.csv", "data/b.csv.minisig"}, "", []string{
			"data/b.csv: signed (data/b.csv.minisig) but not an input: list it under inputs in dataset.yaml with the source that signed it, or under ignore if it is deliberately left out"}},
		{"a forgotten signed file in a sub-folder", []string{"data/2020/b.parquet", "data/2020/b.parquet.minisig"}, "", []string{
			"data/2020/b.parquet: signed (data/2020/b.parquet.minisig) but not an input: list it under inputs in dataset.yaml with the source that signed it, or under ignore if it is deliberately left out"}},
		{"a forgotten file, ignored", []string{"data/b.csv", "data/b.csv.minisig"}, "[data/b.csv]", nil},
		{"a signature without its file", []string{"data/gone.csv.minisig"}, "", []string{
			"data/gone.csv.minisig: a signature without its file: data/gone.csv does not exist; restore the file, or remove the signature (or list data/gone.csv.minisig under ignore in dataset.yaml)"}},
		{"a signature without its file, ignored", []string{"data/gone.csv.minisig"}, "[data/gone.csv.minisig]", nil},
		{"ignored twice", []string{"data/b.csv"}, "[data/b.csv, ./data/b.csv]", []string{
			"dataset.yaml:26:22: ignore[1]: data/b.csv is listed twice (first at line 26); remove one of the two entries"}},
		{"an input ignored", nil, "[data/a.csv]", []string{
			"dataset.yaml:26:10: ignore[0]: data/a.csv is an input and is ignored; remove it from inputs or from ignore"}},
		{"ignoring a missing file", nil, "[data/nothing.csv]", []string{
			"dataset.yaml:26:10: ignore[0]: data/nothing.csv does not exist; remove the entry"}},
		{"ignoring outside data", []string{"keys/old.pub"}, "[keys/old.pub]", []string{
			`dataset.yaml:26:10: ignore[0]: "keys/old.pub" is not under data/; ignore lists files under data/ that are deliberately not inputs`}},
		{"ignoring outside the folder", nil, "[../secret.csv]", []string{
			`dataset.yaml:26:10: ignore[0]: path "../secret.csv" leaves the dataset folder (..)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := validYAML
			if tt.ignore != "" {
				text += "ignore: " + tt.ignore + "\n"
			}
			dir := configDir(t, text)
			for _, f := range tt.files {
				mustWrite(t, filepath.Join(dir, f), []byte("x"))
			}
			_, err := LoadConfig(dir, Options{Env: []string{}})
			var got []string
			if err != nil {
				var list ErrorList
				if !errors.As(err, &list) {
					t.Fatalf("got %v, want an ErrorList", err)
				}
				for _, e := range list {
					got = append(got, e.Error())
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors\n got: %q\nwant: %q", got, tt.want)
			}
			if len(tt.want) > 0 && !errors.Is(err, ErrUnlisted) && !errors.Is(err, ErrOrphanSignature) && !errors.Is(err, ErrConfig) &&
				!errors.Is(err, ErrNoFile) && !errors.Is(err, ErrUnsafePath) {
				t.Errorf("error %v is of no known kind", err)
			}
		})
	}
}

// TestConfigSymlinkOutside checks that an input reached through a symbolic link that leaves the
// dataset folder (of the file, or of a parent folder) is refused, and one inside is accepted.
func TestConfigSymlinkOutside(t *testing.T) {
	outside := t.TempDir()
	mustWrite(t, filepath.Join(outside, "b.csv"), []byte(header))
	tests := []struct {
		name    string
		link    string // created inside the dataset folder
		target  string
		file    string // the input's path
		wantErr string
	}{
		{"file link outside", "data/b.csv", filepath.Join(outside, "b.csv"), "data/b.csv",
			"dataset.yaml:13:11: inputs[0].file: data/b.csv resolves outside the dataset folder (symbolic link)"},
		{"parent link outside", "ext", outside, "ext/b.csv",
			"dataset.yaml:13:11: inputs[0].file: ext/b.csv resolves outside the dataset folder (symbolic link)"},
		{"relative link escaping", "data/c.csv", "../../" + filepath.Base(outside) + "/b.csv", "data/c.csv",
			"dataset.yaml:13:11: inputs[0].file: data/c.csv resolves outside the dataset folder (symbolic link)"},
		{"link inside", "data/d.csv", "a.csv", "data/d.csv", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := configDir(t, strings.Replace(validYAML, "file: data/a.csv", "file: "+tt.file, 1))
			if err := os.Symlink(tt.target, filepath.Join(dir, tt.link)); err != nil {
				t.Skipf("cannot make symbolic links here: %v", err)
			}
			_, err := LoadConfig(dir, Options{Env: []string{}})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("a link inside the folder: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrUnsafePath) || err.Error() != tt.wantErr {
				t.Errorf("got %v, want %s", err, tt.wantErr)
			}
		})
	}
}

// TestConfigOverrides checks the environment and Options.Overrides: precedence (file < environment
// < overrides), nested keys, typing, and refusal of unknown or malformed values.
func TestConfigOverrides(t *testing.T) {
	tests := []struct {
		name      string
		env       []string
		overrides map[string]any
		check     func(*Config) bool
		want      string // the first error; "" when the load must succeed
		kind      error
	}{
		{"env nested key", []string{"EXPOSURE_PROTECTION_MIN_CONTRIBUTORS=5"}, nil,
			func(c *Config) bool { return c.Protection.MinContributors == 5 }, "", nil},
		{"env float", []string{"EXPOSURE_PROTECTION_INTERVAL=0.35", "EXPOSURE_PROTECTION_P_PERCENT=15"}, nil,
			func(c *Config) bool { return c.Protection.Interval == 0.35 && c.Protection.PPercent == 15 }, "", nil},
		{"env min_value of a metric", []string{"EXPOSURE_PROTECTION_MIN_VALUE_AFFECTED_PATIENTS=20"}, nil,
			func(c *Config) bool {
				return c.Protection.MinValue["affected_patients"] == 20 && c.Protection.MinValue["exposed_studies"] == 5
			}, "", nil},
		{"env title", []string{"EXPOSURE_TITLE=Another title"}, nil,
			func(c *Config) bool { return c.Title == "Another title" }, "", nil},
		{"override beats env", []string{"EXPOSURE_PROTECTION_MIN_CONTRIBUTORS=5"}, map[string]any{"protection.min_contributors": int64(7)},
			func(c *Config) bool { return c.Protection.MinContributors == 7 }, "", nil},
		{"override from text", nil, map[string]any{"protection.interval": "0.25", "protection.min_value.exposed_studies": 9},
			func(c *Config) bool {
				return c.Protection.Interval == 0.25 && c.Protection.MinValue["exposed_studies"] == 9
			}, "", nil},
		{"other EXPOSURE variables ignored", []string{"EXPOSURE_WORKERS=4", "PATH=/bin"}, nil,
			func(c *Config) bool { return c.Protection.MinContributors == 3 }, "", nil},
		{"env not an integer", []string{"EXPOSURE_PROTECTION_MIN_CONTRIBUTORS=five"}, nil, nil,
			`environment: EXPOSURE_PROTECTION_MIN_CONTRIBUTORS: protection.min_contributors must be an integer, got "five"`, ErrConfig},
		{"env value out of range", []string{"EXPOSURE_PROTECTION_MIN_CONTRIBUTORS=0"}, nil, nil,
			"environment: EXPOSURE_PROTECTION_MIN_CONTRIBUTORS: must be at least 1, got 0", ErrConfig},
		{"env typo in protection", []string{"EXPOSURE_PROTECTION_MIN_CONTRIBUTOR=5"}, nil, nil,
			"environment: EXPOSURE_PROTECTION_MIN_CONTRIBUTOR: names no protection parameter (known: EXPOSURE_PROTECTION_INTERVAL, EXPOSURE_PROTECTION_MIN_CONTRIBUTORS, EXPOSURE_PROTECTION_P_PERCENT, EXPOSURE_PROTECTION_MIN_VALUE_<METRIC>)", ErrUnknownKey},
		{"env min_value of an unknown metric", []string{"EXPOSURE_PROTECTION_MIN_VALUE_EXPOSED_HOSTS=3"}, nil, nil,
			`environment: EXPOSURE_PROTECTION_MIN_VALUE_EXPOSED_HOSTS: "exposed_hosts" is not a metric (known: affected_patients, critical_vulnerabilities, exposed_images, exposed_ports, exposed_studies, exposed_systems, high_vulnerabilities, new_systems, offline_systems)`, ErrVocabulary},
		{"override unknown key", nil, map[string]any{"protection.min_contributor": 5}, nil,
			"override: protection.min_contributor: unknown key, or a key that cannot be overridden (these can: id, licence, limits.max_cells_per_table, limits.max_file_bytes, limits.max_rows_per_file, protection.interval, protection.min_contributors, protection.p_percent, title, protection.min_value.<metric>)", ErrUnknownKey},
		{"override of a list", nil, map[string]any{"sources": "x"}, nil,
			"override: sources: unknown key, or a key that cannot be overridden (these can: id, licence, limits.max_cells_per_table, limits.max_file_bytes, limits.max_rows_per_file, protection.interval, protection.min_contributors, protection.p_percent, title, protection.min_value.<metric>)", ErrUnknownKey},
		{"override fraction for integer", nil, map[string]any{"protection.min_contributors": 2.5}, nil,
			"override: protection.min_contributors: protection.min_contributors must be an integer, got 2.5", ErrConfig},
		{"override NaN", nil, map[string]any{"protection.interval": math.NaN()}, nil,
			"override: protection.interval: must be more than 0 and less than 1 (a fraction of the value), got NaN", ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.env
			if env == nil {
				env = []string{}
			}
			cfg, err := LoadConfig(configDir(t, validYAML), Options{Env: env, Overrides: tt.overrides})
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !tt.check(cfg) {
					t.Errorf("override not applied: %+v", cfg.Protection)
				}
				return
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("got %v, want an ErrorList", err)
			}
			if got := list[0].Error(); got != tt.want {
				t.Errorf("message\n got: %s\nwant: %s", got, tt.want)
			}
			if !errors.Is(list[0], tt.kind) {
				t.Errorf("error %q is not of kind %q", list[0], tt.kind)
			}
		})
	}
}

// TestLoadConfigMissing checks the messages for a folder that is not there or has no dataset.yaml.
func TestLoadConfigMissing(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name string
		dir  string
		want string
	}{
		{"no folder", filepath.Join(empty, "nowhere"), filepath.Join(empty, "nowhere") + ": cannot open the dataset folder: no such file or directory"},
		{"no dataset.yaml", empty, "dataset.yaml: not found in " + empty + "; a dataset folder holds a dataset.yaml (SPEC 6)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(tt.dir, Options{Env: []string{}})
			if !errors.Is(err, ErrNoFile) || err.Error() != tt.want {
				t.Errorf("got %v, want %s", err, tt.want)
			}
		})
	}
}
