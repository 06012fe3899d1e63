"""A job's settings as one frozen dataclass, read from its command line or from JSON.

Every job is ``run(config) -> report`` over a frozen, kw-only dataclass; its
``main(argv)`` only parses. The parser is made from the dataclass, so a
flag's default is the field's default and nothing is written twice:

- a field ``max_new_tokens: int = 512`` is ``--max-new-tokens`` (type int);
- ``bool`` fields are switches (``--allow-code-execution``), off by default;
- ``tuple[str, ...]`` fields repeat (``--source A --source B``), the default
  applying only when the flag is never given;
- ``dict`` fields take ``--set FIELD=VALUE`` pairs (VALUE read as JSON when
  it parses, else kept as a string);
- :func:`option` adds the help text, another flag name, choices or a metavar.

The same dataclass round-trips through JSON (:func:`to_dict` /
:func:`from_dict`), which is how the pipeline hands a stage its config on a
cluster.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

Config = TypeVar("Config")


def option(
    default: Any = dataclasses.MISSING,
    help: str = "",
    *,
    flag: str | None = None,
    choices: Sequence | None = None,
    metavar: str | None = None,
    cli: bool = True,
    default_factory: Any = dataclasses.MISSING,
) -> Any:
    """A config field with what its command-line option needs (``cli=False``: JSON only)."""
    metadata = {"help": help, "flag": flag, "choices": choices, "metavar": metavar, "cli": cli}
    if default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def _hints(cls) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _unwrap_optional(hint) -> tuple[Any, bool]:
    """``X | None`` -> (X, True); anything else -> (hint, False)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(hint)) == 2:
            return args[0], True
    return hint, False


def _default(field: dataclasses.Field) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return dataclasses.MISSING


def build_parser(cls, description: str = "") -> argparse.ArgumentParser:
    """An ``argparse`` parser with one option per field of ``cls``."""
    parser = argparse.ArgumentParser(description=description)
    hints = _hints(cls)
    for field in dataclasses.fields(cls):
        meta = field.metadata
        if not meta.get("cli", True):
            continue
        hint, _ = _unwrap_optional(hints[field.name])
        default = _default(field)
        flag = meta.get("flag") or "--" + field.name.replace("_", "-")
        kwargs: dict[str, Any] = {"dest": field.name, "help": _help(meta, default)}
        if meta.get("metavar"):
            kwargs["metavar"] = meta["metavar"]
        origin = typing.get_origin(hint)
        if hint is bool:
            kwargs["action"] = "store_true"
        elif origin is tuple:
            (item,) = [a for a in typing.get_args(hint) if a is not Ellipsis]
            kwargs.update(action="append", type=item, default=None)
        elif origin is dict or hint is dict:
            kwargs.update(action="append", default=None)
            kwargs.setdefault("metavar", "FIELD=VALUE")
        else:
            kwargs.update(type=hint, default=None)
        if meta.get("choices") is not None:
            kwargs["choices"] = meta["choices"]
        if default is dataclasses.MISSING and hint is not bool:
            kwargs["required"] = True
        parser.add_argument(flag, **kwargs)
    return parser


def _help(meta, default) -> str:
    text = meta.get("help") or ""
    if isinstance(default, tuple) and default:
        default = ", ".join(map(str, default))
    if default in (dataclasses.MISSING, None, (), {}, False):
        return text
    return f"{text} (default: {default})" if text else f"default: {default}"


def from_namespace(cls: type[Config], namespace: argparse.Namespace) -> Config:
    """The config of parsed options: a field whose option was not given keeps its default."""
    hints = _hints(cls)
    values = {}
    for field in dataclasses.fields(cls):
        if not hasattr(namespace, field.name):
            continue
        given = getattr(namespace, field.name)
        hint, _ = _unwrap_optional(hints[field.name])
        if given is None or (hint is bool and given is False):
            continue
        if typing.get_origin(hint) is tuple:
            given = tuple(given)
        elif typing.get_origin(hint) is dict or hint is dict:
            given = parse_field_pairs(given)
        values[field.name] = given
    return cls(**values)


