package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"aead.dev/minisign"
	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"

	"github.com/exposure-research/exposure/schemas"
)

// Options tune a Load or LoadConfig. The zero value is ready to use.
type Options struct {
	// MaxErrors is how many errors are listed before the rest are only counted; 0 means 50.
	MaxErrors int
	// Overrides set dataset.yaml keys, dotted ("protection.min_contributors",
	// "protection.min_value.affected_patients"); they beat the file and the environment. Only scalar
	// keys can be set: id, title, licence and the protection parameters.
	Overrides map[string]any
	// Env is the environment to read EXPOSURE_* overrides from, as os.Environ gives it; nil means
	// os.Environ(). The variable of a key is EXPOSURE_ and the key in upper case with "." as "_":
	// EXPOSURE_PROTECTION_MIN_CONTRIBUTORS=5, EXPOSURE_PROTECTION_MIN_VALUE_AFFECTED_PATIENTS=20.
	Env []string
	// MaxFileBytes, MaxRowsPerFile and MaxCellsPerTable override dataset.yaml's limits (and the
	// environment's and Overrides') when more than 0; see Limits. A file above MaxFileBytes is not
	// read at all; one signed with a legacy (not prehashed) signature is held in memory whole to
	// be verified, so this is also the memory such a file can take.
	MaxFileBytes     int64
	MaxRowsPerFile   int64
	MaxCellsPerTable int64
	// Progress, when set, is called while the inputs are read, for a progress bar: phase "verify"
	// while a file's signature is checked, then "read" while its rows are, with the bytes done and
	// the file's size. It is called from Load's goroutine, about every MiB and at the end of each
	// phase.
	Progress func(file, phase string, done, total int64)
}

// Defaults of Options.
const (
	DefaultMaxErrors        = 50
	DefaultMaxFileBytes     = 4 << 30
	DefaultMaxRowsPerFile   = 50_000_000
	DefaultMaxCellsPerTable = 1_000_000
)

func (o Options) withDefaults() Options {
	if o.MaxErrors <= 0 {
		o.MaxErrors = DefaultMaxErrors
	}
	if o.Env == nil {
		o.Env = os.Environ()
	}
	return o
}

// Size limits of the small files of a dataset folder: anything larger is not what it claims to be.
const (
	maxConfigBytes    = 16 << 20
	maxKeyBytes       = 64 << 10
	maxSignatureBytes = 1 << 20
)

// EnvPrefix starts the name of every environment variable that overrides a dataset.yaml key.
const EnvPrefix = "EXPOSURE"

// safeName is the form of a dataset or source id: it becomes part of folder names and file names.
var safeName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// loadedConfig is a checked configuration with what Load needs besides: the vocabulary with the
// dataset's metrics, the sources' public keys and the open dataset folder.
type loadedConfig struct {
	cfg       *Config
	pos       map[string]position // where each key path's value stands in dataset.yaml
	vocab     *schemas.Vocabulary
	relations []schemas.Relation            // the vocabulary's, then the dataset's
	keys      map[string]minisign.PublicKey // by source id
	root      *os.Root
}

// LoadConfig reads and checks dir/dataset.yaml with the environment and overrides of opts applied
// (file < environment < overrides), and checks that the key and input files it names exist inside
// the folder and that the keys are minisign public keys. It returns every problem it finds as an
// ErrorList.
func LoadConfig(dir string, opts Options) (*Config, error) {
	lc, err := loadConfig(dir, opts.withDefaults())
	if err != nil {
		return nil, err
	}
	lc.root.Close()
	return lc.cfg, nil
}

// override is one value from the environment or Options.Overrides, and where it came from.
type override struct {
	key    string // dotted key
	value  any    // typed for the key
	origin string // "environment" or "override"
	name   string // the variable's name, or the key
}

func loadConfig(dir string, opts Options) (*loadedConfig, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, ErrorList{&Error{File: dir, Err: &ruleError{kind: ErrNoFile,
			msg: "cannot open the dataset folder: " + unwrapPath(err).Error()}}}
	}
	lc, err := readConfig(root, opts)
	if err != nil {
		root.Close()
		return nil, err
	}
	return lc, nil
}

