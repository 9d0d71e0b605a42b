#!/usr/bin/env python3
"""Compares the schema the PostgreSQL migrations make with the one the SQLite migrations make.

    scripts/pg-test-cluster start /tmp/pg                      # once
    URL=$(scripts/pg-test-cluster createdb /tmp/pg schema_check)
    python3 crates/store/tests/compare_schemas.py "$URL"

URL is an empty PostgreSQL database: the script applies crates/store/migrations/postgres/*.sql
to it in order with psql (each file in one transaction, as sqlx's migrator does), unless
--applied says they already are. It applies crates/store/migrations/sqlite/*.sql in order to a
temporary SQLite database (with the sqlite3 command if there is one, else Python's sqlite3
module), then compares, per table:

  - the columns in order: name, type (INTEGER -> bigint, TEXT -> text, BLOB -> bytea,
    REAL -> double precision), nullability, default (casts dropped), AUTOINCREMENT <-> identity;
  - the primary key (columns in order);
  - foreign keys (columns, referenced table and columns, ON DELETE and ON UPDATE);
  - CHECK constraints, as (columns they use, literals they hold): PostgreSQL rewrites their text
    (`x IN ('a', 'b')` becomes `x = ANY (ARRAY['a'::text, 'b'::text])`);
  - indexes: named ones by name, UNIQUE constraints by their keys; unique or not, key columns or
    expressions, partial WHERE clause (spaces, parentheses and casts dropped);
  - triggers: name, timing, event (and UPDATE OF columns); not their bodies or WHEN clauses;
  - the rows the migrations leave (seed rows): count per table and content (of tables with no
    column the migrations fill with random or time values).

Prints the differences and exits 1 if there are any (0 if none, 2 on a usage or tool error).
-v also lists each table's columns. Python 3 standard library and psql only.
"""

import argparse
import glob
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MIGRATIONS = os.path.normpath(os.path.join(HERE, "..", "migrations"))

TYPE_MAP = {
    "INTEGER": "bigint",
    "TEXT": "text",
    "BLOB": "bytea",
    "REAL": "double precision",
}

FK_ACTION_PG = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def fail(message):
    print("compare_schemas: error: " + message, file=sys.stderr)
    sys.exit(2)


# --- normalisation ---------------------------------------------------------------------------------


def strip_comments(sql):
    return re.sub(r"--[^\n]*", "", sql)


def strip_casts(text):
    return re.sub(r"::[a-z_]+(?: (?:precision|varying))?(?:\[\])?", "", text)


def norm_expr(text):
    """Lower case, no casts, no spaces, no parentheses around the whole."""
    if text is None:
        return None
    text = strip_casts(text.strip())
    text = re.sub(r"\s+", "", text).lower()
    while text.startswith("(") and text.endswith(")") and balanced(text[1:-1]):
        text = text[1:-1]
    return text


def norm_where(text):
    # parentheses are dropped altogether: PostgreSQL adds its own around each term
    return None if text is None else re.sub(r"[()]", "", norm_expr(text))


def balanced(text):
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def paren_group(text, start):
    """The text inside the parenthesis opening at text[start], and the index after it."""
    assert text[start] == "("
    depth = 0
    in_string = False
    for i in range(start, len(text)):
        ch = text[i]
        if in_string:
            if ch == "'":
                in_string = False
            continue
        if ch == "'":
            in_string = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i], i + 1
    raise ValueError("unbalanced parentheses in: " + text)


def norm_default(text):
    if text is None:
        return None
    return strip_casts(text.strip())


