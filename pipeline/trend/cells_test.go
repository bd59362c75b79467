package trend

import (
	"context"
	"errors"
	"reflect"
	"runtime"
	"testing"

	"github.com/exposure-research/exposure/schemas"
)

// The expected rows below are worked out by hand from the tables of each case; see SPEC section 5 for
// the definitions.
func TestTrends(t *testing.T) {
	tests := []struct {
		name   string
		tables []tableSpec
		want   []string
	}{
		{
			name: "changes next to suppressed and zero values",
			tables: []tableSpec{
				{"2019-01-01", "exposed_systems", "001:all=100 DE:all=40 FR:all=10 NL:all=0"},
				{"2019-04-01", "exposed_systems", "001:all=120 DE:all=x FR:all=12 NL:all=5"},
				{"2019-07-01", "exposed_systems", "001:all=150 DE:all=60 FR:all=x NL:all=10"},
			},
			want: []string{
				"2019-04-01 exposed_systems 001:all v=120 prev=2019-01-01/100 abs=20 pct=20 idx=120 share=100 rank=1",
				// A suppressed value nulls everything derived from it.
				"2019-04-01 exposed_systems DE:all v=- prev=2019-01-01/40 abs=- pct=- idx=- share=- rank=-",
				// DE is suppressed, so FR is the largest published country.
				"2019-04-01 exposed_systems FR:all v=12 prev=2019-01-01/10 abs=2 pct=20 idx=120 share=10 rank=1",
				// A change from 0 has no percentage; an index on a base of 0 has none either.
				"2019-04-01 exposed_systems NL:all v=5 prev=2019-01-01/0 abs=5 pct=- idx=- share=4.166666666666667 rank=2",
				"2019-07-01 exposed_systems 001:all v=150 prev=2019-04-01/120 abs=30 pct=25 idx=150 share=100 rank=1",
				// A suppressed previous value nulls the changes, not the index (base 40 of 2019-01-01).
				"2019-07-01 exposed_systems DE:all v=60 prev=2019-04-01/- abs=- pct=- idx=150 share=40 rank=1",
				"2019-07-01 exposed_systems FR:all v=- prev=2019-04-01/12 abs=- pct=- idx=- share=- rank=-",
				"2019-07-01 exposed_systems NL:all v=10 prev=2019-04-01/5 abs=5 pct=100 idx=- share=6.666666666666667 rank=2",
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
			name: "competition ranking per level and organization type, suppressed cells skipped",
			tables: []tableSpec{
				{"2019-01-01", "exposed_systems", "150:all=1 039:all=1 155:all=1 DE:all=1 ES:all=1 FR:all=1 IT:all=1 NL:all=1 DE:hospital=1 FR:hospital=1"},
				{"2019-02-01", "exposed_systems", "150:all=200 039:all=40 155:all=x DE:all=50 ES:all=10 FR:all=30 IT:all=30 NL:all=x DE:hospital=5 FR:hospital=7"},
			},
			want: []string{
				"2019-02-01 exposed_systems 150:all v=200 prev=2019-01-01/1 abs=199 pct=19900 idx=20000 share=- rank=1",
				"2019-02-01 exposed_systems 039:all v=40 prev=2019-01-01/1 abs=39 pct=3900 idx=4000 share=- rank=1",
				"2019-02-01 exposed_systems 155:all v=- prev=2019-01-01/1 abs=- pct=- idx=- share=- rank=-",
				"2019-02-01 exposed_systems DE:all v=50 prev=2019-01-01/1 abs=49 pct=4900 idx=5000 share=- rank=1",
				"2019-02-01 exposed_systems DE:hospital v=5 prev=2019-01-01/1 abs=4 pct=400 idx=500 share=- rank=2",
				// ES is fourth: two areas share the second place, NL is suppressed and skipped.
				"2019-02-01 exposed_systems ES:all v=10 prev=2019-01-01/1 abs=9 pct=900 idx=1000 share=- rank=4",
				"2019-02-01 exposed_systems FR:all v=30 prev=2019-01-01/1 abs=29 pct=2900 idx=3000 share=- rank=2",
				"2019-02-01 exposed_systems FR:hospital v=7 prev=2019-01-01/1 abs=6 pct=600 idx=700 share=- rank=1",
				"2019-02-01 exposed_systems IT:all v=30 prev=2019-01-01/1 abs=29 pct=2900 idx=3000 share=- rank=2",
				"2019-02-01 exposed_systems NL:all v=- prev=2019-01-01/1 abs=- pct=- idx=- share=- rank=-",
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
			var got []string
			for _, row := range drain(t, compute(t, p)) {
				got = append(got, fmtTrend(p.Vocab, row))
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
	p := build(t,
		tableSpec{"2019-01-01", "exposed_systems", "001:all=10 DE:all=4 FR:all=x"},
		tableSpec{"2019-02-01", "exposed_systems", "001:all=12 DE:all=x FR:all=5"},
		tableSpec{"2019-03-01", "exposed_systems", "001:all=13 DE:all=6 FR:all=7"},
	)
	r := compute(t, p)
	first, second := drain(t, r), drain(t, r)
	if len(first) != 6 {
		t.Fatalf("got %d rows, want 6", len(first))
	}
	if !reflect.DeepEqual(first, second) {
		t.Errorf("a second pass over Trends differs from the first:\n%v\n%v", first, second)
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
