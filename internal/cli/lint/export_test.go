package lint

// LeakyModule gives the external tests the same leaking module.
var LeakyModule = leakyModule
