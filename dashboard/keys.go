package dashboard

import "charm.land/bubbles/v2/key"

// KeyMap holds every key binding of the dashboard. It implements
// help.KeyMap, so `?` shows it.
type KeyMap struct {
	Up, Down   key.Binding
	Tab        key.Binding
	Enter      key.Binding
	Back       key.Binding
	Filter     key.Binding
	Sort       key.Binding
	Mark       key.Binding
	Kill       key.Binding
	Restart    key.Binding
	Pause      key.Binding
	Partition  key.Binding
	Heal       key.Binding
	Delay      key.Binding
	Transfer   key.Binding
	AddNode    key.Binding
	RemoveNode key.Binding
	Bench      key.Binding
	Help       key.Binding
	Quit       key.Binding

	// Confirm and Cancel answer the confirmation dialog.
	Confirm, Cancel key.Binding
}

// DefaultKeyMap returns the dashboard's keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:         key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("↑/k", "up")),
		Down:       key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("↓/j", "down")),
		Tab:        key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab", "next pane")),
		Enter:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "node detail")),
		Back:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Filter:     key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter events")),
		Sort:       key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort nodes")),
		Mark:       key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "mark node")),
		Kill:       key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "kill")),
		Restart:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "restart")),
		Pause:      key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pause/resume")),
		Partition:  key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "partition marked")),
		Heal:       key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "heal")),
		Delay:      key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "delay 100ms")),
		Transfer:   key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "transfer leader")),
		AddNode:    key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "add node")),
		RemoveNode: key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "remove node")),
		Bench:      key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "short bench")),
		Help:       key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:       key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Confirm:    key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
		Cancel:     key.NewBinding(key.WithKeys("n", "N", "esc", "q"), key.WithHelp("n/esc", "no")),
	}
}

// faultKeys are the bindings that change the cluster; read-only mode
// refuses them.
func (k KeyMap) faultKeys() []key.Binding {
	return []key.Binding{k.Kill, k.Restart, k.Pause, k.Partition, k.Heal, k.Delay, k.Transfer, k.AddNode, k.RemoveNode, k.Bench}
}

// ShortHelp is the one-line help in the footer.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Help, k.Tab, k.Enter, k.Filter, k.Kill, k.Heal, k.Quit}
}

// FullHelp is the help screen, one column per group.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Tab, k.Enter, k.Back, k.Filter, k.Sort, k.Mark},
		{k.Kill, k.Restart, k.Pause, k.Partition, k.Heal},
		{k.Delay, k.Transfer, k.AddNode, k.RemoveNode, k.Bench, k.Help, k.Quit},
	}
}

// readOnly marks the fault keys as unavailable in the help text; they stay
// bound so that pressing one can say why it does nothing.
func (k *KeyMap) readOnly() {
	for _, b := range []*key.Binding{&k.Kill, &k.Restart, &k.Pause, &k.Partition, &k.Heal, &k.Delay, &k.Transfer, &k.AddNode, &k.RemoveNode, &k.Bench} {
		h := b.Help()
		b.SetHelp(h.Key, h.Desc+" (off)")
	}
}
