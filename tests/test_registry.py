"""The local registry: lookups through the adapter and importing cards from CSV."""

import pytest

from webapp import registry
from webapp.registry.local import RegistryCard

pytestmark = pytest.mark.database

GOOD = (
    "card_number,holder_name,id_number,region,status\n"
    "B12345678,王小明,11010519491231002X,110000,active\n"
    "m31452876,张伟,110101198805120311,110000,lost\n"
)


def test_cards_are_found_by_number_in_any_width_or_case(app, db_conn):
    card = registry.find_card("ｍ３１４５２８７６")
    assert card.holder_name == "张伟" and card.status == "active" and card.region == "110000"
    assert registry.find_card("A00000000") is None
    assert [c.number for c in registry.cards_of("110101198805120311")] == ["M31452876"]


def test_import_adds_new_cards_and_updates_known_ones(app, db_conn, tmp_path):
    path = tmp_path / "cards.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["registry-import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Imported 1 new, 1 updated and 0 unchanged cards." in result.output
    assert registry.find_card("B12345678").holder_name == "王小明"
    assert registry.find_card("M31452876").status == "lost"
    raw = db_conn.execute_sql("SELECT number, id_number FROM registry_card").fetchall()
    assert all("B12345678" not in row[0] and "11010519491231002X" not in row[1] for row in raw)


def test_a_file_with_any_bad_row_imports_nothing(app, db_conn, tmp_path):
    path = tmp_path / "cards.csv"
    path.write_text(
        GOOD + "C1,李四,123,110000,active\nD12345678,李四,11010519491231002X,999999,gone\n",
        encoding="utf-8",
    )
    before = RegistryCard.select().count()
    result = app.test_cli_runner().invoke(args=["registry-import", str(path)])
    assert result.exit_code != 0
    assert "line 4" in result.output and "line 5" in result.output
    assert "Nothing was imported" in result.output
    assert RegistryCard.select().count() == before
    assert registry.find_card("M31452876").status == "active"


def test_a_file_without_the_columns_is_refused(app, db_conn, tmp_path):
    path = tmp_path / "cards.csv"
    path.write_text("number,name\nB12345678,王小明\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["registry-import", str(path)])
    assert result.exit_code != 0 and "missing column" in result.output


def _import(app, tmp_path, content, encoding="utf-8"):
    path = tmp_path / "cards.csv"
    path.write_bytes(content.encode(encoding))
    return app.test_cli_runner().invoke(args=["registry-import", str(path)])


def test_a_file_not_in_utf8_is_refused_with_a_clear_message(app, db_conn, tmp_path):
    before = RegistryCard.select().count()
    result = _import(app, tmp_path, GOOD, encoding="gbk")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert 'the file is not UTF-8 text (from Excel, save it as "CSV UTF-8")' in result.output
    assert "Nothing was imported" in result.output
    assert RegistryCard.select().count() == before


def test_a_card_number_twice_in_one_file_is_refused(app, db_conn, tmp_path):
    result = _import(app, tmp_path, GOOD + "B12345678,张伟,110101198805120311,110000,frozen\n")
    assert result.exit_code == 1
    assert "line 4: this card number is on an earlier line too" in result.output
    assert registry.find_card("B12345678") is None


def test_problems_name_the_line_of_the_file_and_never_a_full_id_number(app, db_conn, tmp_path):
    shifted = "B22345678,王小明,110000,11010519491231002X,active\n"  # region and ID swapped
    result = _import(app, tmp_path, GOOD + "\n\n" + shifted)
    assert result.exit_code == 1
    assert "line 6:" in result.output
    assert "11010519491231002X" not in result.output


def test_importing_the_same_file_again_reports_every_card_unchanged(app, db_conn, tmp_path):
    assert _import(app, tmp_path, GOOD).exit_code == 0
    stamped = {card.id: card.updated_at for card in RegistryCard.select()}
    result = _import(app, tmp_path, GOOD)
    assert result.exit_code == 0
    assert "Imported 0 new, 0 updated and 2 unchanged cards." in result.output
    assert {card.id: card.updated_at for card in RegistryCard.select()} == stamped


def test_a_column_the_import_does_not_know_is_refused_not_dropped(app, db_conn, tmp_path):
    header, rows = GOOD.split("\n", 1)
    with_mobile = (
        header + ",mobile\n" + "".join(line + ",13800138000\n" for line in rows.splitlines())
    )
    result = _import(app, tmp_path, with_mobile)
    assert result.exit_code == 1
    assert "unknown column(s): 'mobile'" in result.output
    assert "the header must name these columns: card_number, holder_name" in result.output
    assert registry.find_card("B12345678") is None


def test_a_row_with_more_values_than_columns_is_refused(app, db_conn, tmp_path):
    result = _import(app, tmp_path, GOOD + "C12345678,李四,11010519491231002X,110000,active,x\n")
    assert result.exit_code == 1
    assert "line 4: more values than the header has columns" in result.output
    assert registry.find_card("C12345678") is None and registry.find_card("B12345678") is None


def test_a_column_named_twice_is_refused(app, db_conn, tmp_path):
    result = _import(app, tmp_path, GOOD.replace("status\n", "status,region\n", 1))
    assert result.exit_code == 1 and "column(s) named twice: region" in result.output
