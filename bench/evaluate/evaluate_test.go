// Package evaluate benchmarks access.Evaluate, the one function every
// permission check goes through: 10,000 contacts × 20 services. Run:
//
//	go test ./bench/evaluate -run '^$' -bench . -benchmem -cpu 1
package evaluate

import (
	"testing"

	"grantbook/backend/access"
	"grantbook/bench/evalfixture"
)

var sink bool

func BenchmarkEvaluate(b *testing.B) {
	d := evalfixture.New(1)
	now := evalfixture.Now.Unix()
	allowed := 0
	for _, ck := range d.Checks {
		if access.Evaluate(&d.Grants[ck.Contact], ck.Perm, ck.Service, now).Allowed {
			allowed++
		}
	}
	b.Logf("%d contacts × %d services, %d distinct checks, %.0f%% allowed", evalfixture.Contacts, evalfixture.Services,
		len(d.Checks), 100*float64(allowed)/float64(len(d.Checks)))
	mask := len(d.Checks) - 1
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ck := &d.Checks[i&mask]
		sink = access.Evaluate(&d.Grants[ck.Contact], ck.Perm, ck.Service, now).Allowed
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
}

// TestEvaluateDoesNotAllocate keeps the 0-allocation promise honest in
// plain `go test` runs too.
func TestEvaluateDoesNotAllocate(t *testing.T) {
	d := evalfixture.New(1)
	now := evalfixture.Now.Unix()
	i := 0
	n := testing.AllocsPerRun(10000, func() {
		ck := &d.Checks[i%len(d.Checks)]
		i++
		sink = access.Evaluate(&d.Grants[ck.Contact], ck.Perm, ck.Service, now).Allowed
	})
	if n != 0 {
		t.Errorf("Evaluate allocates %.2f times per check", n)
	}
}
