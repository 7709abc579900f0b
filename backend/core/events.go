package core

import "sync"

// Event tells live UIs that something changed.
type Event struct {
	Kind string `json:"kind"` // "invitations:changed"
	// Accepted names who just accepted an invitation, for a notification.
	Accepted string `json:"accepted,omitempty"`
}

// events fans out to subscribers; a slow subscriber never blocks a write.
type events struct {
	mu   sync.Mutex
	subs map[int]func(Event)
	next int
}

// Subscribe calls fn for every event until the returned cancel is called.
// fn runs on its own goroutine.
func (a *App) Subscribe(fn func(Event)) (cancel func()) {
	a.events.mu.Lock()
	defer a.events.mu.Unlock()
	if a.events.subs == nil {
		a.events.subs = map[int]func(Event){}
	}
	id := a.events.next
	a.events.next++
	a.events.subs[id] = fn
	return func() {
		a.events.mu.Lock()
		delete(a.events.subs, id)
		a.events.mu.Unlock()
	}
}

func (a *App) emit(e Event) {
	a.events.mu.Lock()
	defer a.events.mu.Unlock()
	for _, fn := range a.events.subs {
		go fn(e)
	}
}
