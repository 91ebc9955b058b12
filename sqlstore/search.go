package sqlstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/userdb/userdb"
)

// A text search's words each match users through user_terms: the folded
// username, email, given name and surname of every user, one row each,
// keyed (term, user_id). No planner chooses well between ways of running
// such a search (a range over an index looks selective whether it holds
// ten rows or half the table), so each word's terms are first counted in
// that index, up to termProbe, and the store chooses. What a plan costs is
// mostly how many users' rows it reads at random: a few microseconds each
// on SQLite and PostgreSQL, far more on MySQL when its buffer pool does
// not hold the table. Walking an index in order, or building a set of ids
// from the term index, costs a tenth of that per entry.
//
// The shapes, and how a page of each is read:
//
//   - rare: the rarest word matches fewer than fewTerms terms. Its users
//     are read and sorted, the other words checked on each row.
//   - intersect: several words, none rare. The users in every word's term
//     set are found in the index, and only they are read. The sets are
//     intersected with INTERSECT, except on SQLite when the other words
//     are much larger than the smallest ("maria mar"): then each user of
//     the smallest is looked up among the others' terms, which reads less.
//   - common: one word with fewer than termProbe terms, thousands of
//     users, too many to read all for a page of 50. When the sort is by a
//     column the word matches most of its users in ("zachary" by given
//     name), those users are a range of the sort's index, read in order,
//     and the few others are read as a set (splitPage). Otherwise the
//     sort's index, (column, id), is walked in order keeping the ids in
//     the word's term set, and only the page's rows are read (walkIndex).
//   - broad: one word with termProbe terms or more, likely dense in any
//     order: users are read in the page's order, checking the word on each
//     row, for rowWalkSpan rows (readRows); if the page is not full, as
//     for common. Out of creation order, a word is broad from five times
//     termProbe.
//
// Walks stop after a fixed number of users (walkBound), so that a word
// whose users all sort late costs a bounded walk before its users are
// read, as a rare word's, instead of a walk of the whole table. An index
// walk needs an index ending in id (created, given name, surname; on
// MySQL every index) and no filter but the cursor; where it cannot run, a
// common word's users are read, and a broad word's rows read to the end.
//
// Totals without other filters come from the term index alone: a word's
// distinct users, or the size of the intersection.

// Limits of the plans above, measured at a million users. termProbe is
// where a word is dense enough (a user in a few hundred) to check on rows
// before building its term set; fewTerms where reading a word's users
// costs about what walking the index for a page does; walkSpan bounds a
// walk of the index (about 20 ms on SQLite), rowWalkSpan a walk that reads
// rows (10 ms; ten times as many rows in creation order, see searchPage).
const (
	termProbe   = 10_000
	fewTerms    = 2_000
	walkSpan    = 50_000
	rowWalkSpan = 2_000
	splitOthers = 1_000 // see splitPage
)

// searchLimits are the limits above as a store uses them; tests lower
// them to reach every plan and fallback with a few users.
type searchLimits struct {
	probe, few, span, rowSpan, others int
}

var defaultSearchLimits = searchLimits{probe: termProbe, few: fewTerms, span: walkSpan, rowSpan: rowWalkSpan, others: splitOthers}

// Search shapes, as above.
const (
	searchBroad = iota
	searchRare
	searchCommon
	searchIntersect
)

// sortIndex names the index, (column, id), that a walk reads in the
// order of a sort, or "" when the sort has none. On MySQL, whose indexes
// all end with the primary key, the unique indexes of email and username
// serve too.
func (s *Store) sortIndex(col string) string {
	switch col {
	case "created_at":
		return "ix_users_created"
	case "given_name_fold":
		return "ix_users_given_name"
	case "surname_fold":
		return "ix_users_surname"
	case "account_key":
		return "ix_users_account_key"
	case "role_key":
		return "ix_users_role_key"
	case "status":
		return "ix_users_status_id"
	case "email_fold", "username_fold":
		if s.d.name == MySQL {
			return "ux_users_" + col
		}
	}
	return ""
}

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

// searchPlan is how a text search runs: its folded words, each word's
// terms (counted up to the probe's limit), its shape, and the word with
// the fewest terms.
type searchPlan struct {
	words  []string
	terms  []int
	shape  int
	driver int
}

