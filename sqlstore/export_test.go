package sqlstore

// SetTermProbe makes s treat a search word as broad once it matches n
// terms, so that tests reach the broad shape of a search with a few users.
func SetTermProbe(s *Store, n int) { s.probe = n }
