package ingest

import (
	"bufio"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/exposure-research/exposure/internal/signing"
	"github.com/exposure-research/exposure/schemas"
)

// writeLargeDataset writes a dataset folder with one signed CSV of at least rows valid rows: every
// country, organization type and metric, over as many weekly periods as needed. The values are
// random but keep every rule.
func writeLargeDataset(tb testing.TB, dir string, rows int) {
	tb.Helper()
	vocab, err := schemas.Default()
	if err != nil {
		tb.Fatal(err)
	}
	var countries []string
	for id := 0; id < vocab.Geo.Len(); id++ {
		if n := vocab.Geo.Node(schemas.GeoID(id)); n.Level == schemas.Country {
			countries = append(countries, n.Code)
		}
	}
	path := filepath.Join(dir, "data/big.csv")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(header)
	random := rand.New(rand.NewPCG(1, 2))
	start, _ := schemas.ParseDate("2019-01-07")
	written := 0
	var line []byte
	for week := 0; written < rows; week++ {
		period := (start + schemas.Date(7*week)).String()
		for _, c := range countries {
			for org := 1; org <= vocab.NumOrgs(); org++ {
				for m := 0; m < vocab.NumMetrics(); m++ {
					value := random.Int64N(5000)
					contributors, largest, second := int64(0), int64(0), int64(0)
					if value > 0 {
						contributors = 1 + random.Int64N(min(value, 40))
						largest = value / 2
						second = (value - largest) / 2
					}
					line = append(line[:0], period...)
					line = append(line, ',')
					line = append(line, c...)
					line = append(line, ',')
					line = append(line, vocab.Org(schemas.OrgID(org)).Code...)
					line = append(line, ',')
					line = append(line, vocab.Metric(schemas.MetricID(m)).Code...)
					for _, n := range []int64{value, contributors, largest, second} {
						line = append(line, ',')
						line = strconv.AppendInt(line, n, 10)
					}
					line = append(line, '\n')
					w.Write(line)
					written++
				}
			}
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	writePublicKey(tb, filepath.Join(dir, "keys/alpha.pub"), keyFor(tb, "alpha").pub)
	if err := signing.SignFile(path, keyFor(tb, "alpha").priv, "benchmark"); err != nil {
		tb.Fatal(err)
	}
	mustWrite(tb, filepath.Join(dir, ConfigFile), []byte(`id: bench
title: Benchmark
sources:
  - id: alpha
    name: Alpha
    key: keys/alpha.pub
inputs:
  - file: data/big.csv
    source: alpha
`))
}

// BenchmarkLoad1M loads a signed CSV of about a million rows (63 weekly periods of every country,
// organization type and metric). Set EXPOSURE_BENCH_ROWS to change the size. Peak memory:
//
//	go test -c -o /tmp/ingest.test ./pipeline/ingest
//	/usr/bin/time -v /tmp/ingest.test -test.run '^$' -test.bench Load1M -test.benchtime 1x
func BenchmarkLoad1M(b *testing.B) {
	rows := 1_000_000
	if s := os.Getenv("EXPOSURE_BENCH_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		rows = n
	}
	dir := b.TempDir()
	writeLargeDataset(b, dir, rows)
	info, err := os.Stat(filepath.Join(dir, "data/big.csv"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(info.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ds, err := Load(context.Background(), dir, Options{Env: []string{}})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(ds.Inputs[0].Rows), "rows")
	}
}
