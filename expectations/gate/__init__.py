"""The submission gate: GX suites run on one file's staged rows (or a batch of files) before raw."""
