"""``python -m tools.imports``: the project's import graph has no cycles and keeps its layers."""

from __future__ import annotations

from pathlib import Path

from core.paths import PROJECT_ROOT
from tools import imports


def write(root: Path, files: dict) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_project_has_no_import_cycles():
    report = imports.build(PROJECT_ROOT)
    assert len(report.modules) > 50 and not report.unparsable
    assert report.cycles == [], "\n".join(report.lines())


def test_the_project_keeps_its_layering_rules(capsys):
    assert imports.main(["--root", str(PROJECT_ROOT)]) == 0, capsys.readouterr().out
    assert capsys.readouterr().out.startswith("imports ok: ")


def test_a_cycle_hidden_by_a_lazy_import_is_found(tmp_path, capsys):
    write(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/a.py": "from core import b\n",
            "core/b.py": "def later():\n    from .a import x\n    return x\n",
            "core/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from core import d\n",
            "core/d.py": "import core.c\n",
        },
    )
    assert imports.main(["--root", str(tmp_path), "--packages", "core"]) == 1
    out = capsys.readouterr().out
    assert "import cycle (hidden by lazy imports): core.a, core.b" in out
    assert "core.b -> core.a (lazy) at core/b.py:2" in out
    assert "core.c" not in out  # an import under TYPE_CHECKING never runs


def test_an_import_through_a_heavy_package_init_closes_a_cycle(tmp_path, capsys):
    write(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/vocab.py": "from kg_queries import schema\n",
            "kg_queries/__init__.py": "from kg_queries.store import Store\n",
            "kg_queries/schema.py": "",
            "kg_queries/store.py": "from core import vocab\n",
        },
    )
    assert imports.main(["--root", str(tmp_path), "--packages", "core", "kg_queries"]) == 1
    out = capsys.readouterr().out
    assert "import cycle: core.vocab, kg_queries, kg_queries.store" in out
    assert "layering" not in out  # core -> kg_queries.schema is allowed


def test_layering_violations_and_a_clean_tree(tmp_path, capsys):
    write(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/x.py": "def f():\n    import bot.y\n",
            "safety/__init__.py": "",
            "safety/s.py": "from core import x\nimport tests.helpers\n",
            "bot/__init__.py": "",
            "bot/y.py": "from safety import s\n",
        },
    )
    assert imports.main(["--root", str(tmp_path), "--packages", "core", "safety", "bot"]) == 1
    out = capsys.readouterr().out
    assert "layering: core.x -> bot.y (lazy) at core/x.py:2: core imports nothing" in out
    assert "layering: safety.s -> tests.helpers at safety/s.py:2: safety imports only core" in out
    assert "layering: safety.s -> tests.helpers at safety/s.py:2: the runtime imports neither" in out
    assert "layering: safety.s -> core.x" not in out and "layering: bot.y" not in out
    assert "import cycle (hidden by lazy imports): bot.y, core.x, safety.s" in out
    (tmp_path / "core/x.py").write_text("", encoding="utf-8")
    (tmp_path / "safety/s.py").write_text("from core import x\n", encoding="utf-8")
    assert imports.main(["--root", str(tmp_path), "--packages", "core", "safety", "bot"]) == 0
    assert capsys.readouterr().out.strip() == (
        "imports ok: 6 modules, 2 edges (0 lazy), no cycles, layering rules hold"
    )
