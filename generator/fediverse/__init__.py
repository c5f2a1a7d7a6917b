"""The site as a fediverse actor: its key pair (`keys.py`) and HTTP Signatures, signed and verified (`signatures.py`);
the receiver's inbox (`inbox.py`, `processing.py`, `actors.py`, `inbox_store.py`) and its followers (`followers.py`)."""
