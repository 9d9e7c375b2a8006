package pretty

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/alecthomas/chroma/v2/styles"
)

// ErrUnknownStyle is a --style name neither chroma nor HTTPie knows.
var ErrUnknownStyle = errors.New("unknown style")

// httpieStyles maps HTTPie 3.2's style names that chroma lacks to the
// chroma style closest to them. HTTPie's own are "auto", the default,
// which leaves the shades to the terminal's 16 colours (as any style
// does here: Highlight writes 16-colour output), and the "pie" family,
// drawn for dark and light backgrounds; the others are Pygments styles
// under another name, or without a chroma port (given a near one).
var httpieStyles = map[string]string{
	"auto":               DefaultStyle,
	"pie":                "dracula", // pink, purple and green on a dark background, as pie-dark
	"pie-dark":           "dracula",
	"pie-light":          "github",
	"default":            "pygments",
	"solarized":          "solarized-dark",
	"gruvbox-dark":       "gruvbox",
	"nord-darker":        "nord",
	"one-dark":           "onedark",
	"friendly_grayscale": "friendly",
	"material":           "onedark",
	"zenburn":            "native",
	"inkpot":             "native",
	"stata":              "vs",
	"stata-light":        "vs",
	"stata-dark":         "native",
	"lilypond":           "pygments",
	"sas":                "pygments",
	"staroffice":         "pygments",
}

// StyleNames lists the names ResolveStyle takes: chroma's styles and
// HTTPie's, sorted.
func StyleNames() []string {
	names := styles.Names()
	for n := range httpieStyles {
		if styles.Registry[n] == nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// ResolveStyle returns the chroma style that --style name stands for: a
// chroma style by its own name, or one of HTTPie's names (see
// httpieStyles). An unknown name is an error that lists the valid ones,
// as HTTPie refuses it too.
func ResolveStyle(name string) (string, error) {
	if s, ok := httpieStyles[name]; ok {
		return s, nil
	}
	if styles.Registry[name] != nil {
		return name, nil
	}
	return "", fmt.Errorf("%w %q: want one of %s", ErrUnknownStyle, name, strings.Join(StyleNames(), ", "))
}
