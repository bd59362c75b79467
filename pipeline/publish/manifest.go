package publish

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/exposure-research/exposure/schemas"
)

// ManifestFile is the name of the manifest in a report folder. The manifest lists every other file of
// the folder; it does not list itself.
const ManifestFile = "manifest.json"

// Manifest is manifest.json: which software built the report folder from which signed inputs, the
// digest of every file it holds, and what the protection did. Two builds of the same dataset with the
// same tool version have identical manifests; that is what verify checks.
type Manifest struct {
	Tool       ToolInfo       `json:"tool"`
	Dataset    DatasetInfo    `json:"dataset"`
	Inputs     []InputInfo    `json:"inputs"`
	Outputs    []OutputInfo   `json:"outputs"`
	Protection ProtectionInfo `json:"protection"`
	// Previous lists the earlier releases the protection held against, oldest first, each by the
	// SHA-256 of its manifest.json (SPEC 4, "Releases"); absent for a first release.
	Previous []string `json:"previous,omitempty"`
}

// ToolInfo names the software and release that built a report, the Go release that built the tool
// and the versions of the modules that write its outputs. A rebuild years later needs the same
// release, built the same way, to give the same bytes. It holds nothing that depends on how the tool
// was built or started (go build, go install or go run), such as the VCS revision: see
// internal/buildinfo.
type ToolInfo struct {
	Name    string       `json:"name"`
	Version string       `json:"version"`
	Go      string       `json:"go,omitempty"`      // the Go release, e.g. go1.26.8
	Modules []ModuleInfo `json:"modules,omitempty"` // sorted by path
}

// ModuleInfo is a Go module whose code writes or shapes the bytes of a report, and its version.
type ModuleInfo struct {
	Path    string `json:"path"`
	Version string `json:"version"`
}

// String writes the tool as the report names it: "exposure 0.1.0 (go1.26.8)".
func (t ToolInfo) String() string {
	s := t.Name + " " + t.Version
	if t.Go != "" {
		s += " (" + t.Go + ")"
	}
	return s
}

// modulesText lists the modules for a comparison: "path version, path version".
func (t ToolInfo) modulesText() string {
	parts := make([]string, len(t.Modules))
	for i, m := range t.Modules {
		parts[i] = m.Path + " " + m.Version
	}
	return strings.Join(parts, ", ")
}

// DatasetInfo identifies the dataset and its configuration. Metrics lists every metric the dataset
// may use with its meaning, so that an audit can read the report folder without the dataset folder,
// even for a dataset's own metrics.
type DatasetInfo struct {
	ID           string       `json:"id"`
	Title        string       `json:"title"`
	Licence      string       `json:"licence"`
	ConfigSHA256 string       `json:"config_sha256"`
	Metrics      []MetricInfo `json:"metrics"`
}

// MetricInfo is one metric of the dataset's vocabulary: its code, what it counts and the unit.
type MetricInfo struct {
	Code        string `json:"code"`
	Description string `json:"description"`
	Unit        string `json:"unit"`
}

// InputInfo is the provenance of one submission: the file, the source that signed it, its digest, the
// minisign key id of the signature and the data rows read.
type InputInfo struct {
	File   string `json:"file"`
	Source string `json:"source"`
	SHA256 string `json:"sha256"`
	KeyID  string `json:"key_id"`
	Rows   int64  `json:"rows"`
	// Tables names the tables the file has leaves in ("2019-11-17 exposed_systems", see TableName),
	// in the report's table order: a later release knows from them which of its tables an input
	// that changed can have changed (SPEC 4, "Releases").
	Tables []string `json:"tables"`
}

// TableName names a table of a report: its period and metric code, "2019-11-17 exposed_systems".
func TableName(period schemas.Date, metric string) string { return period.String() + " " + metric }

// OutputInfo is one file of the report folder: its path in the folder (with forward slashes), its
// lower-case hex SHA-256, size in bytes and, for a table, its number of rows (nil, written as null,
// for report.md).
type OutputInfo struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
	Rows   *int64 `json:"rows"`
}

// ProtectionInfo states the disclosure rules' parameters and how many cells the protection
// suppressed, in total only: it never says which suppressions were primary.
type ProtectionInfo struct {
	Parameters Parameters `json:"parameters"`
	// Relations are the relations between metrics in force (SPEC 3.3), which an outsider's audit
	// takes as known: `exposure audit` reads them from here.
	Relations  []RelationInfo `json:"relations"`
	Tables     int64          `json:"tables"`
	Cells      int64          `json:"cells"`
	Suppressed int64          `json:"suppressed"`
	// AcceptedDisclosed names the cells the publisher accepted as disclosed by earlier releases
	// ("2019-11-17 exposed_systems DE hospital"), sorted; absent when none.
	AcceptedDisclosed []string `json:"accepted_disclosed,omitempty"`
}

