package chat

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in   string
		want command
	}{
		{"hello", command{arg: "hello"}},
		{"/nick alice", command{name: "nick", arg: "alice"}},
		{"/NICK  alice ", command{name: "nick", arg: "alice"}},
		{"/who", command{name: "who"}},
		{"/quit see you later", command{name: "quit", arg: "see you later"}},
		{"//slash", command{arg: "/slash"}},
		{"/", command{}},
	}
	for _, tt := range tests {
		if got := parseCommand(tt.in); got != tt.want {
			t.Errorf("parseCommand(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestFormatAndParseLine(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		line []byte
		want Line
	}{
		{welcome("127.0.0.1:5000", 2), Line{Kind: KindWelcome, Text: "Welcome! You are 127.0.0.1:5000. 2 client(s) connected."}},
		{formatMessage(at, "127.0.0.1:5000", "hi: there"), Line{Kind: KindMessage, Time: "03:04:05", From: "127.0.0.1:5000", Text: "hi: there"}},
		{formatMessage(at, "::1:5000", "v6"), Line{Kind: KindMessage, Time: "03:04:05", From: "::1:5000", Text: "v6"}},
		{formatMessage(at, "alice", ""), Line{Kind: KindMessage, Time: "03:04:05", From: "alice", Text: ""}},
		{formatNotice(at, "alice joined lobby"), Line{Kind: KindNotice, Time: "03:04:05", Text: "alice joined lobby"}},
		{formatError(at, "unknown command /x"), Line{Kind: KindError, Time: "03:04:05", Text: "unknown command /x"}},
		{[]byte("ECHO: hi\n"), Line{Kind: KindOther, Text: "ECHO: hi"}},
		{[]byte("[03:04:05] no colon\n"), Line{Kind: KindOther, Text: "[03:04:05] no colon"}},
		{[]byte("[3:04:05] a: b\n"), Line{Kind: KindOther, Text: "[3:04:05] a: b"}},
	}
	for _, tt := range tests {
		if got := ParseLine(string(tt.line)); got != tt.want {
			t.Errorf("ParseLine(%q) = %+v, want %+v", tt.line, got, tt.want)
		}
	}
}

// FuzzSanitize checks that relayed text is valid UTF-8 without control
// characters (but tab) or surrounding space, and that command parsing
// accepts anything.
func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"hello\n", "/nick alice\r\n", " \x1b[2J\x07 ", "\xff\xfe", "//x", "/join #Dev", "\t\ttab\t", "\u00a0nbsp\u3000"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := sanitize(b)
		if !utf8.ValidString(s) {
			t.Fatalf("sanitize(%q) = %q: invalid UTF-8", b, s)
		}
		for _, r := range s {
			if r != '\t' && unicode.IsControl(r) {
				t.Fatalf("sanitize(%q) = %q: control character %U", b, s, r)
			}
		}
		if s != strings.TrimFunc(s, isSpace) {
			t.Fatalf("sanitize(%q) = %q: surrounding space", b, s)
		}
		cmd := parseCommand(s)
		if cmd.name != strings.ToLower(cmd.name) || strings.ContainsRune(cmd.name, ' ') {
			t.Fatalf("parseCommand(%q) = %+v", s, cmd)
		}
		// What a server relays parses back to its parts.
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		if l := ParseLine(string(formatMessage(at, "alice", s))); l.Kind != KindMessage || l.From != "alice" || l.Text != s {
			t.Fatalf("ParseLine(formatMessage(%q)) = %+v", s, l)
		}
		if l := ParseLine(string(formatNotice(at, s))); l.Kind != KindNotice || l.Text != s {
			t.Fatalf("ParseLine(formatNotice(%q)) = %+v", s, l)
		}
	})
}

// FuzzParseLine checks that any line from a server parses without panic
// into a known kind, keeping its text.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		"Welcome! You are 127.0.0.1:50000. 1 client(s) connected.\n",
		"[09:00:00] 127.0.0.1:50000: Hello!\n",
		"[09:00:00] * alice joined lobby\n",
		"[09:00:00] ! unknown command /x; try /help\n",
		"[99:99:99] : \n", "[", "", "[09:00:00] ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l := ParseLine(s)
		switch l.Kind {
		case KindWelcome, KindOther:
			if l.Time != "" || l.From != "" {
				t.Fatalf("ParseLine(%q) = %+v", s, l)
			}
		case KindMessage:
			if l.From == "" || strings.ContainsRune(l.From, ' ') || len(l.Time) != 8 {
				t.Fatalf("ParseLine(%q) = %+v", s, l)
			}
		case KindNotice, KindError:
			if len(l.Time) != 8 {
				t.Fatalf("ParseLine(%q) = %+v", s, l)
			}
		default:
			t.Fatalf("ParseLine(%q) kind %q", s, l.Kind)
		}
	})
}
