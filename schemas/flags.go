package schemas

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
)

// ObsFlags are the observation-status facts about one published or suppressed cell, as a set: a
// break in series (with what caused it), an estimate, a provisional figure. Published files carry
// them as SDMX OBS_STATUS codes (SDMX Content-Oriented Guidelines, code list CL_OBS_STATUS); the set
// keeps a cell that is both a break and an estimate from losing either fact inside the pipeline.
//
// Flags are public: they say how a figure was produced, never what a withheld figure is.
type ObsFlags uint8

// The observation flags.
const (
	// ObsBreak: the cell's source, definition or coverage differs from its previous period (SDMX B).
	ObsBreak ObsFlags = 1 << iota
	// ObsEstimated: the dataset marks the input as an illustrative allocation or estimate (SDMX E).
	ObsEstimated
	// ObsProvisional: the figure may still be revised (SDMX P).
	ObsProvisional

	// BreakDeclared, BreakSource and BreakCoverage say why a cell is a break; each comes with
	// ObsBreak. BreakDeclared: dataset.yaml declares a break at the cell's period (a change of
	// definition). BreakSource: the source that covers the cell, or one of its leaves, changed.
	// BreakCoverage: a total adds up another set of leaves than in its previous period.
	BreakDeclared
	BreakSource
	BreakCoverage
)

// The codes of the break_reason column, one per cause of a break; data/break_reasons.csv gives
// their labels, in this order.
const (
	BreakReasonDeclared = "declared"
	BreakReasonSource   = "source"
	BreakReasonCoverage = "coverage"
)

// breakCauses are the cause flags with their codes, in the order the codes are listed.
var breakCauses = []struct {
	flag ObsFlags
	code string
}{{BreakDeclared, BreakReasonDeclared}, {BreakSource, BreakReasonSource}, {BreakCoverage, BreakReasonCoverage}}

// Has reports whether every flag of g is set in f.
func (f ObsFlags) Has(g ObsFlags) bool { return f&g == g }

// Code returns the one SDMX OBS_STATUS code that published files carry: B when the cell is a break
// (it matters most to a reader of a series), else E, else P, else A (normal value).
func (f ObsFlags) Code() string {
	switch {
	case f.Has(ObsBreak):
		return ObsCodeBreak
	case f.Has(ObsEstimated):
		return ObsCodeEstimated
	case f.Has(ObsProvisional):
		return ObsCodeProvisional
	}
	return ObsCodeNormal
}

// The SDMX OBS_STATUS codes that published files use.
const (
	ObsCodeNormal      = "A"
	ObsCodeBreak       = "B"
	ObsCodeEstimated   = "E"
	ObsCodeProvisional = "P"
)

// The SDMX CONF_STATUS codes that published files use: a published cell is free, a suppressed one
// confidential. Primary and secondary suppressions are never told apart (SPEC 4).
const (
	ConfFree         = "F"
	ConfConfidential = "C"
)

// ConfStatus returns the CONF_STATUS code of a cell that is suppressed or not.
func ConfStatus(suppressed bool) string {
	if suppressed {
		return ConfConfidential
	}
	return ConfFree
}

// BreakReasons returns the codes of the causes of a break in f ("declared", "source", "coverage", in
// that order), or nil when f is not a break. A break whose cause is not recorded has none.
func (f ObsFlags) BreakReasons() []string {
	if !f.Has(ObsBreak) {
		return nil
	}
	var out []string
	for _, c := range breakCauses {
		if f.Has(c.flag) {
			out = append(out, c.code)
		}
	}
	return out
}

// BreakReason returns the codes of BreakReasons joined by ",", or "" when f is not a break.
func (f ObsFlags) BreakReason() string { return strings.Join(f.BreakReasons(), ",") }

// ParseBreakReason reads a break_reason as BreakReason writes it back into the cause flags, and
// reports whether every part is a known cause.
func ParseBreakReason(reason string) (ObsFlags, bool) {
	var f ObsFlags
	for _, part := range strings.Split(reason, ",") {
		found := false
		for _, c := range breakCauses {
			if c.code == part {
				f |= c.flag
				found = true
			}
		}
		if !found {
			return 0, false
		}
	}
	return f, true
}

// Code is one entry of a code list: the code, its label and what it means.
type Code struct {
	Code        string
	Label       string
	Description string
}

//go:embed data/obs_status.csv
var obsStatusCSV []byte

//go:embed data/conf_status.csv
var confStatusCSV []byte

//go:embed data/break_reasons.csv
var breakReasonsCSV []byte

type lists struct {
	obs, conf, reasons []Code
	err                error
}

var (
	listsOnce sync.Once
	listsData lists
)

// codeLists reads the embedded code lists once. The tests of the package prove them well-formed,
// so a failure here is a broken build, reported by CodeLists.
func codeLists() *lists {
	listsOnce.Do(func() {
		read := func(data []byte, name string) []Code {
			rows, err := readTable(data, name, []string{"code", "label", "description"})
			if err != nil && listsData.err == nil {
				listsData.err = err
			}
			out := make([]Code, len(rows))
			for i, r := range rows {
				out[i] = Code{Code: r[0], Label: r[1], Description: r[2]}
			}
			return out
		}
		listsData.obs = read(obsStatusCSV, "obs_status.csv")
		listsData.conf = read(confStatusCSV, "conf_status.csv")
		listsData.reasons = read(breakReasonsCSV, "break_reasons.csv")
		for i, c := range breakCauses {
			if listsData.err == nil && (len(listsData.reasons) != len(breakCauses) || listsData.reasons[i].Code != c.code) {
				listsData.err = fmt.Errorf("embedded break_reasons.csv: the codes must be %s, %s, %s in that order",
					BreakReasonDeclared, BreakReasonSource, BreakReasonCoverage)
			}
		}
	})
	return &listsData
}

// ObsStatusCodes returns the OBS_STATUS codes that published files use, with the SDMX labels
// (SDMX Content-Oriented Guidelines, CL_OBS_STATUS) and what each means here, from the embedded
// data/obs_status.csv.
func ObsStatusCodes() ([]Code, error) {
	l := codeLists()
	return append([]Code(nil), l.obs...), l.err
}

// ConfStatusCodes returns the CONF_STATUS codes that published files use, with the SDMX labels
// (CL_CONF_STATUS), from the embedded data/conf_status.csv.
func ConfStatusCodes() ([]Code, error) {
	l := codeLists()
	return append([]Code(nil), l.conf...), l.err
}

// BreakReasonCodes returns the codes of the break_reason column, the causes of a break, from the
// embedded data/break_reasons.csv.
func BreakReasonCodes() ([]Code, error) {
	l := codeLists()
	return append([]Code(nil), l.reasons...), l.err
}
