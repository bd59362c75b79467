package ingest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"

	"aead.dev/minisign"

	"github.com/exposure-research/exposure/internal/signing"
	"github.com/exposure-research/exposure/schemas"
)

// configCheck checks a decoded Config value by value, placing each message at the key's line in
// dataset.yaml or at the override that set it.
type configCheck struct {
	cfg    *Config
	pos    map[string]position
	origin map[string]override
	errs   *collector
	root   *os.Root
}

// errAt reports a problem with the value at key path p.
func (c *configCheck) errAt(p string, kind error, format string, args ...any) {
	err := fail(kind, format, args...)
	if o, ok := c.origin[p]; ok {
		c.errs.add(&Error{File: o.origin, Field: o.name, Err: err})
		return
	}
	at := c.pos[p]
	c.errs.add(&Error{File: ConfigFile, Line: at.line, Column: at.column, Field: p, Err: err})
}

// errMissing reports a required key p that is missing from its mapping at parent, placed at the
// mapping when p has no position of its own.
func (c *configCheck) errMissing(p, parent string, kind error, format string, args ...any) {
	if _, ok := c.pos[p]; !ok {
		if at, ok := c.pos[parent]; ok {
			c.errs.add(&Error{File: ConfigFile, Line: at.line, Column: at.column, Field: p, Err: fail(kind, format, args...)})
			return
		}
	}
	c.errAt(p, kind, format, args...)
}

func (c *configCheck) check() *loadedConfig {
	cfg := c.cfg
	base, err := schemas.Default()
	if err != nil {
		c.errs.add(fmt.Errorf("loading the vocabularies: %w", err))
		return nil
	}
	vocab, err := base.WithMetrics(cfg.Metrics)
	if err != nil {
		c.errAt("metrics", ErrConfig, "%v", err)
		vocab = base
	}
	c.checkID("id", cfg.ID, "the dataset")
	if strings.TrimSpace(cfg.Title) == "" {
		c.errAt("title", ErrConfig, "the dataset needs a title")
	}
	keys := c.checkSources(vocab)
	c.checkInputs()
	c.checkDataFolder()
	c.checkProtection(vocab)
	c.checkBreaks(vocab)
	c.checkEstimates(vocab)
	c.checkComparisons(vocab)
	c.checkLimits()
	for i, caveat := range cfg.Caveats {
		if strings.TrimSpace(caveat) == "" {
			c.errAt(fmt.Sprintf("caveats[%d]", i), ErrConfig, "a caveat must not be empty")
		}
	}
	return &loadedConfig{cfg: cfg, vocab: vocab, keys: keys, relations: c.checkRelations(vocab)}
}

// MaxSources is the most sources one dataset may name: the published cells say which sources cover
// them as a set that fits 64 bits.
const MaxSources = 64

// MaxInputs is the most inputs one dataset may list: every leaf records its input in 16 bits.
const MaxInputs = 1 << 16

// DeclaredReason is the reason a dataset's own relation holds, as the report states it.
const DeclaredReason = "Declared by the dataset (dataset.yaml): its sources compute the figures so that it holds."

// checkRelations parses the dataset's relations and returns the relations in force: the
// vocabulary's, then the dataset's in their order. A relation that cannot be read is reported at
// its line and the column of the problem; one that repeats another (in any form) is reported too.
func (c *configCheck) checkRelations(vocab *schemas.Vocabulary) []schemas.Relation {
	rels := vocab.Relations()
	seen := map[string]string{}
	for _, r := range rels {
		seen[r.Normal(vocab)] = "the vocabulary"
	}
	for i, text := range c.cfg.Relations {
		p := fmt.Sprintf("relations[%d]", i)
		r, err := schemas.ParseRelation(text, vocab)
		var re *schemas.RelationError
		if errors.As(err, &re) {
			c.errAtColumn(p, re.Column, ErrConfig, "relation %s: %s", strconv.Quote(text), re.Msg)
			continue
		}
		if err != nil {
			c.errAt(p, ErrConfig, "relation %s: %v", strconv.Quote(text), err)
			continue
		}
		if where, dup := seen[r.Normal(vocab)]; dup {
			c.errAt(p, ErrConfig, "relation %s says what %s says already (%s)", strconv.Quote(text), where, r.Normal(vocab))
			continue
		}
		seen[r.Normal(vocab)] = c.where(p)
		r.Reason = DeclaredReason
		rels = append(rels, r)
	}
	return rels
}

