"""Remote AI providers, one module each, behind the small interface in ``base``."""
