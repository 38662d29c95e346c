"""The pure parts of the catalogue-size measurement (trolyao.evaluation.search_timing): the sizes asked
for, the synthetic catalogue made of real names, the memory figures, the table and the chart.
No timing is asserted: times depend on the machine."""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from pathlib import Path

import pytest

from trolyao.evaluation.charts import scaling_chart
from trolyao.evaluation.search_timing import main, parse_scales, recombine, status_mb, synthetic, table
from tthc.search import build_documents, read_records
from tthc.search.documents import procedure_name
from tthc.text.normalize import accent_key

RECORDS = Path(__file__).resolve().parents[1] / "fixtures" / "catalogue_search" / "records"


@pytest.fixture(scope="module")
def records():
    return read_records(RECORDS)  # real records of six ministries, some at several levels


# ------------------------------------------------------------------ sizes
def test_scales_are_distinct_and_ascending():
    assert parse_scales("1,2,5,10") == [1, 2, 5, 10]
    assert parse_scales(" 10, 1,5 ,1") == [1, 5, 10]
    assert parse_scales("3") == [3]


@pytest.mark.parametrize("text", ["", "1,,2", "a", "2.5", "0", "-1", "100", "1,200"])
def test_bad_scales_are_refused(text):
    with pytest.raises(argparse.ArgumentTypeError):
        parse_scales(text)


def test_a_chart_needs_several_scales(tmp_path):
    with pytest.raises(SystemExit):
        main(["--chart", str(tmp_path / "c.png")])
    assert not (tmp_path / "c.png").exists()


# ------------------------------------------------------------------ synthetic names
def test_names_are_joined_where_they_turn():
    assert (
        recombine("Cấp giấy phép kinh doanh cho doanh nghiệp", "Đăng ký hộ tịch của người nước ngoài")
        == "Cấp giấy phép kinh doanh của người nước ngoài"
    )
    # no connective: at the word boundary nearest the middle, never inside "hộ chiếu" or "thường trú"
    assert recombine("Đăng ký thường trú", "Cấp lại hộ chiếu phổ thông") == "Đăng ký hộ chiếu phổ thông"
    assert recombine("Tách", "hộ") == "Tách hộ"  # never an empty half
    bracket = "Nghiệm thu về phòng cháy chữa cháy (đối với dự án đầu tư xây dựng công trình)"
    joined = recombine("Cấp giấy phép kinh doanh cho doanh nghiệp", bracket)
    assert joined.startswith("Cấp giấy phép kinh doanh ")
    assert joined.endswith(" (đối với dự án đầu tư xây dựng công trình)")  # the bracket whole


def test_no_name_is_cut_inside_brackets(records):
    names = {procedure_name(r.name) for r in records}
    assert any("(" in name for name in names)
    for own in names:
        for theirs in names:
            joined = recombine(own, theirs)
            assert joined.count("(") == joined.count(")"), joined


def test_synthetic_catalogue_keeps_the_real_one_and_adds_new_codes(records):
    out = synthetic(records, 3)
    assert len(out) == 3 * len(records)
    assert out[: len(records)] == list(records)
    codes = [r.code for r in out]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"9\.\d{7}", r.code) for r in out[len(records) :])
    for i, record in enumerate(out[len(records) :]):
        real = records[i % len(records)]
        assert (record.level, record.field, record.agency, record.documents_text) == (
            real.level,
            real.field,
            real.agency,
            real.documents_text,
        )
    assert synthetic(records, 1) == list(records)


def test_synthetic_names_are_real_names_recombined_and_unique(records):
    real_bases = {accent_key(procedure_name(r.name)) for r in records}
    real_words = [procedure_name(r.name).split() for r in records]
    out = synthetic(records, 4)
    new_bases = defaultdict(set)  # copy -> the new procedures' names
    for record in out[len(records) :]:
        name = procedure_name(record.name)
        assert accent_key(name) not in real_bases, name
        words = name.split()
        assert any(
            words[:k] == own[:k] and any(words[k:] == other[-(len(words) - k) :] for other in real_words)
            for own in real_words
            for k in range(1, len(words))
        ), f"not two real names joined: {name}"
        new_bases[record.code[:4]].add(accent_key(name))
    every = [b for names in new_bases.values() for b in names]
    assert len(every) == len(set(every))  # no two new procedures share a name, in any copy


