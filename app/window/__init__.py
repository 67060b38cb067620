"""The main window: assembles the canvas, toolbar, docks, menus and actions."""
