"""Dataset filters: a small SQL-like boolean language, parsed to a tree and never spliced into SQL.

Grammar (keywords case-insensitive)::

    expr     := expr OR expr | expr AND expr | NOT expr | ( expr ) | predicate
    predicate:= operand op operand                op: = <> != < <= > >=
              | column [NOT] IN ( literal, ... )
              | column [NOT] BETWEEN literal AND literal
              | column IS [NOT] NULL
    operand  := column | literal
    column   := name | "quoted name"
    literal  := 'text' | number | -number | TRUE | FALSE

Anything else — functions, arithmetic, sub-queries, ``*``, several
statements — is rejected with :class:`~livecalc_lab.errors.DataError`. The
text is parsed with ``sqlglot`` (imported only here) and turned into the small
tree below, which is checked against the dataset's columns and then compiled to
a polars expression (files), to SQL with bound parameters (databases: column
names, checked against the table, are quoted; values are always parameters),
and to a row-group test on Parquet statistics.

Examples
--------
>>> f = parse_filter("region = 'UK' AND age_at_entry >= 40")
>>> sorted(f.columns)
['age_at_entry', 'region']
>>> f.to_sql(lambda i: "?")
('("region" = ? AND "age_at_entry" >= ?)', ['UK', 40])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Union

import polars as pl

from livecalc_lab.errors import DataError

__all__ = ["Filter", "parse_filter", "Col", "Lit", "Cmp", "InList", "Between", "IsNull", "BoolOp", "Not"]

Scalar = Union[str, int, float, bool]
OPS = ("=", "<>", "<", "<=", ">", ">=")


@dataclass(frozen=True)
class Col:
    name: str


@dataclass(frozen=True)
class Lit:
    value: Scalar


@dataclass(frozen=True)
class Cmp:
    op: str
    left: Col | Lit
    right: Col | Lit


@dataclass(frozen=True)
class InList:
    col: Col
    values: tuple[Lit, ...]
    negated: bool = False


@dataclass(frozen=True)
class Between:
    col: Col
    low: Lit
    high: Lit
    negated: bool = False


@dataclass(frozen=True)
class IsNull:
    col: Col
    negated: bool = False


@dataclass(frozen=True)
class BoolOp:
    op: str  # "AND" | "OR"
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Not:
    item: "Node"


Node = Union[Cmp, InList, Between, IsNull, BoolOp, Not, Lit]


# ---- parsing ------------------------------------------------------------------------------------


def parse_filter(text: str) -> "Filter":
    """Parse ``text`` into a :class:`Filter`.

    Raises
    ------
    DataError
        Not valid in the grammar above; the message quotes the offending part.
    """
    if not isinstance(text, str) or not text.strip():
        raise DataError(f"filter must be a non-empty string, not {text!r}")
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        trees = sqlglot.parse(text, read="postgres")
    except SqlglotError as exc:
        raise DataError(f"filter {text!r} is not a valid expression: {str(exc).splitlines()[0]}") from None
    trees = [t for t in trees if t is not None]
    if len(trees) != 1:
        raise DataError(f"filter {text!r} must be one expression")
    return Filter(text, _convert(trees[0], exp, text))


def _reject(node: Any, text: str) -> DataError:
    return DataError(
        f"filter {text!r}: {node.sql()!r} is not allowed; use columns, literals, comparisons, "
        "IN, BETWEEN, IS NULL, AND, OR and NOT"
    )


def _convert(node: Any, exp: Any, text: str) -> Node:
    if isinstance(node, exp.Paren):
        return _convert(node.this, exp, text)
    if isinstance(node, (exp.And, exp.Or)):
        op = "AND" if isinstance(node, exp.And) else "OR"
        items: list[Node] = []
        for side in (node.this, node.expression):
            sub = _convert(side, exp, text)
            items.extend(sub.items if isinstance(sub, BoolOp) and sub.op == op else [sub])
        return BoolOp(op, tuple(items))
    if isinstance(node, exp.Not):
        return Not(_convert(node.this, exp, text))
    comparisons = {exp.EQ: "=", exp.NEQ: "<>", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}
    for cls, op in comparisons.items():
        if type(node) is cls:
            return Cmp(op, _operand(node.this, exp, text), _operand(node.expression, exp, text))
    if isinstance(node, exp.In):
        if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
            raise _reject(node, text)
        values = tuple(_literal(v, exp, text) for v in node.expressions)
        return InList(_column(node.this, exp, text), values, bool(node.args.get("negate")))
    if isinstance(node, exp.Between):
        low, high = _literal(node.args["low"], exp, text), _literal(node.args["high"], exp, text)
        return Between(_column(node.this, exp, text), low, high, bool(node.args.get("negate")))
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        return IsNull(_column(node.this, exp, text), bool(node.args.get("negate")))
    if isinstance(node, exp.Boolean):
        return Lit(bool(node.this))
    raise _reject(node, text)


def _column(node: Any, exp: Any, text: str) -> Col:
    if isinstance(node, exp.Column) and not node.table and isinstance(node.this, exp.Identifier):
        return Col(node.this.this)
    raise _reject(node, text)


def _literal(node: Any, exp: Any, text: str) -> Lit:
    sign = 1
    if isinstance(node, exp.Neg):
        sign, node = -1, node.this
        if not (isinstance(node, exp.Literal) and not node.is_string):
            raise _reject(node, text)
    if isinstance(node, exp.Literal):
        if node.is_string:
            return Lit(node.this)
        raw = node.this
        try:
            value: Scalar = int(raw) if raw.lstrip("+-").isdigit() else float(raw)
        except ValueError:
            raise _reject(node, text) from None
        return Lit(sign * value)
    if isinstance(node, exp.Boolean):
        return Lit(bool(node.this))
    raise _reject(node, text)


def _operand(node: Any, exp: Any, text: str) -> Col | Lit:
    if isinstance(node, exp.Column):
        return _column(node, exp, text)
    return _literal(node, exp, text)


# ---- the filter ---------------------------------------------------------------------------------

_KIND_OF_DTYPE = (
    (lambda d: d == pl.Boolean, "boolean"),
    (lambda d: d.is_numeric(), "number"),
    (lambda d: d in (pl.String, pl.Categorical) or isinstance(d, pl.Enum), "text"),
    (lambda d: d == pl.Date or isinstance(d, pl.Datetime), "date"),
)


def _kind(dtype: pl.DataType) -> str:
    for test, kind in _KIND_OF_DTYPE:
        if test(dtype):
            return kind
    return str(dtype)


def _lit_kind(v: Scalar) -> str:
    return "boolean" if isinstance(v, bool) else "text" if isinstance(v, str) else "number"


@dataclass(frozen=True)
class Filter:
    """A parsed filter: the original ``text`` and its expression tree ``root``."""

    text: str
    root: Node

    @property
    def columns(self) -> set[str]:
        """Names of the columns the filter reads."""
        out: set[str] = set()
        for node in _walk(self.root):
            if isinstance(node, Col):
                out.add(node.name)
            elif isinstance(node, (InList, Between, IsNull)):
                out.add(node.col.name)
        return out

    def check(self, schema: Mapping[str, pl.DataType]) -> None:
        """Check that every column exists and each comparison's sides are of one kind.

        A date column compares with ISO date text (``issue_date >= '2020-01-01'``).

        Raises
        ------
        DataError
            Unknown column, or e.g. a text column compared with a number.
        """
        for name in sorted(self.columns):
            if name not in schema:
                hint = " (text literals take single quotes)" if any(
                    isinstance(n, Col) and n.name == name for n in _walk(self.root)
                ) else ""
                raise DataError(
                    f"filter {self.text!r}: unknown column {name!r}{hint}; columns: {', '.join(schema)}"
                )
        for node in _walk(self.root):
            pairs: list[tuple[Any, Any]] = []
            if isinstance(node, Cmp):
                pairs = [(node.left, node.right)]
            elif isinstance(node, InList):
                pairs = [(node.col, v) for v in node.values]
            elif isinstance(node, Between):
                pairs = [(node.col, node.low), (node.col, node.high)]
            for a, b in pairs:
                ka = _kind(schema[a.name]) if isinstance(a, Col) else _lit_kind(a.value)
                kb = _kind(schema[b.name]) if isinstance(b, Col) else _lit_kind(b.value)
                if ka == "date" and kb == "text" and isinstance(b, Lit):
                    _iso_date(b.value, self.text)
                    continue
                if ka != kb:
                    raise DataError(f"filter {self.text!r}: cannot compare {_show(a)} ({ka}) with {_show(b)} ({kb})")

    # -- compilation --

    def to_polars(self, schema: Mapping[str, pl.DataType] | None = None) -> pl.Expr:
        """A polars boolean expression (SQL semantics: null compares as unknown, rows dropped)."""
        return _to_polars(self.root, schema or {})

    def to_sql(self, placeholder: Callable[[int], str], *, quote: Callable[[str], str] | None = None, text_collation: str = "") -> tuple[str, list[Any]]:
        """``(sql, params)``: a WHERE clause with placeholders (``placeholder(i)``, 1-based) and values.

        ``quote`` quotes column names (default: ANSI double quotes). Values are
        never written into the SQL text.
        """
        params: list[Any] = []
        q = quote or _quote_ident

        def lit(v: Lit) -> str:
            params.append(v.value)
            return placeholder(len(params))

        def side(x: Col | Lit) -> str:
            return q(x.name) if isinstance(x, Col) else lit(x)

        def go(n: Node) -> str:
            if isinstance(n, BoolOp):
                return "(" + f" {n.op} ".join(go(i) for i in n.items) + ")"
            if isinstance(n, Not):
                return f"(NOT {go(n.item)})"
            if isinstance(n, Lit):
                return lit(n)
            if isinstance(n, Cmp):
                coll = text_collation if any(isinstance(x, Lit) and isinstance(x.value, str) for x in (n.left, n.right)) else ""
                return f"{side(n.left)}{coll} {n.op} {side(n.right)}"
            if isinstance(n, InList):
                inner = ", ".join(lit(v) for v in n.values)
                return f"{q(n.col.name)} {'NOT IN' if n.negated else 'IN'} ({inner})"
            if isinstance(n, Between):
                low, high = lit(n.low), lit(n.high)
                return f"{q(n.col.name)} {'NOT BETWEEN' if n.negated else 'BETWEEN'} {low} AND {high}"
            if isinstance(n, IsNull):
                return f"{q(n.col.name)} IS {'NOT NULL' if n.negated else 'NULL'}"
            raise AssertionError(n)

        return go(self.root), params

    def may_match(self, stats: Mapping[str, tuple[Any, Any, int | None]]) -> bool:
        """False only when Parquet statistics (``column -> (min, max, nulls)``) prove no row matches."""
        return _may(self.root, stats) is not False

    def __str__(self) -> str:
        return self.text


def _walk(node: Node) -> Any:
    yield node
    if isinstance(node, BoolOp):
        for i in node.items:
            yield from _walk(i)
    elif isinstance(node, Not):
        yield from _walk(node.item)
    elif isinstance(node, Cmp):
        yield node.left
        yield node.right


def _show(x: Col | Lit) -> str:
    return repr(x.name) if isinstance(x, Col) else repr(x.value)


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _iso_date(v: Any, text: str) -> Any:
    import datetime as dt

    try:
        return dt.date.fromisoformat(v)
    except (TypeError, ValueError):
        raise DataError(f"filter {text!r}: {v!r} is not an ISO date (YYYY-MM-DD)") from None


def _pl_value(x: Col | Lit, other: Col | Lit, schema: Mapping[str, pl.DataType]) -> pl.Expr:
    if isinstance(x, Col):
        return pl.col(x.name)
    if isinstance(other, Col) and _kind(schema.get(other.name, pl.Null)) == "date" and isinstance(x.value, str):
        return pl.lit(_iso_date(x.value, ""))
    return pl.lit(x.value)


def _to_polars(n: Node, schema: Mapping[str, pl.DataType]) -> pl.Expr:
    if isinstance(n, BoolOp):
        out = _to_polars(n.items[0], schema)
        for i in n.items[1:]:
            out = (out & _to_polars(i, schema)) if n.op == "AND" else (out | _to_polars(i, schema))
        return out
    if isinstance(n, Not):
        return ~_to_polars(n.item, schema)
    if isinstance(n, Lit):
        return pl.lit(n.value)
    if isinstance(n, Cmp):
        a, b = _pl_value(n.left, n.right, schema), _pl_value(n.right, n.left, schema)
        return {"=": a.__eq__, "<>": a.__ne__, "<": a.__lt__, "<=": a.__le__, ">": a.__gt__, ">=": a.__ge__}[n.op](b)
    if isinstance(n, InList):
        c = pl.col(n.col.name)
        vals = [_pl_value(v, n.col, schema) for v in n.values]
        e = pl.any_horizontal([c == v for v in vals])
        return ~e if n.negated else e
    if isinstance(n, Between):
        c = pl.col(n.col.name)
        e = (c >= _pl_value(n.low, n.col, schema)) & (c <= _pl_value(n.high, n.col, schema))
        return ~e if n.negated else e
    if isinstance(n, IsNull):
        return pl.col(n.col.name).is_not_null() if n.negated else pl.col(n.col.name).is_null()
    raise AssertionError(n)


def _cmp_may(op: str, lo: Any, hi: Any, v: Any) -> bool | None:
    try:
        if op == "=":
            return lo <= v <= hi
        if op == "<>":
            return not (lo == hi == v)
        if op == "<":
            return lo < v
        if op == "<=":
            return lo <= v
        if op == ">":
            return hi > v
        if op == ">=":
            return hi >= v
    except TypeError:
        return None
    return None


_FLIP = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _may(n: Node, stats: Mapping[str, tuple[Any, Any, int | None]]) -> bool | None:
    """True/None: some row may match; False: statistics prove none does."""
    if isinstance(n, BoolOp):
        results = [_may(i, stats) for i in n.items]
        if n.op == "AND":
            return False if any(r is False for r in results) else None
        return False if all(r is False for r in results) else None
    if isinstance(n, Cmp):
        if isinstance(n.left, Col) and isinstance(n.right, Lit) and n.left.name in stats:
            lo, hi, _ = stats[n.left.name]
            return _cmp_may(n.op, lo, hi, n.right.value)
        if isinstance(n.right, Col) and isinstance(n.left, Lit) and n.right.name in stats:
            lo, hi, _ = stats[n.right.name]
            return _cmp_may(_FLIP[n.op], lo, hi, n.left.value)
        return None
    if isinstance(n, InList) and not n.negated and n.col.name in stats:
        lo, hi, _ = stats[n.col.name]
        hits = [_cmp_may("=", lo, hi, v.value) for v in n.values]
        return False if all(h is False for h in hits) else None
    if isinstance(n, Between) and not n.negated and n.col.name in stats:
        lo, hi, _ = stats[n.col.name]
        a, b = _cmp_may(">=", lo, hi, n.low.value), _cmp_may("<=", lo, hi, n.high.value)
        return False if (a is False or b is False) else None
    if isinstance(n, IsNull) and not n.negated and n.col.name in stats:
        nulls = stats[n.col.name][2]
        return False if nulls == 0 else None
    return None
