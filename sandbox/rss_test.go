package sandbox

import "testing"

func TestParseMemory(t *testing.T) {
	tests := []struct {
		name, in string
		want     Memory
		wantErr  bool
	}{
		{"linux", "Name:\tgocli\nVmPeak:\t  9000 kB\nVmRSS:\t   20480 kB\nRssAnon:\t 1024 kB\nRssFile:\t 19456 kB\n", Memory{RSS: 20480 << 10, Anon: 1024 << 10}, false},
		{"before RssAnon existed", "VmRSS:\t 64 kB\n", Memory{RSS: 64 << 10}, false},
		{"no VmRSS line", "Name:\tkthreadd\nState:\tS (sleeping)\n", Memory{}, true},
		{"bad unit", "VmRSS:\t 12 MB\n", Memory{}, true},
		{"bad number", "VmRSS:\t twelve kB\n", Memory{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMemory([]byte(tt.in))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("parseMemory = %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