// errAtColumn reports a problem at character col (1-based) of the string value at key path p.
func (c *configCheck) errAtColumn(p string, col int, kind error, format string, args ...any) {
	if _, ok := c.origin[p]; ok {
		c.errAt(p, kind, format, args...)
		return
	}
	at := c.pos[p]
	column := at.column + col - 1
	if at.quoted {
		column++
	}
	c.errs.add(&Error{File: ConfigFile, Line: at.line, Column: column, Field: p, Err: fail(kind, format, args...)})
}

// checkID checks an identifier that ends up in folder and file names.
func (c *configCheck) checkID(p, id, what string) {
	switch {
	case id == "":
		c.errAt(p, ErrConfig, "%s needs an id", what)
	case len(id) > 100 || !safeName.MatchString(id):
		c.errAt(p, ErrConfig, "%s is not a safe id: use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit", quote(id))
	}
}

func (c *configCheck) checkSources(vocab *schemas.Vocabulary) map[string]minisign.PublicKey {
	keys := map[string]minisign.PublicKey{}
	if len(c.cfg.Sources) == 0 {
		c.errAt("sources", ErrConfig, "the dataset needs at least one source")
		return keys
	}
	if len(c.cfg.Sources) > MaxSources {
		c.errAt("sources", ErrConfig, "%d sources is more than %d, the most one dataset may name", len(c.cfg.Sources), MaxSources)
	}
	firstAt := map[string]string{}
	for i, s := range c.cfg.Sources {
		p := fmt.Sprintf("sources[%d]", i)
		c.checkID(p+".id", s.ID, "a source")
		if first, dup := firstAt[s.ID]; dup && s.ID != "" {
			c.errAt(p+".id", ErrConfig, "source id %s is used twice (first at %s)", quote(s.ID), c.where(first))
		} else {
			firstAt[s.ID] = p + ".id"
		}
		if strings.TrimSpace(s.Name) == "" {
			c.errAt(p+".name", ErrConfig, "the source needs a display name")
		}
		if key, ok := c.checkKey(p+".key", s.Key); ok {
			keys[s.ID] = key
		}
		for j, code := range s.Scope.Countries {
			if _, ok := vocab.Geo.CountryByCode(code); !ok {
				c.errAt(fmt.Sprintf("%s.scope.countries[%d]", p, j), ErrVocabulary, "%s", countryMessage(code))
			}
		}
		for j, code := range s.Scope.Metrics {
			if _, ok := vocab.MetricByCode(code); !ok {
				c.errAt(fmt.Sprintf("%s.scope.metrics[%d]", p, j), ErrVocabulary, "%s", metricMessage(vocab, code))
			}
		}
		from, to := s.Scope.Periods.From, s.Scope.Periods.To
		fromDate, errFrom := schemas.ParseDate(from)
		toDate, errTo := schemas.ParseDate(to)
		if from != "" && errFrom != nil {
			c.errAt(p+".scope.periods.from", ErrDate, "%s is not a date of the form YYYY-MM-DD", quote(from))
		}
		if to != "" && errTo != nil {
			c.errAt(p+".scope.periods.to", ErrDate, "%s is not a date of the form YYYY-MM-DD", quote(to))
		}
		if errFrom == nil && errTo == nil && fromDate > toDate {
			c.errAt(p+".scope.periods.to", ErrConfig, "the period range ends (%s) before it starts (%s)", to, from)
		}
	}
	return keys
}

// where names the place of a key path for a message that refers to it.
func (c *configCheck) where(p string) string {
	if at, ok := c.pos[p]; ok {
		return fmt.Sprintf("line %d", at.line)
	}
	return p
}

// checkKey reads a source's public key file.
func (c *configCheck) checkKey(p, file string) (minisign.PublicKey, bool) {
	if file == "" {
		c.errAt(p, ErrConfig, "the source needs a public key file")
		return minisign.PublicKey{}, false
	}
	rel, err := cleanRelPath(file)
	if err != nil {
		c.errAt(p, ErrUnsafePath, "%v", err)
		return minisign.PublicKey{}, false
	}
	data, err := readInside(c.root, rel, maxKeyBytes)
	if err != nil {
		c.errs.add(c.wrapAt(p, err))
		return minisign.PublicKey{}, false
	}
	key, err := parsePublicKey(data)
	if err != nil {
		c.errAt(p, ErrBadKey, "%s: %v", rel, err)
		return minisign.PublicKey{}, false
	}
	return key, true
}

// wrapAt places an error that already carries its kind at key path p.
func (c *configCheck) wrapAt(p string, err error) error {
	at := c.pos[p]
	return &Error{File: ConfigFile, Line: at.line, Column: at.column, Field: p, Err: err}
}

