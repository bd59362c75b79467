package schemas

// ObsFlags are the observation-status facts about one published or suppressed cell, as a set: a
// break in series, an estimate, a provisional figure. Published files carry them as SDMX OBS_STATUS
// codes (SDMX Content-Oriented Guidelines, code list CL_OBS_STATUS); the set keeps a cell that is both
// a break and an estimate from losing either fact inside the pipeline.
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
)

// Has reports whether every flag of g is set in f.
func (f ObsFlags) Has(g ObsFlags) bool { return f&g == g }

// Code returns the one SDMX OBS_STATUS code that published files carry: B when the cell is a break
// (it matters most to a reader of a series), else E, else P, else A (normal value).
func (f ObsFlags) Code() string {
	switch {
	case f.Has(ObsBreak):
		return "B"
	case f.Has(ObsEstimated):
		return "E"
	case f.Has(ObsProvisional):
		return "P"
	}
	return "A"
}
