// Command suite is netkit's comparative benchmark: it starts each server
// pinned to one CPU, drives it with netkit bench pinned to the other, and
// writes the figures (JSON, a Markdown summary and SVG plots). bench/compare.sh
// builds it and runs it; see docs/BENCHMARKS.md.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/netkit-dev/netkit/internal/procstat"
	"github.com/netkit-dev/netkit/loadgen"
)

type options struct {
	netkit, pingpong string
	python           string
	pyDir            string
	out, plots       string
	duration         time.Duration
	conns            int
	reps             int
	repDuration      time.Duration
	scale            []int
	scaleDuration    time.Duration
	quick            bool
	sections         string
	from             string
}

func main() {
	var o options
	var scale string
	flag.StringVar(&o.netkit, "netkit", "netkit", "netkit binary")
	flag.StringVar(&o.pingpong, "pingpong", "pingpong", "minimal ping-pong loop binary")
	flag.StringVar(&o.python, "python", "python3", "Python 3 interpreter")
	flag.StringVar(&o.pyDir, "pydir", "bench/python", "directory of the Python peer servers")
	flag.StringVar(&o.out, "out", "bench/compare/results", "directory for the JSON results and summary.md")
	flag.StringVar(&o.plots, "plots", "bench/compare/plots", "directory for the SVG plots")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each comparative run")
	flag.IntVar(&o.conns, "conns", 100, "connections for the line and rpc runs")
	flag.IntVar(&o.reps, "reps", 5, "alternating repetitions of generator-versus-minimal-loop")
	flag.DurationVar(&o.repDuration, "rep-duration", 3*time.Second, "length of each generator-versus-loop run")
	flag.StringVar(&scale, "scale", "10000,50000,100000", "idle connection counts held by netkit serve (empty: none)")
	flag.DurationVar(&o.scaleDuration, "scale-duration", 5*time.Second, "length of the echo run on the active connections while idle ones are held")
	flag.BoolVar(&o.quick, "quick", false, "CI mode: tiny runs, no plots")
	flag.StringVar(&o.sections, "sections", "compare,generator,scale", "which parts to run: compare, generator, scale")
	flag.StringVar(&o.from, "from", "", "write the summary and plots from this results.json instead of running")
	flag.Parse()
	for _, f := range strings.Split(scale, ",") {
		if f = strings.TrimSpace(f); f != "" {
			n, err := strconv.Atoi(f)
			if err != nil || n <= 0 || n > 1_000_000 {
				fatalf("bad -scale entry %q", f)
			}
			o.scale = append(o.scale, n)
		}
	}
	if o.duration <= 0 || o.duration > 10*time.Minute || o.repDuration <= 0 || o.repDuration > 10*time.Minute {
		fatalf("durations must be in (0, 10m]")
	}
	ctx, cancel := signalContext()
	defer cancel()
	s := &suite{o: o, ctx: ctx}
	if err := s.run(); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "suite: "+format+"\n", args...)
	os.Exit(1)
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// suite holds one run's state.
type suite struct {
	o      options
	ctx    context.Context
	pinned bool // taskset available and at least two CPUs

	Params    params     `json:"params"`
	Machine   machine    `json:"machine"`
	Runs      []run      `json:"runs"`
	Generator genVsLoop  `json:"generator_vs_minimal_loop"`
	Scale     []scaleRun `json:"scale"`
}

// params are the settings the summary's headings quote.
type params struct {
	Duration    loadgen.Duration `json:"duration_ms"`
	Conns       int              `json:"conns"`
	RepDuration loadgen.Duration `json:"rep_duration_ms"`
	Scale       loadgen.Duration `json:"scale_duration_ms"`
}

type machine struct {
	CPU    string `json:"cpu"`
	CPUs   int    `json:"cpus"`
	Kernel string `json:"kernel"`
	Go     string `json:"go"`
	Python string `json:"python"`
	Redis  string `json:"redis"`
	Pinned bool   `json:"pinned"`
	Date   string `json:"date"`
	Load   string `json:"load_before"`
}

