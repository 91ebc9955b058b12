package sqlstore

import "cmp"

// SetTermProbe makes s treat a search word as broad once it matches n
// terms, so that tests reach the broad shape of a search with a few users.
func SetTermProbe(s *Store, n int) { s.search.probe = n }

// SetSearchLimits sets the limits of search plans (search.go): where a
// word stops being rare, how far the walks of the sort's index, and of
// users' rows, go before a page falls back to reading the matching users,
// and how many users matched by another name keep a page from being read
// split at the sort's column. 0 keeps a limit as it is.
func SetSearchLimits(s *Store, few, span, rowSpan, others int) {
	l := &s.search
	l.few, l.span, l.rowSpan, l.others = cmp.Or(few, l.few), cmp.Or(span, l.span), cmp.Or(rowSpan, l.rowSpan), cmp.Or(others, l.others)
}
