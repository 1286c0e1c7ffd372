"""docker-compose.yml and the Dockerfile cannot be run here (no container runtime): check they
are well-formed and that every file, command and setting they name exists in this repository."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from edoc.cli import cli
from edoc.config import Settings

REPO = Path(__file__).resolve().parents[1]
COMPOSE = REPO / "docker-compose.yml"
EDOC_SERVICES = ("web", "worker")
BACKING_SERVICES = ("postgres", "minio", "redis", "elasticsearch")


def _compose() -> dict:
    document = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = (REPO / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_compose_has_every_part_of_the_production_profile() -> None:
    services = _compose()["services"]
    assert set(services) == {*EDOC_SERVICES, *BACKING_SERVICES}
    for name in BACKING_SERVICES:
        assert ":" in services[name]["image"], f"{name}: image without a tag"
    assert services["postgres"]["image"] == "postgres:15"  # pg_dump 15 in the image dumps it
    for name in EDOC_SERVICES:
        assert set(services[name]["depends_on"]) == set(BACKING_SERVICES)


def test_compose_builds_from_files_that_exist() -> None:
    for name in EDOC_SERVICES:
        build = _compose()["services"][name]["build"]
        assert (REPO / build["context"] / build["dockerfile"]).is_file()
    for instruction, argument in _dockerfile_instructions():
        if instruction == "COPY":
            *sources, _target = shlex.split(argument)
            for source in sources:
                assert (REPO / source).exists(), f"Dockerfile copies missing {source}"


def test_every_command_names_a_real_entry_point() -> None:
    services = _compose()["services"]
    dockerfile_cmd = next(arg for ins, arg in _dockerfile_instructions() if ins == "CMD")
    commands = [services[name]["command"] for name in EDOC_SERVICES]
    commands.append(yaml.safe_load(dockerfile_cmd))
    for command in commands:
        program = command[0]
        if program == "edoc":
            assert command[1] in cli.commands, f"no `edoc {command[1]}` command"
        else:
            assert program == "gunicorn"
            module, attribute = command[-1].split(":")
            source = (REPO / f"{module}.py").read_text(encoding="utf-8")
            assert re.search(rf"^{attribute} = ", source, re.MULTILINE)
    installs = " ".join(arg for ins, arg in _dockerfile_instructions() if ins == "RUN")
    assert "gunicorn" in installs and "edoc-bootstrap" in installs


def test_every_edoc_setting_is_one_edoc_reads_and_is_valid() -> None:
    environment = _compose()["x-edoc"]["environment"]
    config_source = (REPO / "edoc" / "config.py").read_text(encoding="utf-8")
    gunicorn_source = (REPO / "gunicorn.conf.py").read_text(encoding="utf-8")
    web_environment = _compose()["services"]["web"]["environment"]
    for name in [*environment, *web_environment]:
        if name.startswith("EDOC_"):
            known = f'"{name}"' in config_source or f'"{name}"' in gunicorn_source
            assert known or name.startswith("EDOC_S3_"), name
    resolved = {
        name: re.sub(r"\$\{(\w+):[-?]([^}]*)\}", r"\2", str(value))
        for name, value in environment.items()
    }
    settings = Settings.from_env(resolved)  # every value passes the start-up validation
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.storage_url.startswith("s3://") and settings.search_url.startswith("http")


def test_web_runs_gunicorn_with_the_profiles_settings_file() -> None:
    """Container and unit file share gunicorn.conf.py (workers, threads, metrics directory)."""
    services = _compose()["services"]
    dockerfile_cmd = next(arg for ins, arg in _dockerfile_instructions() if ins == "CMD")
    for command in (services["web"]["command"], yaml.safe_load(dockerfile_cmd)):
        assert command == ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
    environment = _compose()["x-edoc"]["environment"]
    assert environment["PROMETHEUS_MULTIPROC_DIR"].startswith("/var/lib/edoc/")  # shared volume
    assert environment["EDOC_LOG_FORMAT"] == "json"
    assert services["worker"]["pid"] == "service:web"
