package web

import (
	"encoding/xml"
	"fmt"
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
	root := parseMarkup(t, doc)
	checkErrorSummary(t, root)
	return root
}

// parseMarkup is parseHTML without the checks of the page.
func parseMarkup(t *testing.T, doc string) *node {
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

// checkErrorSummary fails the test unless every GOV.UK error summary on the
// page doc has the markup GOV.UK Frontend expects and each of its links
// leads to exactly one element on the page. parseHTML runs it on every
// page a test reads.
func checkErrorSummary(t *testing.T, doc *node) {
	t.Helper()
	for _, p := range errorSummaryProblems(doc) {
		t.Error(p)
	}
}

// errorSummaryProblems lists what is wrong with the error summaries of doc.
func errorSummaryProblems(doc *node) []string {
	var out []string
	for _, sum := range doc.Find(".govuk-error-summary") {
		if sum.attrs["data-module"] != "govuk-error-summary" || len(sum.Find("[role=alert] h2.govuk-error-summary__title")) != 1 ||
			len(sum.Find("ul.govuk-error-summary__list li")) == 0 {
			out = append(out, fmt.Sprintf("error summary is not in GOV.UK's markup: %q", sum.Text()))
		}
		for _, a := range sum.Find("a") {
			href := a.attrs["href"]
			if !strings.HasPrefix(href, "#") || len(href) == 1 || len(doc.Find(href)) != 1 {
				out = append(out, fmt.Sprintf("error summary link %q (%q) does not lead to one element on the page", href, a.Text()))
			}
		}
	}
	return out
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

func TestErrorSummaryCheck(t *testing.T) {
	const summary = `<div class="govuk-error-summary" data-module="govuk-error-summary"><div role="alert">` +
		`<h2 class="govuk-error-summary__title">There is a problem</h2><div class="govuk-error-summary__body">` +
		`<ul class="govuk-list govuk-error-summary__list"><li><a href="%s">Enter a name</a></li><li>Try later</li></ul></div></div></div>`
	tests := []struct {
		name, page string
		bad        int
	}{
		{"link to a field", fmt.Sprintf(summary, "#name") + `<input id="name">`, 0},
		{"link to nothing", fmt.Sprintf(summary, "#name") + `<input id="email">`, 1},
		{"link to two elements", fmt.Sprintf(summary, "#name") + `<input id="name"><p id="name"></p>`, 1},
		{"link off the page", fmt.Sprintf(summary, "/sign-in") + `<input id="name">`, 1},
		{"no alert role", `<div class="govuk-error-summary" data-module="govuk-error-summary"><h2 class="govuk-error-summary__title">There is a problem</h2>` +
			`<ul class="govuk-error-summary__list"><li>Try later</li></ul></div>`, 1},
		{"no summary", `<input id="name">`, 0},
	}
	for _, tt := range tests {
		if got := errorSummaryProblems(parseMarkup(t, "<main>"+tt.page+"</main>")); len(got) != tt.bad {
			t.Errorf("%s: problems %q, want %d", tt.name, got, tt.bad)
		}
	}
}
