package search

import (
	"slices"
	"strings"
	"unicode"
)

// tokens splits s into lower-case words of letters and digits. Apostrophes
// inside words are dropped ("women's" → "womens"), so possessives match.
func tokens(s string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		case r == '\'' || r == '’':
			// keep the word going
		default:
			flush()
		}
	}
	flush()
	return out
}

// stopWords are too common in service descriptions to help rank them.
var stopWords = map[string]bool{
	"a": true, "an": true, "and": true, "are": true, "as": true, "at": true, "be": true, "by": true,
	"can": true, "for": true, "from": true, "has": true, "have": true, "in": true, "is": true, "it": true,
	"its": true, "of": true, "on": true, "or": true, "our": true, "that": true, "the": true, "their": true,
	"this": true, "to": true, "we": true, "who": true, "will": true, "with": true, "you": true, "your": true,
	"near": true, "me": true, "service": true, "services": true,
}

// stem reduces an English word to a crude stem, so "counselling",
// "counsellor" and "counsel" meet, as do "drugs" and "drug". It is a small
// suffix stripper in the spirit of the Porter stemmer, tuned for the words of
// health and social care rather than for general English; both the indexed
// text and the query pass through it, so it need only be consistent.
func stem(w string) string {
	if len(w) <= 3 {
		return w
	}
	// Plurals and possessives.
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"):
	case strings.HasSuffix(w, "s") && len(w) > 3:
		w = w[:len(w)-1]
	}
	for _, suf := range []string{
		"isation", "ization", "ational", "fulness", "iveness", "ousness",
		"ation", "ement", "ness", "ment", "ling", "ing", "ors", "ers", "lor", "ler",
		"ist", "ful", "ive", "ity", "ous", "ed", "or", "er", "ly", "al", "ic", "e", "y",
	} {
		if strings.HasSuffix(w, suf) && len(w)-len(suf) >= 3 {
			w = w[:len(w)-len(suf)]
			break
		}
	}
	// Doubled final consonants: "counsell" → "counsel", "stopp" → "stop".
	if n := len(w); n > 3 && w[n-1] == w[n-2] && !strings.ContainsRune("aeiousl", rune(w[n-1])) {
		w = w[:n-1]
	}
	if n := len(w); n > 4 && strings.HasSuffix(w, "ll") {
		w = w[:n-1]
	}
	return w
}

// synonymGroups are words the field uses for the same thing. A query word in
// a group also matches every other member (after stemming). Phrases are
// matched word by word, so "talking therapy" is a group member that counts
// when both words appear.
var synonymGroups = [][]string{
	{"counselling", "counsellor", "talking therapy", "psychological therapy", "psychotherapy", "iapt"},
	{"drug", "drugs", "substance misuse", "substance use", "addiction", "opiate", "heroin", "cocaine"},
	{"alcohol", "drinking", "alcoholism"},
	{"housing", "accommodation", "homeless", "homelessness", "tenancy", "no fixed abode"},
	{"crisis", "urgent", "emergency", "24 hour"},
	{"gp", "doctor", "primary care", "surgery", "general practice"},
	{"suicide", "self harm", "suicidal"},
	{"women", "woman", "female"},
	{"depression", "low mood", "anxiety"},
	{"psychosis", "schizophrenia", "early intervention"},
	{"personality disorder", "opd", "emotionally unstable"},
	{"liaison and diversion", "diversion", "custody suite"},
	{"prison leaver", "release", "resettlement", "care after custody", "reconnect"},
	{"learning disability", "learning disabilities", "autism", "autistic"},
	{"veteran", "veterans", "armed forces", "ex forces"},
	{"dual diagnosis", "co occurring"},
	{"mental health", "wellbeing", "emotional"},
}

// groups holds synonymGroups analysed: each group a list of stemmed phrases.
var groups = func() [][][]string {
	out := make([][][]string, len(synonymGroups))
	for i, g := range synonymGroups {
		for _, p := range g {
			out[i] = append(out[i], analyse(p))
		}
	}
	return out
}()

// clause is one part of a query: a document satisfies it when it holds every
// stem of at least one of its phrases. literal is the phrase the user typed;
// the others are its synonyms.
type clause struct {
	phrases [][]string
	literal int
}

// clauses splits analysed query stems into clauses. At each position the
// longest synonym-group phrase that starts there is taken, and the clause is
// the whole group; a word in no group is a clause of itself.
func clauses(stems []string) []clause {
	var out []clause
	for i := 0; i < len(stems); {
		best, bestLen := -1, 0
		for g, phrases := range groups {
			for _, p := range phrases {
				if len(p) > bestLen && i+len(p) <= len(stems) && slices.Equal(stems[i:i+len(p)], p) {
					best, bestLen = g, len(p)
				}
			}
		}
		if best < 0 {
			out = append(out, clause{phrases: [][]string{{stems[i]}}})
			i++
			continue
		}
		lit := slices.IndexFunc(groups[best], func(p []string) bool { return slices.Equal(p, stems[i:i+bestLen]) })
		out = append(out, clause{phrases: groups[best], literal: lit})
		i += bestLen
	}
	return out
}

// analyse turns text into the stems the index holds, dropping stop words.
func analyse(s string) []string {
	ws := tokens(s)
	out := ws[:0]
	for _, w := range ws {
		if stopWords[w] {
			continue
		}
		out = append(out, stem(w))
	}
	return out
}