// planSearch splits the query into words and probes each one. On SQLite,
// the words of a query of several are counted five times further, to
// choose how to intersect them (up to 2.5 ms a word).
func (s *Store) planSearch(ctx context.Context, query string) (searchPlan, error) {
	p := searchPlan{words: strings.Fields(userdb.Fold(query))}
	if len(p.words) > userdb.MaxQueryWords {
		return p, userdb.FieldError("q", "the search has %d words; use at most %d", len(p.words), userdb.MaxQueryWords)
	}
	if len(p.words) == 0 {
		return p, nil
	}
	probe := s.search.probe
	few := min(probe, s.search.few)
	count := probe
	if s.d.name == SQLite && len(p.words) > 1 {
		count *= 5
	}
	p.terms = make([]int, len(p.words))
	for i, word := range p.words {
		var err error
		if p.terms[i], err = s.countTerms(ctx, word, count); err != nil {
			return p, err
		}
		if p.terms[i] < p.terms[p.driver] {
			p.driver = i
		}
	}
	switch {
	case p.terms[p.driver] < few:
		p.shape = searchRare
	case len(p.words) > 1:
		p.shape = searchIntersect
	case p.terms[0] < probe:
		p.shape = searchCommon
	}
	return p, nil
}

// countTerms counts the terms starting with word, up to upTo.
func (s *Store) countTerms(ctx context.Context, word string, upTo int) (int, error) {
	var n int
	err := s.queryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM user_terms WHERE term >= ? AND term < ? LIMIT ?) probe",
		[]any{word, word + prefixEnd, upTo}, &n)
	return n, err
}

// wordCond is the condition that one of the user's terms starts with word,
// checked on the row. It is fenced off from the planner, which would
// otherwise run it as four index ranges and read every user of a common
// word: the plan has already chosen how rows are found. On SQLite the
// columns carry a unary plus; elsewhere the check is wrapped in IS TRUE.
func (s *Store) wordCond(w *where, word string) {
	plus, fence := "", " IS TRUE"
	if s.d.name == SQLite {
		plus, fence = "+", ""
	}
	lo, hi := word, word+prefixEnd
	w.add("(("+plus+"username_fold >= ? AND "+plus+"username_fold < ?) OR ("+plus+"email_fold >= ? AND "+plus+"email_fold < ?)"+
		" OR ("+plus+"given_name_fold >= ? AND "+plus+"given_name_fold < ?) OR ("+plus+"surname_fold >= ? AND "+plus+"surname_fold < ?))"+fence,
		lo, hi, lo, hi, lo, hi, lo, hi)
}

// termSet is a query of the ids of the users with a term starting with
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

// intersection is a query of the ids of the users matching every word of
// the plan. INTERSECT reads every word's terms, a third of a microsecond
// each on SQLite; looking each of the smallest word's users up in the
// others' terms costs about three microseconds a user instead, and a user
// may have up to four terms. So on SQLite, when the other words hold both
// 40,000 terms or more and three times the terms of the smallest ("maria
// mar"), the lookups read less; elsewhere INTERSECT does as well.
func (s *Store) intersection(p searchPlan) (string, []any) {
	others := 0
	for i, n := range p.terms {
		if i != p.driver {
			others += n
		}
	}
	if s.d.name != SQLite || others < 4*s.search.probe || others < 3*p.terms[p.driver] {
		return termSet(p.words)
	}
	word := p.words[p.driver]
	q := "SELECT user_id FROM (SELECT DISTINCT user_id FROM user_terms WHERE term >= ? AND term < ?) d WHERE "
	args := []any{word, word + prefixEnd}
	var conds []string
	for i, word := range p.words {
		if i != p.driver {
			conds = append(conds, "EXISTS (SELECT 1 FROM user_terms t WHERE t.user_id = d.user_id AND t.term >= ? AND t.term < ?)")
			args = append(args, word, word+prefixEnd)
		}
	}
	return q + strings.Join(conds, " AND "), args
}