// run is one server under one load.
type run struct {
	Group   string          `json:"group"`  // line, rpc, connect
	Server  string          `json:"server"` // netkit, python asyncio, ...
	Result  *loadgen.Result `json:"result"`
	CPUus   float64         `json:"server_cpu_us_per_request"`
	Skipped string          `json:"skipped,omitempty"`
}

type genVsLoop struct {
	Conns   int       `json:"conns"`
	Loop    []float64 `json:"loop_rps"`
	Bench   []float64 `json:"bench_rps"`
	Ratios  []float64 `json:"ratios"`
	Median  float64   `json:"median_ratio"`
	Overall float64   `json:"overall_ratio"` // sum of bench rps / sum of loop rps
	// CPU time per request of each client process (user and system,
	// set-up included), which the machine's other load disturbs less
	// than throughput.
	LoopCPU  []float64 `json:"loop_cpu_us_per_request"`
	BenchCPU []float64 `json:"bench_cpu_us_per_request"`
	CPURatio float64   `json:"cpu_ratio"` // median bench / median loop
}

type scaleRun struct {
	Server      string          `json:"server"`
	Idle        int             `json:"idle_conns_asked"`
	Held        int             `json:"idle_conns_held"`
	BaseRSS     int64           `json:"base_rss_bytes"`
	HeldRSS     int64           `json:"held_rss_bytes"`
	BytesPerCon float64         `json:"rss_bytes_per_conn"`
	Result      *loadgen.Result `json:"result"`
	Skipped     string          `json:"skipped,omitempty"`
}

func (s *suite) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func (s *suite) run() error {
	if err := os.MkdirAll(s.o.out, 0o755); err != nil {
		return err
	}
	if s.o.from != "" {
		b, err := os.ReadFile(s.o.from)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, s); err != nil {
			return fmt.Errorf("%s: %v", s.o.from, err)
		}
		fmt.Print(s.summary())
		return s.writePlots()
	}
	s.Params = params{loadgen.Duration(s.o.duration), s.o.conns, loadgen.Duration(s.o.repDuration), loadgen.Duration(s.o.scaleDuration)}
	_, err := exec.LookPath("taskset")
	s.pinned = err == nil && runtime.NumCPU() >= 2
	s.Machine = describe(s.pinned)
	s.raiseLimit()

	want := func(name string) bool { return slices.Contains(strings.Split(s.o.sections, ","), name) }
	if want("compare") {
		s.comparisons()
	}
	if want("generator") {
		s.generator()
	}
	if want("scale") {
		// One process holds every idle connection: the open-file limit
		// (which only a privileged process can raise past its hard value)
		// caps the count. Counts above it are reported as skipped, and the
		// largest round count under it is measured instead.
		limit := fileLimit()
		capped := false
		for _, n := range s.o.scale {
			if uint64(n)+256 > limit {
				s.Scale = append(s.Scale, scaleRun{Server: "netkit", Idle: n,
					Skipped: fmt.Sprintf("open-file limit %d in this environment (the hard limit cannot be raised here)", limit)})
				capped = true
				continue
			}
			s.scale("netkit", n)
		}
		if most := int(limit-256) / 1000 * 1000; capped && most > 0 && !slices.Contains(s.o.scale, most) {
			s.scale("netkit", most)
		}
		if len(s.o.scale) > 0 && s.hasPython() && !s.o.quick {
			s.scale("python asyncio", s.o.scale[0])
		}
	}
	if err := s.ctx.Err(); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(s, "", "  ")
	if err := os.WriteFile(filepath.Join(s.o.out, "results.json"), b, 0o644); err != nil {
		return err
	}
	md := s.summary()
	if err := os.WriteFile(filepath.Join(s.o.out, "summary.md"), []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Print(md)
	if !s.o.quick {
		if err := s.writePlots(); err != nil {
			return err
		}
	}
	return s.check()
}

