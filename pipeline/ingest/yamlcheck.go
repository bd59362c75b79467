package ingest

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/exposure-research/exposure/schemas"
)

// ConfigFile is the name of a dataset's configuration file inside its folder (SPEC 6).
const ConfigFile = "dataset.yaml"

// keyKind is the type that a dataset.yaml key takes.
type keyKind int

const (
	kindString  keyKind = iota // a YAML string
	kindInt                    // a YAML integer
	kindNumber                 // a YAML integer or float
	kindDate                   // a date written YYYY-MM-DD
	kindStrings                // a list of strings
	kindObject                 // a mapping with known keys
	kindList                   // a list of one kind of element
	kindIntMap                 // a mapping from codes to integers
)

// keySpec is the shape of one dataset.yaml key: its kind and, for objects and lists, what it holds.
// The whole file's shape is configSpec; anything outside it is an unknown key.
type keySpec struct {
	kind   keyKind
	fields map[string]*keySpec // kindObject
	elem   *keySpec            // kindList
}

func object(fields map[string]*keySpec) *keySpec { return &keySpec{kind: kindObject, fields: fields} }
func listOf(elem *keySpec) *keySpec              { return &keySpec{kind: kindList, elem: elem} }

var (
	specString  = &keySpec{kind: kindString}
	specInt     = &keySpec{kind: kindInt}
	specNumber  = &keySpec{kind: kindNumber}
	specDate    = &keySpec{kind: kindDate}
	specStrings = &keySpec{kind: kindStrings}
)

// configSpec is the shape of dataset.yaml: SPEC 6 plus the documented `caveats`, `comparisons` and
// `limits` extensions.
var configSpec = object(map[string]*keySpec{
	"id":      specString,
	"title":   specString,
	"licence": specString,
	"sources": listOf(object(map[string]*keySpec{
		"id":   specString,
		"name": specString,
		"key":  specString,
		"scope": object(map[string]*keySpec{
			"countries": specStrings,
			"metrics":   specStrings,
			"periods":   object(map[string]*keySpec{"from": specDate, "to": specDate}),
		}),
	})),
	"inputs": listOf(object(map[string]*keySpec{"file": specString, "source": specString})),
	"protection": object(map[string]*keySpec{
		"min_contributors": specInt,
		"min_value":        {kind: kindIntMap},
		"p_percent":        specNumber,
		"interval":         specNumber,
	}),
	"metrics":   listOf(object(map[string]*keySpec{"code": specString, "description": specString, "unit": specString})),
	"caveats":   specStrings,
	"ignore":    specStrings,
	"previous":  specStrings,
	"relations": specStrings,
	"breaks": listOf(object(map[string]*keySpec{
		"period": specDate, "countries": specStrings, "metrics": specStrings, "reason": specString,
	})),
	"estimates": listOf(object(map[string]*keySpec{
		"file": specString, "countries": specStrings, "metrics": specStrings, "reason": specString,
	})),
	"comparisons": listOf(specStrings),
	"limits": object(map[string]*keySpec{
		"max_file_bytes":      specInt,
		"max_rows_per_file":   specInt,
		"max_cells_per_table": specInt,
	}),
})

// position is where a value stands in dataset.yaml.
type position struct {
	line, column int
	quoted       bool // the value is a quoted scalar: its text starts one column after the quote
}

// mapKeyPattern is what a key of a code-keyed mapping (protection.min_value) may look like: a metric
// code is lower case, and viper, which reads keys case-insensitively and dots as nesting, must not
// be the one to decide that "Affected_Patients" means affected_patients.
var mapKeyPattern = regexp.MustCompile(`^[a-z0-9_]+$`)

// yamlChecker walks dataset.yaml's node tree against configSpec before viper sees it. viper reads keys
// case-insensitively and without positions, so the walk is what finds unknown keys (a typo such as
// `min_contributor`), duplicate keys, values of the wrong type and anchors, each with its line.
type yamlChecker struct {
	pos  map[string]position // where each key path's value stands
	errs *collector
}

