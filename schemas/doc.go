// Package schemas is the project's single source of truth for what the data means and how it is laid
// out: the vocabularies (countries with their UN M49 hierarchy, organization types, metrics), the
// calendar date type of a reporting period, and the Arrow schemas of every input and output file.
//
// The vocabularies are embedded data files under data/, not Go literals, so that a reviewer can read
// them as tables and a dataset can extend the metrics without touching code. Identifiers (GeoID, OrgID,
// MetricID) are small integers whose order is the order in which published files are sorted.
package schemas
