"""The deployment manifests (hathora.yaml, Dockerfiles) refer only to things that exist in the code."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = yaml.safe_load((ROOT / "hathora.yaml").read_text())
FLEETS: dict[str, dict] = MANIFEST["fleets"]
SOURCE_SUFFIXES = {".py", ".sh", ".ts", ".tsx", ".mjs", ".yaml"}


def dockerfile(fleet: dict) -> str:
    return (ROOT / fleet["build"]["dockerfile"]).read_text()


def instructions(text: str, keyword: str) -> list[str]:
    joined = re.sub(r"\\\n", " ", text)
    return [line.split(None, 1)[1] for line in joined.splitlines() if line.upper().startswith(keyword + " ")]


def source_text(paths: list[Path]) -> str:
    chunks = []
    for base in paths:
        files = [base] if base.is_file() else [p for p in base.rglob("*") if p.suffix in SOURCE_SUFFIXES
                                                 and "node_modules" not in p.parts and ".next" not in p.parts]
        chunks += [p.read_text(errors="replace") for p in files if p.is_file()]
    return "\n".join(chunks)


@pytest.mark.parametrize("name", sorted(FLEETS))
def test_build_paths_exist(name):
    fleet = FLEETS[name]
    assert (ROOT / fleet["build"]["dockerfile"]).is_file()
    assert (ROOT / fleet["build"]["context"]).resolve() == ROOT
    for copy in instructions(dockerfile(fleet), "COPY"):
        if copy.startswith("--from="):
            continue
        for source in copy.split()[:-1]:
            assert (ROOT / source).exists(), f"{name}: COPY source {source} does not exist"


@pytest.mark.parametrize("name", sorted(FLEETS))
def test_ports_match_the_image(name):
    fleet = FLEETS[name]
    text = dockerfile(fleet)
    exposed = {int(p) for line in instructions(text, "EXPOSE") for p in line.split()}
    declared = {p["port"] for p in fleet["networking"]["ports"]}
    assert declared <= exposed, f"{name}: manifest ports {declared} not exposed by the image ({exposed})"
    assert fleet["health_check"]["port"] in declared


@pytest.mark.parametrize("name", sorted(FLEETS))
def test_entrypoint_modules_exist(name):
    text = dockerfile(FLEETS[name])
    for cmd in instructions(text, "CMD") + instructions(text, "HEALTHCHECK"):
        for module in re.findall(r'"-m", "([\w.]+)"', cmd):
            path = ROOT / module.replace(".", "/")
            assert (path / "__main__.py").is_file() or path.with_suffix(".py").is_file(), module
        for script in re.findall(r'"([\w/]+\.sh)"', cmd):
            assert (ROOT / script).is_file(), script


CODE_OF_FLEET = {
    "voice-gateway": ["gateway", "luna_common"],
    "action-agent": ["action_agent", "luna_common"],
    "web-bridge": ["web_bridge", "luna_common"],
    "user-app": ["user-app/src", "user-app/next.config.ts"],
}


@pytest.mark.parametrize("name", sorted(FLEETS))
def test_every_environment_variable_is_read_by_the_code(name):
    fleet = FLEETS[name]
    code = source_text([ROOT / p for p in CODE_OF_FLEET[name]]) + dockerfile(fleet)
    prefixes = re.findall(r'env_prefix="(\w+)"', code)
    for variable in fleet.get("environment", {}):
        if variable == "NODE_ENV":
            continue  # read by Next.js itself
        # pydantic-settings fields read through an env_prefix: LUNA_QWEN_URL is field `url` under "LUNA_QWEN_".
        by_prefix = any(variable.startswith(prefix) and re.search(rf"^\s+{variable[len(prefix):].lower()}\s*:",
                                                                  code, re.MULTILINE) for prefix in prefixes)
        assert variable in code or by_prefix, f"{name}: {variable} is set by the manifest but never read"


def test_internal_services_are_not_public():
    for name in ("action-agent", "voice-gateway"):
        assert not any(p["public"] for p in FLEETS[name]["networking"]["ports"]), name
    assert any(p["public"] for p in FLEETS["web-bridge"]["networking"]["ports"])


def test_secrets_come_from_the_environment():
    for name, fleet in FLEETS.items():
        for variable, value in fleet.get("environment", {}).items():
            if any(word in variable for word in ("SECRET", "KEY", "DATABASE_URL")):
                assert value == "${" + variable + "}", f"{name}: {variable} must come from the environment"


def test_the_wheel_carries_the_runtime_data(tmp_path):
    """The images install the project as a wheel: data files the services read at run time must be in it."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    needed = [p.relative_to(ROOT).as_posix() for p in ROOT.glob("gateway/understanding/data/*")]
    needed += [p.relative_to(ROOT).as_posix() for p in ROOT.glob("action_agent/store/migrations/**/*.py")]
    needed += ["web_bridge/envoy.yaml", "luna/voice/v1/voice_pb2.py"]
    missing = [n for n in needed if n not in names]
    assert not missing, f"not in the wheel: {missing}"
