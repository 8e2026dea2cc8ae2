"""Are two warehouses' marts the same? EXCEPT ALL both ways on every table of a schema.

    .venv/bin/python -m concord.devtools.compare_warehouses A.duckdb B.duckdb [--schema marts] [--digits 12]
        [--ignore loaded_at ...]

For a refactoring that must not change a number: build the same data before and after, then
compare. Doubles are rounded to --digits decimals (a float sum's last bits may differ with the
order DuckDB adds in); every other type is compared exactly. Rows that still differ are paired on
their other columns, and a pair whose doubles differ by at most 10^-digits counts as equal (a
value next to a rounding boundary can round apart). --ignore leaves a column out
everywhere (loaded_at: when the data was ingested, which two builds of the same data differ in). Tables only in one warehouse, or
with different columns, count as differences. Exit status 0 when everything is equal, 1 when
not, with one line per table.
"""

from __future__ import annotations

import argparse
import sys

import duckdb

from ingest.warehouse import scratch


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> dict:
    rows = con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
        [catalog, schema, table],
    ).fetchall()
    return dict(rows)


def _tables(con: duckdb.DuckDBPyConnection, catalog: str, schema: str) -> set[str]:
    return {
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_catalog = ?"
            " and table_schema = ? and table_type = 'BASE TABLE'",
            [catalog, schema],
        ).fetchall()
    }


def _expression(column: str, data_type: str, digits: int) -> str:
    quoted = '"' + column.replace('"', '""') + '"'
    if data_type in ("DOUBLE", "FLOAT", "REAL"):
        return f"round({quoted}, {digits}) as {quoted}"
    if data_type in ("DOUBLE[]", "FLOAT[]"):
        return f"list_transform({quoted}, x -> round(x, {digits})) as {quoted}"
    return quoted


def _unpaired(con, schema: str, name: str, columns: dict, ignore, digits: int) -> list[int]:
    """Rows of each side left unmatched after rounding, paired on their non-double columns: a
    pair matches when every rounded double differs by at most two steps of 10^-digits (two
    values 1e-15 apart can round to neighbouring steps)."""
    doubles = [
        c for c, t in columns.items() if t in ("DOUBLE", "FLOAT", "REAL") and c not in ignore
    ]
    others = [c for c in columns if c not in doubles and c not in ignore]

    def quoted(column: str) -> str:
        return '"' + column.replace('"', '""') + '"'

    rounded = ", ".join(_expression(c, columns[c], digits) for c in [*others, *doubles])
    on = " and ".join(f"l.{quoted(c)} is not distinct from r.{quoted(c)}" for c in others)
    close = " and ".join(
        f"(l.{quoted(c)} is not distinct from r.{quoted(c)}"
        f" or abs(l.{quoted(c)} - r.{quoted(c)}) <= {2 * 10.0**-digits!r})"
        for c in doubles
    )
    out = []
    for left, right in (("wa", "wb"), ("wb", "wa")):
        for temp, first, second in (("only_l", left, right), ("only_r", right, left)):
            con.execute(
                f"create or replace temp table {temp} as"
                f' select {rounded} from {first}.{schema}."{name}"'
                f' except all select {rounded} from {second}.{schema}."{name}"'
            )
        out.append(
            con.execute(
                "select count(*) from only_l as l where not exists (select 1 from only_r as r"
                f" where {on or 'true'} and {close or 'true'})"
            ).fetchone()[0]
        )
    return out


def compare(
    a: str,
    b: str,
    schema: str,
    digits: int,
    ignore: tuple[str, ...] = (),
    skip_tables: tuple[str, ...] = (),
    *,
    verbose: bool = True,
) -> list[str]:
    """One line per table that differs (empty: the same); `skip_tables` are not compared."""
    con = scratch()
    for path, alias in ((a, "wa"), (b, "wb")):
        quoted = str(path).replace("'", "''")  # a path may hold a quote
        con.execute(f"attach '{quoted}' as {alias} (read_only)")
    differences = []
    tables_a = _tables(con, "wa", schema) - set(skip_tables)
    tables_b = _tables(con, "wb", schema) - set(skip_tables)
    for name in sorted(tables_a ^ tables_b):
        differences.append(f"{schema}.{name}: only in {'A' if name in tables_a else 'B'}")
    for name in sorted(tables_a & tables_b):
        columns = _columns(con, "wa", schema, name)
        if columns != _columns(con, "wb", schema, name):
            differences.append(f"{schema}.{name}: the columns differ")
            continue
        select = ", ".join(_expression(c, t, digits) for c, t in columns.items() if c not in ignore)
        counts = []
        for left, right in (("wa", "wb"), ("wb", "wa")):
            counts.append(
                con.execute(
                    f'select count(*) from (select {select} from {left}.{schema}."{name}"'
                    f' except all select {select} from {right}.{schema}."{name}")'
                ).fetchone()[0]
            )
        if counts != [0, 0]:
            counts = _unpaired(con, schema, name, columns, ignore, digits)
        n_rows = con.execute(f'select count(*) from wa.{schema}."{name}"').fetchone()[0]
        status = (
            "equal"
            if counts == [0, 0]
            else f"DIFFER: {counts[0]} rows only in A, {counts[1]} only in B"
        )
        if verbose:
            print(f"{schema}.{name}: {n_rows} rows, {status}")
        if counts != [0, 0]:
            differences.append(f"{schema}.{name}: {status}")
    con.close()
    return differences


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--schema", default="marts")
    parser.add_argument("--digits", type=int, default=12)
    parser.add_argument("--ignore", nargs="*", default=[], help="columns to leave out")
    args = parser.parse_args(argv)
    differences = compare(args.a, args.b, args.schema, args.digits, tuple(args.ignore))
    for line in differences:
        print(line)
    print("the same" if not differences else f"{len(differences)} tables differ")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