// inSet adds the condition that the user is in a set of ids, whose users
// are read. PostgreSQL gets the set as an array, computed once: given IN,
// its planner prefers walking the sort order and probing the set per row,
// which reads most of the table when the set is small. MySQL gets it as a
// derived table: given IN over an INTERSECT, MariaDB runs the INTERSECT
// once per row of the sort's index.
func (s *Store) inSet(w *where, set string, args []any) {
	switch s.d.name {
	case Postgres:
		w.add("users.id = ANY(ARRAY("+set+"))", args...)
	case MySQL:
		w.add("users.id IN (SELECT user_id FROM ("+set+") s)", args...)
	default:
		w.add("users.id IN ("+set+")", args...)
	}
}

// matchSet adds the conditions that read the users of the plan's set: the
// intersection, or the driving word's users with the other words checked
// on each row.
func (s *Store) matchSet(w *where, p searchPlan) {
	if p.shape == searchIntersect {
		set, args := s.intersection(p)
		s.inSet(w, set, args)
		return
	}
	set, args := termSet(p.words[p.driver : p.driver+1])
	s.inSet(w, set, args)
	for i, word := range p.words {
		if i != p.driver {
			s.wordCond(w, word)
		}
	}
}

// userOrder is the order of a page of users: the sort's key and column,
// and its direction.
type userOrder struct {
	key, col string
	desc     bool
}

func (o userOrder) dir() string {
	if o.desc {
		return " DESC"
	}
	return ""
}

// orderBy is the ORDER BY of a page of n users.
func (o userOrder) orderBy() string {
	return o.order() + " LIMIT ?"
}

// order is the ORDER BY of the order: the sort's column then the id,
// which ties only where the column is not unique. Left out after a unique
// column, it lets MariaDB read the column's index in order, where it
// otherwise sorts the rows of the whole range the WHERE allows.
func (o userOrder) order() string {
	if o.col == "email_fold" || o.col == "username_fold" {
		return " ORDER BY " + o.col + o.dir()
	}
	return " ORDER BY " + o.col + o.dir() + ", id" + o.dir()
}

// searchPage reads up to n users matching the filters and the plan, after
// the cursor (cur), in the order o. A page of one word tries, in turn, the
// plans that may stop short: reading rows in order while a broad word
// fills the page fast, reading the word's users split at the sort's
// column, walking the sort's index; then it reads the users of the plan's
// set, or a broad word's rows in order to the end.
func (s *Store) searchPage(ctx context.Context, filters, cur where, p searchPlan, o userOrder, n int) ([]*userdb.User, []string, error) {
	if p.shape == searchRare || p.shape == searchIntersect {
		return s.readSet(ctx, filters, cur, p, o, n)
	}
	if p.shape == searchBroad && o.key != userdb.SortCreated {
		// Out of creation order, rows cost ten times as much to read (see
		// span below), so a word short of five times the probe's limit is
		// walked in the index as a common one, rather than read.
		probe := 5 * s.search.probe
		terms, err := s.countTerms(ctx, p.words[0], probe)
		if err != nil {
			return nil, nil, err
		}
		if terms < probe {
			// p is this call's copy; its terms are the caller's too.
			p.terms = []int{terms}
			p.shape = searchCommon
		}
	}
	walkable := len(filters.conds) == 0 && s.sortIndex(o.col) != ""
	span := s.search.rowSpan
	switch {
	case !walkable && o.key == userdb.SortCreated:
		span = 0 // no other plan follows
	case o.key == userdb.SortCreated:
		// Rows are stored about in the order they were created, so reading
		// them in that order costs a tenth.
		span *= 10
	}
	if p.shape == searchBroad {
		if us, keys, done, err := s.readRows(ctx, filters, cur, p, o, n, span); err != nil || done {
			return us, keys, err
		}
	}
	if o.key != userdb.SortCreated {
		if us, keys, done, err := s.splitPage(ctx, filters, cur, p, o, n); err != nil || done {
			return us, keys, err
		}
	}
	if walkable {
		if us, keys, done, err := s.walkIndex(ctx, cur, p, o, n); err != nil || done {
			return us, keys, err
		}
	}
	if p.shape == searchBroad && !walkable {
		us, keys, _, err := s.readRows(ctx, filters, cur, p, o, n, 0)
		return us, keys, err
	}
	return s.readSet(ctx, filters, cur, p, o, n)
}

