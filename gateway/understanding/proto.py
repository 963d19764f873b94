"""Conversion between Understanding and the protobuf types of luna.action.v1 (Intent, Entities)."""

from __future__ import annotations

from luna.action.v1 import action_pb2

from gateway.understanding.understander import ENTITY_KEYS, Understanding

_INT_KEYS = frozenset({"party_size", "price_level"})


def intent_to_proto(intent: str) -> action_pb2.Intent.ValueType:
    return action_pb2.Intent.Value("INTENT_" + intent.upper())


def intent_from_proto(intent: action_pb2.Intent.ValueType) -> str:
    name = action_pb2.Intent.Name(intent)
    return "unclear" if name == "INTENT_UNSPECIFIED" else name.removeprefix("INTENT_").lower()


def to_proto(understanding: Understanding) -> tuple[action_pb2.Intent.ValueType, float, action_pb2.Entities]:
    """(Intent enum value, confidence, Entities) for ActionRequest and VoiceGateway.Understand."""
    entities = action_pb2.Entities()
    for key, value in understanding.entities.items():
        if key == "distance_km":
            entities.distance_km = float(value)
        elif key in _INT_KEYS:
            setattr(entities, key, int(value))
        else:
            setattr(entities, key, str(value))
    return intent_to_proto(understanding.intent), understanding.confidence, entities


def from_proto(intent: action_pb2.Intent.ValueType, confidence: float, entities: action_pb2.Entities,
               text: str = "") -> Understanding:
    present = {f.name: value for f, value in entities.ListFields()}
    values: dict[str, str | int | float] = {k: present[k] for k in ENTITY_KEYS if k in present}
    return Understanding(text, intent_from_proto(intent), float(confidence), values)
