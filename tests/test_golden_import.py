"""`matex golden import`: validation with an itemised report, idempotent chunked upserts."""
import json

import pytest

from crosscheck import SqlGoldenStore, import_file
from crosscheck.synth import make_id
from matex.cli import main

HEADER = ("id_number,name,former_names,sex,ethnicity,birth_date,address,status,death_date,"
          "disability_certificate_number,disability_category,disability_level,"
          "social_security_number,bank_account,pension_status\n")
A = make_id("110105", "1949-12-31", 11)   # male
B = make_id("440106", "1960-02-29", 22)   # female
C = make_id("220104", "1985-07-01", 33)


def write_csv(path, rows):
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path):
    s = SqlGoldenStore(str(tmp_path / "golden.sqlite3"))
    yield s
    s.close()


def test_import_validates_and_itemises(tmp_path, store):
    bad_check = A[:17] + ("0" if A[17] != "0" else "1")
    f = write_csv(tmp_path / "people.csv", [
        f"{A},張三,张小三;张叁,男,汉族,1949年12月31日,北京市朝阳区建国路1号,alive,,,,,{A},6222021234567890123,领取",
        f"{B},李四,,F,蒙古,1960-02-29,广东省广州市天河区天河路100号,deceased,2024-03-01,{B}42,肢体,贰级,,,stopped",
        f"{bad_check},王五,,男,汉,1949-12-31,,,,,,,,,",                        # line 4: check char
        f"{C},赵六,,男,汉,1985-07-02,,,,,,,,,",                                  # line 5: birth vs ID
        f"{C},,,男,汉,1985-07-01,,,,,,,,,",                                      # line 6: empty name
        f"{C},赵六,,男,汉,1985-07-01,,alive,2020-01-01,,,,,,",                  # line 7: alive + death date
        f"{C},赵六,,男,汉,1985-07-01,,,,,,,,123,",                               # line 8: bank account
    ])
    rep = import_file(f, store, chunk_size=2)
    assert (rep.rows, rep.accepted, rep.rejected) == (7, 2, 5)
    by_line = {r.line: r for r in rep.rejections}
    assert set(by_line) == {4, 5, 6, 7, 8}
    assert by_line[4].field == "id_number" and "check character" in by_line[4].reason
    assert by_line[5].field == "birth_date"
    assert by_line[6].field == "name"
    assert by_line[7].field == "death_date"
    assert by_line[8].field == "bank_account"
    # no personal data in the report: the ID is masked
    assert all(r.id_number is None or "*" in r.id_number for r in rep.rejections)
    a = store.get(A)
    assert a["name"] == "张三" and a["former_names"] == ["张小三", "张叁"]
    assert a["birth_date"] == "1949-12-31" and a["ethnicity"] == "汉" and a["pension_status"] == "receiving"
    b = store.get(B, ["disability_level", "disability_category", "status", "death_date"])
    assert b == {"id_number": B, "disability_level": "二级", "disability_category": "肢体残疾",
                 "status": "deceased", "death_date": "2024-03-01"}
    assert store.find("張三", "1949-12-31", ["name"]) == [{"id_number": A, "name": "张三"}]


def test_import_is_idempotent_and_updates(tmp_path, store):
    f = write_csv(tmp_path / "p.csv", [f"{A},张三,,男,汉,1949-12-31,,,,,,,,,",
                                       f"{B},李四,,女,汉,1960-02-29,,,,,,,,,"])
    r1 = import_file(f, store)
    assert (r1.written, r1.unchanged) == (2, 0)
    r2 = import_file(f, store)
    assert (r2.written, r2.unchanged) == (0, 2)
    assert store.count() == 2
    f2 = write_csv(tmp_path / "p2.csv", [f"{A},张三,,男,汉,1949-12-31,,deceased,2025-01-02,,,,,,stopped",
                                         f"{B},李四,,女,汉,1960-02-29,,,,,,,,,"])
    r3 = import_file(f2, store)
    assert (r3.written, r3.unchanged) == (1, 1)
    assert store.get(A, ["status", "death_date"])["status"] == "deceased"
    assert store.count() == 2


def test_duplicates_in_one_chunk_last_wins(tmp_path, store):
    f = write_csv(tmp_path / "d.csv", [f"{A},张三,,男,汉,1949-12-31,,,,,,,,,",
                                       f"{A},张三丰,,男,汉,1949-12-31,,,,,,,,,"])
    import_file(f, store)
    assert store.get(A, ["name"])["name"] == "张三丰"


def test_jsonl_and_bad_lines(tmp_path, store):
    f = tmp_path / "p.jsonl"
    f.write_text("\n".join([
        json.dumps({"id_number": A, "name": "张三", "former_names": ["张叁"], "birth_date": "1949-12-31",
                    "extra_col": 1}, ensure_ascii=False),
        "{not json",
        "",
        json.dumps({"id_number": B, "name": "李四", "sex": "男"}, ensure_ascii=False),
    ]), encoding="utf-8")
    rep = import_file(f, store)
    assert rep.accepted == 1 and rep.rejected == 2
    assert [(r.line, r.field) for r in rep.rejections] == [(2, "-"), (4, "sex")]
    assert rep.ignored_columns == ["extra_col"]


def test_cli_import(tmp_path, capsys):
    f = write_csv(tmp_path / "p.csv", [f"{A},张三,,男,汉,1949-12-31,,,,,,,,,", f"{A[:-1]}9,x,,,,,,,,,,,,,"])
    db = tmp_path / "cli.sqlite3"
    rc = main(["golden", "import", str(f), "--db", str(db), "--report", str(tmp_path / "rej.jsonl")])
    out = capsys.readouterr().out
    assert rc == 1  # something was rejected
    assert "1 accepted" in out and "line 3: id_number" in out
    assert A not in out  # masked everywhere
    assert json.loads((tmp_path / "rej.jsonl").read_text().splitlines()[0])["line"] == 3
    rc = main(["golden", "import", str(f), "--db", f"sqlite:///{db}"])
    assert "0 written, 1 unchanged" in capsys.readouterr().out
