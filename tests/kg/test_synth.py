"""The synthetic file has the shape of the public dataset."""

from __future__ import annotations

from kg_queries import records, schema
from tools.kg_synth import write_file


def test_full_size_file_matches_the_public_dataset(tmp_path):
    path = tmp_path / "synthetic.jsonl"
    write_file(path, diseases=8800, seed=0, progress=False)
    data = records.load_files([path])
    counts = data.counts()
    nodes = sum(counts[label] for label in schema.LABELS)
    relations = sum(counts[rel.name] for rel in schema.RELATIONS)
    assert not data.problems and counts[schema.DISEASE] == 8800
    assert 40_000 <= nodes <= 48_000, counts
    assert 270_000 <= relations <= 330_000, counts
    assert all(counts[rel.name] > 0 for rel in schema.RELATIONS)
    assert not set(data.relations["do_eat"]) & set(data.relations["not_eat"])
    assert all(s != t for s, t in data.relations["acompany_with"])