// check fails the suite when a netkit run failed: peers may be missing
// from a machine, netkit may not.
func (s *suite) check() error {
	var bad []string
	for _, r := range s.Runs {
		if strings.HasPrefix(r.Server, "netkit") && (r.Result == nil || r.Result.Requests == 0) {
			bad = append(bad, r.Group+" "+r.Server)
		}
	}
	for _, r := range s.Scale {
		if r.Server == "netkit" && r.Skipped == "" && (r.Result == nil || r.Held == 0) {
			bad = append(bad, fmt.Sprintf("scale %d", r.Idle))
		}
	}
	if len(s.Generator.Ratios) == 0 && strings.Contains(s.o.sections, "generator") {
		bad = append(bad, "generator check")
	}
	if len(bad) > 0 {
		return fmt.Errorf("netkit runs failed: %s", strings.Join(bad, ", "))
	}
	return nil
}

// raiseLimit lifts this process's open-file limit (inherited by the
// servers and the generator it starts) for the connection-scale runs.
func (s *suite) raiseLimit() {
	want := uint64(64)
	for _, n := range s.o.scale {
		want = max(want, uint64(n)+4096)
	}
	if got, err := loadgen.RaiseFileLimit(want); err != nil || got < want {
		s.logf("open-file limit %d (wanted %d): %v", got, want, err)
	}
}

// fileLimit returns the soft open-file limit in force.
func fileLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 1024
	}
	return lim.Cur
}

func (s *suite) hasPython() bool {
	_, err := exec.LookPath(s.o.python)
	return err == nil
}

// cpuArgs prefixes a command with taskset for CPU c when pinning.
func (s *suite) cpuArgs(c int, name string, args ...string) []string {
	if !s.pinned {
		return append([]string{name}, args...)
	}
	return append([]string{"taskset", "-c", strconv.Itoa(c), name}, args...)
}

// server is a started server process.
type server struct {
	cmd  *exec.Cmd
	addr string
	log  string
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// start runs argv (with PORT replaced by a free port) on CPU 0 and waits
// until it accepts connections.
func (s *suite) start(name string, argv ...string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	argv = slices.Clone(argv)
	for i, a := range argv {
		argv[i] = strings.ReplaceAll(a, "PORT", strconv.Itoa(port))
	}
	full := s.cpuArgs(0, argv[0], argv[1:]...)
	cmd := exec.CommandContext(s.ctx, full[0], full[1:]...)
	logPath := filepath.Join(os.TempDir(), "netkit-suite-"+regexp.MustCompile(`\W+`).ReplaceAllString(name, "_")+".log")
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, err
	}
	lf.Close()
	srv := &server{cmd: cmd, addr: fmt.Sprintf("127.0.0.1:%d", port), log: logPath}
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", srv.addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return srv, nil
		}
		if time.Now().After(deadline) || s.ctx.Err() != nil {
			srv.stop()
			b, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("%s did not accept connections on %s: %v\n%s", name, srv.addr, err, b)
		}
		time.Sleep(20 * time.Millisecond) // polling a child process for readiness
	}
}

func (srv *server) stop() {
	srv.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { srv.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		srv.cmd.Process.Kill()
		<-done
	}
}

func (srv *server) pid() int { return srv.cmd.Process.Pid }

// rssBytes returns the process's resident memory, 0 if unknown.
func rssBytes(pid int) int64 {
	rss, _ := procstat.RSS(pid)
	return rss
}

func fdCount(pid int) int {
	es, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(es)
}

