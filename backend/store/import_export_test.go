package store

// SetDeferEmailIndexPast lowers the size past which an import defers
// contacts_email, for a test; the returned func restores it.
func SetDeferEmailIndexPast(n int) func() {
	old := deferEmailIndexPast
	deferEmailIndexPast = n
	return func() { deferEmailIndexPast = old }
}
