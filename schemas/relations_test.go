package schemas

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRelation(t *testing.T) {
	v, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text   string
		normal string // "" when the text is refused
		col    int    // column of the error
		msg    string // part of the error message
	}{
		{"new_systems <= exposed_systems", "new_systems <= exposed_systems", 0, ""},
		{"offline_systems <= prev(exposed_systems)", "offline_systems <= prev(exposed_systems)", 0, ""},
		{"exposed_systems = prev(exposed_systems) + new_systems - offline_systems",
			"exposed_systems + offline_systems = new_systems + prev(exposed_systems)", 0, ""},
		{"exposed_studies >= exposed_systems", "exposed_systems <= exposed_studies", 0, ""},
		{"2 * critical_vulnerabilities ≤ high_vulnerabilities + critical_vulnerabilities", "critical_vulnerabilities <= high_vulnerabilities", 0, ""},
		{" - new_systems + exposed_systems >= 0", "new_systems <= exposed_systems", 0, ""},
		{"3 exposed_systems <= exposed_studies", "3 * exposed_systems <= exposed_studies", 0, ""},
		{"new_system <= exposed_systems", "", 1, `"new_system" is not a metric`},
		{"new_systems <= exposed_systems * exposed_studies", "", 32, "non-linear"},
		{"new_systems <= exposed_systems / 2", "", 32, "non-linear"},
		{"new_systems <= 0.5 exposed_systems", "", 16, "not a whole number"},
		{"new_systems <= exposed_systems + 3", "", 34, "constant"},
		{"new_systems < exposed_systems", "", 13, "strict"},
		{"new_systems == exposed_systems", "", 13, "=="},
		{"new_systems", "", 12, "comparison"},
		{"new_systems <= exposed_systems <= exposed_studies", "", 32, "one comparison"},
		{"prev(prev(new_systems)) <= exposed_systems", "", 6, "one metric"},
		{"log(new_systems) <= exposed_systems", "", 1, "only prev"},
		{"new_systems + exposed_systems = 0", "", 31, "cannot hold"},
		{"new_systems <= 0 * exposed_systems", "", 16, "coefficient of 0"},
		{"new_systems <= new_systems", "", 1, "cancels"},
		{"new_systems - exposed_systems <= new_systems", "", 31, "holds for any counts"},
		{"new_systems <= exposed_systems exposed_studies", "", 32, "product"},
		{"new_systems <= ", "", 16, "missing"},
		{"nëw <= exposed_systems", "", 1, `"nëw" is not a metric`},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			r, err := ParseRelation(tc.text, v)
			if tc.normal != "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if got := r.Normal(v); got != tc.normal {
					t.Errorf("normal form %q, want %q", got, tc.normal)
				}
				return
			}
			var re *RelationError
			if !errors.As(err, &re) {
				t.Fatalf("got %v, want a RelationError", err)
			}
			if re.Column != tc.col || !strings.Contains(re.Msg, tc.msg) {
				t.Errorf("got column %d %q, want column %d containing %q", re.Column, re.Msg, tc.col, tc.msg)
			}
		})
	}
}

func TestRelationEval(t *testing.T) {
	v, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseRelation("exposed_systems = prev(exposed_systems) + new_systems - offline_systems", v)
	if err != nil {
		t.Fatal(err)
	}
	// Terms: exposed, new, offline, prev(exposed); 547 = 590 + 129 - 172.
	if !r.Eval([]int64{547, 129, 172, 590}) || r.Eval([]int64{548, 129, 172, 590}) {
		t.Error("the stock-flow identity is not evaluated exactly")
	}
	if !r.HasPrev() {
		t.Error("HasPrev is false for a relation with prev")
	}
}

func TestVocabularyRelations(t *testing.T) {
	v, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	rels := v.Relations()
	if len(rels) != 2 {
		t.Fatalf("%d vocabulary relations, want 2", len(rels))
	}
	for _, r := range rels {
		if r.Reason == "" {
			t.Errorf("relation %q has no reason", r.Text)
		}
	}
	w, err := v.WithMetrics([]Metric{{Code: "aaa_first", Description: "sorts first", Unit: "things"}})
	if err != nil {
		t.Fatal(err)
	}
	// Metric ids shift when a dataset adds a metric that sorts first: the relations must follow.
	if got, want := w.Relations()[0].Normal(w), rels[0].Normal(v); got != want {
		t.Errorf("after adding a metric: %q, want %q", got, want)
	}
}

func TestInForce(t *testing.T) {
	v, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	exposed, _ := v.MetricByCode("exposed_systems")
	offline, _ := v.MetricByCode("offline_systems")
	newSys, _ := v.MetricByCode("new_systems")
	periods := []Date{10, 20, 30}
	has := func(r TableRef) bool {
		switch r.Metric {
		case exposed:
			return true
		case offline:
			return r.Period == 20
		case newSys:
			return r.Period != 10
		}
		return false
	}
	got := InForce(v.Relations(), periods, has)
	var desc []string
	for _, at := range got {
		desc = append(desc, v.Relations()[at.Relation].Text+"@"+at.Period.String())
	}
	want := []string{"new_systems <= exposed_systems@" + Date(20).String(), "offline_systems <= prev(exposed_systems)@" + Date(20).String(),
		"new_systems <= exposed_systems@" + Date(30).String()}
	if strings.Join(desc, "|") != strings.Join(want, "|") {
		t.Errorf("in force: %v, want %v", desc, want)
	}
	if got[1].Tables[1] != (TableRef{Period: 10, Metric: exposed}) {
		t.Errorf("prev term names %+v, want the period before", got[1].Tables[1])
	}
}

func FuzzParseRelation(f *testing.F) {
	v, err := Default()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"new_systems <= exposed_systems", "exposed_systems = prev(exposed_systems) + new_systems - offline_systems", "2 * a <= (b", "≥≤=", "prev(", "9999999999999999999 x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		r, err := ParseRelation(text, v)
		if err != nil {
			var re *RelationError
			if !errors.As(err, &re) || re.Column < 1 {
				t.Fatalf("%q: error %v has no column", text, err)
			}
			return
		}
		again, err := ParseRelation(r.Normal(v), v)
		if err != nil || again.Normal(v) != r.Normal(v) {
			t.Fatalf("%q: normal form %q does not read back: %v", text, r.Normal(v), err)
		}
	})
}
