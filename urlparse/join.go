package urlparse

import "strings"

// Join is Python's urljoin(base, ref): ref resolved against base as RFC 3986
// section 5.2 describes, with dot segments removed (section 5.2.4). As in
// Python, a reference with a different scheme, or a scheme that does not
// allow relative references (mailto:, urn:, and any unknown scheme), is
// returned as it is, and ".." above the root is dropped.
func Join(base, ref string) (string, error) { return Options{}.Join(base, ref) }

// Join is Python's urljoin(base, ref, allow_fragments=not o.NoFragments).
// o.Scheme is not used: the base supplies the default scheme.
func (o Options) Join(base, ref string) (string, error) {
	if base == "" {
		return ref, nil
	}
	if ref == "" {
		return base, nil
	}
	po := Options{NoFragments: o.NoFragments}
	b, err := po.Parse(base)
	if err != nil {
		err.(*Error).Op = "join"
		return "", err
	}
	po.Scheme = b.Scheme
	r, err := po.Parse(ref)
	if err != nil {
		err.(*Error).Op = "join"
		return "", err
	}
	if r.Scheme != b.Scheme || !usesRelative(r.Scheme) {
		return ref, nil
	}
	if usesNetloc(r.Scheme) {
		if r.Netloc != "" {
			return r.String(), nil
		}
		r.Netloc = b.Netloc
	}
	if r.Path == "" && r.Params == "" {
		r.Path, r.Params = b.Path, b.Params
		if r.Query == "" {
			r.Query = b.Query
		}
		return r.String(), nil
	}

	// The segments live in a stack buffer for ordinary paths; resolution
	// then works in place, so a join costs the result path and the URL.
	var buf [32]string
	var segments []string
	if strings.HasPrefix(r.Path, "/") {
		segments = appendSegments(buf[:0], r.Path)
	} else {
		segments = appendSegments(buf[:0], b.Path)
		if segments[len(segments)-1] != "" {
			// The last segment is not a directory and does not take part.
			segments = segments[:len(segments)-1]
		}
		segments = appendSegments(segments, r.Path)
		// Drop empty inner segments, which would double slashes when
		// joined again.
		if len(segments) > 2 {
			last, k := segments[len(segments)-1], 1
			for _, s := range segments[1 : len(segments)-1] {
				if s != "" {
					segments[k] = s
					k++
				}
			}
			segments = append(segments[:k], last)
		}
	}
	last := segments[len(segments)-1]
	resolved := segments[:0] // never ahead of the segment being read
	for _, seg := range segments {
		switch seg {
		case "..":
			if len(resolved) > 0 {
				resolved = resolved[:len(resolved)-1]
			}
		case ".":
		default:
			resolved = append(resolved, seg)
		}
	}
	if last == "." || last == ".." {
		// A trailing dot segment names a directory: keep its slash.
		resolved = append(resolved, "")
	}
	r.Path = strings.Join(resolved, "/")
	if r.Path == "" {
		r.Path = "/"
	}
	return r.String(), nil
}

// appendSegments appends the "/"-separated segments of path to segs, as
// path.split('/') gives them ("" gives one empty segment).
func appendSegments(segs []string, path string) []string {
	for {
		i := strings.IndexByte(path, '/')
		if i < 0 {
			return append(segs, path)
		}
		segs = append(segs, path[:i])
		path = path[i+1:]
	}
}

// Defrag is Python's urldefrag(rawURL): the URL without its fragment, put
// back together with Unparse, and the fragment. A URL without "#" comes
// back as it is.
func Defrag(rawURL string) (defragged, fragment string, err error) {
	if strings.IndexByte(rawURL, '#') < 0 {
		return rawURL, "", nil
	}
	p, err := Parse(rawURL)
	if err != nil {
		err.(*Error).Op = "defrag"
		return "", "", err
	}
	fragment, p.Fragment = p.Fragment, ""
	return p.String(), fragment, nil
}
