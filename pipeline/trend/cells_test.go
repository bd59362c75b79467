package trend

import (
	"context"
	"errors"
	"reflect"
	"runtime"
	"slices"
	"testing"

	"github.com/exposure-research/exposure/schemas"
)

// The expected rows below are worked out by hand from the tables of each case; see SPEC section 5 for
// the definitions.
func TestTrends(t *testing.T) {
	tests := []struct {
		name   string
		tables []tableSpec
		grid   []gridSpec // used instead of tables when set
		only   []string   // the rows printed ("GEO:ORG"); all when empty
		want   []string
	}{
		{
			name: "changes next to suppressed and zero values",
			grid: []gridSpec{
				{period: "2019-01-01", metric: "exposed_systems", leaves: "DE:hospital=60 FR:hospital=40 NL:hospital=0"},
				{period: "2019-04-01", metric: "exposed_systems", leaves: "DE:hospital=100 FR:hospital=12 NL:hospital=8",
					hide: "DE:all DE:hospital FR:all FR:hospital"},
				{period: "2019-07-01", metric: "exposed_systems", leaves: "DE:hospital=90 FR:hospital=40 NL:hospital=20",
					hide: "FR:all FR:hospital NL:all NL:hospital"},
			},
			only: []string{"001:all", "DE:all", "FR:all", "NL:all"},
			want: []string{
				"2019-04-01 exposed_systems 001:all v=120 prev=2019-01-01/100 abs=20 pct=20 idx=120 share=100 rank=1",
				// A suppressed value nulls everything derived from it.
				"2019-04-01 exposed_systems DE:all v=- prev=2019-01-01/60 abs=- pct=- idx=- share=- rank=-",
				"2019-04-01 exposed_systems FR:all v=- prev=2019-01-01/40 abs=- pct=- idx=- share=- rank=-",
				// A change from 0 has no percentage; an index on a base of 0 has none either. DE and
				// FR lie anywhere in [0, 112]: the rank of 8 is not proven.
				"2019-04-01 exposed_systems NL:all v=8 prev=2019-01-01/0 abs=8 pct=- idx=- share=6.666666666666667 rank=-",
				"2019-07-01 exposed_systems 001:all v=150 prev=2019-04-01/120 abs=30 pct=25 idx=150 share=100 rank=1",
				// A suppressed previous value nulls the changes, not the index (base 60 of 2019-01-01).
				// FR and NL add up to 60, so neither can exceed 90: DE is first.
				"2019-07-01 exposed_systems DE:all v=90 prev=2019-04-01/- abs=- pct=- idx=150 share=60 rank=1",
				"2019-07-01 exposed_systems FR:all v=- prev=2019-04-01/- abs=- pct=- idx=- share=- rank=-",
				"2019-07-01 exposed_systems NL:all v=- prev=2019-04-01/8 abs=- pct=- idx=- share=- rank=-",
			},
		},
		{
			name: "a declared break nulls the change, and the index from then on; an estimate does not",
			grid: []gridSpec{
				{period: "2019-01-01", metric: "exposed_systems", leaves: "DE:hospital=10"},
				{period: "2019-02-01", metric: "exposed_systems", leaves: "DE:hospital=20", flags: "DE:all=B 001:all=B"},
				{period: "2019-03-01", metric: "exposed_systems", leaves: "DE:hospital=30", flags: "DE:all=E 001:all=E"},
			},
			only: []string{"001:all", "DE:all"},
			want: []string{
				"2019-02-01 exposed_systems 001:all v=20 prev=2019-01-01/10 abs=- pct=- idx=- share=100 rank=1 obs=B(declared)",
				"2019-02-01 exposed_systems DE:all v=20 prev=2019-01-01/10 abs=- pct=- idx=- share=100 rank=1 obs=B(declared)",
				"2019-03-01 exposed_systems 001:all v=30 prev=2019-02-01/20 abs=10 pct=50 idx=- share=100 rank=1 obs=E",
				"2019-03-01 exposed_systems DE:all v=30 prev=2019-02-01/20 abs=10 pct=50 idx=- share=100 rank=1 obs=E",
			},
		},
		{
			// Germany is first published at its break: the index starts there, and is not shown at the
			// break itself.
			name: "an index based at a break",
			grid: []gridSpec{
				{period: "2019-01-01", metric: "exposed_systems", leaves: "DE:hospital=10 FR:hospital=5", hide: "DE:all DE:hospital FR:all FR:hospital"},
				{period: "2019-02-01", metric: "exposed_systems", leaves: "DE:hospital=20 FR:hospital=5", flags: "DE:all=B"},
				{period: "2019-03-01", metric: "exposed_systems", leaves: "DE:hospital=30 FR:hospital=5"},
			},
			only: []string{"DE:all"},
			want: []string{
				"2019-02-01 exposed_systems DE:all v=20 prev=2019-01-01/- abs=- pct=- idx=- share=80 rank=1 obs=B(declared)",
				"2019-03-01 exposed_systems DE:all v=30 prev=2019-02-01/20 abs=10 pct=50 idx=150 share=85.71428571428571 rank=1",
			},
		},
		{
			name: "coverage up and down, and a change of source",
			grid: []gridSpec{
				{period: "2019-01-01", metric: "exposed_systems", leaves: "DE:hospital=10"},
				// France joins: the world total covers more, the German figure is comparable.
				{period: "2019-02-01", metric: "exposed_systems", leaves: "DE:hospital=10 FR:hospital=5", flags: "001:all=C"},
				// France leaves, and Germany's source changes.
				{period: "2019-03-01", metric: "exposed_systems", leaves: "DE:hospital=10", flags: "001:all=SC DE:all=S"},
			},
			only: []string{"001:all", "DE:all"},
			want: []string{
				"2019-02-01 exposed_systems 001:all v=15 prev=2019-01-01/10 abs=- pct=- idx=- share=100 rank=1 obs=B(coverage)",
				"2019-02-01 exposed_systems DE:all v=10 prev=2019-01-01/10 abs=0 pct=0 idx=100 share=66.66666666666667 rank=1",
				"2019-03-01 exposed_systems 001:all v=10 prev=2019-02-01/15 abs=- pct=- idx=- share=100 rank=1 obs=B(source,coverage)",
				"2019-03-01 exposed_systems DE:all v=10 prev=2019-02-01/10 abs=- pct=- idx=- share=100 rank=1 obs=B(source)",
			},
		},
		{
			name: "index base is the first published period",
			tables: []tableSpec{
				{"2019-01-01", "exposed_systems", "001:all=100 DE:all=x"},
				{"2019-02-01", "exposed_systems", "001:all=100 DE:all=20"},
				{"2019-03-01", "exposed_systems", "001:all=100 DE:all=30"},
				{"2019-04-01", "exposed_systems", "001:all=100 DE:all=x"},
				{"2019-05-01", "exposed_systems", "001:all=100 DE:all=45"},
			},
			want: []string{
				"2019-02-01 exposed_systems 001:all v=100 prev=2019-01-01/100 abs=0 pct=0 idx=100 share=100 rank=1",
				"2019-02-01 exposed_systems DE:all v=20 prev=2019-01-01/- abs=- pct=- idx=100 share=20 rank=1",
				"2019-03-01 exposed_systems 001:all v=100 prev=2019-02-01/100 abs=0 pct=0 idx=100 share=100 rank=1",
				"2019-03-01 exposed_systems DE:all v=30 prev=2019-02-01/20 abs=10 pct=50 idx=150 share=30 rank=1",
				"2019-04-01 exposed_systems 001:all v=100 prev=2019-03-01/100 abs=0 pct=0 idx=100 share=100 rank=1",
				"2019-04-01 exposed_systems DE:all v=- prev=2019-03-01/30 abs=- pct=- idx=- share=- rank=-",
				"2019-05-01 exposed_systems 001:all v=100 prev=2019-04-01/100 abs=0 pct=0 idx=100 share=100 rank=1",
				"2019-05-01 exposed_systems DE:all v=45 prev=2019-04-01/- abs=- pct=- idx=225 share=45 rank=1",
			},
		},
		{
			name: "share of world null when the world cell is suppressed or zero",
			tables: []tableSpec{
				{"2019-01-01", "exposed_systems", "001:all=x 001:hospital=0 DE:all=5 DE:hospital=0"},
				{"2019-02-01", "exposed_systems", "001:all=x 001:hospital=0 DE:all=6 DE:hospital=0"},
			},
			want: []string{
				"2019-02-01 exposed_systems 001:all v=- prev=2019-01-01/- abs=- pct=- idx=- share=- rank=-",
				"2019-02-01 exposed_systems 001:hospital v=0 prev=2019-01-01/0 abs=0 pct=- idx=- share=- rank=1",
				"2019-02-01 exposed_systems DE:all v=6 prev=2019-01-01/5 abs=1 pct=20 idx=120 share=- rank=1",
				"2019-02-01 exposed_systems DE:hospital v=0 prev=2019-01-01/0 abs=0 pct=- idx=- share=- rank=1",
			},
		},
		{
			name: "previous period is the series' own, per metric; a new cell has no row",
			tables: []tableSpec{
				{"2019-01-01", "exposed_studies", "001:all=7 DE:all=7"},
				{"2019-01-01", "exposed_systems", "001:all=10 DE:all=10"},
				{"2019-02-01", "exposed_systems", "001:all=15 FR:all=15"},
				{"2019-03-01", "exposed_studies", "001:all=9 DE:all=9"},
				{"2019-03-01", "exposed_systems", "001:all=20 DE:all=12 FR:all=8"},
			},
			want: []string{
				"2019-02-01 exposed_systems 001:all v=15 prev=2019-01-01/10 abs=5 pct=50 idx=150 share=100 rank=1",
				"2019-03-01 exposed_studies 001:all v=9 prev=2019-01-01/7 abs=2 pct=28.571428571428573 idx=128.57142857142858 share=100 rank=1",
				"2019-03-01 exposed_studies DE:all v=9 prev=2019-01-01/7 abs=2 pct=28.571428571428573 idx=128.57142857142858 share=100 rank=1",
				"2019-03-01 exposed_systems 001:all v=20 prev=2019-02-01/15 abs=5 pct=33.333333333333336 idx=200 share=100 rank=1",
				"2019-03-01 exposed_systems DE:all v=12 prev=2019-01-01/10 abs=2 pct=20 idx=120 share=60 rank=1",
				"2019-03-01 exposed_systems FR:all v=8 prev=2019-02-01/15 abs=-7 pct=-46.666666666666664 idx=53.333333333333336 share=40 rank=2",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := build(t, tt.tables...)
			if tt.grid != nil {
				p = buildGrid(t, tt.grid...)
			}
			var got []string
			for _, row := range drain(t, compute(t, p)) {
				key := p.Vocab.Geo.Node(row.Geo).Code + ":" + p.Vocab.Org(row.Org).Code
				if len(tt.only) == 0 || slices.Contains(tt.only, key) {
					got = append(got, fmtTrend(p.Vocab, row))
				}
			}
			diffLines(t, "trends", got, tt.want)
		})
	}
}

