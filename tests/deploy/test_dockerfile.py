"""Lint of the Dockerfile and .dockerignore: what Kubernetes, a read-only root filesystem and
a public registry need from the image, checked without building it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest

from tests.deploy.chart import DOCKERFILE, DOCKERIGNORE, default_values

SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE|CREDENTIAL", re.I)
SECRET_VALUE = re.compile(r"xox[abpr]-|xapp-|-----BEGIN|postgres(ql)?://[^:@/\s]+:[^@\s]+@")
OCI_LABELS = {"title", "description", "source", "licenses", "version", "revision"}


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str
    stage: int  # 0-based index of the FROM it belongs to; -1 before the first FROM


def instructions() -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "the Dockerfile ends in a line continuation"
    found = []
    stage = -1
    for line in logical:
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        found.append(Instruction(keyword, arguments.strip(), stage))
    return found


def final_stage() -> list[Instruction]:
    every = instructions()
    last = max(i.stage for i in every)
    return [i for i in every if i.stage == last]


def global_args() -> dict[str, str]:
    args = {}
    for i in instructions():
        if i.keyword == "ARG" and i.stage == -1:
            name, _, default = i.arguments.partition("=")
            args[name] = default.strip('"')
    return args


def base_images() -> list[str]:
    args = global_args()
    images = []
    for i in instructions():
        if i.keyword == "FROM":
            image = i.arguments.split()[0]
            images.append(re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m[1], m[0]), image))
    return images


def test_multi_stage_with_only_the_venv_copied_into_the_final_stage() -> None:
    froms = [i for i in instructions() if i.keyword == "FROM"]
    assert len(froms) >= 2
    copies = [i for i in final_stage() if i.keyword == "COPY"]
    assert copies, "the final stage copies nothing"
    for copy in copies:
        assert copy.arguments.startswith("--from="), f"final stage copies from the context: {copy}"


@pytest.mark.parametrize("image", base_images())
def test_base_image_is_python_311_slim_pinned_not_latest(image: str) -> None:
    assert "$" not in image, f"unresolved build argument in {image}"
    assert ":" in image.split("@")[0], f"{image} has no tag"
    assert not image.split("@")[0].endswith(":latest")
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?", image), image


def test_the_final_user_is_a_fixed_non_root_number_matching_the_chart() -> None:
    users = [i.arguments for i in final_stage() if i.keyword == "USER"]
    assert users, "the final stage runs as root"
    user = users[-1]
    # runAsNonRoot refuses to start a container whose user is a name
    assert re.fullmatch(r"[0-9]+(:[0-9]+)?", user), f"USER {user} is not numeric"
    uid, _, gid = user.partition(":")
    assert int(uid) != 0
    values = default_values()
    for context in ("podSecurityContext", "securityContext"):
        assert values[context]["runAsUser"] == int(uid)
        if gid:
            assert values[context]["runAsGroup"] == int(gid)


def test_entrypoint_and_cmd_are_exact() -> None:
    stage = final_stage()
    entrypoint = [i.arguments for i in stage if i.keyword == "ENTRYPOINT"]
    cmd = [i.arguments for i in stage if i.keyword == "CMD"]
    # exec form (JSON): signals reach the daemon itself, not a shell
    assert [json.loads(e) for e in entrypoint] == [["slo-prep"]]
    assert [json.loads(c) for c in cmd] == [["run", "-c", "/etc/slo-prep/config.yaml"]]


def test_no_secret_is_baked_in() -> None:
    for i in instructions():
        if i.keyword in {"ENV", "ARG"}:
            names = re.findall(r"(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)(?==|\s|$)", i.arguments)
            for name in names:
                assert not SECRET_NAME.search(name), f"{i.keyword} {name} looks like a secret"
        assert not SECRET_VALUE.search(i.arguments), f"a credential in: {i.keyword}"
    assert not any(i.keyword == "ADD" for i in instructions()), "ADD can fetch URLs: use COPY"


def test_oci_labels() -> None:
    labels = " ".join(i.arguments for i in final_stage() if i.keyword == "LABEL")
    present = set(re.findall(r"org\.opencontainers\.image\.([a-z]+)=", labels))
    assert present >= OCI_LABELS


def test_works_with_a_read_only_root_filesystem() -> None:
    stage = final_stage()
    env = " ".join(i.arguments for i in stage if i.keyword == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    assert "PYTHONUNBUFFERED=1" in env
    volumes = " ".join(i.arguments for i in stage if i.keyword == "VOLUME")
    assert "/data" in volumes
    # the bytecode is compiled at build time, since it cannot be written at run time
    assert any("compileall" in i.arguments for i in instructions() if i.keyword == "RUN")


def test_the_build_context_holds_what_the_dockerfile_copies_and_nothing_else() -> None:
    lines = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    # deny by default: a new file (a local .env, a database) stays out of the image
    assert lines[0] == "*"
    included = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    for i in instructions():
        if i.keyword == "COPY" and not i.arguments.startswith("--from="):
            *sources, _ = i.arguments.split()
            for source in sources:
                assert source.rstrip("/") in included, f"{source} is excluded by .dockerignore"
