"""Evidence: motion events kept as clips of the senders' own JPEGs, indexed, bounded on disk."""
