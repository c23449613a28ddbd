"""Configuration, seeds, audio I/O, metrics and batch records: what every layer uses."""
