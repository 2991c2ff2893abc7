package main

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestChart(t *testing.T) {
	met, missed := true, false
	half, forty := 0.5, 40.0
	rows := []Row{
		{Name: "ipc", Ratio: &half, Goal: Goal{"<=", 0.6}, Met: &met},
		{Name: "getppid<x>", Ratio: &forty, Goal: Goal{"<=", 15}, Met: &missed},
		{Name: "none"},
	}
	var b strings.Builder
	if err := writeChart(&b, rows); err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
		t.Fatalf("the chart is not well-formed XML: %v", err)
	}
	for _, want := range []string{"#3a3", "#c33", "0.50× (goal &lt;=0.6)", "40.00× (goal &lt;=15)", "getppid&lt;x&gt;", "no result"} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	if x1, x100 := chartX(1), chartX(100); x1 >= x100 || chartX(1e9) != x100 {
		t.Errorf("scale: 1 at %v, 100 at %v, 1e9 at %v (want clamped to 100's)", x1, x100, chartX(1e9))
	}
}