func (c *configCheck) checkInputs() {
	if len(c.cfg.Inputs) == 0 {
		c.errAt("inputs", ErrConfig, "the dataset needs at least one input")
		return
	}
	if len(c.cfg.Inputs) > MaxInputs {
		c.errAt("inputs", ErrConfig, "%d inputs is more than %d, the most one dataset may list", len(c.cfg.Inputs), MaxInputs)
	}
	sources := map[string]bool{}
	for _, s := range c.cfg.Sources {
		sources[s.ID] = true
	}
	firstAt := map[string]string{}
	for i := range c.cfg.Inputs {
		in := &c.cfg.Inputs[i]
		p := fmt.Sprintf("inputs[%d]", i)
		switch {
		case in.Source == "":
			c.errAt(p+".source", ErrConfig, "the input needs the id of the source that signed it")
		case !sources[in.Source]:
			c.errAt(p+".source", ErrConfig, "unknown source %s (the sources are: %s)", quote(in.Source), strings.Join(sourceIDs(c.cfg.Sources), ", "))
		}
		if in.File == "" {
			c.errAt(p+".file", ErrConfig, "the input needs a file")
			continue
		}
		rel, err := cleanRelPath(in.File)
		if err != nil {
			c.errAt(p+".file", ErrUnsafePath, "%v", err)
			continue
		}
		if first, dup := firstAt[rel]; dup {
			c.errAt(p+".file", ErrConfig, "%s is listed twice (first at %s); remove one of the two entries", rel, c.where(first))
			continue
		}
		firstAt[rel] = p + ".file"
		if formatOf(rel) == "" {
			c.errAt(p+".file", ErrConfig, "%s: an input is a .csv or a .parquet file", rel)
			continue
		}
		f, _, err := openInside(c.root, rel)
		if err != nil {
			c.errs.add(c.wrapAt(p+".file", err))
			continue
		}
		f.Close()
		// The canonical form is what InputFile and every message print.
		in.File = rel
	}
}

// dataFolder is the folder of a dataset that holds the submissions (SPEC 3).
const dataFolder = "data"

// signatureSuffix ends the name of a submission's detached minisign signature.
const signatureSuffix = ".minisig"

// checkDataFolder makes sure that no signed file under data/ is left out by mistake (SPEC 6): every
// file there with a signature beside it must be an input or listed in `ignore`, and every signature
// must have its file. It also checks the `ignore` entries themselves. It runs after checkInputs, whose
// canonical file names it compares with.
func (c *configCheck) checkDataFolder() {
	inputs := map[string]bool{}
	for _, in := range c.cfg.Inputs {
		inputs[in.File] = true
	}
	ignored := map[string]bool{}
	firstAt := map[string]string{}
	for i, file := range c.cfg.Ignore {
		p := fmt.Sprintf("ignore[%d]", i)
		rel, err := cleanRelPath(file)
		if err != nil {
			c.errAt(p, ErrUnsafePath, "%v", err)
			continue
		}
		if !strings.HasPrefix(rel, dataFolder+"/") {
			c.errAt(p, ErrConfig, "%s is not under %s/; ignore lists files under %s/ that are deliberately not inputs", quote(rel), dataFolder, dataFolder)
			continue
		}
		if first, dup := firstAt[rel]; dup {
			c.errAt(p, ErrConfig, "%s is listed twice (first at %s); remove one of the two entries", rel, c.where(first))
			continue
		}
		firstAt[rel] = p
		if inputs[rel] {
			c.errAt(p, ErrConfig, "%s is an input and is ignored; remove it from inputs or from ignore", rel)
			continue
		}
		if _, err := c.root.Lstat(rel); err != nil {
			c.errAt(p, ErrNoFile, "%s does not exist; remove the entry", rel)
			continue
		}
		ignored[rel] = true
	}
	files, err := c.listData()
	if err != nil {
		c.errs.add(&Error{File: dataFolder, Err: err})
		return
	}
	present := map[string]bool{}
	for _, f := range files {
		present[f] = true
	}
	for _, f := range files {
		signed, isSignature := strings.CutSuffix(f, signatureSuffix)
		switch {
		case !isSignature || ignored[f] || ignored[signed] || inputs[signed]:
		case !present[signed]:
			c.errs.add(&Error{File: f, Err: fail(ErrOrphanSignature,
				"a signature without its file: %s does not exist; restore the file, or remove the signature (or list %s under ignore in %s)", signed, f, ConfigFile)})
		default:
			c.errs.add(&Error{File: signed, Err: fail(ErrUnlisted,
				"signed (%s) but not an input: list it under inputs in %s with the source that signed it, or under ignore if it is deliberately left out", f, ConfigFile)})
		}
	}
}

