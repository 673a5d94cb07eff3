"""Can this site serve? The facts `manage.py preflight` refuses to start without and /healthz
reports: the database answers, and every migration is applied (upgrades migrate first)."""

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.utils import Error as DatabaseError


def database_problem() -> str:
    """Empty when the database answers a query; else one line saying which and why."""
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"the database ({_where(connection)}) cannot be reached: {reason}"
    return ""


def unapplied_migrations() -> list[str]:
    """The migrations not yet applied, as "app.name", in the order migrate would apply them."""
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def migrations_problem() -> str:
    """Empty when every migration is applied; else how many are not, and the first."""
    pending = unapplied_migrations()
    if not pending:
        return ""
    return f"{len(pending)} migration(s) are not applied (first: {pending[0]})"


def _where(connection) -> str:
    params = connection.settings_dict
    engine = params["ENGINE"].rsplit(".", 1)[-1]
    if params.get("HOST"):
        return f"{engine} at {params['HOST']}:{params.get('PORT') or ''}/{params['NAME']}"
    return f"{engine} {params['NAME']}"
