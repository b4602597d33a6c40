package consensus

import "testing"

func TestFanoutDropsOldestAndCloses(t *testing.T) {
	var f Fanout[int]
	slow := f.Subscribe(2)
	for i := 1; i <= 5; i++ {
		f.Publish(i) // never blocks, although nobody reads
	}
	if a, b := <-slow, <-slow; a != 4 || b != 5 {
		t.Fatalf("a full subscription kept %d, %d; want the newest two, 4 and 5", a, b)
	}
	f.Close()
	if _, ok := <-slow; ok {
		t.Fatal("subscription open after Close")
	}
	if _, ok := <-f.Subscribe(1); ok {
		t.Fatal("a subscription made after Close is open")
	}
	f.Publish(6) // no subscribers left: a no-op, not a panic
	f.Close()    // idempotent
}
