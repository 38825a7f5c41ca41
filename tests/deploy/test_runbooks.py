"""Alert <-> runbooks/<AlertName>.md <-> runbook_url, one page per alert with the five
sections an on-call engineer needs, and commands that name real metrics."""

from __future__ import annotations

import re

import pytest

from tests.deploy.chart import RUNBOOKS, alert_names, exposed_metrics

SECTIONS = ["What it means", "User impact", "Diagnose", "Mitigate", "Verify"]
_FENCE = re.compile(r"^```[a-z]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {title.strip(): body for title, body in zip(parts[1::2], parts[2::2], strict=True)}


@pytest.mark.parametrize("name", alert_names())
def test_every_alert_has_its_runbook_with_the_five_sections(name: str) -> None:
    page = RUNBOOKS / f"{name}.md"
    assert page.is_file(), f"{page} is missing"
    text = page.read_text(encoding="utf-8")
    assert text.startswith(f"# {name}\n")
    sections = _sections(text)
    assert list(sections) == SECTIONS
    for title, body in sections.items():
        assert len(body.split()) >= 15, f"{name}: section {title!r} is nearly empty"


@pytest.mark.parametrize("name", alert_names())
def test_diagnose_and_verify_give_commands_to_paste(name: str) -> None:
    sections = _sections((RUNBOOKS / f"{name}.md").read_text(encoding="utf-8"))
    for title in ("Diagnose", "Verify"):
        blocks = _FENCE.findall(sections[title])
        assert blocks, f"{name}: {title} has no command block"
        assert any(re.search(r"\b(kubectl|promtool|curl|helm)\b", b) for b in blocks), (
            f"{name}: {title} has no kubectl / promtool / curl / helm command"
        )


def test_no_runbook_for_an_alert_that_does_not_exist() -> None:
    pages = {page.stem for page in RUNBOOKS.glob("SloPrep*.md")}
    assert pages == set(alert_names())


def test_the_runbook_index_links_every_alert_and_every_link_resolves() -> None:
    index = (RUNBOOKS / "README.md").read_text(encoding="utf-8")
    for name in alert_names():
        assert f"[{name}]({name}.md)" in index
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", index):
        if "://" not in target:
            assert (RUNBOOKS / target).exists(), f"runbooks/README.md links {target}"


def test_every_metric_a_runbook_queries_exists() -> None:
    # a renamed metric would leave the 3 a.m. commands returning nothing
    metrics, _ = exposed_metrics()
    missing = set()
    for page in RUNBOOKS.glob("SloPrep*.md"):
        for metric in re.findall(r"\bslo_prep_[a-z0-9_]+", page.read_text(encoding="utf-8")):
            if metric not in metrics:
                missing.add(f"{page.name}: {metric}")
    assert missing == set()


def test_runbook_links_between_pages_resolve() -> None:
    for page in RUNBOOKS.glob("*.md"):
        for target in re.findall(r"\]\(([A-Za-z0-9_.-]+\.md)\)", page.read_text(encoding="utf-8")):
            assert (RUNBOOKS / target).is_file(), f"{page.name} links {target}"