func TestTrendsStopsAtYieldError(t *testing.T) {
	p := build(t,
		tableSpec{"2019-01-01", "exposed_systems", "001:all=1 DE:all=1 FR:all=1"},
		tableSpec{"2019-02-01", "exposed_systems", "001:all=2 DE:all=2 FR:all=2"},
	)
	r := compute(t, p)
	stop := errors.New("stop")
	calls := 0
	err := r.Trends(func(TrendRow) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("Trends returned %v, want the yield error", err)
	}
	if calls != 2 {
		t.Errorf("yield called %d times, want 2 (no call after the error)", calls)
	}
}

func TestTrendsRepeatable(t *testing.T) {
	p := buildGrid(t,
		gridSpec{period: "2019-01-01", metric: "exposed_systems", leaves: "DE:hospital=4 FR:hospital=6 NL:clinic=2", hide: "FR:all FR:hospital NL:all NL:clinic"},
		gridSpec{period: "2019-02-01", metric: "exposed_systems", leaves: "DE:hospital=7 FR:hospital=5 NL:clinic=3", hide: "DE:all DE:hospital NL:all NL:clinic"},
		gridSpec{period: "2019-03-01", metric: "exposed_systems", leaves: "DE:hospital=6 FR:hospital=7 NL:clinic=1"},
	)
	r := compute(t, p)
	first, second := drain(t, r), drain(t, r)
	if len(first) != 2*len(p.Tables[0].Cells) {
		t.Fatalf("got %d rows, want %d", len(first), 2*len(p.Tables[0].Cells))
	}
	if !reflect.DeepEqual(first, second) {
		t.Errorf("a second pass over Trends differs from the first:\n%v\n%v", first, second)
	}
}

