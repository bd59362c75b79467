// Package chart draws the briefing's charts as SVG from the published figures only.
//
// For every metric that has tables it draws the world and the largest regions over time, the latest
// period by area and organization type, the most recent period of widest coverage when the latest
// covers fewer countries, and the countries with the largest published change between the last two
// periods; and for every country with a published total, the country beside its sub-region over
// time. A chart sees nothing but published values and tells how each was made: a suppressed or
// missing point is a gap in a line, never a zero, and a withheld bar is not drawn but marked with the
// report's "x"; an area's published total over all types is drawn beside its parts; an estimate
// (obs_status E) is hatched or hollow; a break in series (B) is a gap with the sign "//" in it; a
// country that the M49 hierarchy puts in no region is not drawn among the regions. The plotting is
// done by gonum.org/v1/plot with its SVG backend, so every text is escaped by the library, and the
// bytes depend on the input alone (no time, no random identifiers, no map order), which keeps a
// publication reproducible byte for byte.
package chart
