"""Start-up: the `segstudio` launcher, the GUI entry point, first-paint hooks and the few measured start-up tricks."""
