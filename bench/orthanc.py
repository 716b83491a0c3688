"""A real Orthanc PACS for the tests and `oligoplan bench pacs`: started on free loopback ports with a
config in a temporary folder, stopped by its process id.

Orthanc 1.10 (Debian package ``orthanc``) listens on every interface (it
cannot bind to loopback only); its HTTP API refuses remote clients
(``RemoteAccessAllowed`` false) and its DICOM side only answers the AE titles
listed in ``DicomModalities``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ORTHANC = shutil.which("Orthanc") or ("/usr/sbin/Orthanc" if Path("/usr/sbin/Orthanc").exists() else None)
SKIP_REASON = "Orthanc is not installed (Debian package 'orthanc'; .ci/run installs it)"
AET = "ORTHANC"
OUR_AET = "OLIGOPLAN"


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A loopback port free now and never handed out before in this process.

    The kernel may give the same ephemeral port to two binds in a row once the
    first socket is closed; two "free" ports for one test (a peer and our
    listen port) then collide and the second server cannot listen.
    """
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


@dataclass
class OrthancServer:
    """One running Orthanc; ``listen_port`` is where it sends C-MOVE results for OLIGOPLAN."""

    folder: Path
    dicom_port: int
    http_port: int
    listen_port: int
    #: False: C-GET from OLIGOPLAN is refused (Orthanc closes the association), as many PACS do
    allow_get: bool = True
    process: subprocess.Popen | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.folder / "orthanc.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def config(self) -> dict:
        modality = {"AET": OUR_AET, "Host": "127.0.0.1", "Port": self.listen_port,
                    "AllowEcho": True, "AllowFind": True, "AllowGet": self.allow_get, "AllowMove": True,
                    "AllowStore": True}
        return {
            "Name": "oligoplan-test",
            "StorageDirectory": str(self.folder / "storage"),
            "IndexDirectory": str(self.folder / "index"),
            "HttpPort": self.http_port,
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False,
            "DicomAet": AET,
            "DicomPort": self.dicom_port,
            "DicomCheckCalledAet": True,
            "DicomAlwaysAllowEcho": True,
            "DicomAlwaysAllowStore": True,
            "DicomAlwaysAllowGet": False,  # (new in 1.9.0) only the modalities that AllowGet
            "DicomModalities": {"oligoplan": modality},
            "DicomScpTimeout": 30,
            "StorageCompression": False,
            "SaveJobs": False,
            "Plugins": [],
            "StableAge": 1,
        }

    def start(self) -> "OrthancServer":
        config = self.folder / "orthanc.json"
        config.write_text(json.dumps(self.config(), indent=1))
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen([ORTHANC, str(config)], stdout=log, stderr=subprocess.STDOUT,
                                            cwd=self.folder)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Orthanc exited at start-up: {self.log.read_text()[-2000:]}")
            try:
                self.rest("GET", "/system")
                with socket.create_connection(("127.0.0.1", self.dicom_port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("Orthanc did not come up within 30 s")

    def stop(self) -> None:
        """Ends the server at once (SIGKILL by its pid). Its storage is a throwaway folder nobody
        opens again, and Orthanc's orderly SIGTERM shutdown takes ~3 s (its HTTP server winding
        down), paid once per test module that starts one."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)
        self.process = None

    def rest(self, method: str, path: str, body: bytes | None = None):
        request = urllib.request.Request(self.url + path, data=body, method=method)
        if body is not None:
            request.add_header("Content-Type", "application/dicom")
        with urllib.request.urlopen(request, timeout=30) as response:
            data = response.read()
        return json.loads(data) if data else None

    def upload(self, folder: Path) -> int:
        """POST every DICOM file below ``folder``; returns how many were stored."""
        n = 0
        for path in sorted(folder.rglob("*.dcm")):
            self.rest("POST", "/instances", path.read_bytes())
            n += 1
        return n

    def delete_all(self) -> None:
        for patient in self.rest("GET", "/patients") or []:
            self.rest("DELETE", f"/patients/{patient}")


def start_orthanc(folder: Path, allow_get: bool = True) -> OrthancServer:
    folder.mkdir(parents=True, exist_ok=True)
    return OrthancServer(folder, free_port(), free_port(), free_port(), allow_get=allow_get).start()

