"""What user SQL may contain: the allowlists and denylists behind ``SQLQuery``.

Node types that are statements or side effects are refused anywhere in the tree; query
clauses come from an allowlist; known sqlglot function classes are allowed except
file, secret, model and session ones; functions sqlglot does not model must be in a
vetted allowlist. :func:`check_calls` then inspects the final SQL of every backend, so a
call reaching files, the network, settings or other databases is refused whatever
produced it.
"""

from __future__ import annotations

import itertools

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

from heron.query.registry import SpecError


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Statements and clauses that are never part of a read-only query over the views.
_DENIED_NODES: tuple[type[exp.Expr], ...] = (
    exp.Command, exp.DDL, exp.DML, exp.Attach, exp.Detach, exp.Pragma, exp.Set,
    exp.Install, exp.Use, exp.Describe, exp.Summarize, exp.Show, exp.Lock,
    exp.Transaction, exp.Commit, exp.Rollback, exp.Into, exp.Placeholder, exp.Parameter,
    exp.SessionParameter, exp.HistoricalData, exp.Changes, exp.Export, exp.LoadData,
    exp.Cache, exp.Uncache, exp.Refresh, exp.Analyze, exp.Drop, exp.Alter, exp.Kill,
    exp.Grant, exp.Revoke, exp.Declare, exp.Execute, exp.Comment, exp.UserDefinedFunction,
    exp.Connect, exp.JSONTable, exp.XMLTable, exp.TableFromRows,
)  # fmt: skip
_QUERY_ARGS = frozenset(
    {"with_", "expressions", "distinct", "from_", "joins", "laterals", "where", "group",
     "having", "qualify", "windows", "order", "limit", "offset", "exclude", "this",
     "expression", "by_name", "side", "kind", "on", "alias", "pivots"}
)  # fmt: skip
"""Clauses a SELECT, set operation or subquery may use (no INTO, SETTINGS, FORMAT, FOR …)."""

# Known sqlglot function classes are allowed except these (files, secrets, models, sessions).
_DENIED_FUNCS: frozenset[type[exp.Func]] = frozenset(
    {exp.ReadCSV, exp.ReadParquet, exp.ToFile, exp.Secret, exp.Predict, exp.VectorSearch,
     exp.GenerateEmbedding, exp.GenerateText, exp.GenerateTable, exp.FeaturesAtTime,
     exp.NextValueFor, exp.CurrentVersion, exp.SessionUser, exp.MLForecast, exp.MLTranslate}
)  # fmt: skip
_DENIED_FUNC_PREFIXES = ("AI", "Current", "Session")
_ALLOWED_CURRENT: frozenset[type[exp.Func]] = frozenset(
    {exp.CurrentDate, exp.CurrentTime, exp.CurrentTimestamp, exp.CurrentDatetime}
)
# DuckDB functions sqlglot does not model, vetted one by one as pure computations.
_ALLOWED_ANONYMOUS = _names(
    """
    age ago arbitrary arg_max_null arg_min_null array_extract array_has_any array_indexof
    array_to_string array_transform array_unique array_value array_where array_zip bar
    base64 bin bit_count cardinality century date_part datepart date_sub datesub
    days_in_month decade divide element_at entropy epoch_ns epoch_us era even favg fdiv
    fmod format_bytes formatreadablesize fsum gamma gcd geomean geometric_mean
    greatest_common_divisor hamming hash histogram histogram_exact isfinite isoyear jaccard
    jaro_similarity json_array_length json_contains json_exists json_group_array
    json_group_object json_quote json_structure json_valid json_value julian kahan_sum
    kurtosis_pop lcm least_common_multiple left_grapheme length_grapheme lgamma list_avg
    list_cat list_count list_element list_extract list_first list_has_all list_indexof
    list_intersect list_last list_max list_median list_min list_mode list_position
    list_reverse list_slice list_string_agg list_sum list_unique list_where list_zip mad
    make_timestamp_ms make_timestamptz map_concat map_contains map_entries map_extract
    map_values md5_number md5_number_lower md5_number_upper mean microsecond millennium
    millisecond mismatches multiply nanosecond now ord prefix printf product regexp_escape
    regexp_split_to_array reservoir_quantile right_grapheme round_even roundbankers row
    row_to_json sem signbit strip_accents strlen struct_extract_at struct_has struct_keys
    struct_values substring_grapheme subtract suffix sumkahan timezone timezone_hour
    timezone_minute to_base to_centuries to_days to_decades to_hours to_json
    to_microseconds to_millennia to_milliseconds to_minutes to_months to_quarters
    to_seconds to_weeks to_years transaction_timestamp try_strptime unbin url_decode
    url_encode uuid_extract_timestamp uuid_extract_version uuidv4 uuidv7 wavg weekday
    weighted_avg yearweek add
    """
)
# Last line of defence, on the final SQL of any backend: calls that reach files, the
# network, settings, the environment or other databases are refused whatever their origin.
_DENIED_CALLS = _names(
    """
    file url s3 s3cluster remote remotesecure cluster clusterallreplicas hdfs input python
    executable mysql postgresql jdbc odbc sqlite mongodb redis merge azureblobstorage gcs
    getsetting hostname fqdn currentuser currentdatabase currentschemas version uptime
    getmacro globalvariable getserverport serveruuid getenv current_setting glob query
    query_table sql sniff_csv which_secret getvariable json_execute_serialized_sql
    sleep sleep_ms pg_sleep sleepeachrow write_log checkpoint force_checkpoint
    current_user current_database current_schema current_query user
    """
)
_DENIED_CALL_PREFIXES = (
    "read_", "duckdb_", "pragma_", "parquet_", "iceberg", "delta", "dictget", "joinget",
    "postgres_", "mysql_", "sqlite_", "http", "azure", "filesystem", "icu_", "system",
    "from_substrait", "get_substrait", "load", "install", "attach", "copy", "export",
)  # fmt: skip


