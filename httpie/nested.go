package httpie

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// A pathStep is one step of a nested key: a member name, an index, or an
// append ("[]").
type pathStep struct {
	key    string
	index  int
	kind   byte // 'k' key, 'i' index, 'a' append
	offset int  // where it starts in the key, for errors
}

// parsePath splits a data item's key into HTTPie 3's nested path:
// "user[name]", "tags[]", "a[0][b]", "[]" for a top-level array. A
// backslash makes the next bracket literal; a key that is no valid path
// is one plain member name, as in HTTPie.
func parsePath(key string) []pathStep {
	var steps []pathStep
	var cur strings.Builder
	i := 0
	// The first step: text up to the first unescaped '['.
	for i < len(key) && key[i] != '[' {
		if key[i] == '\\' && i+1 < len(key) && (key[i+1] == '[' || key[i+1] == ']' || key[i+1] == '\\') {
			cur.WriteByte(key[i+1])
			i += 2
			continue
		}
		cur.WriteByte(key[i])
		i++
	}
	first := cur.String()
	if first != "" || i == len(key) {
		steps = append(steps, pathStep{key: first, kind: 'k'})
	}
	for i < len(key) {
		if key[i] != '[' {
			return []pathStep{{key: unescapeBrackets(key), kind: 'k'}}
		}
		start := i
		i++
		cur.Reset()
		closed := false
		for i < len(key) {
			if key[i] == '\\' && i+1 < len(key) {
				cur.WriteByte(key[i+1])
				i += 2
				continue
			}
			if key[i] == ']' {
				closed = true
				i++
				break
			}
			if key[i] == '[' {
				break
			}
			cur.WriteByte(key[i])
			i++
		}
		if !closed {
			return []pathStep{{key: unescapeBrackets(key), kind: 'k'}}
		}
		s := cur.String()
		switch n, err := strconv.Atoi(s); {
		case s == "":
			steps = append(steps, pathStep{kind: 'a', offset: start})
		case err == nil && n >= 0 && s[0] != '+':
			steps = append(steps, pathStep{kind: 'i', index: n, offset: start})
		default:
			steps = append(steps, pathStep{kind: 'k', key: s, offset: start})
		}
	}
	return steps
}

func unescapeBrackets(s string) string {
	r := strings.NewReplacer(`\[`, "[", `\]`, "]", `\\`, `\`)
	return r.Replace(s)
}

// NestedError is a data item whose path does not fit the body built so
// far: appending to an object, say.
type NestedError struct {
	Key, Reason string
}

func (e *NestedError) Error() string { return fmt.Sprintf("item %q: %s", e.Key, e.Reason) }

// maxIndex bounds an index in a nested key: a[100000000]=x would
// otherwise make a body of a hundred million nulls.
const maxIndex = 10000

// buildBody sets each Data and RawJSON item at its nested path, in order,
// as HTTPie 3 does, and returns the root: an object, or an array when the
// keys start with "[".
func buildBody(items []Item) (*node, error) {
	var root *node
	for _, it := range items {
		var v *node
		switch it.Kind {
		case Data:
			v = &node{kind: 's', str: it.Value}
		case RawJSON:
			var err error
			if v, err = parseJSON(it.Value); err != nil {
				return nil, &NestedError{it.Key, err.Error()}
			}
		default:
			continue
		}
		steps := parsePath(it.Key)
		if root == nil {
			if steps[0].kind == 'k' {
				root = newObject()
			} else {
				root = &node{kind: 'a'}
			}
		}
		if err := setPath(root, steps, v); err != nil {
			return nil, &NestedError{it.Key, err.Error()}
		}
	}
	if root == nil {
		root = newObject()
	}
	return root, nil
}

func setPath(cur *node, steps []pathStep, v *node) error {
	for i, st := range steps {
		last := i == len(steps)-1
		// What the next step needs here: an object for a key, an array
		// for an index or an append.
		want := byte('o')
		if st.kind != 'k' {
			want = 'a'
		}
		if cur.kind != want {
			op := map[byte]string{'k': "key", 'i': "index", 'a': "append"}[st.kind]
			return fmt.Errorf("can't perform %s based access on a %s", op, cur.typeName())
		}
		var next *node
		switch st.kind {
		case 'k':
			if last {
				cur.set(st.key, v)
				return nil
			}
			next = cur.obj[st.key]
			if next == nil {
				next = container(steps[i+1])
				cur.set(st.key, next)
			}
		case 'a':
			if last {
				cur.arr = append(cur.arr, v)
				return nil
			}
			next = container(steps[i+1])
			cur.arr = append(cur.arr, next)
		case 'i':
			if st.index > maxIndex {
				return fmt.Errorf("index %d over %d", st.index, maxIndex)
			}
			for len(cur.arr) <= st.index {
				cur.arr = append(cur.arr, &node{kind: 'r', raw: "null"})
			}
			if last {
				cur.arr[st.index] = v
				return nil
			}
			next = cur.arr[st.index]
			if next.kind == 'r' && next.raw == "null" {
				next = container(steps[i+1])
				cur.arr[st.index] = next
			}
		}
		cur = next
	}
	return nil
}

// container is the empty value that step needs to walk into.
func container(step pathStep) *node {
	if step.kind == 'k' {
		return newObject()
	}
	return &node{kind: 'a'}
}

// JSONBody builds the JSON body of Data and RawJSON items as HTTPie 3
// does (nested keys such as user[name] and tags[]) and encodes it as
// HTTPie sends it.
func JSONBody(items []Item) ([]byte, error) {
	root, err := buildBody(items)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	encodePython(&b, root)
	return b.Bytes(), nil
}
