"""How a finished gRPC call is reported to the browser as a WebSocket close frame.

Close codes 4000-4999 are free for applications (RFC 6455 §7.4.2), so a gRPC
status code N becomes 4000 + N and the status details become the close reason.
A browser can tell "retry" (UNAVAILABLE = 4014) from "fix the request"
(INVALID_ARGUMENT = 4003, UNAUTHENTICATED = 4016) without parsing text.
"""

from __future__ import annotations

import grpc

NORMAL = 1000
GOING_AWAY = 1001
UNSUPPORTED_DATA = 1003
INVALID_PAYLOAD = 1007
MESSAGE_TOO_BIG = 1009
INTERNAL_ERROR = 1011
GRPC_STATUS_BASE = 4000
# RFC 6455 §5.5: a control frame's payload is at most 125 bytes, two of them the code.
MAX_REASON_BYTES = 123


def close_code_for_status(code: grpc.StatusCode) -> int:
    if code == grpc.StatusCode.OK:
        return NORMAL
    return GRPC_STATUS_BASE + int(code.value[0])


def status_for_close_code(close_code: int) -> grpc.StatusCode | None:
    """The gRPC status a close code stands for, or None when it is not a mapped status."""
    if close_code == NORMAL:
        return grpc.StatusCode.OK
    for code in grpc.StatusCode:
        if close_code == GRPC_STATUS_BASE + int(code.value[0]):
            return code
    return None


def close_reason(text: str) -> str:
    """Trim text to what fits in a close frame, without splitting a UTF-8 character."""
    data = text.encode("utf-8")
    if len(data) <= MAX_REASON_BYTES:
        return text
    return data[:MAX_REASON_BYTES].decode("utf-8", errors="ignore")