func readConfig(root *os.Root, opts Options) (*loadedConfig, error) {
	data, err := readInside(root, ConfigFile, maxConfigBytes)
	if errors.Is(err, ErrNoFile) {
		err = fail(ErrNoFile, "not found in %s; a dataset folder holds a %s (SPEC 6)", root.Name(), ConfigFile)
	}
	if err != nil {
		return nil, ErrorList{&Error{File: ConfigFile, Err: err}}
	}
	return checkConfig(root, data, opts)
}

// checkConfig parses and checks the bytes of dataset.yaml; files it names are looked up in root.
func checkConfig(root *os.Root, data []byte, opts Options) (*loadedConfig, error) {
	errs := &collector{max: opts.MaxErrors}
	if !utf8.Valid(data) {
		// YAML also allows UTF-16 and UTF-32; a dataset folder is UTF-8 throughout, so that its
		// digest and every message mean the same to every reader.
		line := 1 + bytes.Count(data[:firstInvalidUTF8(data)], []byte("\n"))
		return nil, ErrorList{&Error{File: ConfigFile, Line: line, Err: fail(ErrEncoding, "not UTF-8 (a dataset.yaml is UTF-8 text)")}}
	}
	pos, ok := parseConfigYAML(data, errs)
	if !ok {
		return nil, errs.err()
	}
	overrides := collectOverrides(opts, errs)
	if errs.count() > 0 {
		return nil, errs.err()
	}
	cfg, err := decodeConfig(data, overrides)
	if err != nil {
		msg := strings.Join(strings.Fields(err.Error()), " ")
		return nil, ErrorList{&Error{File: ConfigFile, Err: fail(ErrConfig, "%s", msg)}}
	}
	for _, o := range []struct {
		key   string
		value int64
		field *int64
	}{
		{"limits.max_file_bytes", opts.MaxFileBytes, &cfg.Limits.MaxFileBytes},
		{"limits.max_rows_per_file", opts.MaxRowsPerFile, &cfg.Limits.MaxRowsPerFile},
		{"limits.max_cells_per_table", opts.MaxCellsPerTable, &cfg.Limits.MaxCellsPerTable},
	} {
		if o.value > 0 {
			*o.field = o.value
			overrides = append(overrides, override{key: o.key, value: o.value, origin: "option", name: o.key})
		}
	}
	ck := &configCheck{cfg: cfg, pos: pos, origin: map[string]override{}, errs: errs, root: root}
	for _, o := range overrides {
		ck.origin[o.key] = o
	}
	lc := ck.check()
	if errs.count() > 0 {
		return nil, errs.err()
	}
	if cfg.SHA256, err = configDigest(cfg); err != nil {
		return nil, ErrorList{&Error{File: ConfigFile, Err: fail(ErrConfig, "%s", err)}}
	}
	lc.root = root
	lc.pos = pos
	return lc, nil
}

// firstInvalidUTF8 returns the offset of the first byte of data that is not valid UTF-8, or len(data).
func firstInvalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(data)
}

// decodeConfig merges dataset.yaml, the defaults and the overrides through viper and decodes the
// result strictly: the node walk has already refused unknown keys and wrong types, so anything
// mapstructure cannot place exactly is a bug worth an error, not a silent default.
func decodeConfig(data []byte, overrides []override) (*Config, error) {
	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		return nil, err
	}
	def := DefaultProtection()
	v.SetDefault("protection.min_contributors", def.MinContributors)
	v.SetDefault("protection.p_percent", def.PPercent)
	v.SetDefault("protection.interval", def.Interval)
	lim := DefaultLimits()
	v.SetDefault("limits.max_file_bytes", lim.MaxFileBytes)
	v.SetDefault("limits.max_rows_per_file", lim.MaxRowsPerFile)
	v.SetDefault("limits.max_cells_per_table", lim.MaxCellsPerTable)
	for _, o := range overrides {
		v.Set(o.key, o.value)
	}
	cfg := &Config{}
	err := v.UnmarshalExact(cfg, func(dc *mapstructure.DecoderConfig) {
		dc.WeaklyTypedInput = false
		dc.ZeroFields = true
		dc.DecodeHook = dateToString
	})
	if err != nil {
		return nil, err
	}
	// A dataset's min_value entries merge over the defaults, so that setting one metric's minimum
	// does not drop the default minimum of affected_patients.
	merged := def.MinValue
	for code, n := range cfg.Protection.MinValue {
		merged[code] = n
	}
	cfg.Protection.MinValue = merged
	return cfg, nil
}