// parseConfigYAML parses dataset.yaml into a node tree and checks it against configSpec. It returns the
// position of every key path (as configPath writes them) for later messages.
func parseConfigYAML(data []byte, errs *collector) (map[string]position, bool) {
	before := errs.count()
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		errs.add(&Error{File: ConfigFile, Err: fail(ErrConfig, "the file is empty")})
		return nil, false
	} else if err != nil {
		errs.add(yamlError(err))
		return nil, false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		errs.add(&Error{File: ConfigFile, Line: extra.Line, Column: extra.Column,
			Err: fail(ErrYAML, "more than one YAML document; a dataset has one")})
		return nil, false
	} else if !errors.Is(err, io.EOF) {
		errs.add(yamlError(err))
		return nil, false
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		errs.add(&Error{File: ConfigFile, Err: fail(ErrConfig, "the file is empty")})
		return nil, false
	}
	c := &yamlChecker{pos: map[string]position{}, errs: errs}
	c.walk(doc.Content[0], configSpec, "")
	return c.pos, errs.count() == before
}

// yamlLine finds the line number in a yaml.v3 error message.
var yamlLine = regexp.MustCompile(`line (\d+):? `)

// yamlError turns a yaml.v3 syntax error into an Error with the line it names.
func yamlError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine.FindStringSubmatchIndex(msg); m != nil {
		line, _ = strconv.Atoi(msg[m[2]:m[3]])
		msg = msg[:m[0]] + msg[m[1]:]
	}
	return &Error{File: ConfigFile, Line: line, Err: fail(ErrYAML, "%s", msg)}
}

func (c *yamlChecker) errAt(n *yaml.Node, path string, kind error, format string, args ...any) {
	c.errs.add(&Error{File: ConfigFile, Line: n.Line, Column: n.Column, Field: path, Err: fail(kind, format, args...)})
}

// walk checks node n, found at path, against spec.
func (c *yamlChecker) walk(n *yaml.Node, spec *keySpec, path string) {
	if path != "" {
		c.pos[path] = position{n.Line, n.Column, n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0}
	}
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		// Anchors and aliases have no use in a short configuration file, and refusing them rules
		// out alias bombs (billion laughs) and values that change far from where they are read.
		c.errAt(n, path, ErrYAML, "anchors and aliases (&, *) are not allowed in %s", ConfigFile)
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value: the checks after decoding say whether the key is required
	}
	switch spec.kind {
	case kindObject:
		c.walkObject(n, spec, path)
	case kindList:
		if n.Kind != yaml.SequenceNode {
			c.errAt(n, path, ErrConfig, "must be a list, got %s", describe(n))
			return
		}
		for i, e := range n.Content {
			c.walk(e, spec.elem, fmt.Sprintf("%s[%d]", path, i))
		}
	case kindStrings:
		if n.Kind != yaml.SequenceNode {
			c.errAt(n, path, ErrConfig, "must be a list of strings, got %s", describe(n))
			return
		}
		for i, e := range n.Content {
			c.walk(e, specString, fmt.Sprintf("%s[%d]", path, i))
		}
	case kindIntMap:
		if n.Kind != yaml.MappingNode {
			c.errAt(n, path, ErrConfig, "must be a mapping from metric codes to integers, got %s", describe(n))
			return
		}
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if !c.checkKey(k, path, seen) {
				continue
			}
			if !mapKeyPattern.MatchString(k.Value) {
				c.errAt(k, path+"."+k.Value, ErrVocabulary, "%s is not a metric code (codes are lower-case letters, digits and _)", quote(k.Value))
				continue
			}
			c.walk(v, specInt, path+"."+k.Value)
		}
	default:
		c.checkScalar(n, spec, path)
	}
}

