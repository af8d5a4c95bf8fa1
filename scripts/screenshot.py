#!/usr/bin/env python3
"""Take a screenshot of a renkei page with Debian's Chromium (Playwright drives it; nothing is downloaded).

It starts no server: point it at one that runs (``renkei demo`` or ``renkei serve``).

    .venv/bin/python scripts/screenshot.py http://127.0.0.1:8000/ docs/screenshot-home.png
    .venv/bin/python scripts/screenshot.py http://127.0.0.1:8000/ out.png --login chiba-secretariat
        (the password is read from RENKEI_SCREENSHOT_PASSWORD)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from urllib.parse import urljoin

CHROMIUM = os.environ.get("RENKEI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="renkei のページのスクリーンショットを撮ります。")
    parser.add_argument("url", help="撮影するページの URL（例: http://127.0.0.1:8000/）")
    parser.add_argument("output", type=Path, help="保存先の PNG ファイル")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    parser.add_argument("--full-page", action="store_true", help="ページ全体を撮る（既定は画面の範囲だけ）")
    parser.add_argument(
        "--login",
        metavar="USERNAME",
        help="このユーザーでログインしてから撮る（パスワードは RENKEI_SCREENSHOT_PASSWORD）",
    )
    args = parser.parse_args(argv)

    if not os.path.isfile(CHROMIUM):
        print(
            f"エラー: Chromium が見つかりません（{CHROMIUM}）。apt-get install chromium で入れてください。",
            file=sys.stderr,
        )
        return 2
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415 - optional, for this script only
    except ImportError:
        print(
            "エラー: Python パッケージ playwright が必要です（pip install -e '.[test]'）。", file=sys.stderr
        )
        return 2

    args.output.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(
                viewport={"width": args.width, "height": args.height},
                locale="ja-JP",
                timezone_id="Asia/Tokyo",
            )
            if args.login:
                password = os.environ.get("RENKEI_SCREENSHOT_PASSWORD", "")
                if not password:
                    print(
                        "エラー: RENKEI_SCREENSHOT_PASSWORD にパスワードを設定してください。", file=sys.stderr
                    )
                    return 2
                page.goto(urljoin(args.url, "/login/"))
                page.fill("#id_username", args.login)
                page.fill("#id_password", password)
                page.click("form.form button[type=submit]")
                page.wait_for_load_state("networkidle")
            response = page.goto(args.url, wait_until="networkidle")
            if response is None or not response.ok:
                status = response.status if response else "応答なし"
                print(f"エラー: {args.url} を開けませんでした（{status}）。", file=sys.stderr)
                return 1
            page.screenshot(path=str(args.output), full_page=args.full_page)
        finally:
            browser.close()
    print(f"{args.output} に保存しました（{args.width}×{args.height}）。")
    return 0


if __name__ == "__main__":
    sys.exit(main())
