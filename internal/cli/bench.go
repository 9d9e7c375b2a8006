package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/netkit-dev/netkit/httpie"
	"github.com/netkit-dev/netkit/loadgen"
	"github.com/netkit-dev/netkit/netclass"
	"github.com/netkit-dev/netkit/tlsconf"
)

type benchOptions struct {
	Streams *IOStreams

	Target       loadgen.Target
	Addr         string // host:port, or the URL for the http target
	Conns        int
	Duration     time.Duration
	Requests     int64
	Rate         float64
	Pipeline     int
	Timeout      time.Duration
	Message      string
	Expect       string
	Method       string
	Body         string
	IdleConns    int
	Ramp         float64
	SourceAddrs  int
	Interval     time.Duration
	Label        string
	JSON         bool
	HTML         string
	TLS          clientTLSFlags
	NoResume     bool
	Headers      []string // -H 'Name: value'
	BodyFile     string
	ContentType  string
	Host         string
	HTTP2        bool
	Engine       string // http: "netkit" or "net/http"
	RequestsFile string
	Pool         poolFlags
}

// benchDefaultAddrs are the addresses of netkit serve's services.
var benchDefaultAddrs = map[loadgen.Target]string{
	loadgen.Line:    "127.0.0.1:7001",
	loadgen.Connect: "127.0.0.1:7001",
	loadgen.Chat:    "127.0.0.1:7002",
	loadgen.RPC:     "127.0.0.1:7003",
}

