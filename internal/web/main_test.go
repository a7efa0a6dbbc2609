package web

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestMain runs the package's tests and then, when every test ran and
// passed, checks that each page template was rendered by at least one of
// them: a page no test renders is a page no test checks.
func TestMain(m *testing.M) {
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
	)
	rendered = func(name string) {
		mu.Lock()
		seen[name] = true
		mu.Unlock()
	}
	code := m.Run()
	if code != 0 || flag.Lookup("test.run").Value.String() != "" || testing.Short() {
		os.Exit(code)
	}
	files, err := fs.Glob(embeddedTemplates(), "pages/*.tmpl")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var missing []string
	for _, f := range files {
		if name := strings.TrimSuffix(path.Base(f), ".tmpl"); !seen[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		fmt.Fprintf(os.Stderr, "FAIL: no test renders these page templates: %s\n", strings.Join(missing, ", "))
		os.Exit(1)
	}
	os.Exit(0)
}
