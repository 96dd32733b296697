"""Every route an outside string takes to a page, with payloads of every class, in Chromium.

One small book (a probe chapter that uses the chapters' helpers, the index page and the
execution report) is built with ``csmodels book`` from a data folder, a profile folder
and a profile file whose names hold line breaks, MyST directives and roles, Jinja,
raw HTML and ``javascript:`` links (real folders: Linux allows all of these but ``/``),
a company name, account names and ``-p`` values (text, a dict and a list) holding every
payload. Headless Chromium, offline, opens every page: no payload may run (each one sets
``window.__pwned`` or touches a file if it does), none may become an element, a link, a
directive's output or a substitution's value, and each must be visible as its own text.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
import yaml
from chromium import chart_states
from conftest import CHROMIUM, CHROMIUM_ARGS, _QuietHandler

from csmodels.book import visible

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[1]


def payloads(tmp: Path) -> dict[str, str]:
    """One payload per class; each would set window.__pwned (or touch a file) if it ran."""
    evil = tmp / "evil.html"
    evil.write_text("<script>window.__pwned = 'file'</script>", encoding="utf-8")
    secret = tmp / "secret.txt"
    secret.write_text("secret", encoding="utf-8")
    mark = tmp / "JINJA_RAN"
    return {
        "newlines": "first line\n\nafter a blank line\n\n\n\nafter three",
        "substitution": "{{ 7*191 }} and {{ company }}",
        "jinja": "{% set n = 7*191 %}{{ n }} "
                 f"{{{{ cycler.__init__.__globals__.os.system('touch {mark}') }}}}",
        "raw_directive": "\n\n```{raw} html\n<script>window.__pwned = 'raw'</script>\n```\n",
        "raw_file": f"\n\n```{{raw}} html\n:file: {evil}\n```\n",
        "eval_rst": "\n\n```{eval-rst}\n.. raw:: html\n\n   "
                    "<script>window.__pwned = 'rst'</script>\n```\n",
        "download_role": f"{{download}}`secret download <{secret}>`",
        "doc_role": "{doc}`doc role link <intro>`",
        "script": "<script>window.__pwned = 'script'</script>",
        "close_and_script": "</code></td></tr></table></div></script>"
                            "<script>window.__pwned = 'close'</script>",
        "img_onerror": "<img src=x onerror=\"window.__pwned = 'img'\">",
        "js_link_html": "<a href=\"javascript:window.__pwned = 'a'\">js html link</a>",
        "js_link_md": "[js md link](javascript:window.__pwned='md')",
        "md_link": "[outside link](http://example.invalid/)",
        "md_image": "![outside image](http://example.invalid/pic.png)",
        "raw_role": "{raw}`html <b class=\"pwn-role\">raw role</b>`",
    }


# Folder and file names (Linux allows anything but "/" and NUL, up to 255 bytes).
DATA_NAME = ("data\n\n{{ 7*191 }}\n\n```{raw} html\n<svg onload=\"window.__pwned='dir'\">\n```\n"
             "<img src=x onerror=\"window.__pwned='dir2'\">")
PROFILE_DIR = ("prof\n\n```{eval-rst}\n.. raw:: html\n\n   <svg onload=\"window.__pwned='rst2'\">\n"
               "```\n[js dir link](javascript:window.__pwned='dirlink') "
               "{doc}`dir doc link <intro>`")
PROFILE_FILE = "{% set n = 7*191 %}{{ n }}\n\n<b onmouseover=\"window.__pwned='b'\">b.yml"
# Fields of profile.yml and mapping.yml are one line each (the loader refuses line breaks
# and other control characters there), so their payloads hold no line break.
ACCOUNTS_FILE = "accounts {{ 7*191 }} <img src=x onerror=\"window.__pwned='file'\">.csv"
LINK_TEXTS = ("secret download", "doc role link", "js html link", "js md link",
              "outside link", "js dir link", "dir doc link")

PROBE = [
    ("markdown", "# A probe chapter\n\nEvery outside string, on a page.", []),
    ("code", 'data_dir: str = "../data/sample"\nprofile_path: str = None\n'
             'text: str = "plain"\nitems: dict = None\nlabels: list = None', ["parameters"]),
    ("code", "import json\n\nimport altair as alt\nimport pandas as pd\n"
             "from myst_nb import glue\n\nimport csmodels as cs\nfrom csmodels import charts\n"
             "from csmodels.book import Text, table\n\ncharts.enable_renderer()\n"
             "company = cs.load_company(data_dir)\nprofile = cs.load_profile(profile_path)\n"
             'glue("company_name", Text(profile.company), display=False)\n'
             'glue("text", Text(text), display=False)\n'
             'print(json.dumps({"text": text, "items": items, "labels": labels}))', []),
    ("markdown", "The company is {glue:text}`company_name`.\n\nThe text is {glue:text}`text`.",
     []),
    ("code", 'names = company.accounts["name"].head(len(labels)).tolist()\n'
             "table(pd.DataFrame({text: labels, 'account': names, **{k: [v] * len(labels) "
             "for k, v in list(items.items())[:3]}}))", ["remove-input"]),
    ("code", 'alt.Chart(pd.DataFrame({"label": labels, "n": range(1, len(labels) + 1)}))'
             '.mark_bar().encode(x="n:Q", y=alt.Y("label:N", title=text[:40]), '
             'tooltip=["label:N", "n:Q"]).properties(title=text[:60], width=300)',
     ["remove-input"]),
]


def write_probe_book(root: Path) -> Path:
    (root / "chapters").mkdir(parents=True)
    (root / "appendix").mkdir()
    for name in ("_config.yml", "references.bib", "appendix/execution.md"):
        (root / name).write_text((ROOT / name).read_text(encoding="utf-8"), encoding="utf-8")
    (root / "intro.md").write_text("# Probe book\n\nThe index page.\n", encoding="utf-8")
    (root / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n"
                                   "  - file: chapters/probe\n  - file: appendix/execution\n",
                                   encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    for kind, source, tags in PROBE:
        cell = (nbformat.v4.new_markdown_cell if kind == "markdown"
                else nbformat.v4.new_code_cell)(source)
        cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nbformat.write(nb, root / "chapters" / "probe.ipynb")
    return root


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    from csmodels.synth import CompanyShape, generate_company, write_company

    tmp = tmp_path_factory.mktemp("routes")
    marks = payloads(tmp)
    every = "\n".join(marks.values())
    tables = generate_company(CompanyShape(n_initial_accounts=30, months=14), seed=3)
    names = list(marks.values())
    tables["accounts"]["name"] = [names[i % len(names)] for i in range(len(tables["accounts"]))]
    data = tmp / DATA_NAME
    profile = tmp / PROFILE_DIR / PROFILE_FILE
    company = every.replace("\n", " ")
    write_company(tables, data, {"company": company, "currency": "USD"})
    # the accounts file, and its columns, under names that hold payloads, read through a
    # mapping.yml (file names, column names and mapping fields from outside)
    columns = {"account_id": "id {{ 7*191 }}", "name": "<b onmouseover=\"window.__pwned=1\">"
               "name ```{raw} html <svg onload=\"window.__pwned=2\"> ```"}
    accounts = tables["accounts"].rename(columns=columns)
    (data / "accounts.csv").unlink()
    accounts.to_csv(data / ACCOUNTS_FILE, index=False)
    mapping = {"tables": {"accounts": {"file": ACCOUNTS_FILE, "columns": columns}}}
    (data / "mapping.yml").write_text(yaml.safe_dump(mapping, allow_unicode=True),
                                      encoding="utf-8")
    profile.parent.mkdir()
    profile.write_text((data / "profile.yml").read_text(encoding="utf-8"), encoding="utf-8")
    sent = {"text": every, "items": marks, "labels": names}
    out = tmp / "site"
    done = subprocess.run(
        [sys.executable, "-m", "csmodels", "book", "--book", str(write_probe_book(tmp / "book")),
         "--data", str(data), "--profile", str(profile), "--out", str(out),
         "-p", "text", every, "-p", "probe.items", repr(marks), "-p", "labels", repr(names)],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    assert yaml.safe_load(profile.read_text())["company"] == company
    return {"tmp": tmp, "site": out, "marks": marks, "sent": sent, "data": data,
            "profile": profile}


def flat(text: str) -> str:
    """Whitespace collapsed (a page shows a line break in text as a space) and quotes
    straight (Sphinx curls quotes in prose, data included)."""
    for curly, straight in (("\u201c", '"'), ("\u201d", '"'), ("\u2018", "'"),
                            ("\u2019", "'")):
        text = text.replace(curly, straight)
    return " ".join(text.split())


def browse(site: Path) -> dict:
    """Open every page in headless Chromium, offline; what each page showed and did."""
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                   if p.name not in ("search.html", "genindex.html")
                   and not p.relative_to(site).as_posix().startswith("_static/"))
    seen = {"dialogs": [], "blocked": [], "pages": {}}
    probe_dom = """() => ({
        pwned: window.__pwned,
        text: document.body.innerText,
        scripts: [...document.scripts].filter(s => s.type !== 'application/json')
                   .map(s => s.src + ' ' + s.textContent).filter(t => t.includes('__pwned')),
        attributes: [...document.querySelectorAll('*')].flatMap(e => [...e.attributes])
                   .filter(a => a.value.includes('__pwned')
                                && /^(on|href$|src|xlink|action|formaction|data$)/.test(a.name))
                   .map(a => a.name),
        js_links: [...document.querySelectorAll('a[href]')]
                   .filter(a => a.href.trim().toLowerCase().startsWith('javascript:')).length,
        links: [...document.querySelectorAll('a')].map(a => a.textContent.trim()),
        embeds: document.querySelectorAll('iframe, object, embed, .pwn-role').length,
        images: [...document.images].map(i => i.getAttribute('src')),
        charts: [...document.querySelectorAll('div.csmodels-chart')]
                   .map(d => d.getAttribute('data-embedded')),
        pres: [...document.querySelectorAll('pre')].map(p => p.innerText),
    })"""

    def visit():
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context()
            context.route("**/*", lambda route: route.continue_()
                          if urlparse(route.request.url).hostname == "127.0.0.1"
                          else (seen["blocked"].append(route.request.url), route.abort()))
            page = context.new_page()
            page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
            for name in pages:
                page.goto(f"{base}/{name}", wait_until="load")
                chart_states(page, timeout=20000)
                page.wait_for_timeout(300)
                tooltips = []
                for mark in page.locator("div.csmodels-chart svg path[role='graphics-symbol']"
                                         ).all()[:20]:
                    mark.hover(force=True)
                    page.wait_for_timeout(50)
                    tooltips.append(page.evaluate(
                        "() => { const t = document.getElementById('vg-tooltip-element');"
                        " return t ? [t.innerText, t.querySelectorAll("
                        "'script, img, svg, a, b, iframe').length] : null; }"))
                page.mouse.move(5, 5)
                seen["pages"][name] = {**page.evaluate(probe_dom), "tooltips": tooltips}
            # the search page shows a summary of each page that holds the words
            page.goto(f"{base}/search.html?q=pwned+script", wait_until="load")
            page.wait_for_timeout(1500)
            seen["search"] = page.evaluate(probe_dom)
            browser.close()

    try:  # Playwright's sync API needs a thread with no running asyncio loop
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(visit).result()
    finally:
        httpd.shutdown()
        httpd.server_close()
    return seen


@pytest.fixture(scope="module")
def seen(probe):
    return browse(probe["site"])


def test_no_payload_runs_on_any_page(probe, seen):
    assert seen["dialogs"] == [] and seen["blocked"] == []
    assert {"intro.html", "chapters/probe.html", "appendix/execution.html"} <= set(seen["pages"])
    for name, page in seen["pages"].items():
        assert page["pwned"] is None, name
        assert page["scripts"] == [], name  # no script element from data
        assert page["attributes"] == [], name  # no on* handler or href/src from data
        assert page["js_links"] == 0 and page["embeds"] == 0, name
        assert "x" not in page["images"] and not any("example.invalid" in (s or "")
                                                     for s in page["images"]), name


def test_the_search_page_shows_data_as_text(seen):
    search = seen["search"]
    assert search["pwned"] is None and search["scripts"] == [] and search["attributes"] == []
    assert "probe chapter" in search["text"].lower()  # it found the probe page
    assert search["js_links"] == 0 and search["embeds"] == 0 and "x" not in search["images"]


def test_no_directive_role_or_template_took_effect(probe, seen):
    for name, page in seen["pages"].items():
        assert "1337" not in page["text"], name  # {{ 7*191 }} was not evaluated
        assert not set(LINK_TEXTS) & set(page["links"]), name  # no role or link became <a>
    assert not (probe["tmp"] / "JINJA_RAN").exists()
    assert not list(probe["site"].rglob("secret.txt"))  # {download} copied nothing
    assert not list(probe["site"].rglob("evil.html"))


def test_every_payload_is_visible_as_text(probe, seen):
    page = seen["pages"]["chapters/probe.html"]
    shown = flat(page["text"])
    for kind, mark in probe["marks"].items():
        assert flat(mark) in shown, kind  # glued text, table cells and headers
    # the provenance box and the footer show names with their line breaks as \n
    for path in (probe["data"], probe["profile"]):
        assert flat(visible(path.resolve())) in flat(page["text"]), path.name
    footer = flat(f"Computed on the data in {visible(probe['data'].resolve())}")
    for name in ("chapters/probe.html", "intro.html", "appendix/execution.html"):
        assert footer in flat(seen["pages"][name]["text"]), name


def test_parameters_reach_the_kernel_exactly(probe, seen):
    printed = [text for text in seen["pages"]["chapters/probe.html"]["pres"]
               if text.startswith('{"text"')]
    assert [json.loads(text) for text in printed] == [probe["sent"]]


def test_charts_draw_and_their_tooltips_are_text(probe, seen):
    page = seen["pages"]["chapters/probe.html"]
    assert page["charts"] == ["done"]
    hovered = [t for t in page["tooltips"] if t]
    assert hovered, "no tooltip showed"
    assert all(elements == 0 for _, elements in hovered)
    labels = {flat(m) for m in probe["marks"].values()}
    assert any(flat(text).split("label ", 1)[-1].split(" n ")[0] in labels
               for text, _ in hovered)