func newBenchCmd(streams *IOStreams, runF func(context.Context, *benchOptions) error) *cobra.Command {
	opts := &benchOptions{Streams: streams}
	cmd := &cobra.Command{
		Use:   "bench TARGET [ADDR|URL]",
		Short: "Drive request/response load at a TCP or HTTP service and report latency",
		Long: `Drive load at a service and report requests per second, errors by class and
latency percentiles (p50, p90, p99, p99.9, max) from HDR histograms.

Targets:
  line     persistent connections; send a line, read one line back
           (netkit's echo service; a Redis server's inline PING with --message PING)
  connect  a new connection per request: send a line, read a line or up to EOF
  rpc      JSON-RPC 2.0 add calls in 4-byte length-prefixed frames,
           --pipeline calls in flight per connection
  chat     --conns clients in one chat room; latency from send to receipt at
           every other client
  http     HTTP/1.1 requests on keep-alive connections, --pipeline requests
           in flight per connection; one method and URL, or the requests of
           --requests-file (vegeta's targets format) in turn. Every status
           is an answer, counted by code. --http2 and --engine net/http run
           on Go's client instead of netkit's engine.

ADDR defaults to netkit serve's service (line and connect 127.0.0.1:7001,
chat 7002, rpc 7003); http needs a URL or --requests-file.

Without --rate the model is closed: each connection sends its next request
when the last is answered. With --rate R requests start on a fixed schedule
of R per second, and latency counts from each scheduled time, so a stalled
server is charged for every request it delayed (coordinated omission
corrected, as wrk2 does); the service time from the actual send is shown too.
The run ends after --duration, or sooner after --requests.

On a terminal a progress line (elapsed, req/s, errors, p99) is updated every
--interval on stderr; piped output has none.`,
		Example: `  netkit bench line --conns 100 --duration 10s
  netkit bench rpc 127.0.0.1:7003 --pipeline 8 --json
  netkit bench line 127.0.0.1:6379 --message PING --expect +PONG
  netkit bench http http://127.0.0.1:9090/healthz --rate 2000 --html report.html
  netkit bench http --requests-file targets.txt -c 100 -d 30s
  netkit bench line --conns 10 --idle-conns 30000 --source-addrs 4 --ramp 5000`,
		Args: argsFor(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Target = loadgen.Target(args[0])
			if !slices.Contains(loadgen.Targets, opts.Target) {
				return fmt.Errorf("unknown target %q: want line, connect, rpc, chat or http", args[0])
			}
			opts.Addr = benchDefaultAddrs[opts.Target]
			if len(args) == 2 {
				opts.Addr = args[1]
			}
			if opts.RequestsFile != "" && (opts.Target != loadgen.HTTP || opts.Addr != "") {
				return errors.New("--requests-file takes the place of the URL of the http target")
			}
			if opts.Addr == "" && opts.RequestsFile == "" {
				return errors.New("the http target needs a URL, or --requests-file")
			}
			if opts.Conns < 1 || opts.Conns > loadgen.MaxConns {
				return fmt.Errorf("invalid --conns %d: want 1 to %d", opts.Conns, loadgen.MaxConns)
			}
			if opts.Pipeline < 1 || opts.Pipeline > loadgen.MaxPipeline {
				return fmt.Errorf("invalid --pipeline %d: want 1 to %d", opts.Pipeline, loadgen.MaxPipeline)
			}
			if opts.Duration <= 0 || opts.Duration > loadgen.MaxDuration {
				return fmt.Errorf("invalid --duration %v: want more than 0 and at most %v", opts.Duration, loadgen.MaxDuration)
			}
			if opts.Rate < 0 || opts.Requests < 0 || opts.IdleConns < 0 || opts.Ramp < 0 {
				return errors.New("--rate, --requests, --idle-conns and --ramp cannot be negative")
			}
			if opts.SourceAddrs < 0 || opts.SourceAddrs > 254 {
				return fmt.Errorf("invalid --source-addrs %d: want 0 to 254", opts.SourceAddrs)
			}
			if runF == nil {
				runF = runBench
			}
			return runF(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.IntVarP(&opts.Conns, "conns", "c", loadgen.DefaultConns, "connections (chat: clients in the room)")
	f.VarP(newDurationValue(&opts.Duration, loadgen.DefaultDuration), "duration", "d", "how long to run")
	f.Int64VarP(&opts.Requests, "requests", "n", 0, "stop after this many requests (0: run for --duration)")
	f.Float64VarP(&opts.Rate, "rate", "r", 0, "requests per second in total, open model (0: closed model)")
	f.IntVar(&opts.Pipeline, "pipeline", 1, "requests in flight per connection (rpc; http, as HTTP/1.1 pipelining)")
	f.Var(newDurationValue(&opts.Timeout, loadgen.DefaultTimeout), "timeout", "limit for each request and each dial")
	f.StringVar(&opts.Message, "message", loadgen.DefaultMessage, "line to send (line, connect)")
	f.StringVar(&opts.Expect, "expect", "", "prefix every reply must start with (line, connect); others are protocol errors")
	f.StringVarP(&opts.Method, "method", "X", "GET", "HTTP method (http)")
	f.StringVar(&opts.Body, "body", "", "HTTP request body (http)")
	f.IntVar(&opts.IdleConns, "idle-conns", 0, "extra idle connections held open during the run")
	f.Float64Var(&opts.Ramp, "ramp", 0, "open at most this many connections per second while setting up (0: no limit)")
	f.IntVar(&opts.SourceAddrs, "source-addrs", 0, "spread connections over source addresses 127.0.0.1 .. 127.0.0.N, past one address's ephemeral ports")
	f.Var(newDurationValue(&opts.Interval, loadgen.DefaultInterval), "interval", "period of the progress line and of the throughput series")
	f.StringVar(&opts.Label, "label", "", "name of the run in reports")
	f.BoolVar(&opts.JSON, "json", false, "print the result as one JSON object")
	f.StringVar(&opts.HTML, "html", "", "write a self-contained HTML report with latency and throughput plots to `FILE`")
	opts.TLS.addFlags(f)
	f.BoolVar(&opts.NoResume, "no-resume", false, "with TLS, make every handshake a full one (no session resumption)")
	f.StringArrayVarP(&opts.Headers, "header", "H", nil, "HTTP header 'Name: value' for every request (repeatable)")
	f.StringVar(&opts.BodyFile, "body-file", "", "HTTP request body from this file")
	f.StringVarP(&opts.ContentType, "content-type", "T", "", "HTTP Content-Type of the body")
	f.StringVar(&opts.Host, "host", "", "HTTP Host header, instead of the URL's host")
	f.BoolVar(&opts.HTTP2, "http2", false, "speak HTTP/2 to an https URL (negotiated by ALPN; runs on net/http's client)")
	f.StringVar(&opts.RequestsFile, "requests-file", "", "HTTP requests in vegeta's targets format (METHOD URL, headers, @body-file), sent in turn by each connection; - reads stdin")
	f.StringVar(&opts.Engine, "engine", "netkit", "HTTP client: netkit (the HTTP/1.1 engine built for load) or net/http (Go's client, for reference)")
	opts.Pool.addFlags(cmd)
	cmd.AddCommand(newBenchCompareCmd(streams), newBenchWorkerCmd(streams))
	return cmd
}

func (o *benchOptions) config() loadgen.Config {
	cfg := loadgen.Config{
		Target:    o.Target,
		Conns:     o.Conns,
		Duration:  o.Duration,
		Requests:  o.Requests,
		Rate:      o.Rate,
		Pipeline:  o.Pipeline,
		Timeout:   o.Timeout,
		Message:   o.Message,
		Expect:    o.Expect,
		Method:    o.Method,
		Body:      []byte(o.Body),
		IdleConns: o.IdleConns,
		RampRate:  o.Ramp,
		Interval:  o.Interval,
	}
	if o.Target == loadgen.HTTP {
		cfg.URL = o.Addr
	} else {
		cfg.Addr = o.Addr
	}
	for i := 1; i <= o.SourceAddrs; i++ {
		cfg.SourceAddrs = append(cfg.SourceAddrs, netip.AddrFrom4([4]byte{127, 0, 0, byte(i)}))
	}
	return cfg
}

func runBench(ctx context.Context, opts *benchOptions) error {
	cfg := opts.config()
	if cfg.Target == loadgen.HTTP {
		if err := opts.httpConfig(&cfg); err != nil {
			return err
		}
	} else {
		addr, tlsCfg, err := opts.TLS.resolve(cfg.Addr)
		if err != nil {
			return err
		}
		if tlsCfg != nil && opts.NoResume {
			tlsCfg.ClientSessionCache = nil
		}
		cfg.Addr, cfg.TLS = addr, tlsCfg
	}
	tty := opts.Streams.ErrTTY
	if tty {
		cfg.Progress = func(p loadgen.Progress) {
			fmt.Fprintf(opts.Streams.ErrOut, "\r\033[K%6.1fs  %10.0f req/s  %8d requests  %6d errors  p99 %v",
				p.Elapsed.Seconds(), p.RPS, p.Requests, p.Errors, p.P99)
		}
	}
	var res *loadgen.Result
	var err error
	if opts.Pool.Workers > 0 {
		res, err = opts.runPool(ctx, cfg)
	} else {
		res, err = loadgen.Run(ctx, cfg)
	}
	if tty {
		fmt.Fprint(opts.Streams.ErrOut, "\r\033[K")
	}
	if errors.Is(err, loadgen.ErrNoConnections) {
		// Not one connection: exit as netkit http would for the cause
		// (7 for a certificate the server's name or CA does not match).
		return &exitError{Code: exitForClass(netclass.Of(err)), Err: err}
	}
	if err != nil {
		return err
	}
	res.Label = opts.Label
	if opts.HTML != "" {
		if err := writeReport(opts.HTML, res); err != nil {
			return err
		}
		fmt.Fprintf(opts.Streams.ErrOut, "wrote the HTML report to %s\n", opts.HTML)
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.Streams.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		printBench(opts.Streams.Out, res)
	}
	if res.Partial {
		var lost []string
		for _, wr := range res.Workers {
			if wr.Lost {
				lost = append(lost, wr.Name+" ("+wr.Reason+")")
			}
		}
		fmt.Fprintf(opts.Streams.ErrOut, "netkit: partial result: lost %s\n", strings.Join(lost, ", "))
		return errSilent
	}
	if res.Requests == 0 {
		// Every request failed for one reason (bench connect dials a
		// connection per request, and a server that refuses the
		// certificate fails them all): exit with that class's status,
		// as a run that could not set up one connection does.
		code, msg := ExitError, "no request succeeded"
		if len(res.ErrorsBy) == 1 {
			for class := range res.ErrorsBy {
				code = exitForClass(netclass.Class(class))
				msg += ": every error of class " + class
			}
		}
		if opts.JSON {
			fmt.Fprintln(opts.Streams.ErrOut, "netkit: "+msg)
			if code == ExitError {
				return errSilent
			}
			return &exitError{Code: code}
		}
		return &exitError{Code: code, Err: errors.New(msg)}
	}
	return nil // an interrupted run prints its partial result and succeeds, as wrk does
}

func writeReport(path string, rs ...*loadgen.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	res := rs[0]
	title := "netkit bench " + string(res.Target) + " " + res.Addr + res.URL
	if len(rs) > 1 {
		title = "netkit bench compare"
	}
	if err := loadgen.WriteHTML(f, title, rs...); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func printBench(w io.Writer, r *loadgen.Result) {
	target := r.Addr + r.URL
	model := "closed model"
	if r.Model == "open" {
		model = fmt.Sprintf("open model at %g/s", r.Rate)
	}
	conns := count(r.Conns, "connection")
	if r.Pipeline > 1 {
		conns += fmt.Sprintf(" × %d in flight", r.Pipeline)
	}
	fmt.Fprintf(w, "%s %s: %s, %s, %.2fs\n", r.Target, target, conns, model, time.Duration(r.Elapsed).Seconds())
	if r.IdleConns > 0 {
		fmt.Fprintf(w, "  idle       %s held\n", count(r.IdleConns, "connection"))
	}
	if r.Target == loadgen.Chat {
		fmt.Fprintf(w, "  sent       %s\n", count(int(r.Sent), "message"))
		fmt.Fprintf(w, "  delivered  %d (%.1f/s)\n", r.Requests, r.RPS)
	} else {
		fmt.Fprintf(w, "  requests   %d (%.1f/s)\n", r.Requests, r.RPS)
	}
	fmt.Fprintf(w, "  errors     %d%s\n", r.Errors, errorClasses(r.ErrorsBy))
	if r.TLSResumed > 0 {
		fmt.Fprintf(w, "  tls        %d handshakes, %d resumed\n", r.Dials, r.TLSResumed)
	}
	if s := loadgen.FormatStatusCodes(r.StatusCodes); s != "" {
		fmt.Fprintf(w, "  status     %s\n", s)
	}
	for _, wr := range r.Workers {
		if wr.Lost {
			fmt.Fprintf(w, "  worker     %-12s LOST: %s; not counted\n", wr.Name, wr.Reason)
			continue
		}
		fmt.Fprintf(w, "  worker     %-12s %s, %s (%.1f/s), %s, p50 %v p99 %v\n",
			wr.Name, count(wr.Conns, "connection"), count(int(wr.Requests), "request"), wr.RPS, count(int(wr.Errors), "error"), wr.Latency.P50, wr.Latency.P99)
	}
	if r.Partial {
		fmt.Fprintf(w, "  PARTIAL    workers were lost during the run: the totals count only the others\n")
	}
	line := func(name string, s loadgen.Summary) {
		if r.Requests == 0 {
			// No answer: no latency to report, rather than zeros.
			fmt.Fprintf(w, "  %-10s n/a\n", name)
			return
		}
		fmt.Fprintf(w, "  %-10s p50 %v  p90 %v  p99 %v  p99.9 %v  max %v\n", name, s.P50, s.P90, s.P99, s.P999, s.Max)
	}
	line("latency", r.Latency)
	if r.ServiceTime != nil {
		line("service", *r.ServiceTime)
	}
}

// count is "1 connection", "2 connections".
func count(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

func errorClasses(m map[string]int64) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// readRequestsFile parses --requests-file, whose "@file" bodies are read
// relative to the working directory, as vegeta reads them.
func (o *benchOptions) readRequestsFile() ([]loadgen.HTTPRequest, error) {
	var r io.Reader = o.Streams.In
	if o.RequestsFile != "-" {
		f, err := os.Open(o.RequestsFile)
		if err != nil {
			return nil, fmt.Errorf("--requests-file: %w", err)
		}
		defer f.Close()
		r = f
	}
	reqs, err := loadgen.ParseTargets(r, os.ReadFile)
	if err != nil {
		return nil, fmt.Errorf("--requests-file %s: %w", o.RequestsFile, err)
	}
	return reqs, nil
}

// httpConfig applies the HTTP knobs to cfg: headers, body file, content
// type, Host, HTTP/2, a URL without a scheme as netkit http takes it, and
// the TLS flags (the server's certificate is verified unless --insecure).
func (o *benchOptions) httpConfig(cfg *loadgen.Config) error {
	if cfg.URL != "" {
		cfg.URL = httpie.NormalizeURL(cfg.URL)
	}
	cfg.Host, cfg.HTTP2 = o.Host, o.HTTP2
	switch o.Engine {
	case "", "netkit":
	case "net/http":
		cfg.NetHTTP = true
	default:
		return fmt.Errorf("--engine %q: want netkit or net/http", o.Engine)
	}
	if len(o.Headers) > 0 || o.ContentType != "" {
		cfg.Header = http.Header{}
	}
	for _, h := range o.Headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return fmt.Errorf("-H %q: want 'Name: value'", h)
		}
		cfg.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	if o.ContentType != "" {
		cfg.Header.Set("Content-Type", o.ContentType)
	}
	if o.BodyFile != "" {
		b, err := os.ReadFile(o.BodyFile)
		if err != nil {
			return fmt.Errorf("--body-file: %w", err)
		}
		cfg.Body = b
	}
	if o.RequestsFile != "" {
		reqs, err := o.readRequestsFile()
		if err != nil {
			return err
		}
		// -H and -T apply to every request that does not set the
		// header itself, as vegeta's -header does.
		for i := range reqs {
			for k, vs := range cfg.Header {
				if _, ok := reqs[i].Header[k]; !ok {
					reqs[i].Header[k] = vs
				}
			}
		}
		cfg.HTTPRequests = reqs
	}
	t := o.TLS
	if t.CACert != "" || t.Insecure || t.Cert != "" || t.Key != "" || t.ServerName != "" {
		tc, err := tlsconf.ClientOptions{CAFile: t.CACert, Insecure: t.Insecure, CertFile: t.Cert, KeyFile: t.Key, ServerName: t.ServerName}.Config()
		if err != nil {
			return err
		}
		cfg.TLS = tc
	}
	return nil
}
