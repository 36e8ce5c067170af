package output_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-dev/berth/internal/cli/output"
)

func TestShortDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-time.Hour, "0s"}, {0, "0s"}, {59 * time.Second, "59s"}, {3*time.Minute + 59*time.Second, "3m"},
		{59 * time.Minute, "59m"}, {5 * time.Hour, "5h"}, {49 * time.Hour, "2d"},
		{364 * 24 * time.Hour, "364d"}, {800 * 24 * time.Hour, "2y"},
	}
	for _, tt := range tests {
		if got := output.ShortDuration(tt.d); got != tt.want {
			t.Errorf("ShortDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestAge(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]string{
		"2026-12-07T11:57:00":      "3m",
		"2026-12-05T11:00:00":      "2d",
		"2026-12-07T11:59:30.000Z": "30s",
		"":                         "",
		"yesterday":                "",
	} {
		if got := output.Age(in, now); got != want {
			t.Errorf("Age(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"", "wide", "json", "yaml", "name"} {
		if _, err := output.ParseFormat(ok); err != nil {
			t.Errorf("ParseFormat(%q): %v", ok, err)
		}
	}
	if _, err := output.ParseFormat("xml"); err == nil {
		t.Error("ParseFormat(xml) succeeded")
	}
}

type row struct{ A, B string }

func TestWriteTable(t *testing.T) {
	t.Parallel()
	cols := []output.Column[row]{
		{Header: "NAME", Value: func(r row) string { return r.A }},
		{Header: "MESSAGE", Wide: true, Value: func(r row) string { return r.B }},
	}
	rows := []row{{"a-long-name", "two\twords\n"}, {"b", ""}}
	var narrow, wide bytes.Buffer
	if err := output.WriteTable(&narrow, cols, rows, false); err != nil {
		t.Fatal(err)
	}
	if err := output.WriteTable(&wide, cols, rows, true); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("NAME\na-long-name\nb\n", narrow.String()); diff != "" {
		t.Errorf("narrow table (-want +got):\n%s", diff)
	}
	want := "NAME          MESSAGE\na-long-name   two words\nb             <none>\n"
	if diff := cmp.Diff(want, wide.String()); diff != "" {
		t.Errorf("wide table (-want +got):\n%s", diff)
	}
}

func TestWriteYAMLUsesJSONNames(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	v := struct {
		WorkloadID string `json:"workloadId"`
	}{"w-1"}
	if err := output.WriteYAML(&b, v); err != nil {
		t.Fatal(err)
	}
	if b.String() != "workloadId: w-1\n" {
		t.Errorf("YAML = %q", b.String())
	}
}

func TestStreamAlignsWithWhatItHasSeen(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	s := output.NewStream(&b)
	if err := s.Write([]string{"NAME", "PHASE"}, []string{"a", "Pending"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Write([]string{"a-long-one", "Running"}); err != nil {
		t.Fatal(err)
	}
	want := "NAME   PHASE\na      Pending\na-long-one   Running\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("stream (-want +got):\n%s", diff)
	}
}
