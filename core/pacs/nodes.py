"""PACS nodes and our own network identity, kept in a JSON settings file.

The file is ``pacs.json`` in the user configuration directory
(:func:`core.appdirs.config_dir`), written atomically. Only nodes listed there
are contacted by the GUI; the command line names its peer explicitly.

Example::

    {"local": {"ae_title": "OLIGOPLAN", "listen_port": 11113, "bind_address": "127.0.0.1"},
     "nodes": [{"name": "Hospital PACS", "ae_title": "PACS", "host": "pacs.example.org",
                "port": 104, "store_ae_title": "PACS_SCU"}]}

``listen_port`` is optional: without it C-MOVE is not possible (and a
refused C-GET cannot fall back to it); ``store_ae_title`` is optional too, for
a PACS that delivers C-MOVE results from another AE title than the one it
answers queries on.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from core.appdirs import config_dir
from core.errors import PacsConfigError

DEFAULT_AE_TITLE = "OLIGOPLAN"
#: The port the command line's ``--move`` uses when no ``--listen-port`` is given.
DEFAULT_LISTEN_PORT = 11113
#: The retrieve SCP (C-MOVE destination) listens here only, and only while a
#: retrieve runs; set it to the address of the network card the PACS can reach.
DEFAULT_BIND_ADDRESS = "127.0.0.1"
SETTINGS_NAME = "pacs.json"


def check_ae_title(value: str, what: str = "AE title") -> str:
    """An AE title: 1-16 characters of printable ASCII, no backslash, not only spaces."""
    text = str(value).strip()
    if not text or len(text) > 16:
        raise PacsConfigError(f"{what} {value!r}: must be 1 to 16 characters (found {len(text)})")
    if any(not (32 <= ord(c) < 127) or c == "\\" for c in text):
        raise PacsConfigError(f"{what} {value!r}: only printable ASCII without backslash is allowed")
    return text


def check_port(value, what: str = "port") -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise PacsConfigError(f"{what} {value!r}: expected a number from 1 to 65535") from None
    if not 1 <= port <= 65535:
        raise PacsConfigError(f"{what} {port}: expected a number from 1 to 65535")
    return port


def check_host(value, what: str = "host") -> str:
    text = str(value or "").strip()
    if not text or any(c.isspace() for c in text):
        raise PacsConfigError(f"{what} {value!r}: expected a host name or IP address")
    return text


@dataclass(frozen=True)
class PacsNode:
    """A remote DICOM node (a PACS): its AE title, host and DICOM port.

    ``store_ae_title``: the AE title the PACS sends C-MOVE results (C-STORE)
    from, when it is not ``ae_title`` (some PACS query on one AE title and
    store from another). Our storage SCP accepts deliveries from these two
    AE titles only.
    """

    name: str
    ae_title: str
    host: str
    port: int
    store_ae_title: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "ae_title", check_ae_title(self.ae_title, "called AE title"))
        if self.store_ae_title is not None:  # blank: none (the dialog's empty field)
            store = str(self.store_ae_title).strip()
            object.__setattr__(self, "store_ae_title", check_ae_title(store, "store AE title") if store else None)
        object.__setattr__(self, "host", check_host(self.host))
        object.__setattr__(self, "port", check_port(self.port))
        object.__setattr__(self, "name", str(self.name).strip() or f"{self.ae_title}@{self.host}")

    def describe(self) -> str:
        return f"{self.ae_title} at {self.host}:{self.port}"

    @property
    def delivering_ae_titles(self) -> list[str]:
        """The AE titles our C-MOVE storage SCP accepts deliveries from."""
        return list(dict.fromkeys([self.ae_title] + ([self.store_ae_title] if self.store_ae_title else [])))


@dataclass(frozen=True)
class LocalAE:
    """Our side: our AE title (the calling AE title), and where the retrieve SCP
    (the C-MOVE destination) listens while a retrieve runs.

    ``listen_port`` None (the default) means not configured: C-MOVE is then
    impossible, and the messages say where to set it.
    """

    ae_title: str = DEFAULT_AE_TITLE
    listen_port: int | None = None
    bind_address: str = DEFAULT_BIND_ADDRESS

    def __post_init__(self) -> None:
        object.__setattr__(self, "ae_title", check_ae_title(self.ae_title, "calling AE title"))
        if self.listen_port == "":
            object.__setattr__(self, "listen_port", None)
        if self.listen_port is not None:
            object.__setattr__(self, "listen_port", check_port(self.listen_port, "listen port"))
        object.__setattr__(self, "bind_address", check_host(self.bind_address, "listen address"))


@dataclass(frozen=True)
class PacsSettings:
    local: LocalAE = field(default_factory=LocalAE)
    nodes: tuple[PacsNode, ...] = ()

    def node(self, name: str) -> PacsNode:
        for node in self.nodes:
            if node.name == name:
                return node
        raise PacsConfigError(f"no PACS node named {name!r}; configured: "
                              f"{', '.join(n.name for n in self.nodes) or 'none'}")

    def with_node(self, node: PacsNode) -> "PacsSettings":
        """These settings with ``node`` added, or replacing the node of the same name."""
        others = tuple(n for n in self.nodes if n.name != node.name)
        return replace(self, nodes=others + (node,))

    def without_node(self, name: str) -> "PacsSettings":
        return replace(self, nodes=tuple(n for n in self.nodes if n.name != name))

    def to_json(self) -> dict:
        local = {k: v for k, v in asdict(self.local).items() if v is not None}
        nodes = [{k: v for k, v in asdict(n).items() if v is not None} for n in self.nodes]
        return {"local": local, "nodes": nodes}

    @classmethod
    def from_json(cls, doc, where: str = "PACS settings") -> "PacsSettings":
        if not isinstance(doc, dict):
            raise PacsConfigError(f"{where}: expected a JSON object, found {type(doc).__name__}")
        try:
            local = LocalAE(**doc.get("local", {}))
            nodes = tuple(PacsNode(**n) for n in doc.get("nodes", []))
        except TypeError as exc:
            raise PacsConfigError(f"{where}: unexpected entry ({exc}); fix or delete the file") from None
        except PacsConfigError as exc:
            raise PacsConfigError(f"{where}: {exc}; fix or delete the file") from None
        return cls(local=local, nodes=nodes)


def settings_path() -> Path:
    return config_dir() / SETTINGS_NAME


def load_settings(path: str | Path | None = None) -> PacsSettings:
    """The saved PACS settings; defaults (no nodes) when the file does not exist yet."""
    path = Path(path) if path is not None else settings_path()
    if not path.exists():
        return PacsSettings()
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PacsConfigError(f"{path}: cannot read the PACS settings ({exc}); fix or delete the file") from None
    return PacsSettings.from_json(doc, str(path))


def save_settings(settings: PacsSettings, path: str | Path | None = None) -> Path:
    from core.atomic_file import atomic_write_text

    path = Path(path) if path is not None else settings_path()
    atomic_write_text(path, json.dumps(settings.to_json(), indent=1))
    return path
