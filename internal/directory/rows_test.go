package directory

import "testing"

func TestRows(t *testing.T) {
	ds := &Dataset{
		Organizations: []Organization{{ID: "o1"}},
		Services:      []Service{{ID: "s1"}, {ID: "s2"}},
	}
	r := Rows(ds)
	if r["service"]["s2"] != 1 || !r.Has("service", "s1") || !r.Has("organization", "o1") {
		t.Errorf("Rows = %v", r)
	}
	if r.Has("service", "o1") || r.Has("location", "s1") || r.Has("nope", "x") {
		t.Error("Has found a record that is not there")
	}
	if len(Rows(nil)) != 0 {
		t.Error("Rows(nil) is not empty")
	}
}
