package pretty

import (
	"errors"
	"slices"
	"testing"

	"github.com/alecthomas/chroma/v2/styles"
)

func TestResolveStyle(t *testing.T) {
	for _, tt := range []struct {
		name, want string
		unknown    bool
	}{
		{name: "auto", want: DefaultStyle},
		{name: "monokai", want: "monokai"},
		{name: "solarized-light", want: "solarized-light"},
		{name: "pie", want: "dracula"},
		{name: "pie-light", want: "github"},
		{name: "one-dark", want: "onedark"},
		{name: "nope", unknown: true},
		{name: "", unknown: true},
	} {
		got, err := ResolveStyle(tt.name)
		if got != tt.want || errors.Is(err, ErrUnknownStyle) != tt.unknown {
			t.Errorf("ResolveStyle(%q) = %q, %v; want %q, unknown %v", tt.name, got, err, tt.want, tt.unknown)
		}
	}
}

// TestHTTPieStyles: every name of HTTPie 3.2's --style list is taken,
// and each maps to a style chroma has.
func TestHTTPieStyles(t *testing.T) {
	httpie := []string{"abap", "algol", "algol_nu", "arduino", "auto", "autumn", "borland", "bw",
		"colorful", "default", "dracula", "emacs", "friendly", "friendly_grayscale", "fruity",
		"github-dark", "gruvbox-dark", "gruvbox-light", "igor", "inkpot", "lilypond", "lovelace",
		"manni", "material", "monokai", "murphy", "native", "nord", "nord-darker", "one-dark",
		"paraiso-dark", "paraiso-light", "pastie", "perldoc", "pie", "pie-dark", "pie-light",
		"rainbow_dash", "rrt", "sas", "solarized", "solarized-dark", "solarized-light", "staroffice",
		"stata", "stata-dark", "stata-light", "tango", "trac", "vim", "vs", "xcode", "zenburn"}
	names := StyleNames()
	for _, n := range httpie {
		s, err := ResolveStyle(n)
		if err != nil || styles.Registry[s] == nil || !slices.Contains(names, n) {
			t.Errorf("--style %s: %q, %v (listed: %v)", n, s, err, slices.Contains(names, n))
		}
	}
}
