package sqlstore

import (
	"context"
	"slices"
	"strings"

	"github.com/userdb/userdb"
)

// A text search's words each match users through user_terms: the folded
// username, email, given name and surname of every user, one row each,
// keyed (term, user_id). Before a search runs, each word's terms are
// counted from that index, up to termProbe, and the search takes one of
// three shapes:
//
//   - selective: the one word matches fewer than termProbe terms, or one of
//     several words fewer than a tenth of that. The users come from that
//     word's terms, and the other words are checked on each row.
//   - intersect: several words, none that rare. Their term sets are
//     intersected in the index, which costs a tenth or less of reading the
//     rows, and only the users in every set are read: "mary jon" is two
//     common words but few users.
//   - broad: one word matching many users, so matches are dense. The users
//     are read in the order of the page's sort, checking the word on each
//     row, and the page fills after a few rows.
//
// The probe's limit is where reading a word's users costs about what
// scanning in sort order until a page fills does (about the square root
// of 50 pages' worth of a million users). Without the probe, no database
// picks well: a range over an index looks
// selective to a planner whether it holds ten rows or half the table.
const termProbe = 10_000

// Search shapes, as above.
const (
	searchBroad = iota
	searchSelective
	searchIntersect
)

// userTerms returns the distinct non-empty search terms of a user.
func userTerms(u *userdb.User) []string {
	var out []string
	for _, t := range []string{userdb.Fold(u.Username), userdb.Fold(u.Email), userdb.Fold(u.GivenName), userdb.Fold(u.Surname)} {
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// insertTerms writes the search terms of a new user, in the transaction
// that writes the user.
func (s *Store) insertTerms(ctx context.Context, id string, terms []string) error {
	if len(terms) == 0 {
		return nil
	}
	args := make([]any, 0, 2*len(terms))
	for _, t := range terms {
		args = append(args, t, id)
	}
	_, err := s.exec(ctx, "INSERT INTO user_terms (term, user_id) VALUES "+
		strings.TrimSuffix(strings.Repeat("(?, ?), ", len(terms)), ", "), args...)
	return err
}

// replaceTerms rewrites the search terms of a changed user.
func (s *Store) replaceTerms(ctx context.Context, id string, terms []string) error {
	if _, err := s.exec(ctx, "DELETE FROM user_terms WHERE user_id = ?", id); err != nil {
		return err
	}
	return s.insertTerms(ctx, id, terms)
}

// IndexSearchTerms writes the search terms of the users whose ids start
// with idPrefix and have none yet: users that were inserted into the table
// directly, as benchmarks and bulk loads do, rather than through the store.
func (s *Store) IndexSearchTerms(ctx context.Context, idPrefix string) error {
	like := prefixPattern(idPrefix)
	sel := " FROM users WHERE id LIKE ? ESCAPE '!' AND NOT EXISTS (SELECT 1 FROM user_terms t WHERE t.user_id = users.id)"
	_, err := s.exec(ctx, "INSERT INTO user_terms (term, user_id) SELECT username_fold, id"+sel+
		" UNION SELECT email_fold, id"+sel+
		" UNION SELECT given_name_fold, id"+sel+" AND given_name_fold <> ''"+
		" UNION SELECT surname_fold, id"+sel+" AND surname_fold <> ''", like, like, like, like)
	return s.wrap(err)
}

// searchPlan is how a text search runs: its folded words, its shape, and
// the word users are drawn from when it is selective.
type searchPlan struct {
	words  []string
	shape  int
	driver int
}

// planSearch splits the query into words and probes each one.
func (s *Store) planSearch(ctx context.Context, query string) (searchPlan, error) {
	p := searchPlan{words: strings.Fields(userdb.Fold(query))}
	if len(p.words) > userdb.MaxQueryWords {
		return p, userdb.FieldError("q", "the search has %d words; use at most %d", len(p.words), userdb.MaxQueryWords)
	}
	probe := termProbe
	if s.probe > 0 {
		probe = s.probe
	}
	fewest := probe
	for i, word := range p.words {
		var n int
		err := s.queryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM user_terms WHERE term >= ? AND term < ? LIMIT ?) probe",
			[]any{word, word + prefixEnd, probe}, &n)
		if err != nil {
			return p, err
		}
		if n < fewest {
			fewest, p.driver = n, i
		}
	}
	switch {
	case len(p.words) == 1 && fewest < probe, fewest < probe/10:
		p.shape = searchSelective
	case len(p.words) > 1:
		p.shape = searchIntersect
	}
	return p, nil
}