def test_levels_of_one_procedure_stay_one_procedure(records):
    real = len(build_documents(records))
    assert real < len(records)  # the fixtures hold procedures at several levels
    out = synthetic(records, 3)
    assert len(build_documents(out)) == 3 * real
    # "Cấp lại thẻ căn cước" at three levels: one new name per copy, each record keeping its level words
    reissue = accent_key("Cấp lại thẻ căn cước")
    levels = [i for i, r in enumerate(records) if accent_key(procedure_name(r.name)) == reissue]
    assert len(levels) == 3
    copy = out[len(records) : 2 * len(records)]
    assert len({procedure_name(copy[i].name) for i in levels}) == 1
    assert any(copy[i].name.endswith("(thực hiện tại cấp tỉnh)") for i in levels)


def test_scales_that_would_repeat_codes_are_refused(records):
    with pytest.raises(ValueError):
        synthetic(records, 100)
    with pytest.raises(ValueError):
        synthetic(records, 0)


# ------------------------------------------------------------------ memory, table, chart
def test_memory_is_read_from_proc_status():
    text = "Name:\tpython\nVmPeak:\t  999999 kB\nVmHWM:\t  307200 kB\nVmRSS:\t  204800 kB\nThreads:\t1\n"
    assert status_mb(text) == {"VmHWM": 300.0, "VmRSS": 200.0}
    assert status_mb("Name:\tpython\n") == {}


ROWS = [
    {"scale": 10, "procedures": 25250, "file_mb": 131.0, "rss_import_mb": 50.0, "rss_load_mb": 900.0,
     "peak_rss_mb": 1000.0, "load_s": 5.0, "p50_ms": 16.0, "p95_ms": 27.0, "max_ms": 60.0},
    {"scale": 1, "procedures": 2520, "file_mb": 18.2, "rss_import_mb": 50.0, "rss_load_mb": 148.1,
     "peak_rss_mb": 152.6, "load_s": 0.34, "p50_ms": 6.02, "p95_ms": 7.6, "max_ms": 8.68},
]  # fmt: skip


def test_table_has_one_line_per_size():
    lines = table(sorted(ROWS, key=lambda r: r["scale"])).splitlines()
    assert len(lines) == 4
    assert lines[2].startswith("| real | 2,520 | 18.2 |")
    assert lines[3].startswith("| synthetic ×10 | 25,250 | 131.0 |")
    assert all(line.count("|") == lines[0].count("|") for line in lines)


def test_chart_is_a_png(tmp_path):
    path = scaling_chart(ROWS, tmp_path / "img" / "scaling.png")
    assert path == tmp_path / "img" / "scaling.png"
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000  # two panels with text, not an empty canvas


def test_sets_chart_draws_each_eval_output(tmp_path):
    import json

    from trolyao.evaluation.charts import sets_chart

    metrics = {"intent_accuracy": 0.9, "procedure_top1": 0.7, "procedure_top3": 0.8, "oos_recall": 1.0,
               "wrong_answer_rate": 0.01, "answer_rate": 0.3}  # fmt: skip
    (tmp_path / "a.json").write_text(json.dumps(metrics))
    (tmp_path / "b.json").write_text(json.dumps({"ours": {**metrics, "procedure_top1": 0.6}}))  # with baselines
    out = sets_chart([str(tmp_path / "sets.png"), "Hai bộ", f"A={tmp_path / 'a.json'}", f"B={tmp_path / 'b.json'}"])
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_gate_chart_draws_the_cross_validation_by_threshold(tmp_path):
    from trolyao.evaluation.charts import gate_chart

    rows = [{"threshold": 0.8 + 0.05 * n, "answered": 400 - 100 * n, "wrong": 40 - 10 * n, "sets_off_target": 4 - n}
            for n in range(4)]  # fmt: skip
    data = gate_chart(rows, 0.9, 29, 2.9, tmp_path / "gate.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_sets_chart_without_its_arguments_says_how_to_call_it(tmp_path):
    from trolyao.evaluation.charts import sets_chart

    for argv in ([], ["--help"], [str(tmp_path / "sets.png"), "Hai bộ"]):
        with pytest.raises(SystemExit, match="Cách dùng"):
            sets_chart(argv)
    assert not (tmp_path / "sets.png").exists()
