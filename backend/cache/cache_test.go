package cache

import (
	"errors"
	"testing"
)

func TestGetLoadsOnceAndForgetReloads(t *testing.T) {
	c := New[int, string](10)
	loads := 0
	load := func() (string, error) { loads++; return "v", nil }
	for range 3 {
		if v, err := c.Get(1, load); v != "v" || err != nil {
			t.Fatalf("Get = %q, %v", v, err)
		}
	}
	if loads != 1 {
		t.Errorf("%d loads for three gets, want 1", loads)
	}
	c.Forget(1)
	c.Get(1, load)
	if loads != 2 {
		t.Errorf("after Forget: %d loads, want 2", loads)
	}
}

// A load that read the data before a change committed must not be kept:
// the change's Forget comes while the load runs.
func TestLoadOverlappingForgetIsNotKept(t *testing.T) {
	c := New[int, string](10)
	v, _ := c.Get(1, func() (string, error) {
		c.Forget(1) // the change commits while the old value is being read
		return "old", nil
	})
	if v != "old" {
		t.Fatalf("Get = %q", v)
	}
	got, _ := c.Get(1, func() (string, error) { return "new", nil })
	if got != "new" {
		t.Errorf("after a Forget during the load: %q, want the reloaded value", got)
	}
}

func TestErrorsAreNotKept(t *testing.T) {
	c := New[int, string](10)
	boom := errors.New("boom")
	if _, err := c.Get(1, func() (string, error) { return "", boom }); err != boom {
		t.Fatalf("err = %v", err)
	}
	if c.Len() != 0 {
		t.Errorf("an error was kept")
	}
}

func TestBounded(t *testing.T) {
	c := New[int, int](16)
	for i := range 100 {
		c.Get(i, func() (int, error) { return i, nil })
	}
	if n := c.Len(); n > 16 || n == 0 {
		t.Errorf("%d values held, want 1..16", n)
	}
	c.Clear()
	if c.Len() != 0 {
		t.Errorf("Clear left %d", c.Len())
	}
}

// GetAll loads only what is not held, in one call, keeps the keys' order,
// leaves out what load did not find, and keeps nothing a Forget overtook.
func TestGetAllLoadsTheMissingOnce(t *testing.T) {
	c := New[int, string](10)
	c.Get(2, func() (string, error) { return "two", nil })
	var asked [][]int
	load := func(missing []int) (map[int]string, error) {
		asked = append(asked, missing)
		out := map[int]string{}
		for _, k := range missing {
			if k != 4 { // 4 does not exist
				out[k] = string(rune('a' + k))
			}
		}
		return out, nil
	}
	got, err := c.GetAll([]int{3, 2, 4, 1}, load)
	if err != nil || len(got) != 3 || got[0] != "d" || got[1] != "two" || got[2] != "b" {
		t.Fatalf("GetAll = %q, %v", got, err)
	}
	if len(asked) != 1 || len(asked[0]) != 3 {
		t.Errorf("loads asked for %v, want one load of 3, 4, 1", asked)
	}
	if got, _ := c.GetAll([]int{1, 3}, load); len(asked) != 1 || len(got) != 2 {
		t.Errorf("held values were loaded again: %v (%q)", asked, got)
	}
	c.GetAll([]int{5}, func(missing []int) (map[int]string, error) {
		c.Forget(5) // a change commits while the old value is read
		return map[int]string{5: "old"}, nil
	})
	if got, _ := c.GetAll([]int{5}, load); len(got) != 1 || got[0] != "f" {
		t.Errorf("after a Forget during the load: %q, want the reloaded value", got)
	}
	boom := errors.New("boom")
	if _, err := c.GetAll([]int{7}, func([]int) (map[int]string, error) { return nil, boom }); err != boom {
		t.Errorf("err = %v", err)
	}
}
