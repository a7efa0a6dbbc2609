package search

import (
	"slices"
	"testing"
)

func TestStemMeetsVariants(t *testing.T) {
	for _, group := range [][]string{
		{"counselling", "counsellor", "counsel", "counselled"},
		{"drug", "drugs"},
		{"therapy", "therapies"},
		{"woman's", "womans"},
		{"housing", "house", "houses"},
		{"referral", "referrals"},
		{"disability", "disabilities"},
	} {
		want := stem(tokens(group[0])[0])
		for _, w := range group[1:] {
			if got := stem(tokens(w)[0]); got != want {
				t.Errorf("stem(%q) = %q, want %q (as for %q)", w, got, want, group[0])
			}
		}
	}
	// Different words must stay apart.
	for _, pair := range [][2]string{{"drug", "drink"}, {"women", "men"}, {"crisis", "cri"}, {"health", "heal"}} {
		if stem(pair[0]) == stem(pair[1]) {
			t.Errorf("stem(%q) == stem(%q) == %q", pair[0], pair[1], stem(pair[0]))
		}
	}
}

func TestAnalyseDropsStopWords(t *testing.T) {
	got := analyse("Help for the people of Lincoln, and their families!")
	want := []string{stem("help"), stem("people"), stem("lincoln"), stem("families")}
	if !slices.Equal(got, want) {
		t.Errorf("analyse = %q, want %q", got, want)
	}
}

func TestClausesExpandSynonyms(t *testing.T) {
	has := func(c clause, phrase []string) bool {
		return slices.ContainsFunc(c.phrases, func(p []string) bool { return slices.Equal(p, phrase) })
	}
	cs := clauses(analyse("counselling in Leeds"))
	if len(cs) != 2 || !has(cs[0], analyse("talking therapy")) || !has(cs[1], analyse("leeds")) {
		t.Errorf("clauses(counselling in Leeds) = %v", cs)
	}
	// A phrase in the query is one clause, expanded to its group.
	cs = clauses(analyse("substance misuse help"))
	if len(cs) != 2 || !has(cs[0], analyse("drugs")) || has(cs[1], analyse("drugs")) {
		t.Errorf("clauses(substance misuse help) = %v", cs)
	}
}
