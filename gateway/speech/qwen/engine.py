"""The gateway process's Qwen-Omni engine: settings and the one RetryPolicy all its sessions share."""

from __future__ import annotations

from luna.action.v1 import action_pb2_grpc

from gateway.speech.qwen.backoff import RetryPolicy
from gateway.speech.qwen.conversation import (
    ConfirmationState,
    OnAction,
    OutputAudio,
    QwenConversation,
    SessionContext,
    UnderstandAndAct,
)
from gateway.speech.qwen.models import capabilities_for
from gateway.speech.qwen.session import QwenRealtimeSession
from gateway.speech.qwen.settings import QwenSettings


class QwenEngine:
    name = "qwen"

    def __init__(self, settings: QwenSettings, action_timeout_seconds: float = 10.0) -> None:
        self.settings = settings
        self.action_timeout_seconds = action_timeout_seconds
        # One per process: after a failure, new sessions start on the embedded engine until the backoff passed.
        self.retry = RetryPolicy(settings.retry_initial_seconds, settings.retry_factor, settings.retry_max_seconds)

    @property
    def function_calling(self) -> bool:
        return capabilities_for(self.settings.model).function_calling

    def available(self) -> bool:
        return self.retry.available()

    def conversation(self, actions: action_pb2_grpc.ActionServiceStub, context: SessionContext, *,
                     understand_and_act: UnderstandAndAct, output_audio: OutputAudio,
                     confirmations: ConfirmationState, on_action: OnAction) -> QwenConversation:
        return QwenConversation(
            QwenRealtimeSession(self.settings), actions, context, understand_and_act=understand_and_act,
            output_audio=output_audio, retry=self.retry, action_timeout_seconds=self.action_timeout_seconds,
            confirmations=confirmations, on_action=on_action)