// dateToString turns the time.Time that the YAML decoder makes of an unquoted date back into the
// text YYYY-MM-DD. Only exact dates get this far: the node walk refuses any other timestamp.
func dateToString(from, to reflect.Type, data any) (any, error) {
	if t, ok := data.(time.Time); ok && to.Kind() == reflect.String {
		return t.Format(time.DateOnly), nil
	}
	return data, nil
}

// overridable lists the keys that the environment and Options.Overrides may set, with their kinds;
// protection.min_value.<metric> is handled apart.
var overridable = map[string]keyKind{
	"id":                          kindString,
	"title":                       kindString,
	"licence":                     kindString,
	"protection.min_contributors": kindInt,
	"protection.p_percent":        kindNumber,
	"protection.interval":         kindNumber,
	"limits.max_file_bytes":       kindInt,
	"limits.max_rows_per_file":    kindInt,
	"limits.max_cells_per_table":  kindInt,
}

const minValuePrefix = "protection.min_value."

// envName is the environment variable that overrides key.
func envName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// collectOverrides reads the EXPOSURE_* variables of opts.Env and opts.Overrides, in that order of
// precedence (later wins), typed for their keys. An EXPOSURE_PROTECTION_* variable that names no key
// is an error, because a typo there would silently leave a protection parameter at its default;
// other EXPOSURE_* variables may belong to other tools and are ignored.
func collectOverrides(opts Options, errs *collector) []override {
	var out []override
	byEnv := map[string]string{}
	for key := range overridable {
		byEnv[envName(key)] = key
	}
	env := append([]string(nil), opts.Env...)
	sort.Strings(env)
	for _, kv := range env {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix+"_") {
			continue
		}
		key, known := byEnv[name]
		if !known && strings.HasPrefix(name, envName(minValuePrefix)) {
			code := strings.ToLower(strings.TrimPrefix(name, envName(minValuePrefix)))
			key, known = minValuePrefix+code, code != ""
		}
		if !known {
			if strings.HasPrefix(name, envName("protection.")) {
				errs.add(&Error{File: "environment", Field: name, Err: fail(ErrUnknownKey,
					"names no protection parameter (known: %s, %s<METRIC>)",
					strings.Join(envProtectionNames(), ", "), envName(minValuePrefix))})
			}
			continue
		}
		typed, err := typedValue(key, value)
		if err != nil {
			errs.add(&Error{File: "environment", Field: name, Err: err})
			continue
		}
		out = append(out, override{key: key, value: typed, origin: "environment", name: name})
	}
	keys := make([]string, 0, len(opts.Overrides))
	for k := range opts.Overrides {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if _, ok := overridable[key]; !ok && !(strings.HasPrefix(key, minValuePrefix) && len(key) > len(minValuePrefix)) {
			err := fail(ErrUnknownKey, "unknown key, or a key that cannot be overridden (these can: %s, %s<metric>)",
				strings.Join(overridableKeys(), ", "), minValuePrefix)
			errs.add(&Error{File: "override", Field: key, Err: err})
			continue
		}
		typed, err := typedValue(key, opts.Overrides[key])
		if err != nil {
			errs.add(&Error{File: "override", Field: key, Err: err})
			continue
		}
		out = append(out, override{key: key, value: typed, origin: "override", name: key})
	}
	return out
}

