package chat

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Name limits. IRC servers advertise similar ones (NICKLEN, CHANNELLEN).
const (
	MaxNickLen = 24
	MaxRoomLen = 32
)

// Errors returned by ValidNick and ValidRoom.
var (
	// ErrInvalidNick is returned by ValidNick for a name that is not an
	// acceptable nickname.
	ErrInvalidNick = errors.New("chat: invalid nickname")
	// ErrInvalidRoom is returned by ValidRoom for a name that is not an
	// acceptable room name.
	ErrInvalidRoom = errors.New("chat: invalid room name")
)

// command is one parsed client line.
type command struct {
	name string // "" for a plain message, else the command without '/', lower-cased
	arg  string // the message, or the command's argument
}

// parseCommand splits a client line (already cleaned by sanitize) into a
// command and its argument. "//text" is the message "/text", as IRC
// clients do it.
func parseCommand(line string) command {
	if !strings.HasPrefix(line, "/") || strings.HasPrefix(line, "//") {
		return command{arg: strings.TrimPrefix(line, "/")}
	}
	name, arg, _ := strings.Cut(line[1:], " ")
	return command{name: strings.ToLower(name), arg: strings.TrimSpace(arg)}
}

// sanitize turns the bytes of a received line into the text that is
// relayed: the newline and surrounding whitespace stripped (as Python's
// data.decode().strip()), invalid UTF-8 replaced by U+FFFD (where
// Python's strict decode would fail), and control characters other than tab
// removed, so that no client can send terminal escape sequences to the
// others.
func sanitize(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		switch {
		case r == utf8.RuneError && n <= 1:
			sb.WriteRune(utf8.RuneError)
		case r == '\t' || !unicode.IsControl(r):
			sb.WriteRune(r)
		}
	}
	return strings.TrimFunc(sb.String(), isSpace)
}

// isSpace reports whether Python's str.isspace holds for r.
func isSpace(r rune) bool { return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f }

// ValidNick returns ErrInvalidNick unless nick is an acceptable nickname:
// 1 to MaxNickLen ASCII characters, a letter first, then letters, digits,
// '-' or '_'. ASCII only keeps look-alike names out; no ':' keeps nicknames
// apart from the HOST:PORT names of clients without one.
func ValidNick(nick string) error {
	if nick == "" || len(nick) > MaxNickLen || !isLetter(nick[0]) {
		return ErrInvalidNick
	}
	for i := 1; i < len(nick); i++ {
		if c := nick[i]; !isLetter(c) && !isDigit(c) && c != '-' && c != '_' {
			return ErrInvalidNick
		}
	}
	return nil
}

// ValidRoom returns ErrInvalidRoom unless room is an acceptable room name
// (after CanonicalRoom): 1 to MaxRoomLen lower-case ASCII letters, digits,
// '-' or '_'.
func ValidRoom(room string) error {
	if room == "" || len(room) > MaxRoomLen {
		return ErrInvalidRoom
	}
	for i := 0; i < len(room); i++ {
		if c := room[i]; !(c >= 'a' && c <= 'z') && !isDigit(c) && c != '-' && c != '_' {
			return ErrInvalidRoom
		}
	}
	return nil
}

// CanonicalRoom returns the name a room is known by: lower-cased, without
// the '#' IRC users type out of habit.
func CanonicalRoom(room string) string { return strings.ToLower(strings.TrimPrefix(room, "#")) }

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// foldNick is the key nicknames are unique under: ASCII case folding.
func foldNick(nick string) string { return strings.ToLower(nick) }

// Line kinds, as Line.Kind reports them.
const (
	KindWelcome = "welcome" // the greeting sent on connect
	KindMessage = "message" // [T] NAME: text
	KindNotice  = "notice"  // [T] * text: joins, leaves, nick changes, /me, replies
	KindError   = "error"   // [T] ! text
	KindOther   = "other"   // any other line
)

// appendStamp appends "[HH:MM:SS] " for t.
func appendStamp(dst []byte, t time.Time) []byte {
	dst = append(dst, '[')
	dst = t.AppendFormat(dst, "15:04:05")
	return append(dst, ']', ' ')
}

// formatMessage returns "[HH:MM:SS] name: text\n".
func formatMessage(t time.Time, name, text string) []byte {
	b := make([]byte, 0, 13+len(name)+len(text))
	b = appendStamp(b, t)
	b = append(b, name...)
	b = append(b, ':', ' ')
	b = append(b, text...)
	return append(b, '\n')
}

// formatNotice returns "[HH:MM:SS] * text\n".
func formatNotice(t time.Time, text string) []byte {
	b := make([]byte, 0, 14+len(text))
	b = appendStamp(b, t)
	b = append(b, '*', ' ')
	b = append(b, text...)
	return append(b, '\n')
}

// formatError returns "[HH:MM:SS] ! text\n".
func formatError(t time.Time, text string) []byte {
	b := make([]byte, 0, 14+len(text))
	b = appendStamp(b, t)
	b = append(b, '!', ' ')
	b = append(b, text...)
	return append(b, '\n')
}

// welcome is the greeting Python's asyncio chat server sends, byte for
// byte.
func welcome(name string, clients int) []byte {
	return []byte("Welcome! You are " + name + ". " + strconv.Itoa(clients) + " client(s) connected.\n")
}

// Line is one line received from a chat server, split into its parts.
type Line struct {
	Kind string `json:"kind"`           // KindWelcome, KindMessage, KindNotice, KindError or KindOther
	Time string `json:"time,omitempty"` // "HH:MM:SS", empty for the welcome line
	From string `json:"from,omitempty"` // the sender of a message
	Text string `json:"text"`           // the message, notice or error text; the whole line otherwise
}

// ParseLine splits a line received from a chat server (with or without its
// newline). Lines that follow none of the protocol's shapes are KindOther,
// so a client can still show them.
func ParseLine(s string) Line {
	s = strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
	if strings.HasPrefix(s, "Welcome! ") {
		return Line{Kind: KindWelcome, Text: s}
	}
	if len(s) < 11 || s[0] != '[' || s[9] != ']' || s[10] != ' ' || !isClock(s[1:9]) {
		return Line{Kind: KindOther, Text: s}
	}
	ts, rest := s[1:9], s[11:]
	switch {
	case strings.HasPrefix(rest, "* "):
		return Line{Kind: KindNotice, Time: ts, Text: rest[2:]}
	case strings.HasPrefix(rest, "! "):
		return Line{Kind: KindError, Time: ts, Text: rest[2:]}
	}
	// Names hold no space (HOST:PORT or a nickname), so the first ": "
	// ends the name even when it is an address with colons.
	from, text, ok := strings.Cut(rest, ": ")
	if !ok || from == "" || strings.ContainsRune(from, ' ') {
		return Line{Kind: KindOther, Text: s}
	}
	return Line{Kind: KindMessage, Time: ts, From: from, Text: text}
}

// isClock reports whether s has the shape HH:MM:SS.
func isClock(s string) bool {
	for i := 0; i < 8; i++ {
		if i == 2 || i == 5 {
			if s[i] != ':' {
				return false
			}
		} else if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
