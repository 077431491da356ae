"""Who may watch and who may feed: users, sessions, tokens and sender keys in ``auth.db``."""
