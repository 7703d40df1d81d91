"""The performance benchmark behind `make bench` (docs/performance.md)."""