// bench runs netkit bench on CPU 1 and decodes its JSON result; cpu is
// the generator's own CPU time. netkit bench prints a result and exits
// non-zero when no request succeeded: bench then returns both the result
// and the exit error, so that each caller decides whether such a run
// counts. The result is nil only when there is none to decode.
func (s *suite) bench(args ...string) (res *loadgen.Result, cpu time.Duration, err error) {
	argv := s.cpuArgs(1, s.o.netkit, append([]string{"bench"}, append(args, "--json")...)...)
	out, cpu, err := s.timed(argv)
	if err != nil {
		var stderr []byte
		if ee, ok := errors.AsType[*exec.ExitError](err); ok {
			stderr = ee.Stderr
		}
		err = fmt.Errorf("netkit %s: %v: %s", strings.Join(args, " "), err, stderr)
		if len(out) == 0 {
			return nil, cpu, err
		}
	}
	res = new(loadgen.Result)
	if jerr := json.Unmarshal(out, res); jerr != nil {
		return nil, cpu, fmt.Errorf("netkit %s: %v", strings.Join(args, " "), jerr)
	}
	return res, cpu, err
}

// measure runs one comparison: start the server, drive it, read its CPU.
func (s *suite) measure(group, target, name string, argv []string, benchArgs ...string) {
	r := run{Group: group, Server: name}
	defer func() { s.Runs = append(s.Runs, r) }()
	if s.ctx.Err() != nil {
		r.Skipped = "interrupted"
		return
	}
	if _, err := exec.LookPath(argv[0]); err != nil {
		r.Skipped = argv[0] + " not found"
		s.logf("skip %s %s: %s", group, name, r.Skipped)
		return
	}
	srv, err := s.start(name, argv...)
	if err != nil {
		r.Skipped = err.Error()
		s.logf("skip %s %s: %v", group, name, err)
		return
	}
	defer srv.stop()
	before, _ := procstat.ReadCPU(srv.pid())
	args := append([]string{target, srv.addr}, benchArgs...)
	res, _, err := s.bench(args...)
	after, _ := procstat.ReadCPU(srv.pid())
	if res == nil {
		r.Skipped = err.Error()
		s.logf("fail %s %s: %v", group, name, err)
		return
	}
	res.Label = name
	r.Result = res
	if res.Requests > 0 {
		r.CPUus = after.Sub(before).Total().Seconds() * 1e6 / float64(res.Requests)
	}
	s.logf("%-8s %-26s %10.0f req/s  p99 %8.3f ms  errors %d  server CPU %.2f µs/req",
		group, name, res.RPS, ms(res.Latency.P99), res.Errors, r.CPUus)
}