def literals(expr):
    found = set(re.findall(r"'(?:[^']|'')*'", expr))
    rest = re.sub(r"'(?:[^']|'')*'", " ", expr)
    found |= set(re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", rest))
    return tuple(sorted(found))


def identifiers(expr, columns):
    rest = re.sub(r"'(?:[^']|'')*'", " ", expr)
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", rest))
    return tuple(sorted(c for c in columns if c in words))


# --- SQLite ----------------------------------------------------------------------------------------


def build_sqlite(files, path):
    cli = shutil.which("sqlite3")
    if cli:
        for f in files:
            with open(f, "rb") as sql:
                run = subprocess.run([cli, "-bail", path], stdin=sql, capture_output=True)
            if run.returncode != 0:
                fail("sqlite3 failed on %s: %s" % (f, run.stderr.decode(errors="replace")))
        how = cli
    else:
        con = sqlite3.connect(path)
        for f in files:
            with open(f, encoding="utf-8") as sql:
                try:
                    con.executescript(sql.read())
                except sqlite3.Error as e:
                    fail("sqlite3 module failed on %s: %s" % (f, e))
        con.commit()
        con.close()
        how = "python sqlite3 module"
    return how


def trigger_head(sql):
    m = re.search(
        r"CREATE\s+TRIGGER\s+(\w+)\s+(BEFORE|AFTER|INSTEAD\s+OF)\s+(INSERT|DELETE|UPDATE)"
        r"(?:\s+OF\s+([\w\s,]+?))?\s+ON\s+(\w+)",
        strip_comments(sql),
        re.I,
    )
    if not m:
        raise ValueError("cannot read trigger: " + sql)
    name, timing, event, cols, table = m.groups()
    cols = tuple(c.strip() for c in cols.split(",")) if cols else ()
    return name, table, (timing.upper(), event.upper(), cols)


def sqlite_schema(path):
    con = sqlite3.connect(path)
    schema = {}
    tables = [
        (name, sql)
        for name, sql in con.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    for table, table_sql in tables:
        t = schema[table] = {}
        body = strip_comments(table_sql)
        autoincrement = "AUTOINCREMENT" in body.upper()
        info = con.execute("PRAGMA table_info(%s)" % table).fetchall()
        pk_cols = [r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5])]
        rowid_pk = len(pk_cols) == 1 and any(r[1] == pk_cols[0] and r[2].upper() == "INTEGER" for r in info)
        cols = []
        for cid, name, decl, notnull, default, pk in info:
            identity = bool(pk) and rowid_pk and autoincrement
            cols.append(
                {
                    "name": name,
                    "type": TYPE_MAP.get(decl.upper(), "?" + decl),
                    # an INTEGER PRIMARY KEY is the rowid: never NULL
                    "notnull": bool(notnull) or (bool(pk) and rowid_pk),
                    "default": norm_default(default),
                    "identity": identity,
                }
            )
        t["columns"] = cols
        t["pk"] = tuple(pk_cols)
        fks = {}
        for fid, seq, ref, frm, to, on_update, on_delete, match in con.execute(
            "PRAGMA foreign_key_list(%s)" % table
        ):
            fk = fks.setdefault(fid, {"from": [], "ref": ref, "to": [], "upd": on_update, "del": on_delete})
            fk["from"].append(frm)
            fk["to"].append(to)
        t["fks"] = sorted(
            (tuple(f["from"]), f["ref"], tuple(f["to"]), "ON DELETE " + f["del"], "ON UPDATE " + f["upd"])
            for f in fks.values()
        )
        names = [c["name"] for c in cols]
        checks = []
        for m in re.finditer(r"\bCHECK\s*\(", body, re.I):
            expr, _ = paren_group(body, m.end() - 1)
            checks.append((identifiers(expr, names), literals(expr)))
        t["checks"] = sorted(checks)
        indexes = {}
        for seq, iname, unique, origin, partial in con.execute("PRAGMA index_list(%s)" % table):
            if origin == "pk":
                continue
            if origin == "u":
                keys = ",".join(r[2] for r in con.execute("PRAGMA index_info(%s)" % iname))
                indexes["UNIQUE (%s)" % keys] = (bool(unique), keys, None)
                continue
            (isql,) = con.execute("SELECT sql FROM sqlite_master WHERE name = ?", (iname,)).fetchone()
            isql = strip_comments(isql)
            on = re.search(r"\bON\s+\w+\s*\(", isql, re.I)
            keys, end = paren_group(isql, on.end() - 1)
            where = re.search(r"\bWHERE\b(.*)$", isql[end:], re.I | re.S)
            indexes[iname] = (bool(unique), norm_expr(keys), norm_where(where.group(1)) if where else None)
        t["indexes"] = indexes
        t["triggers"] = {}
        t["rows"] = con.execute("SELECT COUNT(*) FROM %s" % table).fetchone()[0]
        t["content"] = sorted(
            tuple(sqlite_text(v) for v in row) for row in con.execute("SELECT * FROM %s" % table)
        )
    for (sql,) in con.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'"):
        name, table, head = trigger_head(sql)
        schema[table]["triggers"][name] = head
    con.close()
    return schema


def sqlite_text(value):
    if value is None:
        return None
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    return str(value)


# --- PostgreSQL ------------------------------------------------------------------------------------


