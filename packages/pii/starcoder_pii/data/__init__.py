"""Data files of the PII package (the real-file evaluation set), read with importlib.resources."""
