// Package cache keeps values loaded from the database in memory, for the
// hot paths (checks, the client area, forward authentication), and drops
// them when what they were loaded from changes.
//
// The rule that keeps a cache exact: whoever changes the data calls Forget
// (or Clear) after the change has committed and before telling anyone it
// is done. A load that read the data before that commit is then not kept:
// every Forget moves the cache to a new epoch, and a value is stored only
// if no Forget came between the start of its load and its end.
package cache

import "sync"

// Map holds at most max values by key.
type Map[K comparable, V any] struct {
	mu    sync.RWMutex
	epoch uint64
	m     map[K]V
	max   int
}

// New makes a Map of at most max values.
func New[K comparable, V any](max int) *Map[K, V] {
	return &Map[K, V]{m: map[K]V{}, max: max}
}

// Get returns k's value, loading it with load when it is not held. Errors
// are returned, never kept.
func (c *Map[K, V]) Get(k K, load func() (V, error)) (V, error) {
	c.mu.RLock()
	v, ok := c.m[k]
	e := c.epoch
	c.mu.RUnlock()
	if ok {
		return v, nil
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if c.epoch == e {
		if len(c.m) >= c.max {
			c.evictLocked()
		}
		c.m[k] = v
	}
	c.mu.Unlock()
	return v, nil
}

// Peek returns k's value if it is held, loading nothing.
func (c *Map[K, V]) Peek(k K) (V, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.m[k]
	return v, ok
}

// GetAll returns the values of keys that are held or that load finds,
// in the order of keys, loading all those not held with one call (load
// leaves out what does not exist). Errors are returned, never kept.
func (c *Map[K, V]) GetAll(keys []K, load func(missing []K) (map[K]V, error)) ([]V, error) {
	vals := make([]V, len(keys))
	held := make([]bool, len(keys))
	var missing []K
	c.mu.RLock()
	e := c.epoch
	for i, k := range keys {
		if vals[i], held[i] = c.m[k]; !held[i] {
			missing = append(missing, k)
		}
	}
	c.mu.RUnlock()
	if len(missing) == 0 {
		return vals, nil
	}
	got, err := load(missing)
	if err != nil {
		return nil, err
	}
	out := vals[:0]
	c.mu.Lock()
	keep := c.epoch == e
	for i, k := range keys {
		v := vals[i]
		if !held[i] {
			var ok bool
			if v, ok = got[k]; !ok {
				continue
			}
			if keep {
				if len(c.m) >= c.max {
					c.evictLocked()
				}
				c.m[k] = v
			}
		}
		out = append(out, v)
	}
	c.mu.Unlock()
	return out, nil
}

// evictLocked drops about an eighth of the values, whichever the map's
// order gives first: cheap, and fair enough for uniform traffic.
func (c *Map[K, V]) evictLocked() {
	n := max(1, len(c.m)/8)
	for k := range c.m {
		delete(c.m, k)
		if n--; n == 0 {
			return
		}
	}
}

// Forget drops the keys' values (any number, none included) and starts a
// new epoch: a load that began before is not kept.
func (c *Map[K, V]) Forget(keys ...K) {
	c.mu.Lock()
	c.epoch++
	for _, k := range keys {
		delete(c.m, k)
	}
	c.mu.Unlock()
}

// Update replaces each entry with what fn makes of it, dropping those fn
// does not keep. Like Forget, it starts a new epoch: a value loaded before
// it is not kept.
func (c *Map[K, V]) Update(fn func(K, V) (V, bool)) {
	c.mu.Lock()
	c.epoch++
	for k, v := range c.m {
		if v, keep := fn(k, v); keep {
			c.m[k] = v
		} else {
			delete(c.m, k)
		}
	}
	c.mu.Unlock()
}

// Clear drops every value.
func (c *Map[K, V]) Clear() {
	c.mu.Lock()
	c.epoch++
	clear(c.m)
	c.mu.Unlock()
}

// Len is how many values are held.
func (c *Map[K, V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