// readSet reads the users of the plan's set (matchSet) and sorts them.
func (s *Store) readSet(ctx context.Context, filters, cur where, p searchPlan, o userOrder, n int) ([]*userdb.User, []string, error) {
	w := joinWhere(filters, cur)
	s.matchSet(&w, p)
	return s.readUsers(ctx, "SELECT "+userColumns+", "+o.col+" FROM users"+w.sql()+o.orderBy(), append(w.args, n), o.key)
}

// readRows reads users in the order o, checking the words on each row,
// for at most span users past the cursor (0: to the end). It is done when
// the page is full or the walk reached the end.
func (s *Store) readRows(ctx context.Context, filters, cur where, p searchPlan, o userOrder, n, span int) ([]*userdb.User, []string, bool, error) {
	w := joinWhere(filters, cur)
	for _, word := range p.words {
		s.wordCond(&w, word)
	}
	bounded := false
	if span > 0 {
		bound, ok, err := s.walkBound(ctx, cur, o, span)
		if err != nil {
			return nil, nil, false, err
		}
		w, bounded = joinWhere(w, bound), ok
	}
	us, keys, err := s.readUsers(ctx, "SELECT "+userColumns+", "+o.col+" FROM users"+w.sql()+o.orderBy(), append(w.args, n), o.key)
	return us, keys, !bounded || len(us) == n, err
}

// walkIndex walks the sort's index, (column, id), keeping the ids in the
// word's term set, for at most walkSpan users past the cursor, and reads
// the rows of those it keeps. It is done when the page is full or the
// walk reached the end.
func (s *Store) walkIndex(ctx context.Context, cur where, p searchPlan, o userOrder, n int) ([]*userdb.User, []string, bool, error) {
	bound, bounded, err := s.walkBound(ctx, cur, o, s.search.span)
	if err != nil {
		return nil, nil, false, err
	}
	w := joinWhere(cur, bound)
	set, args := termSet(p.words)
	from := "users"
	switch s.d.name {
	case SQLite:
		// The unary plus keeps SQLite from looking the set's users up by
		// id instead of walking the sort's index.
		w.conds = append([]string{"+id IN (" + set + ")"}, w.conds...)
	case Postgres:
		// Wrapped, IN stays a filter on the walk, probing a hash of the
		// set, rather than a join that reads the set's users.
		w.conds = append([]string{"(id IN (" + set + ")) IS TRUE"}, w.conds...)
	case MySQL:
		// The set is a derived table, built once: given IN, MariaDB may
		// look each id of the walk up in the terms' user_id index instead.
		from = "users FORCE INDEX (" + s.sortIndex(o.col) + ") STRAIGHT_JOIN (SELECT DISTINCT user_id FROM (" + set +
			") t) s ON s.user_id = users.id"
	}
	w.args = append(args, w.args...)
	q := "SELECT " + userColumns + ", " + o.col + " FROM (SELECT id AS page_id FROM " + from + w.sql() + o.orderBy() +
		") page JOIN users ON users.id = page.page_id" + o.orderBy()
	us, keys, err := s.readUsers(ctx, q, append(w.args, n, n), o.key)
	return us, keys, !bounded || len(us) == n, err
}

