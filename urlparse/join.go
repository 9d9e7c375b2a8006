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
	if r.Scheme != b.Scheme || !usesRelative[r.Scheme] {
		return ref, nil
	}
	if usesNetloc[r.Scheme] {
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

	baseParts := strings.Split(b.Path, "/")
	if baseParts[len(baseParts)-1] != "" {
		// The last segment is not a directory and does not take part.
		baseParts = baseParts[:len(baseParts)-1]
	}
	var segments []string
	if strings.HasPrefix(r.Path, "/") {
		segments = strings.Split(r.Path, "/")
	} else {
		segments = append(baseParts, strings.Split(r.Path, "/")...)
		// Drop empty inner segments, which would double slashes when
		// joined again.
		if len(segments) > 2 {
			inner := segments[1 : len(segments)-1]
			kept := inner[:0]
			for _, s := range inner {
				if s != "" {
					kept = append(kept, s)
				}
			}
			last := segments[len(segments)-1]
			segments = append(append(segments[:1], kept...), last)
		}
	}
	resolved := make([]string, 0, len(segments))
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
	if last := segments[len(segments)-1]; last == "." || last == ".." {
		// A trailing dot segment names a directory: keep its slash.
		resolved = append(resolved, "")
	}
	r.Path = strings.Join(resolved, "/")
	if r.Path == "" {
		r.Path = "/"
	}
	return r.String(), nil
}
