"""The registry of QBO entity types the emulator serves, by QBO name and by URL segment."""

from qbo_emulator import faults
from qbo_emulator.entities.base import EntityType

_REGISTRY: dict[str, EntityType] = {}
_BY_SEGMENT: dict[str, EntityType] = {}
_LOADED: list[bool] = []  # set once every entity module has been imported

# Modules of this package that hold what entity modules share rather than entities.
SHARED_MODULES = frozenset({"base", "spec"})
OPERATION_NAMES = {"create": "Create", "read": "Read", "update": "Update", "delete": "Delete",
                   "void": "Void", "query": "Query"}  # fmt: skip


def register(kind: EntityType) -> EntityType:
    _REGISTRY[kind.name] = kind
    _BY_SEGMENT[kind.name.lower()] = kind
    return kind


def entity_type(name: str, operation: str, *, internal: bool = False) -> EntityType:
    """The entity type called `name` (QBO name or lower-case URL segment), refusing operations
    QBO does not offer on it (e.g. deleting a Customer) unless `internal` (seeding, snapshots)."""
    _load()
    kind = _REGISTRY.get(name) or _BY_SEGMENT.get(str(name).lower())
    if kind is None:
        raise faults.not_found_url(f"/{str(name).lower()}")
    if not internal and operation not in kind.operations:
        raise faults.unsupported_operation(OPERATION_NAMES.get(operation, operation), kind.name)
    return kind


def entity_names() -> list[str]:
    _load()
    return list(_REGISTRY)


def _load() -> None:
    # Importing the modules registers their types; done lazily to avoid import cycles. A module
    # imported earlier on its own (e.g. invoice by the data API) has registered only itself.
    # Every module of this package is an entity module but the shared ones: a new entity is a
    # new file.
    if _LOADED:
        return
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        if module.name not in SHARED_MODULES:
            importlib.import_module(f"{__name__}.{module.name}")
    _LOADED.append(True)