// splitPage reads a page of one word's users sorted by one of the columns
// the word is matched in, when that column holds a quarter or more of the
// word's terms ("zachary" sorted by given name, "smith" by surname): the
// users it matches there are a range of the sort's index, in order, which
// a walk from the start meets late, and the others are few enough to read
// as a set. It is not done, having counted users in the indexes of the
// names, when the column holds fewer or the others are many.
func (s *Store) splitPage(ctx context.Context, filters, cur where, p searchPlan, o userOrder, n int) ([]*userdb.User, []string, bool, error) {
	lo, hi := p.words[0], p.words[0]+prefixEnd
	inRange := o.col + " >= ? AND " + o.col + " < ?"
	var inCol int
	err := s.queryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM users WHERE "+inRange+" LIMIT ?) c",
		[]any{lo, hi, (p.terms[0] + 3) / 4}, &inCol)
	if err != nil || 4*inCol < p.terms[0] {
		return nil, nil, false, err
	}
	// The users the word matches by the other name are read as a set: when
	// they are many (thomas, by given name, is a surname too), walking the
	// index costs less.
	for _, col := range []string{"given_name_fold", "surname_fold"} {
		if col == o.col {
			continue
		}
		var others int
		many := s.search.others
		err := s.queryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM users WHERE "+col+" >= ? AND "+col+" < ? LIMIT ?) c",
			[]any{lo, hi, many}, &others)
		if err != nil || others == many {
			return nil, nil, false, err
		}
	}
	others := joinWhere(filters, cur)
	s.inSet(&others, "SELECT user_id FROM user_terms WHERE term >= ? AND term < ? EXCEPT SELECT id FROM users WHERE "+inRange,
		[]any{lo, hi, lo, hi})
	clustered := joinWhere(filters, cur)
	clustered.add(inRange, lo, hi)
	sel := "SELECT " + userColumns + ", " + o.col + " FROM users"
	q := "SELECT * FROM (" + sel + others.sql() + o.orderBy() + ") others UNION ALL SELECT * FROM (" +
		sel + clustered.sql() + o.orderBy() + ") clustered" + o.orderBy()
	args := append(append(append(slices.Clip(others.args), n), clustered.args...), n, n)
	us, keys, err := s.readUsers(ctx, q, args, o.key)
	return us, keys, true, err
}

// joinWhere returns the conditions of a and b.
func joinWhere(a, b where) where {
	return where{conds: append(slices.Clip(a.conds), b.conds...), args: append(slices.Clip(a.args), b.args...)}
}

// walkBound returns the condition that ends a walk in the order o after
// the next span users past the cursor, and false when fewer remain: then
// the walk reads to the end of the table without a bound. It reads only
// the sort's index.
func (s *Store) walkBound(ctx context.Context, cur where, o userOrder, span int) (where, bool, error) {
	var bound where
	rows, err := s.query(ctx, "SELECT "+o.col+", id FROM users"+cur.sql()+
		o.order()+" LIMIT 1 OFFSET ?", append(slices.Clip(cur.args), span-1)...)
	if err != nil {
		return bound, false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return bound, false, s.wrap(rows.Err())
	}
	var v any
	var id string
	if o.key == userdb.SortCreated {
		var t time.Time
		err = rows.Scan(timeDest{&t}, &id)
		v = s.d.time(t)
	} else {
		var text string
		err = rows.Scan(&text, &id)
		v = text
	}
	if err != nil {
		return bound, false, s.wrap(err)
	}
	cmp := "<"
	if o.desc {
		cmp = ">"
	}
	bound.add(o.col+" "+cmp+"= ? AND ("+o.col+" "+cmp+" ? OR id "+cmp+"= ?)", v, v, id)
	return bound, true, s.wrap(rows.Close())
}

// countMatches counts the users of a text search, up to upTo when above
// zero. Without other filters the count comes from the index of terms
// alone; otherwise rows are read: those of the plan's set, or for a broad
// word its terms joined to their users rather than users in sort order.
func (s *Store) countMatches(ctx context.Context, w where, p searchPlan, upTo int) (int, error) {
	var q string
	switch {
	case len(w.conds) == 0 && p.shape == searchIntersect:
		q, w.args = s.intersection(p)
	case len(w.conds) == 0 && len(p.words) == 1:
		// A word's terms may hold a user up to four times (userTerms), so
		// DISTINCT, and so the first 4*upTo of them hold upTo users when
		// the word has that many: reading no more bounds a broad word's
		// count. The subquery also keeps PostgreSQL's range scan whole:
		// otherwise it walks the user_id index to stop early, and reads it
		// all.
		terms := "SELECT user_id FROM user_terms WHERE term >= ? AND term < ?"
		w.args = []any{p.words[0], p.words[0] + prefixEnd}
		switch {
		case upTo > 0:
			terms += " LIMIT ?"
			w.args = append(w.args, 4*upTo)
		case s.d.name == Postgres:
			terms += " OFFSET 0"
		}
		q = "SELECT DISTINCT user_id FROM (" + terms + ") terms"
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
		s.matchSet(&w, p)
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
