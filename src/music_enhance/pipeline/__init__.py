"""The plan of a run (what the rules build, where, how) and provenance records."""
