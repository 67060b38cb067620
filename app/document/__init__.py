"""The open project and image: the label document, its view state, undo, loading, recovery and save guards."""