// wordCond is the condition that one of the user's terms starts with word,
// checked on the row. On SQLite the columns carry a unary plus, which
// keeps the planner from running the check as four index ranges: the plan
// has already chosen how rows are found.
func (s *Store) wordCond(w *where, word string) {
	plus := ""
	if s.d.name == SQLite {
		plus = "+"
	}
	lo, hi := word, word+prefixEnd
	w.add("(("+plus+"username_fold >= ? AND "+plus+"username_fold < ?) OR ("+plus+"email_fold >= ? AND "+plus+"email_fold < ?)"+
		" OR ("+plus+"given_name_fold >= ? AND "+plus+"given_name_fold < ?) OR ("+plus+"surname_fold >= ? AND "+plus+"surname_fold < ?))",
		lo, hi, lo, hi, lo, hi, lo, hi)
}

// termSet is a subquery of the ids of the users with a term starting with
// each of words.
func termSet(words []string) (string, []any) {
	var parts []string
	var args []any
	for _, word := range words {
		parts = append(parts, "SELECT user_id FROM user_terms WHERE term >= ? AND term < ?")
		args = append(args, word, word+prefixEnd)
	}
	return strings.Join(parts, " INTERSECT "), args
}

// inSet adds the condition that the user is in a set of ids. PostgreSQL
// gets the set as an array, computed once: given IN, its planner prefers
// walking the sort order and probing the set per row, which reads most of
// the table when the set is small.
func (s *Store) inSet(w *where, set string, args []any) {
	if s.d.name == Postgres {
		w.add("users.id = ANY(ARRAY("+set+"))", args...)
		return
	}
	w.add("users.id IN ("+set+")", args...)
}

// addWords adds the plan's conditions to w.
func (s *Store) addWords(w *where, p searchPlan) {
	switch p.shape {
	case searchIntersect:
		set, args := termSet(p.words)
		s.inSet(w, set, args)
	case searchSelective:
		set, args := termSet(p.words[p.driver : p.driver+1])
		s.inSet(w, set, args)
		for i, word := range p.words {
			if i != p.driver {
				s.wordCond(w, word)
			}
		}
	default:
		for _, word := range p.words {
			s.wordCond(w, word)
		}
	}
}

// countMatches counts the users of a text search, up to upTo when above
// zero. Without other filters the count comes from the index of terms
// alone (a single word's terms may hold a user twice, hence DISTINCT);
// otherwise rows are read: those of the plan, or for a broad search the
// word's terms joined to their users rather than users in sort order.
func (s *Store) countMatches(ctx context.Context, w where, p searchPlan, upTo int) (int, error) {
	var q string
	switch {
	case len(w.conds) == 0 && p.shape == searchIntersect:
		var args []any
		q, args = termSet(p.words)
		w.args = args
	case len(w.conds) == 0 && len(p.words) == 1:
		terms := "user_terms WHERE term >= ? AND term < ?"
		if s.d.name == Postgres {
			// OFFSET 0 keeps the range scan whole: otherwise PostgreSQL
			// walks the user_id index to stop early, and reads it all.
			terms = "(SELECT user_id FROM " + terms + " OFFSET 0) terms"
		}
		q, w.args = "SELECT DISTINCT user_id FROM "+terms, []any{p.words[0], p.words[0] + prefixEnd}
	case p.shape == searchBroad:
		join := " JOIN "
		if s.d.name == SQLite {
			join = " CROSS JOIN " // read the terms first
		}
		word := p.words[0]
		w.conds = append([]string{"t.term >= ? AND t.term < ?"}, w.conds...)
		w.args = append([]any{word, word + prefixEnd}, w.args...)
		q = "SELECT DISTINCT t.user_id FROM user_terms t" + join + "users ON users.id = t.user_id" + w.sql()
	default:
		s.addWords(&w, p)
		q = "SELECT 1 FROM users" + w.sql()
	}
	args := w.args
	if upTo > 0 {
		q, args = q+" LIMIT ?", append(args, upTo)
	}
	var n int
	err := s.queryRow(ctx, "SELECT COUNT(*) FROM ("+q+") matched", args, &n)
	return n, err
}
