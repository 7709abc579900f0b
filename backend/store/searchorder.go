package store

import "grantbook/backend/model"

// Search in list order (migration 19). The trigram index's rowid of a
// contact is its search rank: its search group (a number that grows with
// its place in list order) above its id. A MATCH then yields candidates
// in (nearly) list order, and a page stops after its last group instead
// of reading and sorting every candidate. A group is the first letters of
// the last and first names, so within one the page is sorted exactly.
const (
	rankIDBits = 26                // ids up to 67,108,863 are ranked; later ones are read directly
	rankMaxID  = 1<<rankIDBits - 1 // the last id a rank holds, and the mask of the id in a rank
	groupBits  = 63 - rankIDBits   // a rank stays a positive int64
	symbolBits = 5                 // one byte of a name in a group
	groupEnd   = 0                 // the end of a name: before any byte
)

// SearchGroup is c's search group (see searchGroup).
func SearchGroup(c *model.Contact) int64 { return searchGroup(c.LastName, c.FirstName) }

// searchGroup numbers the list order (last_name, first_name, both COLLATE
// NOCASE: bytes compared with ASCII letters folded) coarsely: a contact
// that sorts before another never has a greater group. It reads the bytes
// of the last name, an end, the bytes of the first name and an end, 5 bits
// each, until groupBits are used: letters, the space and the end each have
// their own value; every other byte shares one with its neighbours, and
// the group ends after it (what follows a shared value would not keep the
// order). The last symbol keeps only its high bits.
func searchGroup(last, first string) int64 {
	var g uint64
	left := groupBits
	put := func(sym uint64) bool {
		if left < symbolBits {
			g = g<<left | sym>>(symbolBits-left)
			left = 0
			return false
		}
		g, left = g<<symbolBits|sym, left-symbolBits
		return left > 0
	}
	walk := func(s string) bool {
		for i := 0; i < len(s); i++ {
			sym, exact := symbolOf(s[i])
			if !put(sym) || !exact {
				return false
			}
		}
		return put(groupEnd)
	}
	if walk(last) {
		walk(first)
	}
	return int64(g << left)
}

// symbolOf is a byte's 5-bit value, in byte order after ASCII case
// folding, and whether no other byte shares it.
func symbolOf(b byte) (uint64, bool) {
	if 'A' <= b && b <= 'Z' {
		b += 'a' - 'A'
	}
	switch {
	case b < 0x20: // control characters, NUL (which SQLite compares oddly)
		return 1, false
	case b == ' ':
		return 2, true
	case b < 'a': // punctuation, digits, @
		return 3, false
	case b <= 'z':
		return 4 + uint64(b-'a'), true // 4…29
	case b < 0x80:
		return 30, false
	default: // every byte of a non-ASCII character
		return 31, false
	}
}

// searchRank is the index rowid of a contact in group g (0: not ranked).
func searchRank(g, id int64) int64 {
	if id <= 0 || id > rankMaxID {
		return 0
	}
	return g<<rankIDBits | id
}

// groupFloor is a lower bound of the names in group g: every contact of g
// or a later group sorts at or after (last, first). It is the group's
// exact bytes (letters in lower case: NOCASE compares them equal), up to
// the first byte that shares its value or the last symbol's part.
func groupFloor(g int64) (last, first string) {
	var b []byte
	inFirst := false
	for left := groupBits - symbolBits; left >= 0; left -= symbolBits {
		sym := uint64(g) >> left & (1<<symbolBits - 1)
		switch {
		case sym == groupEnd && inFirst:
			return last, string(b)
		case sym == groupEnd:
			last, b, inFirst = string(b), nil, true
			continue
		case sym == 2:
			b = append(b, ' ')
		case 4 <= sym && sym <= 29:
			b = append(b, byte('a'+sym-4))
		default: // a shared value: the bytes so far bound it
			left = -1
		}
		if left < 0 {
			break
		}
	}
	if inFirst {
		return last, string(b)
	}
	return string(b), ""
}
