"""Screenshots of a built leaderboard site at phone (390 px) and desktop (1400 px) widths.

    rrbench leaderboard build --out leaderboard/site
    python scripts/leaderboard_screenshots.py leaderboard/site --out leaderboard/screenshots

Uses Playwright with the system Chromium (/usr/bin/chromium); prints each page's
scroll width next to the viewport width, so a page wider than the screen shows.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--out", type=Path, default=Path("leaderboard/screenshots"))
    parser.add_argument("--model", default="models/rrb-sim/rrbench__random.html")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    pages = {"main": "index.html", "model": args.model}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for width in (390, 1400):
            page = browser.new_page(viewport={"width": width, "height": 900 if width > 400 else 844})
            for name, path in pages.items():
                page.goto((args.site / path).resolve().as_uri())
                page.wait_for_load_state("load")
                wide = page.evaluate("document.documentElement.scrollWidth")
                shot = args.out / f"{name}-{width}.png"
                page.screenshot(path=str(shot), full_page=True)
                print(f"{shot}: viewport {width} px, page scroll width {wide} px")
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