class UnsafeSQL(SpecError):
    """User SQL that is not a single read-only SELECT over the views; names the problem."""

    def __init__(self, message: str) -> None:
        super().__init__([{"loc": ["sql"], "msg": message, "type": "unsafe_sql"}])


def check_nodes(tree: exp.Expression) -> None:
    """Refuse statements, clauses, qualified names and functions outside the allowlist."""
    for node in tree.walk():
        if isinstance(node, _DENIED_NODES):
            raise UnsafeSQL(f"{describe(node)} is not allowed in a query")
        if isinstance(node, exp.Query):
            extra = sorted(k for k, v in node.args.items() if v and k not in _QUERY_ARGS)
            if extra:
                raise UnsafeSQL(f"the {extra[0].rstrip('_').upper()} clause is not allowed")
            with_ = node.args.get("with_")
            if isinstance(with_, exp.With) and with_.args.get("recursive"):
                raise UnsafeSQL("recursive CTEs are not allowed")
        elif isinstance(node, exp.Column) and (node.args.get("db") or node.args.get("catalog")):
            raise UnsafeSQL(f"qualified names are not allowed: {node.sql('duckdb')}")
        elif isinstance(node, exp.Func):
            _check_function(node)


def _check_function(node: exp.Func) -> None:
    if isinstance(node, exp.Anonymous | exp.AnonymousAggFunc):
        name = str(node.name).lower()
        if name not in _ALLOWED_ANONYMOUS:
            raise UnsafeSQL(f"function {name}() is not allowed")
        return
    cls = type(node)
    denied = cls in _DENIED_FUNCS or (
        cls.__name__.startswith(_DENIED_FUNC_PREFIXES) and cls not in _ALLOWED_CURRENT
    )
    if denied:
        raise UnsafeSQL(f"function {node.sql_name().lower()}() is not allowed")


def check_calls(sql: str, dialect: str) -> None:
    """Refuse the final SQL if any call in it names a file, network or system function."""
    tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(sql)
    for token, following in itertools.pairwise(tokens):
        if following.token_type != TokenType.L_PAREN or token.token_type == TokenType.STRING:
            continue
        name = token.text.lower()
        if name in _DENIED_CALLS or name.startswith(_DENIED_CALL_PREFIXES):
            raise UnsafeSQL(f"function {name}() is not allowed")


def describe(node: exp.Expr) -> str:
    """A short name of a node for error messages (``COPY``, ``read_csv()``, …)."""
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    if isinstance(node, exp.Func):
        return f"{node.sql_name().lower()}()"
    return type(node).__name__.upper()
