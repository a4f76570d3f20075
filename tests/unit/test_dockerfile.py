"""Docker cannot build on these machines; check what the Dockerfile names exists and runs."""

import json
import re

from tests.conftest import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def test_every_copied_path_exists():
    sources = re.findall(r"^COPY\s+(.+?)\s+\S+$", DOCKERFILE, flags=re.M)
    assert sources, "the Dockerfile copies nothing"
    for line in sources:
        for path in line.split():
            assert (ROOT / path).exists(), f"Dockerfile copies {path}, which does not exist"


def test_entry_command_names_the_app_and_serves_publicly():
    (cmd,) = re.findall(r"^CMD\s+(\[.*\])$", DOCKERFILE, flags=re.M)
    argv = json.loads(cmd)
    assert argv[:3] == ["python", "-m", "app.serve"]  # streamlit run, models loading at start
    assert (ROOT / "app" / "serve.py").is_file()
    makefile = (ROOT / "Makefile").read_text()
    assert "python -m app.serve" in makefile  # make run serves the same way
    assert "--server.address=0.0.0.0" in argv and "--server.port=8501" in argv


def test_healthcheck_and_cpu_torch():
    assert re.search(r"^HEALTHCHECK .*\n?.*_stcore/health", DOCKERFILE, flags=re.M)
    assert "torch==2.13.0" in DOCKERFILE and "whl/cpu" in DOCKERFILE
    assert DOCKERFILE.startswith("#") and "FROM python:3.11-slim" in DOCKERFILE


def test_copied_packages_are_the_ones_the_app_imports():
    copied = set(re.findall(r"^COPY\s+(\w+)\s", DOCKERFILE, flags=re.M))
    assert {"app", "model", "pages", "data", "checkpoints"} <= copied


def test_allocator_settings_agree_everywhere():
    from model.core.runtime import ALLOCATOR_ENV

    makefile = (ROOT / "Makefile").read_text()
    for key, value in ALLOCATOR_ENV.items():
        assert f"{key}={value}" in DOCKERFILE, key
        assert re.search(rf"^export {key} := {value}$", makefile, flags=re.M), key


def test_evaluation_data_ships_with_the_image_and_nothing_reads_tests():
    """The Docker image holds no tests/: no path in model/'s code (docstrings aside) names it."""
    import ast

    for path in (ROOT / "model").rglob("*.py"):
        tree = ast.parse(path.read_text())
        docstrings = {
            id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)
        }  # a string standing alone as a statement
        strings = [
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings
        ]  # fmt: skip
        assert not [s for s in strings if s.startswith("tests")], path
    assert (ROOT / "data" / "qa" / "handwritten.json").is_file()


def test_compose_redis_asks_for_a_password_and_the_replicas_give_it():
    import yaml

    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    command = compose["services"]["redis"]["command"]
    password = command[command.index("--requirepass") + 1]
    assert password.startswith("${ATLAS_REDIS_PASSWORD:?")  # compose refuses to start without
    url = compose["services"]["atlas"]["environment"]["ATLAS_REDIS_URL"]
    assert url.startswith("redis://:${ATLAS_REDIS_PASSWORD") and url.endswith("@redis:6379/0")
