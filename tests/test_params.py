"""Parameters: defaults merged with a portfolio's file; errors name the file and the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pmo_lib.errors import PMOError
from pmo_lib.params import check_portfolios_known, config_for, load_all, load_config, params_dir


@pytest.fixture
def params(tmp_path) -> Path:
    folder = tmp_path / "params"
    shutil.copytree(params_dir(), folder)
    return folder


def test_the_shipped_parameters_validate():
    configs = load_all()
    assert configs[0].is_function and configs[0].slug == "function"
    assert {c.portfolio for c in configs[1:]} == {
        "Customer Channels",
        "Enterprise Platforms",
        "Infrastructure & Cloud",
        "Data & Analytics",
    }
    assert all(
        c.reports
        == ["portfolio_summary", "data_quality", "demand_pipeline", "spend", "health", "resourcing"]
        and c.thresholds.stale_status_days == 30
        for c in configs
    )


def test_a_portfolio_file_overrides_a_default(params):
    (params / "data-analytics.yaml").write_text(
        "portfolio: Data & Analytics\nthresholds:\n  stale_status_days: 14\ncurrency: EUR\n"
    )
    config = config_for("data-analytics", params)
    assert (
        config.thresholds.stale_status_days,
        config.currency,
        config.fiscal_year_start_month,
    ) == (14, "EUR", 7)


def test_an_unknown_key_names_the_file_and_the_key(params):
    (params / "data-analytics.yaml").write_text(
        "portfolio: Data & Analytics\nthresholds:\n  stale_days: 14\n"
    )
    with pytest.raises(PMOError, match=r"data-analytics.yaml: unknown key 'thresholds.stale_days'"):
        load_all(params)


def test_a_wrong_type_names_the_file_and_the_key(params):
    (params / "defaults.yaml").write_text(
        (params / "defaults.yaml")
        .read_text()
        .replace("fiscal_year_start_month: 7", "fiscal_year_start_month: July")
    )
    with pytest.raises(
        PMOError, match=r"defaults.yaml: key 'fiscal_year_start_month': .*integer.*'July'"
    ):
        load_all(params)


def test_a_month_out_of_range(params):
    (params / "function.yaml").write_text("portfolio: null\nfiscal_year_start_month: 13\n")
    with pytest.raises(
        PMOError,
        match=r"function.yaml: key 'fiscal_year_start_month': Input should be less than or equal to"
        r" 12",
    ):
        load_all(params)


def test_the_outlook_range_seed_defaults_and_is_checked(params):
    (params / "defaults.yaml").write_text(
        (params / "defaults.yaml").read_text().replace("  outlook_range_seed: 20261", "")
    )
    assert config_for("data-analytics", params).spend.outlook_range_seed == 20261  # older files
    (params / "data-analytics.yaml").write_text(
        "portfolio: Data & Analytics\nspend:\n  outlook_range_seed: -1\n"
    )
    with pytest.raises(
        PMOError,
        match=r"data-analytics.yaml: key 'spend.outlook_range_seed': .*greater than or equal to 0",
    ):
        load_all(params)


def test_an_unknown_report(params):
    (params / "function.yaml").write_text("portfolio: null\nreports: [data_quality, budget]\n")
    with pytest.raises(
        PMOError, match=r"function.yaml: key 'reports': no notebook for report 'budget'"
    ):
        load_all(params)


def test_an_unknown_portfolio(params):
    with pytest.raises(
        PMOError,
        match=r"unknown portfolio 'Payments'.*known: function \(whole function\),"
        r" Customer Channels",
    ):
        config_for("Payments", params)
    configs = load_all(params)
    with pytest.raises(
        PMOError,
        match=r"customer-channels.yaml: key 'portfolio': unknown portfolio 'Customer Channels'; the"
        r" data has: Data & Analytics",
    ):
        check_portfolios_known(configs, {"Data & Analytics"})


def test_bad_yaml_and_a_duplicate_portfolio(params):
    (params / "extra.yaml").write_text("portfolio: Data & Analytics\n")
    with pytest.raises(
        PMOError,
        match=r"extra.yaml: key 'portfolio': 'Data & Analytics' is already declared in"
        r" .*data-analytics.yaml",
    ):
        load_all(params)
    (params / "extra.yaml").write_text("portfolio: [unclosed\n")
    with pytest.raises(PMOError, match=r"extra.yaml: not valid YAML"):
        load_config(params / "extra.yaml")


def test_a_params_folder_that_is_missing_or_empty_is_named(tmp_path, capsys, monkeypatch):
    import run_reports

    monkeypatch.setenv("PMO_PARAMS", str(tmp_path))  # main() sets it; restored after the test

    assert run_reports.main(["--params", str(tmp_path / "nope"), "--dry-run"]) == 2
    assert f"{tmp_path / 'nope'}: no such folder of parameter files" in capsys.readouterr().err
    assert run_reports.main(["--params", str(tmp_path), "--dry-run"]) == 2
    assert f"{tmp_path}: no parameter files; expected defaults.yaml" in capsys.readouterr().err


@pytest.mark.parametrize(
    "name, portfolio",
    [
        ("obrien.yaml", "function"),  # a portfolio named like the function's file
        ("obrien.yaml", "data-analytics"),  # ... or like another portfolio's file
    ],
)
def test_a_portfolio_named_like_another_scopes_file_is_refused_naming_both(params, name, portfolio):
    (params / name).write_text(f"portfolio: {portfolio}\n")
    with pytest.raises(PMOError) as caught:
        load_all(params)
    message = str(caught.value)
    assert f"the portfolio '{portfolio}' of {params / name}" in message
    assert f"also the file name of {params / (portfolio + '.yaml')}" in message


@pytest.mark.parametrize("stem", ["..", "...", ".hidden", "-x"])
def test_a_params_file_whose_name_cannot_be_a_folder_is_refused(params, stem):
    """'...yaml' would render into '..' outside the run folder: refused, naming the file."""
    (params / f"{stem}.yaml").write_text("portfolio: Data & Analytics\n")
    with pytest.raises(PMOError, match=r"cannot name a report folder"):
        load_all(params)


def test_levels_and_customers_default_and_are_overridden_per_file(params):
    (params / "data-analytics.yaml").write_text(
        "portfolio: Data & Analytics\nlevels: [portfolio, sub_portfolio, program]\n"
    )
    configs = {c.slug: c for c in load_all(params)}
    function, da = configs["function"], configs["data-analytics"]
    assert function.levels == ["function", "portfolio", "sub_portfolio"] and function.customers
    assert da.levels == ["portfolio", "sub_portfolio", "program"] and not da.customers


def test_an_unknown_level_names_the_file_and_the_key(params):
    (params / "function.yaml").write_text("portfolio: null\nlevels: [function, team]\n")
    with pytest.raises(
        PMOError, match=r"function.yaml: key 'levels.1': Input should be 'function', 'portfolio'"
    ):
        load_all(params)


def test_the_params_folder_is_the_environments_when_used_not_at_import(params, monkeypatch):
    (params / "function.yaml").write_text("portfolio: null\ntitle: Elsewhere\n")
    monkeypatch.setenv("PMO_PARAMS", str(params))
    assert params_dir() == params.resolve()
    assert config_for(None).title == "Elsewhere"
    monkeypatch.delenv("PMO_PARAMS")
    assert config_for(None).title == "IT Function"


def test_a_folder_is_validated_again_only_when_one_of_its_files_changed(params):
    first = load_all(params)
    assert load_all(params) == first and load_all(params)[1] is first[1]  # the same, not redone
    stale = params / "data-analytics.yaml"
    stale.write_text(stale.read_text(encoding="utf-8") + "currency: EUR\n", encoding="utf-8")
    changed = {c.slug: c for c in load_all(params)}
    assert changed["data-analytics"].currency == "EUR" and changed["function"].currency == "USD"
    (params / "defaults.yaml").write_text(
        (params / "defaults.yaml")
        .read_text(encoding="utf-8")
        .replace("fiscal_year_start_month: 7", "fiscal_year_start_month: 13"),
        encoding="utf-8",
    )
    for _ in range(2):  # a bad edit after a good state is refused each time, never the old answer
        with pytest.raises(PMOError, match="fiscal_year_start_month"):
            load_all(params)
    (params / "extra.yaml").write_text("portfolio: Data & Analytics\n", encoding="utf-8")
    (params / "defaults.yaml").write_text(
        (params / "defaults.yaml").read_text(encoding="utf-8").replace(": 13", ": 7"),
        encoding="utf-8",
    )
    with pytest.raises(PMOError, match="already declared"):  # a new file is seen too
        load_all(params)
