"""Helpers for tests and benchmarks of the service: documents to upload, a live server thread."""
from __future__ import annotations

import io
import socket
import threading
import time
from typing import Any

import numpy as np


def png_bytes(w: int = 400, h: int = 250, seed: int = 0) -> bytes:
    """A small PNG whose bytes differ per seed (a distinct upload each)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    arr = np.full((h, w, 3), 255, np.uint8)
    arr[rng.integers(0, h, 20), rng.integers(0, w, 20)] = rng.integers(0, 255, (20, 3))
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def id_card(seed: int = 3, index: int = 0, kind: str = "id_front_clean", quality: int = 90) -> tuple[bytes, dict[str, Any]]:
    """A generated ID card as JPEG bytes, and its truth {field: value}.

    Uses samples.generate when it is there; else renders the card directly; else draws a
    plain one with PIL and a CJK font."""
    import cv2

    try:
        from samples.generate import generate

        s = generate(kind, seed, index)
        img, truth = s.image, s.truth
        fields = {k: v["value"] for d in truth.get("documents", []) for k, v in (d.get("fields") or {}).items()}
    except ImportError:
        try:
            from samples.people import make_person
            from samples.render.idcard import render_id_front

            rng = np.random.default_rng(seed * 1000 + index)
            person = make_person(rng)
            rgb, t = render_id_front(person, rng)
            img = cv2.cvtColor(rgb[..., :3], cv2.COLOR_RGB2BGR)
            fields = {"id_number": person.id_number, "name": person.name}
        except ImportError:
            img, fields = _plain_card(seed)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes(), fields


def _plain_card(seed: int) -> tuple[np.ndarray, dict[str, str]]:
    import subprocess

    from PIL import Image, ImageDraw, ImageFont

    first17 = f"11010519{80 + seed % 20:02d}0{1 + seed % 9}1{seed % 10}0{seed % 10}2"[:17]
    wts = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    idn = first17 + "10X98765432"[sum(int(c) * k for c, k in zip(first17, wts)) % 11]
    font_path = subprocess.run(["fc-match", "-f", "%{file}", ":lang=zh"], capture_output=True, text=True).stdout
    im = Image.new("RGB", (1012, 638), (236, 240, 236))
    d = ImageDraw.Draw(im)
    f = ImageFont.truetype(font_path, 40)
    for y, text in [(60, "姓名  张三"), (140, "性别  男   民族  汉"), (220, "出生  1980年1月1日"),
                    (300, "住址  北京市朝阳区建国路1号"), (520, f"公民身份号码  {idn}")]:
        d.text((60, y), text, fill="black", font=f)
    return np.asarray(im)[:, :, ::-1].copy(), {"id_number": idn, "name": "张三"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerThread:
    """Run an app under uvicorn in a thread on 127.0.0.1 (for browser tests)."""

    def __init__(self, app, port: int | None = None):
        import uvicorn

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    access_log=False, lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "ServerThread":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(30)


def wait_ready(client, timeout: float = 60.0, headers: dict | None = None) -> dict:
    """Poll /readyz until the workers are ready."""
    deadline = time.monotonic() + timeout
    last: dict = {}
    while time.monotonic() < deadline:
        r = client.get("/readyz")
        last = r.json()
        if r.status_code == 200:
            return last
        time.sleep(0.1)
    raise TimeoutError(f"not ready after {timeout} s: {last}")
