"""The PDF pack: one PDF per scope, summary first, with the footer, printed by the Debian
chromium (a real browser, as tests/test_browser.py uses); a clear message without one."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from pmo_lib import pdf
from run_reports import main

pytestmark = pytest.mark.skipif(
    pdf.find_browser() is None,
    reason="no Chromium here (Debian package chromium; .ci/run installs it)",
)


def test_a_pack_per_scope_summary_first_with_page_numbers_and_the_date(demo_store, tmp_path):
    out = tmp_path / "out"
    args = ["--source", str(demo_store), "--outputs", str(out), "--portfolio", "data-analytics"]
    args += ["--level", "portfolio", "--report", "portfolio_summary", "--report", "spend"]
    args += ["--report", "health", "--pdf"]
    assert main(args) == 0
    pack = out / "2026-10-31" / "data-analytics" / pdf.PACK
    reader = PdfReader(pack)
    assert [o.title for o in reader.outline] == ["Executive summary", "Spend", "Health"]
    first = reader.pages[0].extract_text()
    assert "Data & Analytics · as of 31 Oct 2026 · Executive summary" in first
    assert "Page 1 of" in first
    spend_start = reader.get_destination_page_number(reader.outline[1])
    assert "Page 1 of" in reader.pages[spend_start].extract_text()  # each report from page 1
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "8. Outlook range" in text and "10. Dependencies and points of contention" in text
    assert not list(pack.parent.glob(".*print.html")) and not list(pack.parent.glob(".*writing"))


def test_without_a_browser_pdf_says_how_to_get_one_before_rendering(
    demo_store, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("PMO_CHROMIUM", str(tmp_path / "no-such-browser"))
    out = tmp_path / "out"
    args = ["--source", str(demo_store), "--outputs", str(out), "--report", "spend", "--pdf"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--pdf needs a headless Chromium" in err and "apt-get install chromium" in err
    assert not out.exists()  # nothing rendered


def test_a_footer_from_the_data_stays_text():
    css = pdf.footer_css('Data </style><script>alert(1)</script> "Ops" \\ · as of 31 Oct 2026')
    assert "</style><script>" not in css and "<script>" not in css
    assert css.count("</style>") == 1  # its own, at the end
    assert "\\3c \\2f style\\3e " in css and "\\22 Ops\\22 " in css and "· as of 31 Oct 2026" in css
