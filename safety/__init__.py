"""Guards for code that reads untrusted user text."""
