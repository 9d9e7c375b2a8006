// Package config resolves a command's settings from its flags, the
// environment and a TOML file, in that order of precedence, over the
// flags' defaults.
//
// Keys mirror the flags, grouped by service: the flag --echo-addr is the
// key addr of the table [echo] and the variable NETKIT_ECHO_ADDR; a flag
// of no service, such as --max-conns, is a top-level key max-conns and
// NETKIT_MAX_CONNS. An unknown key, or a value of the wrong type, is an
// error that names the file, the line and the key.
package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/spf13/pflag"
)

// Source says where a setting's value came from.
type Source string

// The sources, by precedence.
const (
	FromFlag    Source = "flag"
	FromEnv     Source = "env"
	FromFile    Source = "file"
	FromDefault Source = "default"
)

// EnvPrefix starts every environment variable of the configuration.
const EnvPrefix = "NETKIT_"

// ErrConfig is matched by every error of a configuration file or value.
var ErrConfig = errors.New("config")

// Error is a problem in a configuration file, at a line and key.
type Error struct {
	File string
	Line int // 0 when unknown
	Key  string
	Msg  string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Key != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Key, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// Is reports ErrConfig.
func (e *Error) Is(target error) bool { return target == ErrConfig }

// Schema maps flags to keys.
type Schema struct {
	// Groups are the flag-name prefixes that are tables: with "echo",
	// --echo-addr is [echo] addr.
	Groups []string
	// Rename gives a flag a key of its own ("nats" → "nats.urls", where
	// the flag's name is also its group's).
	Rename map[string]string
	// Secret flags are printed masked.
	Secret []string
	// Skip are flags that are not settings (--config, --print-config).
	Skip []string
}

// Key returns the dotted key of a flag: "echo.addr", "max-conns".
func (s *Schema) Key(flag string) string {
	if k, ok := s.Rename[flag]; ok {
		return k
	}
	for _, g := range s.Groups {
		if rest, ok := strings.CutPrefix(flag, g+"-"); ok {
			return g + "." + rest
		}
	}
	return flag
}

// Env returns the environment variable of a flag: NETKIT_ECHO_ADDR.
func Env(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// Setting is one resolved value.
type Setting struct {
	Flag   string
	Key    string
	Type   string   // the flag's type: "string", "int", "duration", "stringSlice"...
	Value  string   // as the flag prints it
	List   []string // the elements of a list flag
	Source Source
	Secret bool
	Line   int // in the file, for FromFile
}

// Config is a resolved configuration.
type Config struct {
	File     string
	Settings []Setting // by key
	schema   *Schema
}

// Get returns the setting of a flag.
func (c *Config) Get(flag string) (Setting, bool) {
	for _, s := range c.Settings {
		if s.Flag == flag {
			return s, true
		}
	}
	return Setting{}, false
}

// Resolve sets each flag of fs that the command line left alone from the
// environment (lookupEnv), else from the TOML file at path (if path is
// not empty), and returns where every value came from.
func Resolve(fs *pflag.FlagSet, s *Schema, path string, lookupEnv func(string) (string, bool)) (*Config, error) {
	file, err := readFile(path, s, fs)
	if err != nil {
		return nil, err
	}
	c := &Config{File: path, schema: s}
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		if slices.Contains(s.Skip, f.Name) || f.Name == "help" {
			return
		}
		st := Setting{Flag: f.Name, Key: s.Key(f.Name), Secret: slices.Contains(s.Secret, f.Name), Source: FromDefault}
		switch v, inEnv := lookupEnv(Env(f.Name)); {
		case f.Changed:
			st.Source = FromFlag
		case inEnv:
			if err := setValue(f, []string{v}); err != nil {
				errs = append(errs, fmt.Errorf("%w: %s=%q: %v", ErrConfig, Env(f.Name), v, err))
				return
			}
			st.Source = FromEnv
		default:
			if fv, ok := file[st.Key]; ok {
				if err := setValue(f, fv.values); err != nil {
					errs = append(errs, &Error{File: path, Line: fv.line, Key: st.Key, Msg: err.Error()})
					return
				}
				st.Source, st.Line = FromFile, fv.line
			}
		}
		st.Type, st.Value = f.Value.Type(), f.Value.String()
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			st.List = sv.GetSlice()
		}
		c.Settings = append(c.Settings, st)
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sort.SliceStable(c.Settings, func(i, j int) bool { return keyLess(c.Settings[i].Key, c.Settings[j].Key) })
	return c, nil
}

// keyLess puts top-level keys before tables, as TOML needs them.
func keyLess(a, b string) bool {
	ta, tb := strings.Contains(a, "."), strings.Contains(b, ".")
	if ta != tb {
		return !ta
	}
	return a < b
}

// setValue sets f from values, replacing its default: a list flag takes
// every element.
func setValue(f *pflag.Flag, values []string) error {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return sv.Replace(values)
	}
	if len(values) != 1 {
		return fmt.Errorf("want one value, got a list of %d", len(values))
	}
	return f.Value.Set(values[0])
}

type fileValue struct {
	values []string
	line   int
}

