"""Every random draw's seed: the global seed and the names involved, hashed. A module
of its own so that the stages that draw (demo, degrade, train) rerun when this
changes, and not when the config validation does."""

import hashlib


def derive_seed(*parts) -> int:
    """A 63-bit seed from the global seed and names (chain, piece, ...)."""
    text = "/".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1

