package schemas

import (
	_ "embed"
	"fmt"
	"iter"
	"sort"
)

//go:embed data/iso3166-m49.csv
var countriesCSV []byte

// GeoLevel is a level of the geographic hierarchy, from the UN M49 standard: every country rolls up to
// its sub-region, the sub-region to its region and the region to the world (`001`). M49's
// intermediate regions (e.g. `011` Western Africa, `029` Caribbean) are not levels here.
type GeoLevel uint8

// The geographic levels, from the top. Their order is the published sort order.
const (
	World GeoLevel = iota
	Region
	SubRegion
	Country
)

// GeoLevels lists the levels from the top.
var GeoLevels = []GeoLevel{World, Region, SubRegion, Country}

// String returns the level's name as published in the geo_level column.
func (l GeoLevel) String() string {
	switch l {
	case World:
		return "world"
	case Region:
		return "region"
	case SubRegion:
		return "subregion"
	case Country:
		return "country"
	}
	return fmt.Sprintf("GeoLevel(%d)", uint8(l))
}

// ParseGeoLevel is the inverse of GeoLevel.String.
func ParseGeoLevel(s string) (GeoLevel, bool) {
	for _, l := range GeoLevels {
		if l.String() == s {
			return l, true
		}
	}
	return 0, false
}

// WorldCode is the M49 code of the world, the root of the hierarchy.
const WorldCode = "001"

// GeoID identifies a node of the geographic hierarchy. Ascending GeoID is the published sort order:
// by level from the top, then by code.
type GeoID uint16

// GeoNode is one area of the hierarchy: the world, a region, a sub-region or a country.
type GeoNode struct {
	Code   string   // M49 code ("001", "150", "154") or, for a country, ISO 3166-1 alpha-2 ("DE")
	Name   string   // English name
	Level  GeoLevel // level in the hierarchy
	Parent GeoID    // the area it rolls up to; the world is its own parent
}

// Geography is the M49 hierarchy over the ISO 3166-1 countries.
type Geography struct {
	nodes    []GeoNode
	byCode   map[string]GeoID
	children [][]GeoID
}

// loadGeography builds the hierarchy from the embedded iso3166-m49.csv.
func loadGeography() (*Geography, error) {
	header := []string{"name", "alpha-2", "alpha-3", "country-code", "iso_3166-2", "region", "sub-region",
		"intermediate-region", "region-code", "sub-region-code", "intermediate-region-code"}
	rows, err := readTable(countriesCSV, "iso3166-m49.csv", header)
	if err != nil {
		return nil, err
	}
	type area struct{ code, name, parent string }
	var regions, subRegions, countries []area
	seenRegion, seenSub := map[string]string{}, map[string]string{}
	for _, r := range rows {
		name, alpha2, region, sub, regionCode, subCode := r[0], r[1], r[5], r[6], r[8], r[9]
		if len(alpha2) != 2 {
			return nil, fmt.Errorf("embedded iso3166-m49.csv: %q is not an alpha-2 code", alpha2)
		}
		parent := WorldCode
		if regionCode != "" {
			if subCode == "" {
				return nil, fmt.Errorf("embedded iso3166-m49.csv: %s has a region but no sub-region", alpha2)
			}
			if _, ok := seenRegion[regionCode]; !ok {
				seenRegion[regionCode] = region
				regions = append(regions, area{regionCode, region, WorldCode})
			}
			if p, ok := seenSub[subCode]; !ok {
				seenSub[subCode] = regionCode
				subRegions = append(subRegions, area{subCode, sub, regionCode})
			} else if p != regionCode {
				return nil, fmt.Errorf("embedded iso3166-m49.csv: sub-region %s is in two regions", subCode)
			}
			parent = subCode
		}
		countries = append(countries, area{alpha2, name, parent})
	}
	g := &Geography{byCode: map[string]GeoID{}}
	add := func(level GeoLevel, areas []area) error {
		sort.Slice(areas, func(i, j int) bool { return areas[i].code < areas[j].code })
		for _, a := range areas {
			if _, dup := g.byCode[a.code]; dup {
				return fmt.Errorf("embedded iso3166-m49.csv: code %s appears twice", a.code)
			}
			id := GeoID(len(g.nodes))
			g.byCode[a.code] = id
			g.nodes = append(g.nodes, GeoNode{Code: a.code, Name: a.name, Level: level, Parent: g.byCode[a.parent]})
		}
		return nil
	}
	for _, step := range []struct {
		level GeoLevel
		areas []area
	}{{World, []area{{WorldCode, "World", WorldCode}}}, {Region, regions}, {SubRegion, subRegions}, {Country, countries}} {
		if err := add(step.level, step.areas); err != nil {
			return nil, err
		}
	}
	g.children = make([][]GeoID, len(g.nodes))
	for id, n := range g.nodes {
		if GeoID(id) != n.Parent {
			g.children[n.Parent] = append(g.children[n.Parent], GeoID(id))
		}
	}
	return g, nil
}

// Len returns the number of areas; valid GeoIDs are 0 to Len()-1.
func (g *Geography) Len() int { return len(g.nodes) }

// Node returns the area id.
func (g *Geography) Node(id GeoID) GeoNode { return g.nodes[id] }

// WorldID returns the id of the world, the root.
func (g *Geography) WorldID() GeoID { return 0 }

// ByCode looks up an area by its published code: an M49 code for the world, a region or a
// sub-region, an alpha-2 code for a country.
func (g *Geography) ByCode(code string) (GeoID, bool) {
	id, ok := g.byCode[code]
	return id, ok
}

// CountryByCode looks up a country by its ISO 3166-1 alpha-2 code (upper case). `UK` is not one;
// the United Kingdom is `GB`.
func (g *Geography) CountryByCode(alpha2 string) (GeoID, bool) {
	id, ok := g.byCode[alpha2]
	if !ok || g.nodes[id].Level != Country {
		return 0, false
	}
	return id, true
}

// Children returns the areas that roll up directly to id, in ascending GeoID order. The caller must
// not modify the slice.
func (g *Geography) Children(id GeoID) []GeoID { return g.children[id] }

// AndUp yields id and then the areas above it, nearest first, ending with the world (the world
// alone for the world): what Ancestors returns, after id itself, without allocating.
func (g *Geography) AndUp(id GeoID) iter.Seq[GeoID] {
	return func(yield func(GeoID) bool) {
		for yield(id) && id != 0 {
			id = g.nodes[id].Parent
		}
	}
}

// Ancestors returns the areas above id, nearest first, ending with the world; nil for the world.
func (g *Geography) Ancestors(id GeoID) []GeoID {
	var up []GeoID
	for id != 0 {
		id = g.nodes[id].Parent
		up = append(up, id)
	}
	return up
}