func overridableKeys() []string {
	keys := make([]string, 0, len(overridable))
	for k := range overridable {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func envProtectionNames() []string {
	var names []string
	for _, k := range overridableKeys() {
		if strings.HasPrefix(k, "protection.") {
			names = append(names, envName(k))
		}
	}
	return names
}

// typedValue converts an override's value (a string from the environment, or what a flag parser
// made of one) to the type of key, refusing what would need a guess.
func typedValue(key string, value any) (any, error) {
	kind, ok := overridable[key]
	if !ok {
		code := strings.TrimPrefix(key, minValuePrefix)
		if !mapKeyPattern.MatchString(code) {
			return nil, fail(ErrConfig, "%s is not a metric code", quote(code))
		}
		kind = kindInt
	}
	switch kind {
	case kindString:
		switch x := value.(type) {
		case string:
			return x, nil
		case int, int64, int32, uint, uint64, uint32, float64, bool:
			return fmt.Sprint(x), nil
		}
	case kindInt:
		switch x := value.(type) {
		case string:
			n, err := strconv.ParseInt(x, 10, 64)
			if err != nil {
				return nil, fail(ErrConfig, "%s must be an integer, got %s", key, quote(x))
			}
			return n, nil
		case int:
			return int64(x), nil
		case int64:
			return x, nil
		case int32:
			return int64(x), nil
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
				return int64(x), nil
			}
		}
		return nil, fail(ErrConfig, "%s must be an integer, got %v", key, value)
	case kindNumber:
		switch x := value.(type) {
		case string:
			f, err := strconv.ParseFloat(x, 64)
			if err != nil {
				return nil, fail(ErrConfig, "%s must be a number, got %s", key, quote(x))
			}
			return f, nil
		case int:
			return float64(x), nil
		case int64:
			return float64(x), nil
		case int32:
			return float64(x), nil
		case float64:
			return x, nil
		}
		return nil, fail(ErrConfig, "%s must be a number, got %v", key, value)
	}
	return nil, fail(ErrConfig, "%s must be a string, got %v", key, value)
}

// configDigest returns the SHA-256 of the effective configuration in a canonical form: the values
// that decide what is published, after environment and flag overrides, encoded as JSON with sources,
// inputs and scopes sorted. Two dataset.yaml files that differ only in layout, comments or the order
// of their lists of sources and inputs have the same digest, so their builds are byte-identical; an
// override that changes a parameter changes the digest, so the manifest says what was applied.
// Limits are left out: they decide whether a build runs, not what it publishes.
func configDigest(cfg *Config) (string, error) {
	type scope struct {
		Countries []string `json:"countries"`
		Metrics   []string `json:"metrics"`
		From      string   `json:"from"`
		To        string   `json:"to"`
	}
	type source struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Key   string `json:"key"`
		Scope scope  `json:"scope"`
	}
	type input struct {
		File   string `json:"file"`
		Source string `json:"source"`
	}
	canonical := struct {
		ID              string           `json:"id"`
		Title           string           `json:"title"`
		Licence         string           `json:"licence"`
		Sources         []source         `json:"sources"`
		Inputs          []input          `json:"inputs"`
		MinContributors int64            `json:"min_contributors"`
		MinValue        map[string]int64 `json:"min_value"` // encoding/json sorts map keys
		PPercent        float64          `json:"p_percent"`
		Interval        float64          `json:"interval"`
		Metrics         []schemas.Metric `json:"metrics"` // in order: it is the report's order
		Caveats         []string         `json:"caveats"` // in order: it is the report's order
		Relations       []string         `json:"relations,omitempty"`
		// In order too (the report lists them so); left out when empty, so that the digest of a
		// dataset that declares none is what it was before the keys existed.
		Breaks      []Break    `json:"breaks,omitempty"`
		Estimates   []Estimate `json:"estimates,omitempty"`
		Comparisons [][]string `json:"comparisons,omitempty"`
	}{
		ID: cfg.ID, Title: cfg.Title, Licence: cfg.Licence,
		MinContributors: cfg.Protection.MinContributors, MinValue: cfg.Protection.MinValue,
		PPercent: cfg.Protection.PPercent, Interval: cfg.Protection.Interval,
		Metrics: cfg.Metrics, Caveats: cfg.Caveats, Relations: cfg.Relations,
		Breaks: cfg.Breaks, Estimates: cfg.Estimates, Comparisons: cfg.Comparisons,
	}
	for _, s := range cfg.Sources {
		sc := scope{Countries: slices.Sorted(slices.Values(s.Scope.Countries)), Metrics: slices.Sorted(slices.Values(s.Scope.Metrics)),
			From: s.Scope.Periods.From, To: s.Scope.Periods.To}
		canonical.Sources = append(canonical.Sources, source{ID: s.ID, Name: s.Name, Key: s.Key, Scope: sc})
	}
	slices.SortFunc(canonical.Sources, func(a, b source) int { return strings.Compare(a.ID, b.ID) })
	for _, in := range cfg.Inputs {
		canonical.Inputs = append(canonical.Inputs, input(in))
	}
	slices.SortFunc(canonical.Inputs, func(a, b input) int { return strings.Compare(a.File, b.File) })
	data, err := json.Marshal(canonical)
	if err != nil {
		return "", fmt.Errorf("encoding the configuration digest: %w", err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}