// readFile decodes the TOML file into flag-ready strings by dotted key,
// checking every key against the flags and every value against its
// flag's type.
func readFile(path string, s *Schema, fs *pflag.FlagSet) (map[string]fileValue, error) {
	if path == "" {
		return nil, nil
	}
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	var raw map[string]any
	if _, err := toml.Decode(string(text), &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &Error{File: path, Line: pe.Position.Line, Msg: pe.Message}
		}
		return nil, &Error{File: path, Msg: err.Error()}
	}
	byKey := map[string]*pflag.Flag{}
	fs.VisitAll(func(f *pflag.Flag) {
		if !slices.Contains(s.Skip, f.Name) && f.Name != "help" {
			byKey[s.Key(f.Name)] = f
		}
	})
	lines := keyLines(text)
	out := map[string]fileValue{}
	var walk func(prefix string, m map[string]any) error
	walk = func(prefix string, m map[string]any) error {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			key := prefix + k
			v := m[k]
			if sub, ok := v.(map[string]any); ok && byKey[key] == nil {
				if slices.Contains(s.Groups, key) || key == "nats" {
					if err := walk(key+".", sub); err != nil {
						return err
					}
					continue
				}
			}
			f := byKey[key]
			if f == nil {
				return &Error{File: path, Line: lines[key], Key: key, Msg: "unknown key"}
			}
			vals, err := flagStrings(f, v)
			if err != nil {
				return &Error{File: path, Line: lines[key], Key: key, Msg: err.Error()}
			}
			out[key] = fileValue{values: vals, line: lines[key]}
		}
		return nil
	}
	if err := walk("", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// flagStrings checks a TOML value against the flag's type and returns it
// as the strings the flag's Set takes.
func flagStrings(f *pflag.Flag, v any) ([]string, error) {
	typ := f.Value.Type()
	wrong := func() ([]string, error) {
		return nil, fmt.Errorf("want %s, got %s %v", tomlTypeOf(typ), tomlKind(v), tomlQuote(v))
	}
	switch typ {
	case "bool":
		if b, ok := v.(bool); ok {
			return []string{strconv.FormatBool(b)}, nil
		}
	case "int", "int64", "int32", "uint", "uint64", "uint32":
		if n, ok := v.(int64); ok {
			return []string{strconv.FormatInt(n, 10)}, nil
		}
	case "float64", "float32":
		switch n := v.(type) {
		case float64:
			return []string{strconv.FormatFloat(n, 'g', -1, 64)}, nil
		case int64:
			return []string{strconv.FormatInt(n, 10)}, nil
		}
	case "duration":
		if s, ok := v.(string); ok {
			if _, err := time.ParseDuration(s); err != nil && s != "0" {
				return nil, fmt.Errorf("want a duration such as \"10s\", got %q", s)
			}
			return []string{s}, nil
		}
	case "stringSlice", "stringArray", "strings":
		switch x := v.(type) {
		case string:
			return []string{x}, nil
		case []any:
			out := make([]string, 0, len(x))
			for _, e := range x {
				s, ok := e.(string)
				if !ok {
					return wrong()
				}
				out = append(out, s)
			}
			return out, nil
		}
	default: // string and the values of netkit's own types, set from text
		if s, ok := v.(string); ok {
			return []string{s}, nil
		}
	}
	return wrong()
}

func tomlTypeOf(flagType string) string {
	switch flagType {
	case "bool":
		return "a boolean"
	case "int", "int64", "int32", "uint", "uint64", "uint32":
		return "an integer"
	case "float64", "float32":
		return "a number"
	case "duration":
		return "a duration string"
	case "stringSlice", "stringArray", "strings":
		return "a string or an array of strings"
	}
	return "a string"
}

func tomlKind(v any) string {
	switch v.(type) {
	case bool:
		return "boolean"
	case int64:
		return "integer"
	case float64:
		return "float"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "table"
	}
	return fmt.Sprintf("%T", v)
}

func tomlQuote(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	if _, ok := v.(map[string]any); ok {
		return ""
	}
	return fmt.Sprint(v)
}

var (
	tableRe = regexp.MustCompile(`^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]`)
	keyRe   = regexp.MustCompile(`^\s*"?([A-Za-z0-9_-]+)"?\s*=`)
)

// keyLines finds the line of each dotted key in TOML text, for messages:
// the decoder does not report key positions.
func keyLines(text []byte) map[string]int {
	out := map[string]int{}
	table := ""
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if m := tableRe.FindStringSubmatch(line); m != nil {
			table = m[1]
			out[table] = n
			continue
		}
		if m := keyRe.FindStringSubmatch(line); m != nil {
			key := m[1]
			if table != "" {
				key = table + "." + key
			}
			if _, seen := out[key]; !seen {
				out[key] = n
			}
		}
	}
	return out
}

// WriteTOML prints the configuration as TOML that Resolve reads back,
// each value with a comment saying where it came from; secrets are
// masked.
func (c *Config) WriteTOML(w io.Writer) error {
	bw := bufio.NewWriter(w)
	table := ""
	for _, s := range c.Settings {
		t, k := "", s.Key
		if i := strings.LastIndexByte(s.Key, '.'); i >= 0 {
			t, k = s.Key[:i], s.Key[i+1:]
		}
		if t != table {
			fmt.Fprintf(bw, "\n[%s]\n", t)
			table = t
		}
		value := s.toml()
		if s.Secret && s.Value != "" {
			value = `"***"`
		}
		from := string(s.Source)
		switch s.Source {
		case FromEnv:
			from += " " + Env(s.Flag)
		case FromFile:
			from += fmt.Sprintf(" %s:%d", c.File, s.Line)
		case FromFlag:
			from += " --" + s.Flag
		}
		fmt.Fprintf(bw, "%s = %s # %s\n", k, value, from)
	}
	return bw.Flush()
}

// toml is the setting's value as TOML.
func (s Setting) toml() string {
	switch s.Type {
	case "bool", "int", "int64", "int32", "uint", "uint64", "uint32":
		return s.Value
	case "float64", "float32":
		return s.Value
	}
	if s.List != nil {
		q := make([]string, len(s.List))
		for i, e := range s.List {
			q[i] = strconv.Quote(e)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	return strconv.Quote(s.Value)
}
