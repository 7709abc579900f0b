package core

import (
	"context"
	"testing"
)

// TestWithActorValueIsBothContexts checks that the one context answers as
// WithActor over context.WithValue would: the actor, the value (as a
// pointer), the parent's values, deadlines and cancellation, and an inner
// WithActor over it.
func TestWithActorValueIsBothContexts(t *testing.T) {
	type parentKey struct{}
	type valKey struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), parentKey{}, "p"))
	ctx := WithActorValue(parent, "owner (web)", valKey{}, 42)
	if a := actor(ctx); a != "owner (web)" {
		t.Errorf("actor %q", a)
	}
	if v, ok := ctx.Value(valKey{}).(*int); !ok || *v != 42 {
		t.Errorf("value %#v", ctx.Value(valKey{}))
	}
	if ctx.Value(parentKey{}) != "p" || ctx.Value(struct{}{}) != nil {
		t.Errorf("parent's value %v, unknown key %v", ctx.Value(parentKey{}), ctx.Value(struct{}{}))
	}
	if actor(WithActor(ctx, "system")) != "system" || actor(context.Background()) != "owner" {
		t.Error("an inner actor does not win, or the default changed")
	}
	child, stop := context.WithCancel(ctx)
	defer stop()
	cancel()
	<-child.Done() // a parent's cancellation reaches contexts made from it
	if ctx.Err() != context.Canceled {
		t.Errorf("Err %v", ctx.Err())
	}
}
