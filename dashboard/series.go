package dashboard

import (
	"fmt"
	"strings"
)

// series is a bounded list of samples, oldest first. A negative sample is
// a gap (nothing to measure in that interval).
type series struct {
	vals []float64
	cap  int
}

func (s *series) push(v float64) {
	s.vals = append(s.vals, v)
	if len(s.vals) > s.cap {
		// Copy down rather than reslice so the backing array does not grow
		// without bound.
		n := copy(s.vals, s.vals[len(s.vals)-s.cap:])
		s.vals = s.vals[:n]
	}
}

// last is the newest sample; false when there is none or it is a gap.
func (s *series) last() (float64, bool) {
	if len(s.vals) == 0 || s.vals[len(s.vals)-1] < 0 {
		return 0, false
	}
	return s.vals[len(s.vals)-1], true
}

var sparkRunes = []rune("▁▂▃▄▅▆▇█")

// sparkline renders the newest width samples, scaled to their maximum,
// right-aligned so the newest sample is always at the right edge. It
// returns the line and the maximum it was scaled to.
func sparkline(vals []float64, width int) (string, float64) {
	if width <= 0 {
		return "", 0
	}
	if len(vals) > width {
		vals = vals[len(vals)-width:]
	}
	var peak float64
	for _, v := range vals {
		peak = max(peak, v)
	}
	var b strings.Builder
	b.Grow(width * 3)
	b.WriteString(strings.Repeat(" ", width-len(vals)))
	for _, v := range vals {
		switch {
		case v < 0:
			b.WriteByte(' ')
		case peak == 0:
			b.WriteRune(sparkRunes[0])
		default:
			b.WriteRune(sparkRunes[min(int(v/peak*float64(len(sparkRunes)-1)+0.5), len(sparkRunes)-1)])
		}
	}
	return b.String(), peak
}

// human formats a rate or a millisecond figure compactly.
func human(v float64) string {
	switch {
	case v >= 10000:
		return fmt.Sprintf("%.0fk", v/1000)
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}
