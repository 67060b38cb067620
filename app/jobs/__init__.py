"""Background work: one worker type and one job slot, plus the jobs the docks run (load, predict, train)."""
