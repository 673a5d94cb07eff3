"""The emulator's settings: registered apps and behaviour options.

Values come from command-line flags, then `QBO_EMULATOR_*` environment variables, then the demo
defaults below, and can be changed at run time through the control API. Every setter validates
and raises `ConfigError` so the control API can answer 400 with the message.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import asdict, dataclass, field, fields
from urllib.parse import urlsplit

DEMO_CLIENT_ID = "emulator-client"
DEMO_CLIENT_SECRET = "emulator-secret"
DEMO_REDIRECT_URI = "http://127.0.0.1:8000/settings/integrations/quickbooks/callback"
DEMO_VERIFIER_TOKEN = "emulator-verifier"

WEBHOOK_FORMATS = ("cloudevents", "legacy")

# Intuit's documented retry intervals after a failed webhook delivery (QBO.md §5.5): 10 s, 20 s,
# 30 s, 5 min, 20 min, 2 h, 4 h, 6 h, then every 6 h (the last value repeats).
INTUIT_RETRY_SCHEDULE = (10.0, 20.0, 30.0, 300.0, 1200.0, 7200.0, 14400.0, 21600.0)


THROTTLE_LIMITS = ("requests_per_minute", "requests_per_second", "concurrent_requests",
                   "batch_requests_per_minute", "company_batch_requests_per_minute")  # fmt: skip
THROTTLE_BODY_FORMATS = ("xml", "json")

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


class ConfigError(ValueError):
    """A setting has a value the emulator cannot use."""


@dataclass
class App:
    """An app registered with the emulator, like one on Intuit's developer portal."""

    client_id: str
    client_secret: str
    redirect_uris: list[str]
    webhook_url: str | None = None
    verifier_token: str = DEMO_VERIFIER_TOKEN
    webhook_format: str = "cloudevents"
    # None = every entity; otherwise the entity names the app subscribed to ("Invoice", ...).
    webhook_entities: list[str] | None = None

    def validate(self) -> None:
        for name in ("client_id", "client_secret", "verifier_token"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ConfigError(f"{name} must be a non-empty string")
        if not isinstance(self.redirect_uris, list) or not self.redirect_uris:
            raise ConfigError("redirect_uris must be a non-empty list of URLs")
        for uri in self.redirect_uris:
            _require_http_url(uri, "redirect URI")
        if self.webhook_url is not None:
            _require_http_url(self.webhook_url, "webhook URL")
        if self.webhook_format not in WEBHOOK_FORMATS:
            raise ConfigError(f"webhook_format must be one of {', '.join(WEBHOOK_FORMATS)}")
        if self.webhook_entities is not None and not (
            isinstance(self.webhook_entities, list)
            and all(isinstance(name, str) and name for name in self.webhook_entities)
        ):
            raise ConfigError("webhook_entities must be a list of entity names")

    def public(self) -> dict:
        return asdict(self)


@dataclass
class Options:
    """Behaviour switches. Durations are seconds of emulator clock unless named otherwise."""

    # Intuit's published limits (QBO.md §2.12), enforced when `throttle` is on: per company,
    # or per company and app where Intuit says so (gateway.Throttle).
    throttle: bool = False
    requests_per_minute: int = 500
    requests_per_second: int = 10
    concurrent_requests: int = 10
    batch_requests_per_minute: int = 40
    company_batch_requests_per_minute: int = 120
    throttle_body_format: str = "xml"  # of the 429 the throttles answer: xml or json
    latency_ms: int = 0
    access_token_seconds: int = 3600
    refresh_token_seconds: int = 8726400
    # A rotated-away refresh token keeps working this long (Intuit FAQ: "stale ... after 24 hours").
    refresh_grace_seconds: int = 86400
    # 0 = a new refresh token on every refresh (Intuit's FAQ wording); 86400 rotates at most
    # daily, which is what integrators observe in practice (QBO.md §1.4).
    refresh_rotation_seconds: int = 0
    refresh_hard_seconds: int = 5 * 365 * 86400
    authorization_code_seconds: int = 300
    # Webhook delivery runs in real time (a worker thread), not on the emulator clock.
    webhook_window_seconds: float = 0.0
    webhook_retry_schedule: list[float] = field(default_factory=lambda: list(INTUIT_RETRY_SCHEDULE))
    webhook_timeout_seconds: float = 5.0
    # Intuit's samples post CloudEvents as application/json; its migration guide warns they "may
    # arrive" as application/cloudevents+json (the CloudEvents HTTP binding would call a JSON
    # array application/cloudevents-batch+json). Any of them, or another value, can be set.
    webhook_cloudevents_content_type: str = "application/json"
    # Fraction digits of a CloudEvent's `time`: Intuit's announcement shows nine (nanoseconds),
    # its webinar answers three (milliseconds); 0 sends whole seconds.
    webhook_cloudevents_time_digits: int = 9
    max_hang_seconds: float = 300.0
    request_log_size: int = 5000

    def update(self, changes: dict) -> None:
        """Apply `changes` atomically: nothing changes unless every value is valid."""
        known = {f.name: f for f in fields(self)}
        candidate = asdict(self)
        for name, value in changes.items():
            if name not in known:
                raise ConfigError(f"unknown option {name!r}")
            candidate[name] = _coerce(name, value, known[name].type)
        _check_limits(candidate)
        for name, value in candidate.items():
            setattr(self, name, value)

    def public(self) -> dict:
        return asdict(self)


def _coerce(name: str, value, type_name: str):
    # Annotations are strings because of `from __future__ import annotations`.
    if type_name == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in TRUE_WORDS + FALSE_WORDS:
            return value.lower() in TRUE_WORDS
        raise ConfigError(f"{name} must be true or false")
    if type_name in ("int", "float"):
        if isinstance(value, bool):
            raise ConfigError(f"{name} must be a number")
        try:
            number = int(value) if type_name == "int" else float(value)
        except (TypeError, ValueError, OverflowError):  # int(float("inf")) overflows
            raise ConfigError(f"{name} must be a number") from None
        if not math.isfinite(number):
            raise ConfigError(f"{name} must be a finite number")
        if number < 0:
            raise ConfigError(f"{name} must not be negative")
        return number
    if type_name == "list[float]":
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        if not isinstance(value, list) or not value:
            raise ConfigError(f"{name} must be a non-empty list of seconds")
        return [_coerce(name, part, "float") for part in value]
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{name} must be a non-empty string")
    return value


def _check_limits(values: dict) -> None:
    for name in THROTTLE_LIMITS:
        if values[name] < 1:
            raise ConfigError(f"{name} must be at least 1")
    if values["throttle_body_format"] not in THROTTLE_BODY_FORMATS:
        raise ConfigError(f"throttle_body_format must be {' or '.join(THROTTLE_BODY_FORMATS)}")
    if values["access_token_seconds"] < 1 or values["authorization_code_seconds"] < 1:
        raise ConfigError("token and code lifetimes must be at least one second")
    if values["webhook_timeout_seconds"] <= 0:
        raise ConfigError("webhook_timeout_seconds must be positive")
    if values["webhook_cloudevents_time_digits"] > 9:
        raise ConfigError("webhook_cloudevents_time_digits must be at most 9")


def _require_http_url(value, what: str) -> None:
    if not isinstance(value, str):
        raise ConfigError(f"{what} must be a string")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{what} must be an absolute http(s) URL: {value!r}")


class Config:
    """Apps and options of one running emulator; thread-safe."""

    def __init__(self, apps: list[App] | None = None, options: Options | None = None):
        self._lock = threading.Lock()
        self.options = options or Options()
        self._apps: dict[str, App] = {}
        for app in apps if apps is not None else [demo_app()]:
            self.register_app(app)

    def register_app(self, app: App) -> App:
        app.validate()
        with self._lock:
            self._apps[app.client_id] = app
        return app

    def app_from_dict(self, data: dict, *, existing: App | None = None) -> App:
        """Build (or change) an app from control-API JSON and register it."""
        if not isinstance(data, dict):
            raise ConfigError("an app must be a JSON object")
        base = existing.public() if existing else {"redirect_uris": [DEMO_REDIRECT_URI]}
        allowed = {f.name for f in fields(App)}
        unknown = set(data) - allowed
        if unknown:
            raise ConfigError(f"unknown app field(s): {', '.join(sorted(unknown))}")
        base.update(data)
        if isinstance(base.get("redirect_uris"), str):
            base["redirect_uris"] = [base["redirect_uris"]]
        try:
            app = App(**base)
        except TypeError as exc:
            raise ConfigError(f"client_id and client_secret are required ({exc})") from None
        if existing and app.client_id != existing.client_id:
            raise ConfigError("client_id cannot be changed; register a new app instead")
        return self.register_app(app)

    def remove_app(self, client_id: str) -> None:
        with self._lock:
            if self._apps.pop(client_id, None) is None:
                raise KeyError(client_id)

    def app(self, client_id: str) -> App | None:
        with self._lock:
            return self._apps.get(client_id)

    def apps(self) -> list[App]:
        with self._lock:
            return list(self._apps.values())

    def to_dict(self) -> dict:
        return {"apps": [app.public() for app in self.apps()], "options": self.options.public()}

    def load_dict(self, data: dict) -> None:
        """Restore apps saved by `to_dict` (the state file) that are not registered already.

        The apps and options given at start (flags, environment) win over the saved ones, so a
        restart with a new webhook URL takes effect; options are never restored.
        """
        for app_data in data.get("apps", []):
            if self.app(app_data["client_id"]) is None:
                self.register_app(App(**app_data))


def demo_app(**overrides) -> App:
    values = {
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        "redirect_uris": [DEMO_REDIRECT_URI],
        "verifier_token": DEMO_VERIFIER_TOKEN,
    }
    values.update({key: value for key, value in overrides.items() if value is not None})
    return App(**values)


ENV_PREFIX = "QBO_EMULATOR_"


def app_from_environment(env: dict[str, str] | None = None, **flags) -> App:
    """The app registered at start: flags win over `QBO_EMULATOR_*` variables, then demo values."""
    env = os.environ if env is None else env

    def pick(name: str):
        flag = flags.get(name)
        return flag if flag not in (None, [], "") else env.get(ENV_PREFIX + name.upper()) or None

    redirect = pick("redirect_uris")
    if isinstance(redirect, str):
        redirect = [part.strip() for part in redirect.split(",") if part.strip()]
    entities = pick("webhook_entities")
    if isinstance(entities, str):
        entities = [part.strip() for part in entities.split(",") if part.strip()]
    return demo_app(
        client_id=pick("client_id"),
        client_secret=pick("client_secret"),
        redirect_uris=redirect,
        webhook_url=pick("webhook_url"),
        verifier_token=pick("verifier_token"),
        webhook_format=pick("webhook_format"),
        webhook_entities=entities,
    )


def options_from_environment(env: dict[str, str] | None = None, **flags) -> Options:
    """Options from flags (non-None values) over `QBO_EMULATOR_<OPTION>` variables."""
    env = os.environ if env is None else env
    changes = {}
    for option in fields(Options):
        value = env.get(ENV_PREFIX + option.name.upper())
        if value is not None:
            changes[option.name] = value
    changes.update({key: value for key, value in flags.items() if value is not None})
    options = Options()
    options.update(changes)
    return options
