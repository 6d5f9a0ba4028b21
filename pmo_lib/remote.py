"""Outputs in object storage (`--outputs s3://bucket/prefix`, or any fsspec URL).

The reports are rendered as always into a local folder, the staging folder (one per URL, kept
between runs so that an unchanged report is reused), and then every file that is new or changed
since the last upload is put whole into the bucket: an object appears complete or not at all,
so a reader never sees half a page. Pages go first and index pages last, so a reader following
a new index finds its pages there. The endpoint and credentials are fsspec's and the cloud's
own: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or a profile), and AWS_ENDPOINT_URL for
an S3-compatible store other than AWS.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from pmo_lib import kept
from pmo_lib.errors import PMOError
from pmo_lib.store import redact

STAGING_ENV = "PMO_STAGING"  # where remote outputs are rendered first
LEDGER = ".uploaded.json"  # relative path -> content hash, of what the bucket holds
LAST = ("index.html", "manifest.json")  # uploaded after every page they point to


def is_remote(outputs: str | Path) -> bool:
    """Whether an --outputs value names object storage (s3://…) rather than a folder."""
    text = str(outputs)
    return "://" in text and not text.startswith("file://")


def staging_folder(url: str) -> Path:
    """The local folder a remote output's reports are rendered into: $PMO_STAGING (default
    ~/.cache/pmo-reports) / a name made from the URL."""
    base = Path(os.environ.get(STAGING_ENV) or Path.home() / ".cache" / "pmo-reports")
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", url.split("://", 1)[1]).strip("_")[:80]
    return base / f"{name}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"


def filesystem(url: str):
    """The fsspec filesystem and root path of a URL; a missing driver is said with the extra
    that installs it."""
    try:
        import fsspec

        return fsspec.core.url_to_fs(url)
    except ImportError as exc:
        raise PMOError(
            f"--outputs {redact(url)}: {exc}; install the extra: pip install 'pmo-reports[s3]'"
        ) from exc
    except ValueError as exc:
        raise PMOError(f"--outputs {redact(url)}: {exc}") from exc


def upload(folder: Path, url: str) -> tuple[int, int]:
    """Put every file under folder that is new or changed since the last upload under url, at
    the same relative path; returns (uploaded, unchanged)."""
    fs, root = filesystem(url)
    ledger_path = folder / LEDGER
    ledger = json.loads(ledger_path.read_text()) if ledger_path.exists() else {}
    cache = kept.IN_OUTPUTS.parts[0]  # the runner's own, not the readers'
    files = [
        p
        for p in folder.rglob("*")
        if p.is_file() and p.name != LEDGER and p.relative_to(folder).parts[0] != cache
    ]
    files.sort(key=lambda p: (p.name in LAST, -len(p.parts), p.as_posix()))  # indexes last
    uploaded = unchanged = 0
    try:
        for path in files:
            relative = path.relative_to(folder).as_posix()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if ledger.get(relative) == digest:
                unchanged += 1
                continue
            fs.put_file(str(path), f"{root.rstrip('/')}/{relative}")
            ledger[relative] = digest
            uploaded += 1
    except Exception as exc:  # credentials, a missing bucket, the network: said, not a traceback
        raise PMOError(
            f"uploading to {redact(url)} stopped after {uploaded} files: {exc}. The reports are in"
            f" {folder}; the next run uploads what is missing"
        ) from exc
    finally:
        temporary = ledger_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(ledger, indent=1, sort_keys=True))
        temporary.replace(ledger_path)
    return uploaded, unchanged
