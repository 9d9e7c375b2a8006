package urlparse

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// goldenCase is one line of testdata/golden.jsonl, written by
// scripts/urlgolden/generate.py from CPython 3.11's urllib.parse.
type goldenCase struct {
	Fn string `json:"fn"`

	// urlsplit, urlparse, urljoin
	URL            string `json:"url"`
	Scheme         string `json:"scheme"`
	AllowFragments bool   `json:"allow_fragments"`
	Base           string `json:"base"`
	Geturl         string `json:"geturl"`
	Regeturl       string `json:"regeturl"`
	Username       *string
	Password       *string
	Hostname       *string
	Port           *int
	PortError      string `json:"port_error"`
	Components     []string

	// quote, unquote, parse_qs(l), urlencode
	S        string            `json:"s"`
	Safe     *string           `json:"safe"`
	QS       string            `json:"qs"`
	Options  map[string]any    `json:"options"`
	Query    []json.RawMessage `json:"query"`
	Doseq    bool              `json:"doseq"`
	QuoteVia string            `json:"quote_via"`

	Result json.RawMessage `json:"result"`
	Error  *string         `json:"error"`
}

// TestConformance replays CPython's results and reports every mismatch.
func TestConformance(t *testing.T) {
	f, err := os.Open("testdata/golden.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	counts := map[string]int{}
	line := 0
	for sc.Scan() {
		line++
		var c goldenCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("golden line %d: %v", line, err)
		}
		counts[c.Fn]++
		if msg := checkCase(&c); msg != "" {
			t.Errorf("golden line %d: %s", line, msg)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if line < 1500 {
		t.Errorf("golden file has %d cases, want at least 1500", line)
	}
	t.Logf("%d cases: %v", line, counts)
}

// pyErrorSentinel maps a CPython ValueError message to the error the
// package returns for it.
func pyErrorSentinel(msg string) error {
	switch {
	case msg == "Invalid IPv6 URL":
		return ErrInvalidIPv6
	case msg == "IPvFuture address is invalid", msg == "An IPv4 address cannot be in brackets",
		strings.HasSuffix(msg, "does not appear to be an IPv4 or IPv6 address"):
		return ErrInvalidHost
	case strings.Contains(msg, "NFKC"):
		return ErrNetlocNFKC
	case strings.HasPrefix(msg, "Port could not be cast"):
		return ErrInvalidPort
	case strings.HasPrefix(msg, "Port out of range"):
		return ErrPortRange
	case msg == "Max number of fields exceeded":
		return ErrTooManyFields
	case strings.HasPrefix(msg, "bad query field"):
		return ErrBadQueryField
	}
	return errors.New("unknown Python error " + msg)
}

// checkErr compares a Go error with CPython's outcome; done is true when
// there was an error on either side.
func checkErr(c *goldenCase, err error) (msg string, done bool) {
	switch {
	case c.Error == nil && err == nil:
		return "", false
	case c.Error == nil:
		return "unexpected error " + err.Error(), true
	case err == nil:
		return "no error, Python raised ValueError(" + strconv.Quote(*c.Error) + ")", true
	}
	if want := pyErrorSentinel(*c.Error); !errors.Is(err, want) {
		return "error " + err.Error() + ", want " + want.Error() + " (Python: " + strconv.Quote(*c.Error) + ")", true
	}
	return "", true
}

func want[T any](c *goldenCase) T {
	var v T
	if err := json.Unmarshal(c.Result, &v); err != nil {
		panic(err)
	}
	return v
}

func diff(call string, want, got any) string {
	if d := cmp.Diff(want, got); d != "" {
		return call + " mismatch (-python +go):\n" + d
	}
	return ""
}

func checkCase(c *goldenCase) string {
	opt := Options{Scheme: c.Scheme, NoFragments: !c.AllowFragments}
	switch c.Fn {
	case "urlsplit", "urlparse":
		call := c.Fn + "(" + strconv.Quote(c.URL) + ", " + strconv.Quote(c.Scheme) + ", " + strconv.FormatBool(c.AllowFragments) + ")"
		var got []string
		var s SplitResult
		var geturl, regeturl string
		var err error
		if c.Fn == "urlsplit" {
			s, err = opt.Split(c.URL)
			got = []string{s.Scheme, s.Netloc, s.Path, s.Query, s.Fragment}
			geturl = s.String()
			if err == nil {
				again, err2 := opt.Split(geturl)
				if err2 != nil {
					return call + ": reparse: " + err2.Error()
				}
				regeturl = again.String()
			}
		} else {
			var p ParseResult
			p, err = opt.Parse(c.URL)
			got = []string{p.Scheme, p.Netloc, p.Path, p.Params, p.Query, p.Fragment}
			geturl = p.String()
			s = SplitResult{Netloc: p.Netloc}
			if err == nil {
				again, err2 := opt.Parse(geturl)
				if err2 != nil {
					return call + ": reparse: " + err2.Error()
				}
				regeturl = again.String()
			}
		}
		if msg, done := checkErr(c, err); done {
			if msg != "" {
				return call + ": " + msg
			}
			return ""
		}
		if d := diff(call, want[[]string](c), got); d != "" {
			return d
		}
		if geturl != c.Geturl || regeturl != c.Regeturl {
			return call + ": geturl " + strconv.Quote(geturl) + ", again " + strconv.Quote(regeturl) +
				"; Python " + strconv.Quote(c.Geturl) + ", " + strconv.Quote(c.Regeturl)
		}
		var gotAttrs, wantAttrs []any
		user, ok := s.Username()
		gotAttrs = append(gotAttrs, optional(user, ok))
		pass, ok := s.Password()
		gotAttrs = append(gotAttrs, optional(pass, ok))
		host := s.Hostname()
		gotAttrs = append(gotAttrs, optional(host, host != ""))
		port, ok, perr := s.Port()
		gotAttrs = append(gotAttrs, optional(port, ok))
		wantAttrs = append(wantAttrs, deref(c.Username), deref(c.Password), deref(c.Hostname), deref(c.Port))
		if d := diff(call+" username/password/hostname/port", wantAttrs, gotAttrs); d != "" {
			return d
		}
		if c.PortError != "" || perr != nil {
			pe := c.PortError
			c.Error = &pe
			if c.PortError == "" {
				c.Error = nil
			}
			if msg, _ := checkErr(c, perr); msg != "" {
				return call + ".port: " + msg
			}
		}
	case "urldefrag":
		call := "urldefrag(" + strconv.Quote(c.URL) + ")"
		u, frag, err := Defrag(c.URL)
		if msg, done := checkErr(c, err); done {
			if msg != "" {
				return call + ": " + msg
			}
			return ""
		}
		return diff(call, want[[]string](c), []string{u, frag})
	case "urlunsplit":
		k := c.Components
		return diff("urlunsplit("+strings.Join(k, ",")+")", want[string](c), Unsplit(k[0], k[1], k[2], k[3], k[4]))
	case "urlunparse":
		k := c.Components
		return diff("urlunparse("+strings.Join(k, ",")+")", want[string](c), Unparse(k[0], k[1], k[2], k[3], k[4], k[5]))
	case "urljoin":
		call := "urljoin(" + strconv.Quote(c.Base) + ", " + strconv.Quote(c.URL) + ", " + strconv.FormatBool(c.AllowFragments) + ")"
		got, err := Options{NoFragments: !c.AllowFragments}.Join(c.Base, c.URL)
		if msg, done := checkErr(c, err); done {
			if msg != "" {
				return call + ": " + msg
			}
			return ""
		}
		return diff(call, want[string](c), got)
	case "quote", "quote_plus":
		call := c.Fn + "(" + strconv.Quote(c.S) + ", " + strconv.Quote(*c.Safe) + ")"
		got := Quote(c.S, *c.Safe)
		if c.Fn == "quote_plus" {
			got = QuotePlus(c.S, *c.Safe)
		}
		return diff(call, want[string](c), got)
	case "unquote", "unquote_plus":
		call := c.Fn + "(" + strconv.Quote(c.S) + ")"
		got := Unquote(c.S)
		if c.Fn == "unquote_plus" {
			got = UnquotePlus(c.S)
		}
		return diff(call, want[string](c), got)
	case "parse_qsl", "parse_qs":
		qo := QueryOptions{}
		qo.KeepBlank, _ = c.Options["keep_blank_values"].(bool)
		qo.Strict, _ = c.Options["strict_parsing"].(bool)
		if n, ok := c.Options["max_num_fields"].(float64); ok {
			qo.MaxNumFields = int(n)
		}
		qo.Separator, _ = c.Options["separator"].(string)
		call := c.Fn + "(" + strconv.Quote(c.QS) + ", " + strconv.Quote(strings.TrimPrefix(strings.TrimSpace(string(mustJSON(c.Options))), "")) + ")"
		if c.Fn == "parse_qsl" {
			got, err := ParseQSL(c.QS, qo)
			if msg, done := checkErr(c, err); done {
				if msg != "" {
					return call + ": " + msg
				}
				return ""
			}
			var gotPairs [][]string
			for _, p := range got {
				gotPairs = append(gotPairs, []string{p.Key, p.Value})
			}
			w := want[[][]string](c)
			if len(w) == 0 && len(gotPairs) == 0 {
				return ""
			}
			return diff(call, w, gotPairs)
		}
		got, err := ParseQS(c.QS, qo)
		if msg, done := checkErr(c, err); done {
			if msg != "" {
				return call + ": " + msg
			}
			return ""
		}
		var gotFields [][]any
		for _, f := range got {
			vs := make([]any, len(f.Values))
			for i, v := range f.Values {
				vs[i] = v
			}
			gotFields = append(gotFields, []any{f.Key, vs})
		}
		w := want[[][]any](c)
		if len(w) == 0 && len(gotFields) == 0 {
			return ""
		}
		return diff(call, w, gotFields)
	case "urlencode":
		var params []Param
		for _, raw := range c.Query {
			var kv []json.RawMessage
			mustUnmarshal(raw, &kv)
			params = append(params, Param{untag(kv[0]), untag(kv[1])})
		}
		eo := EncodeOptions{Doseq: c.Doseq}
		if c.Safe != nil {
			eo.Safe = *c.Safe
		}
		if c.QuoteVia == "quote" {
			eo.QuoteVia = Quote
		}
		return diff("urlencode("+string(mustJSON(c.Query))+", doseq="+strconv.FormatBool(c.Doseq)+")", want[string](c), URLEncode(params, eo))
	default:
		return "unknown function " + c.Fn
	}
	return ""
}

func optional[T any](v T, ok bool) any {
	if !ok {
		return nil
	}
	return v
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func mustUnmarshal(b []byte, v any) {
	if err := json.Unmarshal(b, v); err != nil {
		panic(err)
	}
}

// untag rebuilds a Python value from the generator's ["type", value] form.
func untag(raw json.RawMessage) any {
	var t []json.RawMessage
	mustUnmarshal(raw, &t)
	var kind string
	mustUnmarshal(t[0], &kind)
	switch kind {
	case "none":
		return nil
	case "bool":
		var b bool
		mustUnmarshal(t[1], &b)
		return b
	case "int":
		var s string
		mustUnmarshal(t[1], &s)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
		n, _ := new(big.Int).SetString(s, 10)
		return n
	case "float":
		var s string
		mustUnmarshal(t[1], &s)
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			panic(err)
		}
		return f
	case "str":
		var s string
		mustUnmarshal(t[1], &s)
		return s
	case "bytes":
		var s string
		mustUnmarshal(t[1], &s)
		b, err := hex.DecodeString(s)
		if err != nil {
			panic(err)
		}
		return b
	case "list", "tuple":
		var elems []json.RawMessage
		mustUnmarshal(t[1], &elems)
		out := make([]any, len(elems))
		for i, e := range elems {
			out[i] = untag(e)
		}
		if kind == "tuple" {
			return Tuple(out)
		}
		return out
	case "dict":
		var items [][]json.RawMessage
		mustUnmarshal(t[1], &items)
		d := Dict{}
		for _, kv := range items {
			d = append(d, Param{untag(kv[0]), untag(kv[1])})
		}
		return d
	}
	panic("untag: unknown kind " + kind)
}
