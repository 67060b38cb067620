"""Small general-purpose widgets shared by the docks and the window."""
