"""Understanding: intents (spec §7.1) and typed entities (§7.2) from what people type or say.

    from gateway.understanding import Understander
    result = Understander().understand("table for four at olive garden tonight at seven", now)
"""

from gateway.understanding.proto import from_proto, to_proto
from gateway.understanding.understander import ENTITY_KEYS, INTENTS, Understander, Understanding

__all__ = ["ENTITY_KEYS", "INTENTS", "Understander", "Understanding", "from_proto", "to_proto"]
