"""Foundation: both servers start, report health, expose reflection, reject bad requests and drain on SIGTERM."""

from __future__ import annotations

import subprocess
import sys
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from luna.action.v1 import action_pb2, action_pb2_grpc
from luna.voice.v1 import voice_pb2, voice_pb2_grpc

from luna_common.tokens import issue_token
from tests.servers import ROOT, TEST_TOKEN_SECRET, running_server, start_server


@pytest.fixture(scope="module")
def action_agent():
    with running_server("action_agent") as server:
        yield server


@pytest.fixture(scope="module")
def gateway(action_agent):
    with running_server("gateway", ["--action-agent", action_agent.address]) as server:
        yield server


def list_services(address: str) -> set[str]:
    with grpc.insecure_channel(address) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        replies = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        return {s.name for reply in replies for s in reply.list_services_response.service}


@pytest.mark.parametrize("which", ["action_agent", "gateway"])
def test_health_is_serving(which, request):
    server = request.getfixturevalue(which)
    with grpc.insecure_channel(server.address) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_both_services(gateway, action_agent):
    assert "luna.voice.v1.VoiceGateway" in list_services(gateway.address)
    assert "grpc.health.v1.Health" in list_services(gateway.address)
    assert "luna.action.v1.ActionService" in list_services(action_agent.address)


def test_reflection_serves_the_file_descriptor(gateway):
    with grpc.insecure_channel(gateway.address) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(file_containing_symbol="luna.voice.v1.VoiceGateway")
        reply = next(stub.ServerReflectionInfo(iter([request])))
    assert reply.file_descriptor_response.file_descriptor_proto


def test_execute_without_intent_is_invalid_argument(action_agent):
    with grpc.insecure_channel(action_agent.address) as channel:
        stub = action_pb2_grpc.ActionServiceStub(channel)
        with pytest.raises(grpc.RpcError) as err:
            stub.Execute(action_pb2.ActionRequest(request_id="r1", session_id="s", user_id=1), timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "intent" in err.value.details()


def test_converse_must_start_with_start(gateway):
    with grpc.insecure_channel(gateway.address) as channel:
        stub = voice_pb2_grpc.VoiceGatewayStub(channel)
        events = iter([voice_pb2.ClientEvent(interrupt=voice_pb2.Interrupt())])
        with pytest.raises(grpc.RpcError) as err:
            list(stub.Converse(events, timeout=5))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "start" in err.value.details()


def test_converse_with_a_forged_token_is_unauthenticated(gateway):
    forged = issue_token(1, "another-secret-0123456789abcdef")
    with grpc.insecure_channel(gateway.address) as channel:
        stub = voice_pb2_grpc.VoiceGatewayStub(channel)
        events = iter([voice_pb2.ClientEvent(start=voice_pb2.Start(session_token=forged))])
        with pytest.raises(grpc.RpcError) as err:
            list(stub.Converse(events, timeout=5))
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_sigterm_drains_an_open_stream(action_agent):
    server = start_server("gateway", ["--action-agent", action_agent.address],
                          env={"LUNA_SHUTDOWN_GRACE_SECONDS": "10"})
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = voice_pb2_grpc.VoiceGatewayStub(channel)
            outgoing: list[voice_pb2.ClientEvent] = []
            token = issue_token(1, TEST_TOKEN_SECRET)

            def events():
                yield voice_pb2.ClientEvent(start=voice_pb2.Start(session_token=token))
                while not outgoing:
                    time.sleep(0.05)
                yield outgoing[0]

            replies = stub.Converse(events(), timeout=30)
            assert next(replies).WhichOneof("event") == "connected"
            server.proc.terminate()  # SIGTERM while the stream is open
            time.sleep(0.5)
            assert server.proc.poll() is None, "server must wait for the open stream"
            outgoing.append(voice_pb2.ClientEvent(end_session=voice_pb2.EndSessionEvent()))
            rest = [r.WhichOneof("event") for r in replies]
        assert rest[-1] == "session_ended"
        assert server.proc.wait(timeout=15) == 0
    finally:
        server.kill()


def test_help_documents_the_servers():
    for module in ("gateway", "action_agent"):
        out = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout
        assert "LUNA_TOKEN_SECRET" in out and "--port" in out


def test_healthcheck_command_reports_serving_and_down(action_agent):
    def check(address: str) -> int:
        return subprocess.run([sys.executable, "-m", "luna_common.healthcheck", address], cwd=ROOT,
                              capture_output=True, text=True, timeout=30).returncode

    assert check(action_agent.address) == 0
    assert check("127.0.0.1:1") == 1
