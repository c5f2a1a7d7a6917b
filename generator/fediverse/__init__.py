"""The site as a fediverse actor: its key pair (`keys.py`) and HTTP Signatures, signed and verified (`signatures.py`)."""
