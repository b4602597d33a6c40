package iostreams

// ColorScheme wraps text in ANSI SGR sequences when colour is enabled and
// returns it unchanged otherwise, so callers never branch on colour.
type ColorScheme struct{ enabled bool }

// Enabled reports whether this scheme emits escape sequences.
func (c *ColorScheme) Enabled() bool { return c.enabled }

func (c *ColorScheme) wrap(code, s string) string {
	if !c.enabled || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// Bold renders s in bold.
func (c *ColorScheme) Bold(s string) string { return c.wrap("1", s) }

// Red renders s in red (failures).
func (c *ColorScheme) Red(s string) string { return c.wrap("31", s) }

// Green renders s in green (success).
func (c *ColorScheme) Green(s string) string { return c.wrap("32", s) }

// Yellow renders s in yellow (warnings).
func (c *ColorScheme) Yellow(s string) string { return c.wrap("33", s) }

// Cyan renders s in cyan (names, highlights).
func (c *ColorScheme) Cyan(s string) string { return c.wrap("36", s) }

// Gray renders s dimmed (secondary detail).
func (c *ColorScheme) Gray(s string) string { return c.wrap("90", s) }

// SuccessIcon is a check mark, green when colour is on.
func (c *ColorScheme) SuccessIcon() string { return c.Green("✓") }

// FailureIcon is a cross, red when colour is on.
func (c *ColorScheme) FailureIcon() string { return c.Red("X") }

// WarningIcon is an exclamation mark, yellow when colour is on.
func (c *ColorScheme) WarningIcon() string { return c.Yellow("!") }