// RelationInfo is one relation between metrics in force: as written, in its canonical form, and why
// it holds.
type RelationInfo struct {
	Relation string `json:"relation"`
	Normal   string `json:"normal_form"`
	Reason   string `json:"reason"`
}

// ReadRelations returns the relations between metrics that the report folder's manifest states,
// read against vocab; none when the folder has no manifest.
func ReadRelations(dir string, vocab *schemas.Vocabulary) ([]schemas.Relation, error) {
	m, err := ReadManifest(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []schemas.Relation
	for i, ri := range m.Protection.Relations {
		r, err := schemas.ParseRelation(ri.Relation, vocab)
		if err != nil {
			return nil, fmt.Errorf("%s: protection.relations[%d] %q: %w", filepath.Join(dir, ManifestFile), i, ri.Relation, err)
		}
		r.Reason = ri.Reason
		out = append(out, r)
	}
	return out, nil
}

// Parameters are the disclosure rules' parameters as applied (SPEC 4). MinValue is keyed by metric
// code; a metric it does not name has minimum value 0. encoding/json writes the keys sorted.
type Parameters struct {
	MinContributors int64            `json:"min_contributors"`
	MinValue        map[string]int64 `json:"min_value"`
	PPercent        float64          `json:"p_percent"`
	Interval        float64          `json:"interval"`
}

// encodeManifest writes m as deterministic JSON: fields in struct order, map keys sorted, two-space
// indentation, no HTML escaping (the manifest is read by people and tools, never embedded in a page),
// and a final newline.
func encodeManifest(m *Manifest) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("encoding %s: %w", ManifestFile, err)
	}
	return buf.Bytes(), nil
}

// ReadManifest reads and checks the manifest.json of a report folder. Unknown fields are an error, so
// that a manifest written by a newer release is not half understood.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	return parseManifest(data, path)
}

// parseManifest decodes and checks the bytes of a manifest; path names it in messages.
func parseManifest(data []byte, path string) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s: data after the manifest object", path)
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

// check rejects a manifest that is syntactically JSON but cannot describe a report folder.
func (m *Manifest) check() error {
	if m.Tool.Name == "" || m.Tool.Version == "" {
		return errors.New("tool name and version are required")
	}
	if m.Dataset.ID == "" {
		return errors.New("dataset id is required")
	}
	seen := map[string]bool{}
	for i, o := range m.Outputs {
		switch {
		case !isReportPath(o.File) || o.File == ManifestFile:
			return fmt.Errorf("outputs[%d]: %q is not a path inside a report folder", i, o.File)
		case seen[o.File]:
			return fmt.Errorf("outputs[%d]: %s is listed twice", i, o.File)
		case !isHexDigest(o.SHA256):
			return fmt.Errorf("outputs[%d] (%s): sha256 %q is not 64 lower-case hex digits", i, o.File, o.SHA256)
		case o.Bytes < 0 || o.Rows != nil && *o.Rows < 0:
			return fmt.Errorf("outputs[%d] (%s): negative bytes or rows", i, o.File)
		}
		seen[o.File] = true
	}
	for i, in := range m.Inputs {
		if !isHexDigest(in.SHA256) {
			return fmt.Errorf("inputs[%d] (%s): sha256 %q is not 64 lower-case hex digits", i, in.File, in.SHA256)
		}
	}
	for i, m := range m.Dataset.Metrics {
		if m.Code == "" {
			return fmt.Errorf("dataset.metrics[%d]: code is required", i)
		}
	}
	return nil
}