def parse_config(
    cls: type[Config],
    argv: Sequence[str] | None,
    description: str = "",
    check: Callable[[Config], None] | None = None,
) -> Config:
    """Parse ``argv`` into ``cls``; an invalid value exits with the parser's usage message.

    ``check`` raises ``ValueError`` for combinations the dataclass cannot see
    alone (e.g. a task that needs a flag); its message becomes the error.
    """
    parser = build_parser(cls, description)
    namespace = parser.parse_args(argv)
    try:
        config = from_namespace(cls, namespace)
        if check is not None:
            check(config)
    except ValueError as error:
        parser.error(str(error))
    return config


def parse_field_pairs(pairs: Sequence[str], known: set[str] | None = None) -> dict[str, Any]:
    """``FIELD=VALUE`` strings to typed values (JSON where it parses, else the string)."""
    values = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or (known is not None and name not in known):
            expected = f" with FIELD one of {sorted(known)}" if known is not None else ""
            raise ValueError(f"--set {pair!r}: expected FIELD=VALUE{expected}")
        try:
            values[name] = json.loads(raw)
        except json.JSONDecodeError:
            values[name] = raw
    return values


def checked_overrides(
    overrides: dict[str, Any], *configs: type, exclude: Sequence[str] = ()
) -> dict[str, Any]:
    """``--set`` fields that name a field of one of ``configs`` (``ValueError`` otherwise)."""
    known = {f.name for config in configs for f in dataclasses.fields(config)} - set(exclude)
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"--set {unknown[0]}: expected FIELD one of {sorted(known)}")
    return dict(overrides)


def to_argv(config) -> list[str]:
    """The command line that parses back into ``config`` (fields at their default left out)."""
    hints = _hints(type(config))
    argv: list[str] = []
    for field in dataclasses.fields(config):
        meta = field.metadata
        value = getattr(config, field.name)
        if not meta.get("cli", True) or value == _default(field) or value is None:
            continue
        flag = meta.get("flag") or "--" + field.name.replace("_", "-")
        hint, _ = _unwrap_optional(hints[field.name])
        if hint is bool:
            argv += [flag] if value else []
        elif typing.get_origin(hint) is tuple:
            argv += [part for item in value for part in (flag, str(item))]
        elif typing.get_origin(hint) is dict or hint is dict:
            argv += [part for k, v in value.items() for part in (flag, f"{k}={json.dumps(v)}")]
        else:
            argv += [flag, str(value)]
    return argv


def to_dict(config) -> dict[str, Any]:
    """A JSON-ready dict of a (nested) config dataclass.

    A field whose metadata has a ``key`` is written under that key (for a JSON
    name that is no Python name, e.g. ``"in"``); sets become sorted lists.
    """
    return _plain(config)


def _plain(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.metadata.get("key", field.name): _plain(getattr(value, field.name))
            for field in dataclasses.fields(value)
        }
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(item) for item in value)
    return value


def from_dict(cls: type[Config], data: dict[str, Any]) -> Config:
    """The config ``to_dict`` wrote, nested dataclasses, tuples and sets restored."""
    hints = _hints(cls)
    names = {f.metadata.get("key", f.name): f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - set(names)
    if unknown:
        raise ValueError(f"{cls.__name__} has no fields {sorted(unknown)}")
    return cls(**{names[key]: _restore(hints[names[key]], value) for key, value in data.items()})


def _restore(hint, value):
    hint, _ = _unwrap_optional(hint)
    if value is None:
        return None
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value)
    origin = typing.get_origin(hint)
    if origin is tuple:
        items = [a for a in typing.get_args(hint) if a is not Ellipsis]
        item = items[0] if len(items) == 1 else None
        return tuple(_restore(item, v) if item is not None else v for v in value)
    if origin in (set, frozenset):
        (item,) = typing.get_args(hint)
        return origin(_restore(item, v) for v in value)
    if origin is dict:
        _, item = typing.get_args(hint)
        return {key: _restore(item, v) for key, v in value.items()}
    return value


def to_json(config) -> str:
    return json.dumps(to_dict(config), sort_keys=True)


def from_json(cls: type[Config], text: str) -> Config:
    return from_dict(cls, json.loads(text))


__all__ = [
    "build_parser",
    "checked_overrides",
    "from_dict",
    "from_json",
    "from_namespace",
    "option",
    "parse_config",
    "parse_field_pairs",
    "to_argv",
    "to_dict",
    "to_json",
]
