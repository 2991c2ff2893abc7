package main

import (
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"strings"
)

// Chart geometry: one row per workload, the ratio as a bar on a log scale
// from 1/100 to 100, with the goal as a mark on the same scale.
const (
	chartLeft  = 170
	chartWidth = 520
	chartRow   = 26
	chartTop   = 40
	logMin     = -2.0 // 1/100
	logMax     = 2.0  // 100
)

// chartX is where ratio r falls on the chart's log scale.
func chartX(r float64) float64 {
	l := math.Max(logMin, math.Min(logMax, math.Log10(r)))
	return chartLeft + (l-logMin)/(logMax-logMin)*chartWidth
}

// writeChart writes an SVG chart of each workload's ratio Aramid/Linux
// against its goal: green where the goal is met, red where not. An
// absolute workload (idle-memory) is its figure and goal, as text.
func writeChart(w io.Writer, rows []Row) error {
	var b strings.Builder
	height := chartTop + chartRow*len(rows) + 30
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", chartLeft+chartWidth+120, height)
	fmt.Fprintf(&b, `<text x="%d" y="20" font-weight="bold">Aramid / Linux, same QEMU (log scale; | = goal)</text>`+"\n", chartLeft)
	for _, tick := range []float64{0.01, 0.1, 1, 10, 100} {
		x := chartX(tick)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ccc"/><text x="%.1f" y="%d" text-anchor="middle">%g×</text>`+"\n",
			x, chartTop-8, x, height-25, x, height-10, tick)
	}
	for i, r := range rows {
		y := chartTop + chartRow*i
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", chartLeft-8, y+14, html.EscapeString(r.Name))
		color := "#c33"
		if r.Met != nil && *r.Met {
			color = "#3a3"
		}
		switch {
		case r.Linux == nil && r.Aramid != nil: // absolute: no ratio to draw
			fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s">%.1f %s (goal %s)</text>`+"\n",
				chartLeft+4, y+14, color, *r.Aramid, r.Unit, html.EscapeString(r.Goal.String()))
			continue
		case r.Ratio == nil:
			fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#888">no result</text>`+"\n", chartLeft+4, y+14)
			continue
		}
		x0, x1 := chartX(1), chartX(*r.Ratio)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="16" fill="%s"/>`+"\n", math.Min(x0, x1), y+2, math.Abs(x1-x0)+1, color)
		g := chartX(r.Goal.Value)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#000" stroke-width="2"/>`+"\n", g, y, g, y+20)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%.2f× (goal %s)</text>`+"\n", chartLeft+chartWidth+8, y+14, *r.Ratio, html.EscapeString(r.Goal.String()))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeChartFile writes the chart to path.
func writeChartFile(path string, rows []Row) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := writeChart(f, rows); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
