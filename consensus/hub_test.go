package consensus

import "testing"

func TestHubKeepsBufferedUnsubscribesAndCloses(t *testing.T) {
	var h Hub[int]
	slow, _ := h.Subscribe(2)
	gone, cancel := h.Subscribe(4)
	for i := 1; i <= 5; i++ {
		h.Publish(i) // never blocks, although nobody reads
	}
	if a, b := <-slow, <-slow; a != 1 || b != 2 {
		t.Fatalf("a full subscription kept %d, %d; want the first two, 1 and 2", a, b)
	}
	cancel()
	cancel() // idempotent
	var got []int
	for v := range gone { // closed by cancel, after what it buffered
		got = append(got, v)
	}
	if len(got) != 4 || got[0] != 1 || got[3] != 4 {
		t.Fatalf("cancelled subscription delivered %v; want [1 2 3 4]", got)
	}
	h.Publish(6)
	if v := <-slow; v != 6 {
		t.Fatalf("after draining, the subscription got %d; want 6", v)
	}
	h.Close()
	if _, ok := <-slow; ok {
		t.Fatal("subscription open after Close")
	}
	late, cancelLate := h.Subscribe(1)
	if _, ok := <-late; ok {
		t.Fatal("a subscription made after Close is open")
	}
	cancelLate()
	h.Publish(7) // no subscribers left: a no-op, not a panic
}

func TestHubKeepNewestDropsOldestAndCloses(t *testing.T) {
	f := Hub[int]{KeepNewest: true}
	slow, _ := f.Subscribe(2)
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
	if late, _ := f.Subscribe(1); isOpen(late) {
		t.Fatal("a subscription made after Close is open")
	}
	f.Publish(6) // no subscribers left: a no-op, not a panic
	f.Close()    // idempotent
}

func isOpen(ch <-chan int) bool {
	_, ok := <-ch
	return ok
}
