"""bench/asr_eval/compare: configurations are checked before any decoding, every configuration hears the same turns,
and split runs add up to the whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.asr_eval.compare import main, parse_configuration, read_rows


def test_configuration_overrides_settings_and_model_options() -> None:
    assert parse_configuration("topn=6,lw=5.5,general_weight=0.1,fwdflat=False") == (
        {"topn": 6, "lw": 5.5, "fwdflat": False}, {"general_weight": 0.1})
    assert parse_configuration("") == ({}, {})


@pytest.mark.parametrize("argv, message", [
    (["beams=3"], "unknown setting 'beams'"), (["topn"], "not key=value"), (["lw=high"], "not a number"),
    (["--part", "2/2"], "want K/N with 0 <= K < N"), (["--part", "1/2/3"], "want K/N"), (["--part", "a/2"], "want K/N"),
])
def test_bad_input_is_refused_with_its_reason(argv: list[str], message: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_parts_decode_the_same_turns_for_every_configuration(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    # two sentences, one voice each (the second noisy): two speakers, so each part gets one
    first, second = tmp_path / "part0.jsonl", tmp_path / "part1.jsonl"
    main(["--limit", "2", "--part", "0/2", "--out", str(first), "topn=6"])
    main(["--limit", "2", "--part", "1/2", "--out", str(second), "topn=6"])
    rows = read_rows(str(first)) + read_rows(str(second))
    assert sorted((r["configuration"], r["turn"]) for r in rows) == [
        ("landed", 0), ("landed", 1), ("topn=6", 0), ("topn=6", 1)]
    assert {r["speaker"] for r in read_rows(str(first))}.isdisjoint(r["speaker"] for r in read_rows(str(second)))
    assert all(r["hypothesis"] and r["words"] > 0 and r["cpu_s"] > 0 for r in rows)
    capsys.readouterr()
    main(["--report", str(first), str(second)])
    table = capsys.readouterr().out
    assert "landed" in table and "topn=6" in table
    assert any(line.startswith("noisy") for line in table.splitlines())
