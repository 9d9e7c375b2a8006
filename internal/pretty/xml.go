package pretty

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
)

// MaxXMLDepth bounds the nesting FormatXML follows; deeper documents are
// left as they are.
const MaxXMLDepth = 256

type xmlNode struct {
	start    *xml.StartElement // nil for text, comments and instructions
	text     string            // text, or a comment's or instruction's markup
	children []*xmlNode
}

// FormatXML indents an XML document by two spaces, one element a line,
// as HTTPie shows XML on a terminal (Python's minidom toprettyxml): an
// element with no content closes itself, one with only text keeps it on
// its line, whitespace between elements goes. ok is false, and data
// should be shown as it is, for anything that does not parse.
func FormatXML(data []byte) (string, bool) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	// The text is UTF-8 already, whatever its declaration says.
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	root := &xmlNode{}
	stack := []*xmlNode{root}
	var b strings.Builder
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil || len(stack) > MaxXMLDepth {
			return "", false
		}
		top := stack[len(stack)-1]
		switch t := tok.(type) {
		case xml.StartElement:
			se := t.Copy()
			n := &xmlNode{start: &se}
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			// RawToken leaves the matching of tags to its caller.
			if len(stack) == 1 || rawName(top.start.Name) != rawName(t.Name) {
				return "", false
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			// Text is kept as it is, spaces included, as minidom keeps it;
			// text of spaces alone, between elements, goes.
			if strings.TrimSpace(string(t)) != "" {
				if len(stack) == 1 {
					return "", false // text outside the root element: no XML document
				}
				top.children = append(top.children, &xmlNode{text: escapeText(string(t))})
			}
		case xml.Comment:
			top.children = append(top.children, &xmlNode{text: "<!--" + string(t) + "-->"})
		case xml.ProcInst:
			if t.Target == "xml" && len(stack) == 1 && len(root.children) == 0 {
				b.WriteString("<?xml " + string(t.Inst) + "?>\n")
				continue
			}
			top.children = append(top.children, &xmlNode{text: "<?" + t.Target + " " + string(t.Inst) + "?>"})
		case xml.Directive:
			top.children = append(top.children, &xmlNode{text: "<!" + string(t) + ">"})
		}
	}
	elements := 0
	for _, c := range root.children {
		if c.start != nil {
			elements++
		}
	}
	if len(stack) != 1 || elements == 0 {
		return "", false
	}
	for _, c := range root.children {
		writeXML(&b, c, 0)
	}
	return strings.TrimRight(b.String(), "\n"), true
}

func writeXML(b *strings.Builder, n *xmlNode, depth int) {
	indent := strings.Repeat("  ", depth)
	if n.start == nil {
		// A text of several lines keeps them; HTTPie then drops the lines
		// of spaces alone.
		for _, line := range strings.Split(indent+n.text, "\n") {
			if strings.TrimSpace(line) != "" {
				b.WriteString(line + "\n")
			}
		}
		return
	}
	open := "<" + rawName(n.start.Name)
	for _, a := range n.start.Attr {
		open += " " + rawName(a.Name) + `="` + escapeAttr(a.Value) + `"`
	}
	switch {
	case len(n.children) == 0:
		b.WriteString(indent + open + "/>\n")
	case len(n.children) == 1 && n.children[0].start == nil && !strings.HasPrefix(n.children[0].text, "<"):
		line := indent + open + ">" + n.children[0].text + "</" + rawName(n.start.Name) + ">\n"
		for _, l := range strings.SplitAfter(line, "\n") {
			if strings.TrimSpace(l) != "" {
				b.WriteString(l)
			}
		}
	default:
		b.WriteString(indent + open + ">\n")
		for _, c := range n.children {
			writeXML(b, c, depth+1)
		}
		b.WriteString(indent + "</" + rawName(n.start.Name) + ">\n")
	}
}

func rawName(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

var (
	textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
)

func escapeText(s string) string { return textEscaper.Replace(s) }
func escapeAttr(s string) string { return attrEscaper.Replace(s) }
