package pretty

import (
	"strings"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/formatters"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"
)

// DefaultStyle is the colour scheme of Highlight when none is named.
const DefaultStyle = "monokai"

// Styles lists the colour schemes --style takes.
func Styles() []string { return styles.Names() }

// Highlight colours text in the language lexer names ("json", "http",
// "xml", "html", or a media type such as "application/json") for a
// 16-colour terminal, whose own palette then decides the shades, in style
// (DefaultStyle when empty or unknown).
// Text no lexer knows comes back as it is.
func Highlight(text, lexer, style string) string {
	l := lexers.Get(lexer)
	if l == nil {
		l = lexers.MatchMimeType(lexer)
	}
	if l == nil {
		return text
	}
	l = chroma.Coalesce(l)
	st := styles.Get(style)
	if st == nil || style == "" {
		st = styles.Get(DefaultStyle)
	}
	it, err := l.Tokenise(nil, text)
	if err != nil {
		return text
	}
	var b strings.Builder
	if err := formatters.TTY16.Format(&b, st, it); err != nil {
		return text
	}
	return b.String()
}

// Lexes reports whether Highlight knows lexer (a name or a media type).
func Lexes(lexer string) bool {
	return lexer != "" && (lexers.Get(lexer) != nil || lexers.MatchMimeType(lexer) != nil)
}
