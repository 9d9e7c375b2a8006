package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// goldenRow is one case of the CPython table (urlparse/testdata/
// golden.jsonl, made by scripts/urlgolden/generate.py with CPython 3.11).
type goldenRow struct {
	Fn             string          `json:"fn"`
	URL            string          `json:"url"`
	Scheme         string          `json:"scheme"`
	AllowFragments *bool           `json:"allow_fragments"`
	Base           string          `json:"base"`
	Components     []string        `json:"components"`
	S              string          `json:"s"`
	Safe           *string         `json:"safe"`
	QS             string          `json:"qs"`
	Options        map[string]any  `json:"options"`
	Query          [][2][2]any     `json:"query"`
	Doseq          bool            `json:"doseq"`
	QuoteVia       string          `json:"quote_via"`
	Result         json.RawMessage `json:"result"`
	Error          string          `json:"error"`
	Username       *string         `json:"username"`
	Password       *string         `json:"password"`
	Hostname       *string         `json:"hostname"`
	Port           *int            `json:"port"`
	PortError      string          `json:"port_error"`
}

func loadGolden(t *testing.T) []goldenRow {
	t.Helper()
	f, err := os.Open("../../urlparse/testdata/golden.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []goldenRow
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r goldenRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	return rows
}

// goldenCall is one netkit url invocation: its flags and inputs (given as
// arguments, so that inputs with line breaks pass whole), and the JSON
// line each input should print ("null" for an error).
type goldenCall struct {
	args   []string
	inputs []string
	want   []string
}

func jsonLine(t *testing.T, v any) string {
	s, err := marshalNoEscape(v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestURLGolden runs every case of the CPython table, for every function,
// through the netkit url command that gives it.
func TestURLGolden(t *testing.T) {
	calls := map[string]*goldenCall{}
	add := func(key string, args []string, in, want string) {
		c := calls[key]
		if c == nil {
			c = &goldenCall{args: args}
			calls[key] = c
		}
		c.inputs = append(c.inputs, in)
		c.want = append(c.want, want)
	}
	skipped := 0
	for _, r := range loadGolden(t) {
		noFrag := r.AllowFragments != nil && !*r.AllowFragments
		switch r.Fn {
		case "urlsplit", "urlparse":
			cmd := strings.TrimPrefix(r.Fn, "url")
			args := []string{"url", cmd, "--json", "--scheme", r.Scheme}
			if noFrag {
				args = append(args, "--no-fragments")
			}
			want := "null"
			if r.Error == "" {
				var parts []string
				json.Unmarshal(r.Result, &parts)
				j := urlParseJSON{Scheme: parts[0], Netloc: parts[1], Path: parts[2], Username: r.Username, Password: r.Password,
					Hostname: r.Hostname, Port: r.Port, PortError: r.PortError}
				if cmd == "parse" {
					j.Params = &parts[3]
					j.Query, j.Fragment = parts[4], parts[5]
				} else {
					j.Query, j.Fragment = parts[3], parts[4]
				}
				want = jsonLine(t, j)
			}
			add(fmt.Sprint(args), args, r.URL, want)
		case "urljoin":
			args := []string{"url", "join", "--json", r.Base}
			if noFrag {
				args = append(args, "--no-fragments")
			}
			want := "null"
			if r.Error == "" {
				want = string(r.Result)
			}
			add(fmt.Sprint(args), args, r.URL, want)
		case "urldefrag":
			add("defrag", []string{"url", "defrag", "--json"}, r.URL, compact(t, r.Result))
		case "urlunsplit", "urlunparse":
			cmd := strings.TrimPrefix(r.Fn, "url")
			add(cmd, []string{"url", cmd, "--json"}, jsonLine(t, r.Components), compact(t, r.Result))
		case "quote", "quote_plus", "unquote", "unquote_plus":
			verb := strings.TrimSuffix(r.Fn, "_plus")
			args := []string{"url", verb, "--json"}
			if strings.HasSuffix(r.Fn, "_plus") {
				args = append(args, "--plus")
			}
			if r.Safe != nil {
				args = append(args, "--safe", *r.Safe)
			}
			add(fmt.Sprint(args), args, r.S, compact(t, r.Result))
		case "parse_qsl", "parse_qs":
			args := []string{"url", "query", "parse", "--json"}
			for k, v := range r.Options {
				switch k {
				case "keep_blank_values":
					if v == true {
						args = append(args, "--keep-blank")
					}
				case "strict_parsing":
					if v == true {
						args = append(args, "--strict")
					}
				case "max_num_fields":
					args = append(args, "--max-fields", fmt.Sprint(v))
				case "separator":
					args = append(args, "--separator", fmt.Sprint(v))
				default:
					t.Fatalf("option %s of %s is not mapped to a flag", k, r.Fn)
				}
			}
			want := "null"
			if r.Fn == "parse_qs" {
				args = append(args, "--dict")
				if r.Error == "" {
					// The table keeps the dict as [key, [values]] pairs.
					var pairs [][2]json.RawMessage
					json.Unmarshal(r.Result, &pairs)
					var b strings.Builder
					b.WriteByte('{')
					for i, p := range pairs {
						if i > 0 {
							b.WriteByte(',')
						}
						b.WriteString(compact(t, p[0]) + ":" + compact(t, p[1]))
					}
					b.WriteByte('}')
					want = b.String()
				}
			} else if r.Error == "" {
				want = compact(t, r.Result)
			}
			add(fmt.Sprint(args), args, r.QS, want)
		case "urlencode":
			args := []string{"url", "encode", "--json"}
			if r.Doseq {
				args = append(args, "--doseq")
			}
			if r.QuoteVia != "" {
				args = append(args, "--quote-via", r.QuoteVia)
			}
			if r.Safe != nil {
				args = append(args, "--safe", *r.Safe)
			}
			in, ok := encodeInput(r.Query)
			if !ok {
				skipped++
				continue
			}
			add(fmt.Sprint(args), args, in, compact(t, r.Result))
		default:
			t.Fatalf("function %s has no netkit url command here", r.Fn)
		}
	}
	n := 0
	for key, c := range calls {
		// "--" so that an input starting with "-" is not taken for a flag.
		code, out, stderr := run(t, "", append(append(c.args, "--"), c.inputs...)...)
		got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(got) != len(c.want) {
			t.Errorf("%s: %d lines for %d inputs (exit %d, %s)", key, len(got), len(c.want), code, stderr)
			continue
		}
		for i := range got {
			n++
			if got[i] != c.want[i] {
				t.Errorf("netkit %s %q:\n got %s\nwant %s", strings.Join(c.args, " "), c.inputs[i], got[i], c.want[i])
			}
		}
	}
	t.Logf("%d cases through %d invocations (%d urlencode cases skipped: bytes, tuples, infinity and NaN, which JSON cannot carry)", n, len(calls), skipped)
}

func compact(t *testing.T, raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return jsonLine(t, v)
}

// encodeInput turns a table query, pairs of [type, value] sides, into the
// JSON array of pairs `netkit url encode` takes; false for Python types
// that JSON cannot carry (bytes, tuples).
func encodeInput(q [][2][2]any) (string, bool) {
	var pairs [][2]any
	for _, p := range q {
		var kv [2]any
		for i, side := range p {
			v, ok := goldenValue(side)
			if !ok {
				return "", false
			}
			kv[i] = v
		}
		pairs = append(pairs, kv)
	}
	b, _ := json.Marshal(pairs)
	return string(b), true
}

func goldenValue(side [2]any) (any, bool) {
	typ, _ := side[0].(string)
	switch typ {
	case "str":
		return side[1], true
	case "int":
		return json.Number(fmt.Sprint(side[1])), true
	case "float":
		s := fmt.Sprint(side[1])
		if strings.Contains(s, "inf") || strings.Contains(s, "nan") {
			return nil, false // JSON has no infinity or NaN
		}
		if !strings.ContainsAny(s, ".eEn") {
			s += ".0"
		}
		return json.Number(s), true
	case "bool":
		return side[1] == "True" || side[1] == true, true
	case "none":
		return nil, true
	case "list":
		elems, _ := side[1].([]any)
		out := make([]any, 0, len(elems))
		for _, e := range elems {
			pair, ok := e.([]any)
			if !ok || len(pair) != 2 {
				return nil, false
			}
			v, ok := goldenValue([2]any{pair[0], pair[1]})
			if !ok {
				return nil, false
			}
			out = append(out, v)
		}
		return out, true
	}
	return nil, false
}
