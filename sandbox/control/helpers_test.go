package control_test

import "fmt"

func fmtGroups(g [][]uint64) string { return fmt.Sprint(g) }