// TestProvableRanks checks the rank rule of SPEC 4 on single tables: a published area's rank is
// given only when every suppressed area of its group provably lies above it or not above it, by
// the intervals an outsider derives from the published cells.
func TestProvableRanks(t *testing.T) {
	tests := []struct {
		name string
		grid gridSpec
		want map[string]string // "GEO:ORG" -> rank, "-" for null
	}{
		{
			name: "nothing suppressed: competition ranking with ties",
			grid: gridSpec{leaves: "DE:hospital=50 FR:hospital=30 IT:hospital=30 ES:hospital=10 NL:hospital=0"},
			want: map[string]string{"DE:all": "1", "FR:all": "2", "IT:all": "2", "ES:all": "4", "NL:all": "5",
				"155:all": "1", "039:all": "2", "150:all": "1", "001:all": "1"},
		},
		{
			// FR and NL add up to 88 - 50 = 38: neither can pass DE, either can pass IT or ES.
			name: "suppressed areas below one value, undecided for others",
			grid: gridSpec{leaves: "DE:hospital=50 FR:hospital=30 NL:hospital=8 ES:hospital=10 IT:hospital=30",
				hide: "FR:all FR:hospital NL:all NL:hospital"},
			want: map[string]string{"DE:all": "1", "IT:all": "-", "ES:all": "-", "FR:all": "-", "NL:all": "-",
				"DE:hospital": "1", "IT:hospital": "-", "155:all": "1", "039:all": "2"},
		},
		{
			// Italy's clinics alone publish 60: Italy is above Germany's 50 whatever its hospitals
			// hold, and nothing above Italy is published.
			name: "a suppressed area provably above",
			grid: gridSpec{leaves: "DE:hospital=50 IT:hospital=15 IT:clinic=60",
				hide: "IT:all IT:hospital 039:all 039:hospital 150:all 150:hospital 001:all 001:hospital"},
			want: map[string]string{"DE:all": "2", "DE:hospital": "-", "IT:clinic": "1", "155:all": "2", "155:hospital": "-",
				"039:clinic": "1", "IT:all": "-"},
		},
		{
			// Equal is not above: a suppressed area of at most 30 beside a published 30 shares its place.
			name: "an interval that reaches the value ties at most",
			grid: gridSpec{leaves: "DE:hospital=50 FR:hospital=30 NL:hospital=25 BE:hospital=5",
				hide: "NL:all NL:hospital BE:all BE:hospital"},
			want: map[string]string{"DE:all": "1", "FR:all": "2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.grid.period, tt.grid.metric = "2019-01-01", "exposed_systems"
			p := buildGrid(t, tt.grid)
			lay, err := newLayout(p)
			if err != nil {
				t.Fatal(err)
			}
			tab := p.Tables[0]
			bounds, err := tableBounds(lay, tab)
			if err != nil {
				t.Fatal(err)
			}
			var rk ranker
			ranks := rk.rank(lay, tab, &bounds)
			seen := 0
			for i, c := range tab.Cells {
				key := p.Vocab.Geo.Node(c.Geo).Code + ":" + p.Vocab.Org(c.Org).Code
				want, ok := tt.want[key]
				if !ok {
					continue
				}
				seen++
				if got := fmtNull(ranks[i]); got != want {
					t.Errorf("rank of %s = %s, want %s", key, got, want)
				}
			}
			if seen != len(tt.want) {
				t.Errorf("found %d of the %d cells to check", seen, len(tt.want))
			}
		})
	}
}

