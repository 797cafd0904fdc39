"""Declaration rules, one module per language family."""
