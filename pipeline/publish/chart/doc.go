// Package chart draws the briefing's charts as SVG from the published figures only.
//
// For every metric that has tables it draws three charts: the world and the largest regions over
// time, the latest period by area and organization type, and the countries with the largest
// published change between the last two periods. A chart sees nothing but published values: a
// suppressed or missing point is a gap in a line, never a zero, and a withheld bar is not drawn but
// marked with the report's "x". The plotting is done by gonum.org/v1/plot with its SVG backend, so
// every text is escaped by the library, and the bytes depend on the input alone (no time, no random
// identifiers, no map order), which keeps a publication reproducible byte for byte.
package chart
