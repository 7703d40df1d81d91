"""One file as a whole: safety checks, finding the table in a grid, its metadata (city, department,
kind, month)."""
