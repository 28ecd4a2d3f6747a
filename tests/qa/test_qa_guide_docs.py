"""The QA guide's code blocks in docs/testing.md are the tests they name, verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"```python\n# (tests/qa/\S+\.py)\n(.*?)```", re.S)


def test_guide_blocks_are_the_tests():
    blocks = BLOCK.findall((ROOT / "docs" / "testing.md").read_text(encoding="utf-8"))
    assert {path for path, _ in blocks} == {
        "tests/qa/test_qa_guide_visit.py",
        "tests/qa/test_qa_guide_fault.py",
        "tests/qa/test_qa_guide_stop_all.py",
    }
    for path, code in blocks:
        source = (ROOT / path).read_text(encoding="utf-8")
        for function in code.strip().split("\n\n\n"):
            assert function in source, f"docs/testing.md quotes {path} out of date: {function.splitlines()[0]}"
        named = set(re.findall(r"^def (test_\w+)", source, re.M))
        assert named == set(re.findall(r"^def (test_\w+)", code, re.M)), f"{path}: guide and file name other tests"