class Pg:
    def __init__(self, psql, url):
        self.psql = psql
        self.url = url

    def run_file(self, path):
        run = subprocess.run(
            [self.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-d", self.url, "-f", path],
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            fail("psql failed on %s:\n%s" % (path, run.stderr))

    def rows(self, query):
        run = subprocess.run(
            [self.psql, "-X", "-q", "-A", "-t", "-F", "\x1f", "-R", "\x1e", "-P", "null=\x02NULL",
             "-v", "ON_ERROR_STOP=1", "-d", self.url, "-c", query],
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            fail("psql failed on %r:\n%s" % (query, run.stderr))
        out = run.stdout.rstrip("\n")
        if not out:
            return []
        return [
            tuple(None if v == "\x02NULL" else v for v in rec.split("\x1f"))
            for rec in out.split("\x1e")
            if rec != ""
        ]


def pg_schema(pg):
    schema = {}
    for (table,) in pg.rows(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1"
    ):
        schema[table] = {"columns": [], "pk": (), "fks": [], "checks": [], "indexes": {}, "triggers": {}}
    for table, name, typ, notnull, default, identity in pg.rows(
        "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
        "pg_get_expr(d.adbin, d.adrelid), a.attidentity "
        "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped "
        "ORDER BY c.relname, a.attnum"
    ):
        schema[table]["columns"].append(
            {
                "name": name,
                "type": typ,
                "notnull": notnull == "t",
                "default": norm_default(default),
                "identity": identity in ("a", "d"),
            }
        )
    constraint_indexes = set()
    for table, cname, ctype, cols, ref, refcols, upd, dele, definition, index in pg.rows(
        "SELECT c.relname, k.conname, k.contype, "
        "(SELECT string_agg(a.attname, ',' ORDER BY x.i) FROM unnest(k.conkey) WITH ORDINALITY x(n, i) "
        " JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = x.n), "
        "r.relname, "
        "(SELECT string_agg(a.attname, ',' ORDER BY x.i) FROM unnest(k.confkey) WITH ORDINALITY x(n, i) "
        " JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = x.n), "
        "k.confupdtype, k.confdeltype, pg_get_constraintdef(k.oid), k.conindid::regclass::text "
        "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_class r ON r.oid = k.confrelid "
        "WHERE n.nspname = 'public' ORDER BY 1, 2"
    ):
        t = schema[table]
        cols = tuple(cols.split(",")) if cols else ()
        if ctype == "p":
            t["pk"] = cols
            constraint_indexes.add(index)
        elif ctype == "f":
            t["fks"].append(
                (cols, ref, tuple(refcols.split(",")),
                 "ON DELETE " + FK_ACTION_PG[dele], "ON UPDATE " + FK_ACTION_PG[upd])
            )
        elif ctype == "c":
            names = [c["name"] for c in t["columns"]]
            expr = strip_casts(definition)
            t["checks"].append((identifiers(expr, names), literals(expr)))
        elif ctype == "u":
            t["indexes"]["UNIQUE (%s)" % ",".join(cols)] = (True, ",".join(cols), None)
            constraint_indexes.add(index)
        else:
            t["indexes"]["constraint %s (%s)" % (cname, ctype)] = (None, definition, None)
    for t in schema.values():
        t["fks"].sort()
        t["checks"].sort()
    for table, iname, unique, definition in pg.rows(
        "SELECT c.relname, i.relname, x.indisunique, pg_get_indexdef(x.indexrelid) "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1, 2"
    ):
        if iname in constraint_indexes:
            continue
        on = re.search(r"\bUSING\s+\w+\s*\(", definition)
        keys, end = paren_group(definition, on.end() - 1)
        where = re.search(r"\bWHERE\b(.*)$", definition[end:], re.S)
        schema[table]["indexes"][iname] = (
            unique == "t", norm_expr(keys), norm_where(where.group(1)) if where else None
        )
    timings = {2: "BEFORE", 0: "AFTER", 64: "INSTEAD OF"}
    for table, name, tgtype, cols in pg.rows(
        "SELECT c.relname, t.tgname, t.tgtype, "
        "(SELECT string_agg(a.attname, ',' ORDER BY x.i) FROM unnest(t.tgattr::int2[]) WITH ORDINALITY x(n, i) "
        " JOIN pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = x.n) "
        "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND NOT t.tgisinternal ORDER BY 1, 2"
    ):
        tgtype = int(tgtype)
        events = [e for bit, e in ((4, "INSERT"), (8, "DELETE"), (16, "UPDATE"), (32, "TRUNCATE")) if tgtype & bit]
        level = "" if tgtype & 1 else " (FOR EACH STATEMENT)"
        schema[table]["triggers"][name] = (
            timings[tgtype & 66] + level, "|".join(events), tuple(cols.split(",")) if cols else ()
        )
    for table, t in schema.items():
        t["rows"] = int(pg.rows("SELECT COUNT(*) FROM %s" % table)[0][0])
        t["content"] = sorted(pg.rows("SELECT * FROM %s" % table)) if t["rows"] else []
    return schema


# --- comparison ------------------------------------------------------------------------------------


def columns_line(c):
    return "%s %s%s%s%s" % (
        c["name"],
        c["type"],
        " NOT NULL" if c["notnull"] else " NULL",
        "" if c["default"] is None else " DEFAULT " + c["default"],
        " IDENTITY" if c["identity"] else "",
    )


def compare(lite, pg, verbose, random_filled):
    diffs = []

    def diff(table, what, a, b):
        diffs.append("%s: %s\n    sqlite:   %s\n    postgres: %s" % (table, what, a, b))

    for table in sorted(set(lite) | set(pg)):
        if table not in pg:
            diffs.append("%s: table missing in PostgreSQL" % table)
            continue
        if table not in lite:
            diffs.append("%s: table only in PostgreSQL" % table)
            continue
        a, b = lite[table], pg[table]
        if verbose:
            print("%s (%d rows)" % (table, a["rows"]))
            for c in a["columns"]:
                print("    " + columns_line(c))
        a_cols = [columns_line(c) for c in a["columns"]]
        b_cols = [columns_line(c) for c in b["columns"]]
        if [c["name"] for c in a["columns"]] != [c["name"] for c in b["columns"]]:
            diff(table, "column names or order",
                 [c["name"] for c in a["columns"]], [c["name"] for c in b["columns"]])
        for x, y in zip(a_cols, b_cols):
            if x != y:
                diff(table, "column", x, y)
        for key in ("pk", "fks", "checks"):
            if a[key] != b[key]:
                diff(table, {"pk": "primary key", "fks": "foreign keys", "checks": "CHECKs"}[key], a[key], b[key])
        for name in sorted(set(a["indexes"]) | set(b["indexes"])):
            x, y = a["indexes"].get(name), b["indexes"].get(name)
            if x != y:
                diff(table, "index " + name, x, y)
        for name in sorted(set(a["triggers"]) | set(b["triggers"])):
            x, y = a["triggers"].get(name), b["triggers"].get(name)
            if x != y:
                diff(table, "trigger " + name, x, y)
        if a["rows"] != b["rows"]:
            diff(table, "rows after the migrations", a["rows"], b["rows"])
        elif table not in random_filled and a["content"] != b["content"]:
            diff(table, "seed rows", a["content"], b["content"])
    return diffs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", help="an empty PostgreSQL database (postgres://...)")
    parser.add_argument("--applied", action="store_true",
                        help="the PostgreSQL migrations are already applied to URL")
    parser.add_argument("--psql", default=None, help="psql to use (default: the newest "
                        "/usr/lib/postgresql/*/bin/psql, else psql on PATH)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list each table's columns")
    args = parser.parse_args()

    psql = args.psql
    if psql is None:
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"),
                            key=lambda p: int(re.search(r"/(\d+)[^/]*/bin/", p).group(1)))
        psql = candidates[-1] if candidates else shutil.which("psql")
    if not psql:
        fail("psql not found: apt-get install postgresql-client, or pass --psql")

    lite_files = sorted(glob.glob(os.path.join(MIGRATIONS, "sqlite", "*.sql")))
    pg_files = sorted(glob.glob(os.path.join(MIGRATIONS, "postgres", "*.sql")))
    names = lambda files: [os.path.basename(f) for f in files]
    if names(lite_files) != names(pg_files):
        print("migration files differ:\n    sqlite:   %s\n    postgres: %s"
              % (names(lite_files), names(pg_files)))
        return 1

    pg = Pg(psql, args.url)
    if not args.applied:
        for f in pg_files:
            pg.run_file(f)
    with tempfile.TemporaryDirectory() as tmp:
        how = build_sqlite(lite_files, os.path.join(tmp, "store.db"))
        lite = sqlite_schema(os.path.join(tmp, "store.db"))
    print("sqlite: %d migrations applied with %s; postgres: %s%d migrations (%s)"
          % (len(lite_files), how, "" if not args.applied else "already ", len(pg_files), psql))
    # 0002 gives each account a group with a random id and the current time: compare counts only
    random_filled = {"groups", "group_members"}
    diffs = compare(lite, pg_schema(pg), args.verbose, random_filled)
    for d in diffs:
        print(d)
    if diffs:
        print("%d difference(s)" % len(diffs))
        return 1
    print("same schema: %d tables, their columns, keys, CHECKs, indexes, triggers and seed rows"
          % len(lite))
    return 0


if __name__ == "__main__":
    sys.exit(main())
