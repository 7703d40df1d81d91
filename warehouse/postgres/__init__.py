"""The PostgreSQL target: connections and settings, raw carry-over, publish by schema swap, roles."""
