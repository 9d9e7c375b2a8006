package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

var schema = &Schema{Groups: []string{"echo", "log"}, Rename: map[string]string{"nats": "nats.urls"}, Secret: []string{"token"}, Skip: []string{"config"}}

type flags struct {
	echoAddr string
	maxConns int
	idle     time.Duration
	level    string
	origins  []string
	rate     float64
	quiet    bool
	nats     string
	token    string
	fs       *pflag.FlagSet
}

func newFlags() *flags {
	f := &flags{fs: pflag.NewFlagSet("t", pflag.ContinueOnError)}
	f.fs.StringVar(&f.echoAddr, "echo-addr", "127.0.0.1:7001", "")
	f.fs.IntVar(&f.maxConns, "max-conns", 10000, "")
	f.fs.DurationVar(&f.idle, "idle-timeout", 5*time.Minute, "")
	f.fs.StringVar(&f.level, "log-level", "info", "")
	f.fs.StringSliceVar(&f.origins, "origins", nil, "")
	f.fs.Float64Var(&f.rate, "rate", 0, "")
	f.fs.BoolVar(&f.quiet, "quiet", false, "")
	f.fs.StringVar(&f.nats, "nats", "", "")
	f.fs.StringVar(&f.token, "token", "", "")
	f.fs.String("config", "", "")
	return f
}

func write(t *testing.T, text string) string {
	p := filepath.Join(t.TempDir(), "netkit.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// TestPrecedence: one key set by a flag, the environment and the file
// takes the flag's value; without the flag the environment's; without
// both the file's; without any the default.
func TestPrecedence(t *testing.T) {
	file := write(t, "max-conns = 300\nquiet = true\nrate = 2.5\norigins = [\"a\", \"b\"]\n\n[echo]\naddr = \"127.0.0.1:9001\"\n\n[log]\nlevel = \"debug\"\n\n[nats]\nurls = \"nats://h:4222\"\n")
	e := env(map[string]string{"NETKIT_MAX_CONNS": "200", "NETKIT_ECHO_ADDR": "127.0.0.1:8001"})
	for _, tt := range []struct {
		args     []string
		env      func(string) (string, bool)
		want     int
		wantFrom Source
		wantEcho string
		echoFrom Source
	}{
		{[]string{"--max-conns", "100", "--echo-addr", "127.0.0.1:1"}, e, 100, FromFlag, "127.0.0.1:1", FromFlag},
		{nil, e, 200, FromEnv, "127.0.0.1:8001", FromEnv},
		{nil, env(nil), 300, FromFile, "127.0.0.1:9001", FromFile},
	} {
		f := newFlags()
		if err := f.fs.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		c, err := Resolve(f.fs, schema, file, tt.env)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := c.Get("max-conns")
		if f.maxConns != tt.want || s.Source != tt.wantFrom {
			t.Errorf("%v: max-conns = %d from %s, want %d from %s", tt.args, f.maxConns, s.Source, tt.want, tt.wantFrom)
		}
		s, _ = c.Get("echo-addr")
		if f.echoAddr != tt.wantEcho || s.Source != tt.echoFrom {
			t.Errorf("%v: echo-addr = %q from %s, want %q from %s", tt.args, f.echoAddr, s.Source, tt.wantEcho, tt.echoFrom)
		}
		if f.level != "debug" || !f.quiet || f.rate != 2.5 || strings.Join(f.origins, ",") != "a,b" || f.nats != "nats://h:4222" {
			t.Errorf("file values: %+v", f)
		}
	}
	f := newFlags()
	c, err := Resolve(f.fs, schema, "", env(nil))
	if s, _ := c.Get("max-conns"); err != nil || f.maxConns != 10000 || s.Source != FromDefault {
		t.Errorf("without a file: %d from %s (%v)", f.maxConns, s.Source, err)
	}
}

// TestFileErrors: an unknown key and a value of the wrong type name the
// file, the line and the key.
func TestFileErrors(t *testing.T) {
	tests := []struct{ text, want string }{
		{"max-conns = 1\nmax-cons = 2\n", ":2: max-cons: unknown key"},
		{"[echo]\naddr = \"x\"\nport = 1\n", ":3: echo.port: unknown key"},
		{"\nmax-conns = \"many\"\n", `:2: max-conns: want an integer, got string "many"`},
		{"idle-timeout = 5\n", ":1: idle-timeout: want a duration string, got integer 5"},
		{"idle-timeout = \"5 minutes\"\n", `:1: idle-timeout: want a duration such as "10s", got "5 minutes"`},
		{"quiet = \"yes\"\n", `:1: quiet: want a boolean, got string "yes"`},
		{"origins = [1]\n", ":1: origins: want a string or an array of strings, got array [1]"},
		{"[nosuch]\nx = 1\n", ":1: nosuch: unknown key"},
		{"max-conns = \n", ":1: "},
	}
	for _, tt := range tests {
		file := write(t, tt.text)
		_, err := Resolve(newFlags().fs, schema, file, env(nil))
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), file+tt.want) {
			t.Errorf("%q: %v, want an ErrConfig with %q", tt.text, err, file+tt.want)
		}
	}
	if _, err := Resolve(newFlags().fs, schema, "", env(map[string]string{"NETKIT_MAX_CONNS": "x"})); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "NETKIT_MAX_CONNS") {
		t.Errorf("a bad environment value: %v", err)
	}
}

// TestWriteTOML: the printed configuration says where each value came
// from, masks secrets, and reads back to the same values.
func TestWriteTOML(t *testing.T) {
	file := write(t, "max-conns = 300\n[log]\nlevel = \"debug\"\n")
	f := newFlags()
	f.fs.Parse([]string{"--token", "s3cret", "--origins", "x,y"})
	c, err := Resolve(f.fs, schema, file, env(map[string]string{"NETKIT_ECHO_ADDR": "127.0.0.1:8001"}))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := c.WriteTOML(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"max-conns = 300 # file " + file + ":1\n",
		"token = \"***\" # flag --token\n",
		"origins = [\"x\", \"y\"] # flag --origins\n",
		"idle-timeout = \"5m0s\" # default\n",
		"[echo]\naddr = \"127.0.0.1:8001\" # env NETKIT_ECHO_ADDR\n",
		"[log]\nlevel = \"debug\" # file " + file + ":3\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("WriteTOML lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "s3cret") {
		t.Error("the secret is printed")
	}
	// Read back (the secret aside), the values are the same.
	back := write(t, strings.Replace(out, `"***"`, `"s3cret"`, 1))
	g := newFlags()
	if _, err := Resolve(g.fs, schema, back, env(nil)); err != nil {
		t.Fatalf("reading the printed configuration back: %v\n%s", err, out)
	}
	if g.maxConns != 300 || g.echoAddr != "127.0.0.1:8001" || g.level != "debug" || g.token != "s3cret" || strings.Join(g.origins, ",") != "x,y" || g.idle != 5*time.Minute {
		t.Errorf("read back: %+v", g)
	}
}