// listData returns every entry under data/ that is not a folder (files, and symbolic links, which
// are not followed), as canonical paths in sorted order; none when the dataset has no data/ folder.
func (c *configCheck) listData() ([]string, error) {
	if _, err := c.root.Lstat(dataFolder); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	var files []string
	var walk func(dir string) error
	walk = func(dir string) error {
		f, err := c.root.Open(dir)
		if err != nil {
			return pathError(dir, err)
		}
		entries, err := f.ReadDir(-1)
		f.Close()
		if err != nil {
			return fail(ErrIO, "cannot list %s: %v", dir, unwrapPath(err))
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
		for _, e := range entries {
			name := dir + "/" + e.Name()
			if e.IsDir() {
				if err := walk(name); err != nil {
					return err
				}
				continue
			}
			files = append(files, name)
		}
		return nil
	}
	if err := walk(dataFolder); err != nil {
		return nil, err
	}
	sort.Strings(files)
	return files, nil
}

// formatOf returns "csv" or "parquet" from an input's file name, or "" for anything else.
func formatOf(rel string) string {
	switch {
	case strings.HasSuffix(rel, ".csv"):
		return "csv"
	case strings.HasSuffix(rel, ".parquet"):
		return "parquet"
	}
	return ""
}

func sourceIDs(sources []Source) []string {
	ids := make([]string, len(sources))
	for i, s := range sources {
		ids[i] = s.ID
	}
	return ids
}

func (c *configCheck) checkProtection(vocab *schemas.Vocabulary) {
	pr := c.cfg.Protection
	if pr.MinContributors < 1 {
		c.errAt("protection.min_contributors", ErrConfig, "must be at least 1, got %d", pr.MinContributors)
	}
	// Written as the negation of the valid range so that NaN is refused too.
	if !(pr.Interval > 0 && pr.Interval < 1) {
		c.errAt("protection.interval", ErrConfig, "must be more than 0 and less than 1 (a fraction of the value), got %v", pr.Interval)
	}
	if !(pr.PPercent >= 0 && pr.PPercent < 100) {
		c.errAt("protection.p_percent", ErrConfig, "must be at least 0 and less than 100, got %v", pr.PPercent)
	}
	for _, code := range sortedCodes(pr.MinValue) {
		p := "protection.min_value." + code
		if _, ok := vocab.MetricByCode(code); !ok {
			c.errAt(p, ErrVocabulary, "%s", metricMessage(vocab, code))
		}
		if n := pr.MinValue[code]; n < 0 {
			c.errAt(p, ErrConfig, "must be at least 0, got %d", n)
		}
	}
}

// checkBreaks checks the declared breaks: a date, known countries and metrics, and a reason (the
// report prints it beside every figure it stops).
func (c *configCheck) checkBreaks(vocab *schemas.Vocabulary) {
	for i, b := range c.cfg.Breaks {
		p := fmt.Sprintf("breaks[%d]", i)
		if b.Period == "" {
			c.errMissing(p+".period", p, ErrConfig, "a break needs the period at which the series break")
		} else if _, err := schemas.ParseDate(b.Period); err != nil {
			c.errAt(p+".period", ErrDate, "%s is not a date of the form YYYY-MM-DD", quote(b.Period))
		}
		c.checkParts(p, b.Countries, b.Metrics, vocab)
		if strings.TrimSpace(b.Reason) == "" {
			c.errMissing(p+".reason", p, ErrConfig, "a break needs a reason (what changed)")
		}
	}
}

// checkEstimates checks the declared estimates: each names an input of the dataset, known countries
// and metrics, and a reason.
func (c *configCheck) checkEstimates(vocab *schemas.Vocabulary) {
	inputs := map[string]bool{}
	for _, in := range c.cfg.Inputs {
		inputs[in.File] = true
	}
	for i := range c.cfg.Estimates {
		e := &c.cfg.Estimates[i]
		p := fmt.Sprintf("estimates[%d]", i)
		switch rel, err := cleanRelPath(e.File); {
		case e.File == "":
			c.errMissing(p+".file", p, ErrConfig, "an estimate needs the input file it marks")
		case err != nil:
			c.errAt(p+".file", ErrUnsafePath, "%v", err)
		case !inputs[rel]:
			c.errAt(p+".file", ErrConfig, "%s is not an input of the dataset (inputs: %s)", rel, strings.Join(inputFiles(c.cfg.Inputs), ", "))
		default:
			e.File = rel
		}
		c.checkParts(p, e.Countries, e.Metrics, vocab)
		if strings.TrimSpace(e.Reason) == "" {
			c.errMissing(p+".reason", p, ErrConfig, "an estimate needs a reason (how the figures were made)")
		}
	}
}

// checkParts checks the countries and metrics that restrict a break or an estimate.
func (c *configCheck) checkParts(p string, countries, metrics []string, vocab *schemas.Vocabulary) {
	for j, code := range countries {
		if _, ok := vocab.Geo.CountryByCode(code); !ok {
			c.errAt(fmt.Sprintf("%s.countries[%d]", p, j), ErrVocabulary, "%s", countryMessage(code))
		}
	}
	for j, code := range metrics {
		if _, ok := vocab.MetricByCode(code); !ok {
			c.errAt(fmt.Sprintf("%s.metrics[%d]", p, j), ErrVocabulary, "%s", metricMessage(vocab, code))
		}
	}
}

// checkComparisons checks the declared comparisons: each is two different countries.
func (c *configCheck) checkComparisons(vocab *schemas.Vocabulary) {
	for i, pair := range c.cfg.Comparisons {
		p := fmt.Sprintf("comparisons[%d]", i)
		if len(pair) != 2 {
			c.errAt(p, ErrConfig, "a comparison is a list of two countries, got %d", len(pair))
			continue
		}
		for j, code := range pair {
			if _, ok := vocab.Geo.CountryByCode(code); !ok {
				c.errAt(fmt.Sprintf("%s[%d]", p, j), ErrVocabulary, "%s", countryMessage(code))
			}
		}
		if pair[0] == pair[1] {
			c.errAt(p+"[1]", ErrConfig, "a country is compared with another, not with itself (%s)", quote(pair[0]))
		}
	}
}

func inputFiles(inputs []Input) []string {
	files := make([]string, len(inputs))
	for i, in := range inputs {
		files[i] = in.File
	}
	return files
}

// checkLimits checks that every limit is positive and that a row number within the limit can be
// placed in a message.
func (c *configCheck) checkLimits() {
	lim := c.cfg.Limits
	for _, l := range []struct {
		key   string
		value int64
	}{
		{"limits.max_file_bytes", lim.MaxFileBytes},
		{"limits.max_rows_per_file", lim.MaxRowsPerFile},
		{"limits.max_cells_per_table", lim.MaxCellsPerTable},
	} {
		if l.value < 1 {
			c.errAt(l.key, ErrConfig, "must be at least 1, got %d", l.value)
		}
	}
	if lim.MaxRowsPerFile > maxPlace {
		c.errAt("limits.max_rows_per_file", ErrConfig, "must be at most %d, got %d", int64(maxPlace), lim.MaxRowsPerFile)
	}
}

func sortedCodes(m map[string]int64) []string {
	codes := make([]string, 0, len(m))
	for k := range m {
		codes = append(codes, k)
	}
	sort.Strings(codes)
	return codes
}

// countryMessage explains why code is not an ISO 3166-1 alpha-2 country code.
func countryMessage(code string) string {
	switch {
	case code == "UK":
		return `"UK" is not an ISO 3166-1 alpha-2 country code; the United Kingdom is "GB"`
	case strings.ToUpper(code) != code && len(code) == 2:
		return fmt.Sprintf("%s is not an ISO 3166-1 alpha-2 country code; codes are upper case (%s)", quote(code), quote(strings.ToUpper(code)))
	}
	return fmt.Sprintf("%s is not an ISO 3166-1 alpha-2 country code", quote(code))
}

// metricMessage explains why code is not a metric of the vocabulary.
func metricMessage(vocab *schemas.Vocabulary, code string) string {
	return fmt.Sprintf("%s is not a metric (known: %s)", quote(code), strings.Join(metricCodes(vocab), ", "))
}

// orgMessage explains why code is not an organization type.
func orgMessage(vocab *schemas.Vocabulary, code string) string {
	codes := make([]string, 0, vocab.NumOrgs())
	for id := 1; id <= vocab.NumOrgs(); id++ {
		codes = append(codes, vocab.Org(schemas.OrgID(id)).Code)
	}
	return fmt.Sprintf("%s is not an organization type (known: %s)", quote(code), strings.Join(codes, ", "))
}

func metricCodes(vocab *schemas.Vocabulary) []string {
	codes := make([]string, vocab.NumMetrics())
	for i := range codes {
		codes[i] = vocab.Metric(schemas.MetricID(i)).Code
	}
	return codes
}

// keyIDOf formats a key id for messages and the manifest.
func keyIDOf(id uint64) string { return signing.KeyID(id) }
