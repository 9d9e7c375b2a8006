package loadgen

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The plots are drawn as inline SVG by hand, so a report is one HTML file
// with nothing fetched from the network, viewable offline and safe to
// attach to a ticket.

// palette holds distinguishable colours for up to eight series (Okabe-Ito,
// readable by colour-blind viewers).
var palette = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"}

const (
	plotW, plotH           = 720, 360
	padL, padR, padT, padB = 70, 40, 36, 50
)

type tick struct {
	at    float64
	label string
}

type plotSeries struct {
	name   string
	pts    [][2]float64
	dashed bool
	color  int // index into palette
}

// niceTicks returns about n round tick values from 0 to at least max.
func niceTicks(max float64, n int) []float64 {
	if max <= 0 || math.IsNaN(max) || math.IsInf(max, 0) {
		max = 1
	}
	raw := max / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := 0.0; v < max+step/2; v += step {
		out = append(out, v)
	}
	if out[len(out)-1] < max {
		out = append(out, out[len(out)-1]+step)
	}
	return out
}

func fmtNum(v float64) string {
	switch {
	case v == 0:
		return "0"
	case math.Abs(v) >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 3, 64) + "M"
	case math.Abs(v) >= 1e4:
		return strconv.FormatFloat(v/1e3, 'g', 3, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// fmtValue writes a bar's value: whole numbers from 100 up, three
// significant digits below.
func fmtValue(v float64) string {
	if math.Abs(v) >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// lineChart draws series as polylines on x ticks xt and a y axis from 0.
func lineChart(title, xlabel, ylabel string, xt []tick, xmin, xmax float64, ss []plotSeries) string {
	ymax := 0.0
	for _, s := range ss {
		for _, p := range s.pts {
			ymax = math.Max(ymax, p[1])
		}
	}
	yt := niceTicks(ymax, 5)
	ytop := yt[len(yt)-1]
	iw, ih := float64(plotW-padL-padR), float64(plotH-padT-padB)
	if xmax <= xmin {
		xmax = xmin + 1
	}
	px := func(x float64) float64 { return padL + (x-xmin)/(xmax-xmin)*iw }
	py := func(y float64) float64 { return padT + ih - y/ytop*ih }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" font-family="sans-serif" font-size="12">`, plotW, plotH, plotW, plotH)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#fff"/><text x="%d" y="20" font-size="14" font-weight="bold">%s</text>`, padL, esc(title))
	for _, y := range yt {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`,
			padL, plotW-padR, py(y), py(y), padL-6, py(y)+4, fmtNum(y))
	}
	for _, x := range xt {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#eee"/><text x="%.1f" y="%d" text-anchor="middle">%s</text>`,
			px(x.at), px(x.at), padT, plotH-padB, px(x.at), plotH-padB+16, esc(x.label))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#888"/>`, padL, padT, iw, ih)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, padL+iw/2, plotH-12, esc(xlabel))
	fmt.Fprintf(&b, `<text transform="translate(16 %.1f) rotate(-90)" text-anchor="middle">%s</text>`, padT+ih/2, esc(ylabel))
	for i, s := range ss {
		col := palette[s.color%len(palette)]
		var pts []string
		for _, p := range s.pts {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(p[0]), py(p[1])))
		}
		dash := ""
		if s.dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`, col, dash, strings.Join(pts, " "))
		ly := padT + 14 + 16*i
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="3"%s/><text x="%d" y="%d">%s</text>`,
			padL+8, padL+24, ly-4, ly-4, col, dash, padL+28, ly, esc(s.name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// percentileX maps a percentile to HdrHistogram's plot axis, log10 of
// 1/(1-p), so that 90, 99, 99.9 and 99.99 are evenly spaced.
func percentileX(p float64) float64 {
	if p >= 99.999 {
		return 5
	}
	return math.Log10(100 / (100 - p))
}

// PercentileSVG plots latency (ms) by percentile for each result, one
// curve each, labelled with labels[i] (or the result's Label). An
// open-model result adds a dashed curve of its service time, which shows
// what the coordinated-omission correction adds.
func PercentileSVG(title string, labels []string, rs []*Result) string {
	var ss []plotSeries
	curve := func(name string, pcts []Percentile, color int, dashed bool) {
		s := plotSeries{name: name, color: color, dashed: dashed}
		for _, p := range pcts {
			s.pts = append(s.pts, [2]float64{percentileX(p.Percentile), ms(p.Latency)})
		}
		ss = append(ss, s)
	}
	for i, r := range rs {
		curve(label(labels, i, r), r.Percentiles, i, false)
		if len(r.ServicePercentiles) > 0 {
			curve(label(labels, i, r)+" (service time)", r.ServicePercentiles, i, true)
		}
	}
	xt := []tick{{0, "0%"}, {1, "90%"}, {2, "99%"}, {3, "99.9%"}, {4, "99.99%"}, {5, "99.999%"}}
	return lineChart(title, "percentile", "latency (ms)", xt, 0, 5, ss)
}

// ThroughputSVG plots requests per second over time for each result.
func ThroughputSVG(title string, labels []string, rs []*Result) string {
	var ss []plotSeries
	xmax := 0.0
	for i, r := range rs {
		s := plotSeries{name: label(labels, i, r), color: i}
		for _, iv := range r.Series {
			t := time.Duration(iv.End).Seconds()
			s.pts = append(s.pts, [2]float64{t, iv.RPS})
			xmax = math.Max(xmax, t)
		}
		ss = append(ss, s)
	}
	var xt []tick
	for _, x := range niceTicks(xmax, 6) {
		xt = append(xt, tick{x, fmtNum(x)})
	}
	if len(xt) > 0 {
		xmax = xt[len(xt)-1].at
	}
	return lineChart(title, "time (s)", "requests per second", xt, 0, xmax, ss)
}

// BarSVG draws one horizontal bar per label, with its value written at the
// end, for the comparative suite's ratio charts.
func BarSVG(title, unit string, labels []string, values []float64) string {
	const rowH, left = 26, 230
	h := padT + rowH*len(labels) + 30
	vmax := 0.0
	for _, v := range values {
		vmax = math.Max(vmax, v)
	}
	ticks := niceTicks(vmax, 5)
	top := ticks[len(ticks)-1]
	iw := float64(plotW - left - 130)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" font-family="sans-serif" font-size="12">`, plotW, h, plotW, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#fff"/><text x="10" y="20" font-size="14" font-weight="bold">%s</text>`, esc(title))
	for _, t := range ticks {
		x := left + t/top*iw
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#eee"/><text x="%.1f" y="%d" text-anchor="middle" fill="#666">%s</text>`,
			x, x, padT-4, h-24, x, h-10, fmtNum(t))
	}
	for i, l := range labels {
		y := padT + rowH*i
		w := 0.0
		if i < len(values) {
			w = values[i] / top * iw
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text><rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/><text x="%.1f" y="%d">%s %s</text>`,
			left-8, y+16, esc(l), left, y+4, w, rowH-8, palette[0], float64(left)+w+4, y+16, fmtValue(values[i]), esc(unit))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func label(labels []string, i int, r *Result) string {
	if i < len(labels) && labels[i] != "" {
		return labels[i]
	}
	if r.Label != "" {
		return r.Label
	}
	if r.URL != "" {
		return string(r.Target) + " " + r.URL
	}
	return string(r.Target) + " " + r.Addr
}

func ms(d Duration) float64 { return float64(d) / float64(time.Millisecond) }

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"ms":       func(d Duration) string { return strconv.FormatFloat(ms(d), 'f', 3, 64) },
	"num":      func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) },
	"safe":     func(s string) template.HTML { return template.HTML(s) },
	"statuses": FormatStatusCodes,
	"classes": func(m map[string]int64) string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
		}
		return strings.Join(parts, ", ")
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font-family:sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}
figure{margin:1.5em 0}
</style></head><body>
<h1>{{.Title}}</h1>
<p>Generated {{.Generated}} by netkit bench. Latency counts from each request's intended send time{{if .Open}}; in the open model (fixed rate) this corrects coordinated omission, and the service time beside it counts from the actual send{{end}}.</p>
<table>
<tr><th>run</th><th>model</th><th>conns</th><th>elapsed s</th><th>requests</th><th>errors</th><th>req/s</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th></tr>
{{range .Rows}}<tr><td>{{.Name}}</td><td>{{.R.Model}}{{if .R.Rate}} {{num .R.Rate}}/s{{end}}</td><td>{{.R.Conns}}{{if gt .R.Pipeline 1}}×{{.R.Pipeline}}{{end}}</td><td>{{printf "%.2f" .Secs}}</td><td>{{.R.Requests}}</td><td>{{.R.Errors}}{{with classes .R.ErrorsBy}} ({{.}}){{end}}</td><td>{{num .R.RPS}}</td><td>{{ms .R.Latency.P50}}</td><td>{{ms .R.Latency.P90}}</td><td>{{ms .R.Latency.P99}}</td><td>{{ms .R.Latency.P999}}</td><td>{{ms .R.Latency.Max}}</td></tr>
{{with statuses .R.StatusCodes}}<tr><td>&nbsp;&nbsp;status codes</td><td colspan="11" style="text-align:left">{{.}}</td></tr>{{end}}
{{range .R.Workers}}<tr><td>&nbsp;&nbsp;worker {{.Name}}</td>{{if .Lost}}<td colspan="11" style="text-align:left;color:#b00">lost: {{.Reason}}; not counted</td>{{else}}<td></td><td>{{.Conns}}</td><td>{{ms .Elapsed}}</td><td>{{.Requests}}</td><td>{{.Errors}}</td><td>{{num .RPS}}</td><td>{{ms .Latency.P50}}</td><td>{{ms .Latency.P90}}</td><td>{{ms .Latency.P99}}</td><td>{{ms .Latency.P999}}</td><td>{{ms .Latency.Max}}</td>{{end}}</tr>
{{end}}{{if .R.Partial}}<tr><td colspan="12" style="text-align:left;color:#b00"><strong>Partial result:</strong> workers were lost during the run, and the totals count only the others.</td></tr>{{end}}
{{with .R.ServiceTime}}<tr><td>&nbsp;&nbsp;service time</td><td></td><td></td><td></td><td></td><td></td><td></td><td>{{ms .P50}}</td><td>{{ms .P90}}</td><td>{{ms .P99}}</td><td>{{ms .P999}}</td><td>{{ms .Max}}</td></tr>{{end}}
{{end}}</table>
<figure>{{safe .Percentiles}}<figcaption>Latency by percentile.</figcaption></figure>
<figure>{{safe .Throughput}}<figcaption>Requests answered per second over the run.</figcaption></figure>
</body></html>
`))

// WriteHTML writes a self-contained HTML report of the results: a summary
// table, a latency-by-percentile plot and a throughput-over-time plot,
// inline SVG with no external assets.
func WriteHTML(w io.Writer, title string, rs ...*Result) error {
	type row struct {
		Name string
		R    *Result
		Secs float64
	}
	data := struct {
		Title, Generated        string
		Open                    bool
		Rows                    []row
		Percentiles, Throughput string
	}{Title: title, Generated: time.Now().UTC().Format(time.RFC3339)}
	for i, r := range rs {
		data.Rows = append(data.Rows, row{label(nil, i, r), r, time.Duration(r.Elapsed).Seconds()})
		data.Open = data.Open || r.Model == "open"
	}
	data.Percentiles = PercentileSVG("Latency by percentile", nil, rs)
	data.Throughput = ThroughputSVG("Throughput over time", nil, rs)
	return reportTmpl.Execute(w, data)
}

// FormatStatusCodes writes HTTP status counts by code, in code order:
// "200 ×1234, 404 ×5"; "" for none.
func FormatStatusCodes(m map[int]int64) string {
	codes := make([]int, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	parts := make([]string, 0, len(codes))
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d ×%d", c, m[c]))
	}
	return strings.Join(parts, ", ")
}
