// Package publish is the last stage of a build: it writes the protected tables and the figures derived
// from them as a report folder (SPEC 5) — cells, trends, series, summary and comparisons as Parquet
// for analysts; report.md, a briefing for people that opens with a summary in sentences, and a page
// per country (countries/<CC>.md), with their charts; the same pages as self-contained HTML
// (report.html, countries/<CC>.html) for readers who do not read Markdown or want a PDF; and
// manifest.json with the digest of every file — and swaps the folder into place atomically, so that a
// reader sees either the previous publication or the new one, never a mixture.
//
// The stage sees only a trend.Result, whose cells give no value when suppressed; it cannot publish what
// the protection withheld. It also holds the readers an outsider's audit and a rebuild's verification
// use (ReadManifest, ReadCells, CheckFiles, CompareRebuild, VerifyPublished), written against an
// independent Parquet library (parquet-go) so that the writer's mistakes are not repeated by the
// reader. OpenTarget decides which folders a build may replace (SPEC 5, "Safe target"), and a
// publisher's key signs the manifest into manifest.json.minisig.
package publish