func TestComputeRejectsBadInput(t *testing.T) {
	tests := []struct {
		name    string
		tables  []tableSpec
		wantErr error // nil: any error
	}{
		{
			name: "tables out of period order",
			tables: []tableSpec{
				{"2019-02-01", "exposed_systems", "001:all=1"},
				{"2019-01-01", "exposed_systems", "001:all=1"},
			},
			wantErr: errUnordered,
		},
		{
			name: "two tables of the same period and metric",
			tables: []tableSpec{
				{"2019-01-01", "exposed_systems", "001:all=1"},
				{"2019-01-01", "exposed_systems", "001:all=2"},
			},
			wantErr: errUnordered,
		},
		{
			name: "metrics out of code order within a period",
			tables: []tableSpec{
				{"2019-01-01", "exposed_systems", "001:all=1"},
				{"2019-01-01", "exposed_studies", "001:all=1"},
			},
			wantErr: errUnordered,
		},
		{
			name:   "negative count",
			tables: []tableSpec{{"2019-01-01", "exposed_systems", "001:all=-1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := build(t, tt.tables...)
			_, err := Compute(context.Background(), p)
			if err == nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Compute returned %v, want an error (%v)", err, tt.wantErr)
			}
		})
	}
	t.Run("cells out of order", func(t *testing.T) {
		p := build(t, tableSpec{"2019-01-01", "exposed_systems", "001:all=1 DE:all=1"})
		cells := p.Tables[0].Cells
		cells[0], cells[1] = cells[1], cells[0]
		if _, err := Compute(context.Background(), p); !errors.Is(err, errUnordered) {
			t.Errorf("Compute returned %v, want errUnordered", err)
		}
	})
	t.Run("no vocabulary", func(t *testing.T) {
		p := build(t, tableSpec{"2019-01-01", "exposed_systems", "001:all=1"})
		p.Vocab = nil
		if _, err := Compute(context.Background(), p); err == nil {
			t.Error("Compute accepted a result without a vocabulary")
		}
	})
	t.Run("inconsistent published cells", func(t *testing.T) {
		// The intervals of a suppressed cell cannot be derived from totals that do not add up.
		p := build(t, tableSpec{"2019-01-01", "exposed_systems", "001:all=100 150:all=100 155:all=100 DE:all=x DE:hospital=x FR:all=200 FR:hospital=200"})
		if _, err := Compute(context.Background(), p); err == nil {
			t.Error("Compute accepted totals that do not add up")
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		p := build(t, tableSpec{"2019-01-01", "exposed_systems", "001:all=1"})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := Compute(ctx, p); !errors.Is(err, context.Canceled) {
			t.Errorf("Compute returned %v, want context.Canceled", err)
		}
	})
}

// TestTrendsMemoryDoesNotGrowWithPeriods checks that Trends streams: a pass over 160 periods allocates
// about what a pass over 5 does, because it keeps one cursor per series and one table's ranks, not the
// rows it has produced (keeping them would take over 100 KB more here).
func TestTrendsMemoryDoesNotGrowWithPeriods(t *testing.T) {
	allocated := func(periods int) uint64 {
		var specs []tableSpec
		for i := range periods {
			period := schemas.Date(17897 + 30*i).String()
			specs = append(specs,
				tableSpec{period, "exposed_studies", "001:all=x DE:all=3 FR:all=4"},
				tableSpec{period, "exposed_systems", "001:all=9 001:hospital=5 DE:all=4 DE:hospital=x FR:all=5"})
		}
		r := compute(t, build(t, specs...))
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		err := r.Trends(func(TrendRow) error { return nil })
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		return after.TotalAlloc - before.TotalAlloc
	}
	const slack = 16 << 10 // for the runtime's own allocations meanwhile
	if short, long := allocated(5), allocated(160); long > short+slack {
		t.Errorf("a pass over 160 periods allocates %d bytes, over 5 periods %d: Trends keeps rows", long, short)
	}
}
