package web

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// A small HTML reader for tests: encoding/xml in its lenient mode, with
// HTML's void elements and entities, is enough for the markup our own
// templates produce, and it supports the few selectors the tests use:
// compound selectors of tag, #id, .class, [attr] and [attr=value], joined
// by spaces for descendants.

type node struct {
	tag      string
	attrs    map[string]string
	children []*node
	text     string // for text nodes (tag == "")
}

// parseHTML reads an HTML document or fails the test.
func parseHTML(t *testing.T, doc string) *node {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	root := &node{tag: "#document"}
	stack := []*node{root}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("parsing HTML: %v\n%s", err, doc)
		}
		top := stack[len(stack)-1]
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{tag: strings.ToLower(tok.Name.Local), attrs: map[string]string{}}
			for _, a := range tok.Attr {
				name := a.Name.Local
				if a.Name.Space != "" {
					name = a.Name.Space + ":" + name
				}
				n.attrs[strings.ToLower(name)] = a.Value
			}
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			top.children = append(top.children, &node{text: string(tok)})
		}
	}
	return root
}

// Text returns the text inside n with runs of white space collapsed.
func (n *node) Text() string {
	var b strings.Builder
	var walk func(*node)
	walk = func(n *node) {
		if n.tag == "" {
			b.WriteString(n.text)
			b.WriteByte(' ')
		}
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// all returns every element below n, in document order.
func (n *node) all() []*node {
	var out []*node
	var walk func(*node)
	walk = func(n *node) {
		for _, c := range n.children {
			if c.tag != "" {
				out = append(out, c)
				walk(c)
			}
		}
	}
	walk(n)
	return out
}

// Find returns the elements below n matching a selector.
func (n *node) Find(selector string) []*node {
	current := []*node{n}
	for _, part := range splitSelector(selector) {
		seen := map[*node]bool{}
		var next []*node
		for _, c := range current {
			for _, e := range c.all() {
				if !seen[e] && e.matches(part) {
					seen[e] = true
					next = append(next, e)
				}
			}
		}
		current = next
	}
	return current
}

// splitSelector splits a selector at the spaces outside [...], so that
// attribute values may hold spaces.
func splitSelector(sel string) []string {
	var parts []string
	depth, start := 0, 0
	for i, r := range sel {
		switch {
		case r == '[':
			depth++
		case r == ']':
			depth--
		case r == ' ' && depth == 0:
			if i > start {
				parts = append(parts, sel[start:i])
			}
			start = i + 1
		}
	}
	if start < len(sel) {
		parts = append(parts, sel[start:])
	}
	return parts
}

// matches reports whether n matches one compound selector.
func (n *node) matches(sel string) bool {
	i := strings.IndexAny(sel, "#.[")
	if i < 0 {
		i = len(sel)
	}
	if tag := sel[:i]; tag != "" && tag != n.tag {
		return false
	}
	sel = sel[i:]
	for sel != "" {
		switch sel[0] {
		case '[':
			end := strings.IndexByte(sel, ']')
			name, value, hasValue := strings.Cut(sel[1:end], "=")
			got, ok := n.attrs[name]
			if !ok || (hasValue && got != strings.Trim(value, `"'`)) {
				return false
			}
			sel = sel[end+1:]
		case '#', '.':
			j := strings.IndexAny(sel[1:], "#.[")
			if j < 0 {
				j = len(sel) - 1
			}
			word := sel[1 : j+1]
			if sel[0] == '#' && n.attrs["id"] != word {
				return false
			}
			if sel[0] == '.' && !hasWord(n.attrs["class"], word) {
				return false
			}
			sel = sel[j+1:]
		default:
			return false
		}
	}
	return true
}

func hasWord(list, word string) bool {
	for w := range strings.FieldsSeq(list) {
		if w == word {
			return true
		}
	}
	return false
}

func TestSelectors(t *testing.T) {
	doc := parseHTML(t, `<!DOCTYPE html><html><body><div id="a" class="x y"><p data-k="v">one &amp; <b>two</b></p><br><p>three</p></div><input hidden></body></html>`)
	tests := []struct {
		sel  string
		want []string
	}{
		{"p", []string{"one & two", "three"}},
		{"#a p[data-k]", []string{"one & two"}},
		{"div.x.y p[data-k=v] b", []string{"two"}},
		{"div.z p", nil},
		{"p[data-k=w]", nil},
		{"input[hidden]", []string{""}},
		{"div p[data-k=v w]", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, n := range doc.Find(tt.sel) {
			got = append(got, n.Text())
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("Find(%q) = %q, want %q", tt.sel, got, tt.want)
		}
	}
}
