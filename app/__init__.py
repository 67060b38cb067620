"""segstudio's Qt GUI. Imports segmodels; owns nothing that could run without a screen."""