// isReportPath reports whether name is a path inside a report folder as the manifest writes it:
// relative, with forward slashes, clean, and never leaving the folder (charts, for example, may live
// in a sub-folder).
func isReportPath(name string) bool {
	if name == "" || strings.Contains(name, `\`) || path.IsAbs(name) || path.Clean(name) != name || name == "." {
		return false
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return false
		}
	}
	return true
}

func isHexDigest(s string) bool {
	if len(s) != sha256.Size*2 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// HashFile returns the lower-case hex SHA-256 of a file's bytes and its size.
func HashFile(path string) (digest string, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("hashing: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	size, err = io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("hashing %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}

// CompareManifests names every difference between a published manifest a and the manifest b of a
// rebuild, one line each, in the manifest's order; none means the two builds agree on every digest,
// count and parameter.
func CompareManifests(a, b *Manifest) []string {
	var diffs []string
	field := func(name string, published, rebuilt any) {
		if fmt.Sprint(published) != fmt.Sprint(rebuilt) {
			diffs = append(diffs, fmt.Sprintf("manifest %s: published %q, rebuilt %q", name, fmt.Sprint(published), fmt.Sprint(rebuilt)))
		}
	}
	field("tool.name", a.Tool.Name, b.Tool.Name)
	field("tool.version", a.Tool.Version, b.Tool.Version)
	field("tool.go", a.Tool.Go, b.Tool.Go)
	field("tool.modules", a.Tool.modulesText(), b.Tool.modulesText())
	field("dataset.id", a.Dataset.ID, b.Dataset.ID)
	field("dataset.title", a.Dataset.Title, b.Dataset.Title)
	field("dataset.licence", a.Dataset.Licence, b.Dataset.Licence)
	field("dataset.config_sha256", a.Dataset.ConfigSHA256, b.Dataset.ConfigSHA256)
	diffs = append(diffs, compareKeyed("dataset.metrics", a.Dataset.Metrics, b.Dataset.Metrics,
		func(m MetricInfo) string { return m.Code },
		func(m MetricInfo) []namedValue {
			return []namedValue{{"description", m.Description}, {"unit", m.Unit}}
		})...)
	field("previous", strings.Join(a.Previous, ", "), strings.Join(b.Previous, ", "))
	field("protection.accepted_disclosed", strings.Join(a.Protection.AcceptedDisclosed, "; "), strings.Join(b.Protection.AcceptedDisclosed, "; "))
	diffs = append(diffs, compareKeyed("inputs", a.Inputs, b.Inputs,
		func(in InputInfo) string { return in.File },
		func(in InputInfo) []namedValue {
			return []namedValue{{"source", in.Source}, {"sha256", in.SHA256}, {"key_id", in.KeyID}, {"rows", fmt.Sprint(in.Rows)}, {"tables", strings.Join(in.Tables, ", ")}}
		})...)
	diffs = append(diffs, compareKeyed("outputs", a.Outputs, b.Outputs,
		func(o OutputInfo) string { return o.File },
		func(o OutputInfo) []namedValue {
			rows := "null"
			if o.Rows != nil {
				rows = fmt.Sprint(*o.Rows)
			}
			return []namedValue{{"sha256", o.SHA256}, {"bytes", fmt.Sprint(o.Bytes)}, {"rows", rows}}
		})...)
	pa, pb := a.Protection, b.Protection
	field("protection.parameters.min_contributors", pa.Parameters.MinContributors, pb.Parameters.MinContributors)
	field("protection.parameters.min_value", sortedPairs(pa.Parameters.MinValue), sortedPairs(pb.Parameters.MinValue))
	field("protection.parameters.p_percent", formatNumber(pa.Parameters.PPercent), formatNumber(pb.Parameters.PPercent))
	field("protection.parameters.interval", formatNumber(pa.Parameters.Interval), formatNumber(pb.Parameters.Interval))
	field("protection.tables", pa.Tables, pb.Tables)
	field("protection.cells", pa.Cells, pb.Cells)
	field("protection.suppressed", pa.Suppressed, pb.Suppressed)
	return diffs
}

type namedValue struct{ name, value string }

// compareKeyed compares two lists of records by key: records only in one list, every differing field
// of the records in both, and whether the records in both are listed in the same order.
func compareKeyed[T any](list string, a, b []T, key func(T) string, fields func(T) []namedValue) []string {
	var diffs []string
	index := func(xs []T) map[string]int {
		m := make(map[string]int, len(xs))
		for i, x := range xs {
			m[key(x)] = i
		}
		return m
	}
	ia, ib := index(a), index(b)
	var orderA, orderB []string
	for _, x := range a {
		k := key(x)
		j, ok := ib[k]
		if !ok {
			diffs = append(diffs, fmt.Sprintf("manifest %s: %s is published but not rebuilt", list, k))
			continue
		}
		orderA = append(orderA, k)
		fb := fields(b[j])
		for n, f := range fields(x) {
			if f.value != fb[n].value {
				diffs = append(diffs, fmt.Sprintf("manifest %s %s %s: published %q, rebuilt %q", list, k, f.name, f.value, fb[n].value))
			}
		}
	}
	for _, x := range b {
		if _, ok := ia[key(x)]; !ok {
			diffs = append(diffs, fmt.Sprintf("manifest %s: %s is rebuilt but not published", list, key(x)))
		} else {
			orderB = append(orderB, key(x))
		}
	}
	if !slices.Equal(orderA, orderB) {
		diffs = append(diffs, fmt.Sprintf("manifest %s: listed in another order (published %s; rebuilt %s)", list, strings.Join(orderA, ", "), strings.Join(orderB, ", ")))
	}
	return diffs
}

func sortedPairs(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s=%d", k, m[k])
	}
	return b.String()
}

// CheckFiles compares a report folder with its manifest m: every listed file must exist with the
// listed size and digest, and the folder must hold no file the manifest does not list, besides the
// manifest itself and its signature (SignatureFile). It returns one line per difference.
func CheckFiles(dir string, m *Manifest) ([]string, error) {
	d, err := checkFiles(dir, m)
	if err != nil {
		return nil, err
	}
	return d.lines, nil
}

// fileDiffs are the differences between a report folder and its manifest, by kind and as lines.
type fileDiffs struct {
	changed, missing, unlisted []string // file names
	lines                      []string // one per difference, in CheckFiles' order
}

// summary counts the differences by kind and names the files: "1 changed (report.md), 1 not
// listed (notes.txt)".
func (d *fileDiffs) summary() string {
	var parts []string
	for _, p := range []struct {
		what  string
		files []string
	}{{"changed", d.changed}, {"missing", d.missing}, {"not listed", d.unlisted}} {
		if len(p.files) > 0 {
			parts = append(parts, fmt.Sprintf("%d %s (%s)", len(p.files), p.what, listNames(p.files)))
		}
	}
	return strings.Join(parts, ", ")
}

func checkFiles(dir string, m *Manifest) (*fileDiffs, error) {
	d := &fileDiffs{}
	listed := map[string]bool{ManifestFile: true, SignatureFile: true}
	for _, o := range m.Outputs {
		listed[o.File] = true
		digest, size, err := HashFile(filepath.Join(dir, filepath.FromSlash(o.File)))
		if errors.Is(err, os.ErrNotExist) {
			d.missing = append(d.missing, o.File)
			d.lines = append(d.lines, fmt.Sprintf("%s: listed in the manifest but missing", o.File))
			continue
		}
		if err != nil {
			return nil, err
		}
		if size != o.Bytes || digest != o.SHA256 {
			d.changed = append(d.changed, o.File)
			d.lines = append(d.lines, fmt.Sprintf("%s: %d bytes with sha256 %s, the manifest lists %d bytes with sha256 %s", o.File, size, digest, o.Bytes, o.SHA256))
		}
	}
	extra, err := unlisted(dir, listed)
	if err != nil {
		return nil, err
	}
	for _, name := range extra {
		d.unlisted = append(d.unlisted, name)
		d.lines = append(d.lines, fmt.Sprintf("%s: in the folder but not in the manifest", name))
	}
	return d, nil
}

// CompareFiles compares, byte for byte by digest, every file of the published report folder with the
// rebuilt one: each output the rebuilt manifest lists, and manifest.json itself. It also names any
// file of the published folder that the rebuild did not produce, except the publisher's signature
// of the manifest (SignatureFile), which a rebuild cannot make. It returns one line per difference.
func CompareFiles(publishedDir, rebuiltDir string, rebuilt *Manifest) ([]string, error) {
	d, err := compareFiles(publishedDir, rebuiltDir, rebuilt)
	if err != nil {
		return nil, err
	}
	return d.lines, nil
}

func compareFiles(publishedDir, rebuiltDir string, rebuilt *Manifest) (*fileDiffs, error) {
	d := &fileDiffs{}
	names := []string{ManifestFile}
	listed := map[string]bool{ManifestFile: true, SignatureFile: true}
	for _, o := range rebuilt.Outputs {
		names = append(names, o.File)
		listed[o.File] = true
	}
	slices.Sort(names)
	for _, name := range names {
		want, _, err := HashFile(filepath.Join(rebuiltDir, filepath.FromSlash(name)))
		if err != nil {
			return nil, err
		}
		got, _, err := HashFile(filepath.Join(publishedDir, filepath.FromSlash(name)))
		if errors.Is(err, os.ErrNotExist) {
			d.missing = append(d.missing, name)
			d.lines = append(d.lines, fmt.Sprintf("%s: rebuilt but missing from %s", name, publishedDir))
			continue
		}
		if err != nil {
			return nil, err
		}
		if got != want {
			d.changed = append(d.changed, name)
			d.lines = append(d.lines, fmt.Sprintf("%s: published sha256 %s, rebuilt %s", name, got, want))
		}
	}
	extra, err := unlisted(publishedDir, listed)
	if err != nil {
		return nil, err
	}
	for _, name := range extra {
		d.unlisted = append(d.unlisted, name)
		d.lines = append(d.lines, fmt.Sprintf("%s: published but not produced by the rebuild", name))
	}
	return d, nil
}

// unlisted returns the files under dir, as slash-separated paths relative to it, that listed does
// not hold, sorted.
func unlisted(dir string, listed map[string]bool) ([]string, error) {
	var extra []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel = filepath.ToSlash(rel); !listed[rel] {
			extra = append(extra, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing report folder: %w", err)
	}
	slices.Sort(extra)
	return extra, nil
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
