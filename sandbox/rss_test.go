package sandbox

import "testing"

func TestParseVmRSS(t *testing.T) {
	tests := []struct {
		name, in string
		want     int64
		wantErr  bool
	}{
		{"linux", "Name:\tgocli\nVmPeak:\t  9000 kB\nVmRSS:\t   20480 kB\nRssAnon:\t 100 kB\n", 20480 << 10, false},
		{"no line", "Name:\tkthreadd\nState:\tS (sleeping)\n", 0, true},
		{"bad unit", "VmRSS:\t 12 MB\n", 0, true},
		{"bad number", "VmRSS:\t twelve kB\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseVmRSS([]byte(tt.in))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("parseVmRSS = %d, %v; want %d, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
