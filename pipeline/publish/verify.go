package publish

import (
	"fmt"
	"strings"
)

// Mismatch is how a published report folder differs from a rebuild of its dataset: Summary is one
// line that names the cause as far as the two manifests tell it (the tool, an input, the
// configuration, or the published files themselves), Differences one line per difference. No
// differences means the publication is exactly what the signed inputs give.
type Mismatch struct {
	Summary     string
	Differences []string
}

// CompareRebuild compares the published report folder, with its manifest published, with the
// rebuilt folder and its manifest rebuilt.
func CompareRebuild(publishedDir string, published *Manifest, rebuiltDir string, rebuilt *Manifest) (*Mismatch, error) {
	files, err := compareFiles(publishedDir, rebuiltDir, rebuilt)
	if err != nil {
		return nil, err
	}
	m := &Mismatch{Differences: append(CompareManifests(published, rebuilt), files.lines...)}
	if len(m.Differences) > 0 {
		m.Summary = rebuildCause(published, rebuilt, files)
	}
	return m, nil
}

// rebuildCause names the most likely cause of the differences between a published manifest a and a
// rebuild's b, the first that applies: another tool, another dataset (an input added, dropped,
// changed or re-signed), another configuration, or, with all of those the same, the published
// files themselves.
func rebuildCause(a, b *Manifest, files *fileDiffs) string {
	if a.Tool.Name != b.Tool.Name || a.Tool.Version != b.Tool.Version || a.Tool.Go != b.Tool.Go {
		return fmt.Sprintf("the tool differs: the report was built by %s, this is %s; rebuild with the release and Go release the manifest names", a.Tool, b.Tool)
	}
	if mod := moduleDifference(a.Tool.Modules, b.Tool.Modules); mod != "" {
		return "the modules that write the outputs differ: " + mod + "; build the tool with the go.sum of the release the manifest names"
	}
	if in := inputDifference(a.Inputs, b.Inputs); in != "" {
		return "the dataset differs: " + in
	}
	if a.Dataset.ConfigSHA256 != b.Dataset.ConfigSHA256 {
		return fmt.Sprintf("the configuration differs: dataset.yaml as applied (overrides and EXPOSURE_* variables included) has digest %s, the report was built with %s",
			b.Dataset.ConfigSHA256, a.Dataset.ConfigSHA256)
	}
	if len(files.changed)+len(files.missing)+len(files.unlisted) > 0 && manifestOnly(files) {
		return "the same tool, inputs and configuration give another manifest: the code differs from the release that built the report (a development build?), or its manifest.json was changed"
	}
	if len(files.changed)+len(files.missing)+len(files.unlisted) > 0 {
		return "the published files differ from a rebuild of the same inputs by the same tool: " + files.summary() +
			"; they were changed after the build, or the code differs from the release that built the report"
	}
	return "the manifests differ although the same tool, inputs and configuration gave them"
}

// manifestOnly reports whether the only file that differs is manifest.json.
func manifestOnly(d *fileDiffs) bool {
	return len(d.missing) == 0 && len(d.unlisted) == 0 && len(d.changed) == 1 && d.changed[0] == ManifestFile
}

// moduleDifference names the first output module whose version differs, or "".
func moduleDifference(a, b []ModuleInfo) string {
	versions := func(ms []ModuleInfo) map[string]string {
		v := map[string]string{}
		for _, m := range ms {
			v[m.Path] = m.Version
		}
		return v
	}
	va, vb := versions(a), versions(b)
	for _, m := range append(append([]ModuleInfo(nil), a...), b...) {
		if va[m.Path] != vb[m.Path] {
			return fmt.Sprintf("%s was %s in the build of the report, is %s in this binary", m.Path, orNone(va[m.Path]), orNone(vb[m.Path]))
		}
	}
	return ""
}

func orNone(v string) string {
	if v == "" {
		return "not recorded"
	}
	return v
}

// inputDifference describes the first input that differs between the report's inputs a and the
// rebuild's b, or "". Counting what else differs tells the reader whether there is more.
func inputDifference(a, b []InputInfo) string {
	byFile := func(ins []InputInfo) map[string]InputInfo {
		m := map[string]InputInfo{}
		for _, in := range ins {
			m[in.File] = in
		}
		return m
	}
	ia, ib := byFile(a), byFile(b)
	var found []string
	for _, was := range a {
		now, ok := ib[was.File]
		switch {
		case !ok:
			found = append(found, fmt.Sprintf("the report was built from input %s, which the dataset no longer lists", was.File))
		case now.Rows != was.Rows:
			found = append(found, fmt.Sprintf("input %s has %d rows, the report was built from %d", was.File, now.Rows, was.Rows))
		case now.SHA256 != was.SHA256:
			found = append(found, fmt.Sprintf("input %s was changed since the report was built (another SHA-256, the same %d rows)", was.File, now.Rows))
		case now.KeyID != was.KeyID || now.Source != was.Source:
			found = append(found, fmt.Sprintf("input %s is signed by %s (key %s), the report's by %s (key %s)", was.File, now.Source, now.KeyID, was.Source, was.KeyID))
		}
	}
	for _, now := range b {
		if _, ok := ia[now.File]; !ok {
			found = append(found, fmt.Sprintf("input %s is new: the report was built without it", now.File))
		}
	}
	switch len(found) {
	case 0:
		return ""
	case 1:
		return found[0]
	}
	return fmt.Sprintf("%s (and %d more inputs differ)", found[0], len(found)-1)
}

// Lines returns the mismatch as printed: the summary, then the differences, one per line.
func (m *Mismatch) Lines() []string {
	if len(m.Differences) == 0 {
		return nil
	}
	return append([]string{m.Summary}, m.Differences...)
}

// String joins Lines with line breaks.
func (m *Mismatch) String() string { return strings.Join(m.Lines(), "\n") }
