// Package protect is the statistical disclosure control stage: it builds, for every (period, metric),
// the hierarchical table of leaf cells and totals, marks the sensitive cells (primary suppression:
// threshold, minimum value and p% dominance rules), chooses further cells to suppress so that no
// sensitive cell can be narrowed down from the published ones (secondary suppression), and proves it
// with an exact audit before anything leaves the stage.
//
// The rules and their anchors: Hundepool et al., Statistical Disclosure Control (Wiley, 2012), ch. 4
// (sensitivity rules, 4.2; secondary suppression and the protection interval, 4.3).
package protect
