"""Unit tests, one file per module or concern of src/verify_refine."""
