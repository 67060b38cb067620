"""Dataset formats: label encodings, layouts, class lists, import and export (docs/formats.md)."""
