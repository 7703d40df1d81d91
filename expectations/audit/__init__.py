"""The mart audit: GX suites run on the candidate warehouse before publish, and its certificate."""
