"""A retrieve into a folder that cannot be created or written is refused before the PACS is
asked, with a message naming the folder and what to do (it said "C-GET refused by PACS ...":
every arriving instance failed to be stored, and the PACS reported the retrieve as refused)."""

from __future__ import annotations

import os
import socket

import pytest

from core.errors import PacsError
from core.pacs import LocalAE, PacsClient, PacsNode, retrieve_study

STUDY = "1.2.826.0.1.3680043.8.498.1"


@pytest.fixture
def pacs():
    """A listening socket standing for the PACS: ``pacs.asked()`` says whether anyone connected."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.3)

    class Peer:
        port = server.getsockname()[1]

        @staticmethod
        def asked() -> bool:
            try:
                conn, _ = server.accept()
            except (socket.timeout, TimeoutError):
                return False
            conn.close()
            return True

    yield Peer
    server.close()


def client_for(port: int) -> PacsClient:
    return PacsClient(PacsNode("test", "ORTHANC", "127.0.0.1", port), LocalAE("OLIGOPLAN"), timeout_s=2)


def test_a_cache_folder_that_cannot_be_created_is_named_and_the_pacs_is_not_asked(tmp_path, monkeypatch, pacs):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the user data folder should be", encoding="utf-8")
    monkeypatch.setenv("OLIGOPLAN_DATA_DIR", str(blocker))

    with pytest.raises(PacsError) as info:
        retrieve_study(client_for(pacs.port), STUDY)

    message = str(info.value)
    assert message.startswith(f"cannot retrieve into the PACS cache folder {blocker}")
    assert STUDY in message and f"({blocker} is a file)" in message
    assert "set OLIGOPLAN_DATA_DIR to a folder you can write to" in message
    assert "refused" not in message and "PACS test" not in message
    assert not pacs.asked()


def test_an_out_folder_under_a_file_is_refused_naming_it_and_the_option(tmp_path, pacs):
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    out = tmp_path / "notes.txt" / "study"
    with pytest.raises(PacsError, match=r"cannot retrieve into .*notes\.txt/study: the folder cannot be created "
                                        r"\(.*notes\.txt is a file\); choose a folder you can write to "
                                        r"\(command line: --out DIR\)"):
        retrieve_study(client_for(pacs.port), STUDY, folder=out)
    assert not pacs.asked()


def test_an_out_folder_that_is_a_file_is_refused(tmp_path, pacs):
    out = tmp_path / "study.dcm"
    out.write_bytes(b"x")
    with pytest.raises(PacsError, match=r"study\.dcm: it is a file, not a folder; choose a folder"):
        retrieve_study(client_for(pacs.port), STUDY, folder=out)
    assert not pacs.asked()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="folder permissions do not stop root (or need POSIX modes)")
def test_a_read_only_folder_is_refused_before_the_pacs_is_asked(tmp_path, pacs):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        with pytest.raises(PacsError, match=r"ro is not writable \(Permission denied\); choose a folder"):
            retrieve_study(client_for(pacs.port), STUDY, folder=parent / "study")
    finally:
        parent.chmod(0o755)
    assert not pacs.asked()


def test_a_writable_folder_goes_on_to_the_pacs_and_the_check_leaves_nothing_behind(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    port = server.getsockname()[1]
    server.close()  # nothing listens there now: the retrieve gets as far as the PACS
    out = tmp_path / "cache" / "study"
    with pytest.raises(PacsError) as info:
        retrieve_study(client_for(port), STUDY, folder=out)
    assert "cannot retrieve into" not in str(info.value)
    assert list(tmp_path.iterdir()) == []
