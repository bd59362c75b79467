package schemas

import (
	"errors"
	"time"
)

// Date is a calendar date, the snapshot date of a measurement, stored as days since 1970-01-01 as
// Arrow's DATE32 and Parquet's DATE logical type store it. It carries no time of day and no time zone,
// so nothing about it depends on where a build runs.
type Date int32

// ErrBadDate is the cause of every error of ParseDate.
var ErrBadDate = errors.New("not a date of the form YYYY-MM-DD")

// ParseDate reads a date written exactly as YYYY-MM-DD (ISO 8601 calendar date, four-digit year,
// zero-padded month and day) and refuses anything else, including dates that do not exist.
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, ErrBadDate
	}
	for i, c := range []byte(s) {
		if i == 4 || i == 7 {
			continue
		}
		if c < '0' || c > '9' {
			return 0, ErrBadDate
		}
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, ErrBadDate
	}
	return DateOf(t), nil
}

// DateOf returns the calendar date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	u := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return Date(u.Unix() / 86400)
}

// Time returns midnight UTC of the date.
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String writes the date as YYYY-MM-DD.
func (d Date) String() string { return d.Time().Format(time.DateOnly) }

// YearsSince returns the time from earlier to d in years of 365.2425 days (the mean Gregorian year),
// the unit of every per-year rate the trend stage publishes.
func (d Date) YearsSince(earlier Date) float64 { return float64(d-earlier) / 365.2425 }