func ms(d loadgen.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (s *suite) comparisons() {
	py := func(script string, args ...string) []string {
		return append([]string{s.o.python, filepath.Join(s.o.pyDir, script)}, args...)
	}
	d := s.o.duration.String()
	c := strconv.Itoa(s.o.conns)
	serve := []string{s.o.netkit, "serve", "--echo-addr", "127.0.0.1:PORT", "--chat-addr", "off", "--rpc-addr", "off", "--admin-addr", "off", "--web-addr", "off", "--log-level", "warn"}

	// Line ping-pong: netkit echo, the Python asyncio echo, Redis PING.
	s.measure("line", "line", "netkit echo", serve, "-c", c, "-d", d, "--expect", "ECHO: ping")
	s.measure("line", "line", "python asyncio echo", py("echo_server.py", "PORT", "--quiet"), "-c", c, "-d", d, "--expect", "ECHO: ping")
	s.measure("line", "line", "redis-server PING", []string{"redis-server", "--port", "PORT", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"},
		"-c", c, "-d", d, "--message", "PING", "--expect", "+PONG")

	// JSON-RPC add over frames, one call in flight and eight.
	rpc := []string{s.o.netkit, "serve", "--echo-addr", "off", "--chat-addr", "off", "--rpc-addr", "127.0.0.1:PORT", "--admin-addr", "off", "--web-addr", "off", "--log-level", "warn"}
	s.measure("rpc", "rpc", "netkit json-rpc", rpc, "-c", c, "-d", d)
	s.measure("rpc", "rpc", "python asyncio json-rpc", py("json_rpc_server.py", "PORT"), "-c", c, "-d", d)
	if !s.o.quick {
		s.measure("rpc8", "rpc", "netkit json-rpc", rpc, "-c", c, "-d", d, "--pipeline", "8")
		s.measure("rpc8", "rpc", "python asyncio json-rpc", py("json_rpc_server.py", "PORT"), "-c", c, "-d", d, "--pipeline", "8")
	}

	// A connection per request: the Python scalability example (50
	// concurrent clients) and its thread-per-connection server (with the
	// simulated 50 ms latency set to 0, so the servers' own costs show).
	s.measure("connect", "connect", "netkit echo", serve, "-c", "50", "-d", d)
	s.measure("connect", "connect", "python asyncio counting", py("counting_server.py", "PORT"), "-c", "50", "-d", d)
	s.measure("connect", "connect", "python threads", py("threaded_server.py", "PORT", "0"), "-c", "50", "-d", d)
}

// generator alternates the minimal loop and netkit bench against one
// netkit echo server, so both see the same machine state.
func (s *suite) generator() {
	g := &s.Generator
	g.Conns = 100
	serve := []string{s.o.netkit, "serve", "--echo-addr", "127.0.0.1:PORT", "--chat-addr", "off", "--rpc-addr", "off", "--admin-addr", "off", "--web-addr", "off", "--log-level", "warn"}
	srv, err := s.start("netkit echo (generator check)", serve...)
	if err != nil {
		s.logf("skip generator check: %v", err)
		return
	}
	defer srv.stop()
	d := s.o.repDuration.String()
	loopRun := func() (float64, float64, error) {
		out, cpu, err := s.timed(s.cpuArgs(1, s.o.pingpong, "-addr", srv.addr, "-conns", "100", "-duration", d))
		var r struct{ RPS, Requests float64 }
		if err == nil {
			err = json.Unmarshal(out, &r)
		}
		if err != nil || r.Requests == 0 {
			return 0, 0, fmt.Errorf("minimal loop: %v %s", err, out)
		}
		return r.RPS, cpu.Seconds() * 1e6 / r.Requests, nil
	}
	benchRun := func() (float64, float64, error) {
		// The ratio compares whole runs only: unlike the comparisons,
		// a repetition whose netkit bench exited non-zero does not count.
		r, cpu, err := s.bench("line", srv.addr, "-c", "100", "-d", d)
		if err != nil {
			return 0, 0, err
		}
		if r.Requests == 0 {
			return 0, 0, errors.New("netkit bench: no request succeeded")
		}
		return r.RPS, cpu.Seconds() * 1e6 / float64(r.Requests), nil
	}
	for i := 0; i < s.o.reps && s.ctx.Err() == nil; i++ {
		// Alternate which goes first, so a trend in the machine's load
		// does not favour one side.
		var lr, lc, br, bc float64
		var err1, err2 error
		if i%2 == 0 {
			lr, lc, err1 = loopRun()
			br, bc, err2 = benchRun()
		} else {
			br, bc, err2 = benchRun()
			lr, lc, err1 = loopRun()
		}
		if err := errors.Join(err1, err2); err != nil {
			s.logf("generator check: %v", err)
			return
		}
		g.Loop = append(g.Loop, lr)
		g.Bench = append(g.Bench, br)
		g.Ratios = append(g.Ratios, br/lr)
		g.LoopCPU = append(g.LoopCPU, lc)
		g.BenchCPU = append(g.BenchCPU, bc)
		s.logf("generator check %d: minimal loop %.0f req/s (%.2f µs CPU/req), netkit bench %.0f req/s (%.2f µs CPU/req), ratio %.3f",
			i+1, lr, lc, br, bc, br/lr)
	}
	if len(g.Ratios) > 0 {
		g.Median = median(g.Ratios)
		var sb, sl float64
		for i := range g.Loop {
			sb += g.Bench[i]
			sl += g.Loop[i]
		}
		g.Overall = sb / sl
		g.CPURatio = median(g.BenchCPU) / median(g.LoopCPU)
	}
}

func median(v []float64) float64 {
	r := slices.Clone(v)
	slices.Sort(r)
	if len(r)%2 == 0 {
		return (r[len(r)/2-1] + r[len(r)/2]) / 2
	}
	return r[len(r)/2]
}

// timed runs argv and returns its standard output and the CPU time (user
// and system) the process used.
func (s *suite) timed(argv []string) ([]byte, time.Duration, error) {
	cmd := exec.CommandContext(s.ctx, argv[0], argv[1:]...)
	out, err := cmd.Output()
	if cmd.ProcessState == nil {
		return out, 0, err
	}
	return out, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), err
}

// scale holds n idle connections on a fresh server while 10 active ones
// send 1,000 echo requests a second.
func (s *suite) scale(name string, n int) {
	r := scaleRun{Server: name, Idle: n}
	defer func() { s.Scale = append(s.Scale, r) }()
	if s.ctx.Err() != nil {
		r.Skipped = "interrupted"
		return
	}
	var argv []string
	if name == "netkit" {
		argv = []string{s.o.netkit, "serve", "--echo-addr", "127.0.0.1:PORT", "--chat-addr", "off", "--rpc-addr", "off", "--admin-addr", "off", "--web-addr", "off", "--log-level", "warn",
			"--max-conns", strconv.Itoa(n + 1000), "--idle-timeout", "10m"}
	} else {
		argv = []string{s.o.python, filepath.Join(s.o.pyDir, "echo_server.py"), "PORT", "--quiet"}
	}
	srv, err := s.start(name+" scale", argv...)
	if err != nil {
		r.Skipped = err.Error()
		s.logf("skip scale %s %d: %v", name, n, err)
		return
	}
	defer srv.stop()
	// Warm the server with the active connections first, so the baseline
	// includes the runtime's own start-up memory, not only an idle process.
	if res, _, err := s.bench("line", srv.addr, "-c", "10", "-n", "1000"); res == nil {
		r.Skipped = err.Error()
		return
	}
	base := rssBytes(srv.pid())
	baseFDs := fdCount(srv.pid())
	sources := strconv.Itoa(min(254, n/20000+2)) // about 28,000 ephemeral ports per source address
	args := []string{"line", srv.addr, "-c", "10", "--rate", "1000", "-d", s.o.scaleDuration.String(),
		"--idle-conns", strconv.Itoa(n), "--source-addrs", sources, "--expect", "ECHO: ping", "--json"}
	argv = s.cpuArgs(1, s.o.netkit, append([]string{"bench"}, args...)...)
	cmd := exec.CommandContext(s.ctx, argv[0], argv[1:]...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		r.Skipped = err.Error()
		return
	}
	// Sample the server's memory once the connections are all there (or the
	// run ended): held RSS is the peak seen while polling.
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var held int64
	var fds int
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case err = <-done:
			break wait
		case <-tick.C:
			if f := fdCount(srv.pid()); f >= fds {
				fds = f
				if rss := rssBytes(srv.pid()); rss > held {
					held = rss
				}
			}
		}
	}
	var res loadgen.Result
	if jerr := json.Unmarshal([]byte(stdout.String()), &res); jerr != nil {
		r.Skipped = fmt.Sprintf("bench: %v %v %s", err, jerr, stderr.String())
		s.logf("fail scale %s %d: %s", name, n, r.Skipped)
		return
	}
	r.Result = &res
	r.Held = res.IdleConns
	r.BaseRSS, r.HeldRSS = base, held
	if res.IdleConns > 0 {
		r.BytesPerCon = float64(held-base) / float64(res.IdleConns)
	}
	s.logf("scale %s: %d idle held (server fds %d -> %d), RSS %.1f -> %.1f MiB, %.0f bytes/conn; echo p50 %.3f ms p99 %.3f ms, errors %d",
		name, res.IdleConns, baseFDs, fds, float64(base)/(1<<20), float64(held)/(1<<20), r.BytesPerCon,
		ms(res.Latency.P50), ms(res.Latency.P99), res.Errors)
}

