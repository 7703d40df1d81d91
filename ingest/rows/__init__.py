"""One row at a time: cell values, personal data, the row rules and the messages clerks read."""