func (c *yamlChecker) walkObject(n *yaml.Node, spec *keySpec, path string) {
	if n.Kind != yaml.MappingNode {
		what := "a mapping of keys to values"
		if path == "" {
			c.errAt(n, "", ErrConfig, "the file must be %s, got %s", what, describe(n))
			return
		}
		c.errAt(n, path, ErrConfig, "must be %s, got %s", what, describe(n))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !c.checkKey(k, path, seen) {
			continue
		}
		child := k.Value
		if path != "" {
			child = path + "." + k.Value
		}
		sub, ok := spec.fields[k.Value]
		if !ok {
			msg := "unknown key"
			if s := suggest(k.Value, spec.fields); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			} else {
				msg += fmt.Sprintf(" (known here: %s)", strings.Join(sortedKeys(spec.fields), ", "))
			}
			c.errs.add(&Error{File: ConfigFile, Line: k.Line, Column: k.Column, Field: child, Err: fail(ErrUnknownKey, "%s", msg)})
			continue
		}
		c.walk(v, sub, child)
	}
}

// checkKey checks a mapping key: a plain string, not a merge key, not seen before in this mapping.
func (c *yamlChecker) checkKey(k *yaml.Node, path string, seen map[string]int) bool {
	if k.Kind == yaml.AliasNode || k.Anchor != "" {
		c.errAt(k, path, ErrYAML, "anchors and aliases (&, *) are not allowed in %s", ConfigFile)
		return false
	}
	if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" || (k.Tag != "!!str" && k.Tag != "!!int") {
		c.errAt(k, path, ErrConfig, "a key must be a plain name, got %s", describe(k))
		return false
	}
	if line, dup := seen[k.Value]; dup {
		full := k.Value
		if path != "" {
			full = path + "." + k.Value
		}
		c.errs.add(&Error{File: ConfigFile, Line: k.Line, Column: k.Column, Field: full,
			Err: fail(ErrYAML, "key defined twice (first at line %d)", line)})
		return false
	}
	seen[k.Value] = k.Line
	return true
}

// checkScalar checks a value that must be one scalar of spec's kind.
func (c *yamlChecker) checkScalar(n *yaml.Node, spec *keySpec, path string) {
	if n.Kind != yaml.ScalarNode {
		c.errAt(n, path, ErrConfig, "must be a single value, got %s", describe(n))
		return
	}
	switch spec.kind {
	case kindString:
		if n.Tag != "!!str" {
			c.errAt(n, path, ErrConfig, "must be a string, got %s; put it in quotes", describe(n))
		}
	case kindInt:
		if n.Tag != "!!int" {
			c.errAt(n, path, ErrConfig, "must be an integer, got %s", describe(n))
			return
		}
		var v int64
		if err := n.Decode(&v); err != nil {
			c.errAt(n, path, ErrConfig, "%s is not an integer that fits in 64 bits", quote(n.Value))
		}
	case kindNumber:
		if n.Tag != "!!int" && n.Tag != "!!float" {
			c.errAt(n, path, ErrConfig, "must be a number, got %s", describe(n))
			return
		}
		var v float64
		if err := n.Decode(&v); err != nil {
			c.errAt(n, path, ErrConfig, "%s is not a number", quote(n.Value))
		}
	case kindDate:
		if n.Tag != "!!str" && n.Tag != "!!timestamp" {
			c.errAt(n, path, ErrConfig, "must be a date YYYY-MM-DD, got %s", describe(n))
			return
		}
		if _, err := schemas.ParseDate(n.Value); err != nil {
			c.errAt(n, path, ErrDate, "%s is not a date of the form YYYY-MM-DD", quote(n.Value))
		}
	}
}

// describe names what a node is, for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.Tag {
	case "!!int":
		return "the integer " + quote(n.Value)
	case "!!float":
		return "the number " + quote(n.Value)
	case "!!bool":
		return "the boolean " + quote(n.Value)
	case "!!str":
		return "the string " + quote(n.Value)
	case "!!timestamp":
		return "the timestamp " + quote(n.Value)
	case "!!null":
		return "nothing"
	}
	return "a value tagged " + n.Tag
}

func sortedKeys(m map[string]*keySpec) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// suggest returns the known key closest to a mistyped one, or "" when none is close enough to be
// the likely intent.
func suggest(key string, known map[string]*keySpec) string {
	best, bestDist := "", len(key)
	for _, k := range sortedKeys(known) {
		if d := editDistance(strings.ToLower(key), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if bestDist <= max(2, len(key)/4) {
		return best
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, counted in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