func describe(pinned bool) machine {
	m := machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), Pinned: pinned, Date: time.Now().UTC().Format("2006-01-02 15:04 MST")}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.Load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	if out, err := exec.Command("python3", "--version").Output(); err == nil {
		m.Python = strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("redis-server", "--version").Output(); err == nil {
		f := strings.Fields(string(out))
		if len(f) >= 3 {
			m.Redis = strings.TrimPrefix(f[2], "v=")
		}
	}
	return m
}

// summary renders the figures as Markdown tables, ratios against netkit.
func (s *suite) summary() string {
	var b strings.Builder
	m, p := s.Machine, s.Params
	fmt.Fprintf(&b, "Machine: %s, %d CPUs, Linux %s, %s, %s, Redis %s; servers pinned to CPU 0 and the generator to CPU 1: %v; load average before: %s; %s.\n\n",
		m.CPU, m.CPUs, m.Kernel, m.Go, m.Python, m.Redis, m.Pinned, m.Load, m.Date)
	groups := []struct{ key, title string }{
		{"line", fmt.Sprintf("Line ping-pong, %d connections, %v", p.Conns, p.Duration)},
		{"rpc", fmt.Sprintf("JSON-RPC add, %d connections, one call in flight each, %v", p.Conns, p.Duration)},
		{"rpc8", fmt.Sprintf("JSON-RPC add, %d connections, eight calls in flight each, %v", p.Conns, p.Duration)},
		{"connect", fmt.Sprintf("A connection per request, 50 concurrent clients, %v", p.Duration)},
	}
	for _, g := range groups {
		if !slices.ContainsFunc(s.Runs, func(r run) bool { return r.Group == g.key }) {
			continue
		}
		var base *run
		for i := range s.Runs {
			if s.Runs[i].Group == g.key && s.Runs[i].Result != nil && strings.HasPrefix(s.Runs[i].Server, "netkit") {
				base = &s.Runs[i]
			}
		}
		fmt.Fprintf(&b, "#### %s\n\n", g.title)
		b.WriteString("| server | req/s | p50 ms | p99 ms | errors | server CPU µs/req | req/s vs netkit | p99 vs netkit | CPU/req vs netkit |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, r := range s.Runs {
			if r.Group != g.key {
				continue
			}
			if r.Result == nil {
				fmt.Fprintf(&b, "| %s | skipped: %s | | | | | | | |\n", r.Server, oneLine(r.Skipped))
				continue
			}
			res := r.Result
			ratio := func(a, z float64) string {
				if base == nil || z == 0 {
					return "–"
				}
				return fmt.Sprintf("%.2f×", a/z)
			}
			var bRPS, bP99, bCPU float64
			if base != nil {
				bRPS, bP99, bCPU = base.Result.RPS, ms(base.Result.Latency.P99), base.CPUus
			}
			fmt.Fprintf(&b, "| %s | %.0f | %.3f | %.3f | %d | %.1f | %s | %s | %s |\n",
				r.Server, res.RPS, ms(res.Latency.P50), ms(res.Latency.P99), res.Errors, r.CPUus,
				ratio(res.RPS, bRPS), ratio(ms(res.Latency.P99), bP99), ratio(r.CPUus, bCPU))
		}
		b.WriteString("\n")
	}
	g := s.Generator
	if len(g.Ratios) > 0 {
		fmt.Fprintf(&b, "#### Generator versus a minimal Go ping-pong loop, %d connections to netkit echo, %d alternating runs of %v\n\n", g.Conns, len(g.Ratios), p.RepDuration)
		b.WriteString("| run | minimal loop req/s | netkit bench req/s | ratio | loop CPU µs/req | bench CPU µs/req |\n|---:|---:|---:|---:|---:|---:|\n")
		for i := range g.Ratios {
			lc, bc := 0.0, 0.0
			if i < len(g.LoopCPU) && i < len(g.BenchCPU) {
				lc, bc = g.LoopCPU[i], g.BenchCPU[i]
			}
			fmt.Fprintf(&b, "| %d | %.0f | %.0f | %.3f | %.2f | %.2f |\n", i+1, g.Loop[i], g.Bench[i], g.Ratios[i], lc, bc)
		}
		fmt.Fprintf(&b, "\nThroughput ratio (netkit bench / minimal loop): median %.3f, total over all runs %.3f. Client CPU time per request, median netkit bench / median minimal loop: %.3f.\n\n", g.Median, g.Overall, g.CPURatio)
	}
	if len(s.Scale) > 0 {
		fmt.Fprintf(&b, "#### Idle connections held by the server, echo on 10 active connections at 1,000 req/s for %v\n\n", p.Scale)
		b.WriteString("| server | idle asked | idle held | RSS before MiB | RSS held MiB | RSS bytes/conn | echo p50 ms | echo p99 ms | errors |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, r := range s.Scale {
			if r.Result == nil {
				fmt.Fprintf(&b, "| %s | %d | skipped: %s | | | | | | |\n", r.Server, r.Idle, oneLine(r.Skipped))
				continue
			}
			fmt.Fprintf(&b, "| %s | %d | %d | %.1f | %.1f | %.0f | %.3f | %.3f | %d |\n",
				r.Server, r.Idle, r.Held, float64(r.BaseRSS)/(1<<20), float64(r.HeldRSS)/(1<<20), r.BytesPerCon,
				ms(r.Result.Latency.P50), ms(r.Result.Latency.P99), r.Result.Errors)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

func (s *suite) writePlots() error {
	if err := os.MkdirAll(s.o.plots, 0o755); err != nil {
		return err
	}
	write := func(name, svg string) error {
		return os.WriteFile(filepath.Join(s.o.plots, name), []byte(svg+"\n"), 0o644)
	}
	var labels []string
	var rps, cpu []float64
	for _, r := range s.Runs {
		if r.Result == nil {
			continue
		}
		labels = append(labels, r.Group+": "+r.Server)
		rps = append(rps, r.Result.RPS)
		cpu = append(cpu, r.CPUus)
	}
	if err := write("rps.svg", loadgen.BarSVG("Requests per second (higher is better)", "req/s", labels, rps)); err != nil {
		return err
	}
	if err := write("cpu.svg", loadgen.BarSVG("Server CPU time per request (lower is better)", "µs", labels, cpu)); err != nil {
		return err
	}
	for _, g := range []string{"line", "rpc", "connect"} {
		var rs []*loadgen.Result
		var ls []string
		for _, r := range s.Runs {
			if r.Group == g && r.Result != nil {
				rs = append(rs, r.Result)
				ls = append(ls, r.Server)
			}
		}
		if len(rs) == 0 {
			continue
		}
		if err := write("latency-"+g+".svg", loadgen.PercentileSVG("Latency by percentile: "+g, ls, rs)); err != nil {
			return err
		}
		if err := write("throughput-"+g+".svg", loadgen.ThroughputSVG("Throughput over time: "+g, ls, rs)); err != nil {
			return err
		}
	}
	var sl []string
	var sv []float64
	for _, r := range s.Scale {
		if r.Result != nil {
			sl = append(sl, fmt.Sprintf("%s, %d idle", r.Server, r.Held))
			sv = append(sv, r.BytesPerCon)
		}
	}
	if len(sl) > 0 {
		if err := write("rss-per-conn.svg", loadgen.BarSVG("Server RSS per idle connection (lower is better)", "bytes", sl, sv)); err != nil {
			return err
		}
	}
	return nil
}
