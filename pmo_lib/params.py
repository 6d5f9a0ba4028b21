"""Report parameters: params/defaults.yaml merged with one file per portfolio (or the function).

The pydantic models are the one place that says which keys exist; defaults.yaml is the one place
for their default values. The models have none (a key missing from both is an error too), except
for keys added after the first release (outlook_range_seed, benefits_at_risk_pct, mail, kpis):
those default in the model too, so that a params folder written before them still validates.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pmo_lib import safe_yaml
from pmo_lib.errors import PMOError
from pmo_lib.paths import (  # noqa: F401 (the project's folders, named here too)
    DEFAULT_PARAMS_DIR,
    IN_CHECKOUT,
    NOTEBOOKS_DIR,
    PACKAGE_DIR,
    PROJECT_ROOT,
)

PARAMS_ENV = "PMO_PARAMS"  # another folder of parameter files (e.g. for your own data)
DEFAULTS_FILE = "defaults.yaml"
FUNCTION_SLUG = "function"
SAFE_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # a folder name: never '..' or empty


def params_dir() -> Path:
    """The folder of parameter files when none is given: $PMO_PARAMS, else params/ in the project
    (installed: params/ in the current folder, else the defaults the package carries). Read at
    each call, not at import: a runner or a test that sets the variable is obeyed."""
    if os.environ.get(PARAMS_ENV):
        return Path(os.environ[PARAMS_ENV]).resolve()
    local = PROJECT_ROOT / "params"
    return (local if local.is_dir() else DEFAULT_PARAMS_DIR).resolve()


def _folder(given: Path | str | None) -> Path:
    """A params folder as given, else the default one."""
    return Path(given) if given else params_dir()


Level = Literal["function", "portfolio", "sub_portfolio", "program"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Thresholds(_Strict):
    stale_status_days: int = Field(gt=0, description="a status update older than this is stale")


DemandStage = Literal["Submitted", "Triage", "Assessment", "Approved", "In Delivery"]


class DemandScoring(_Strict):
    """Weights of the backlog score; each part is on a 0-1 scale before weighting."""

    value_weight: float = Field(ge=0, description="value_score / 100")
    cost_weight: float = Field(ge=0, description="1 - cost / the largest cost in the backlog")
    priority_weight: float = Field(ge=0, description="High 1, Medium 0.5, Low 0")


class DemandParams(_Strict):
    sla_days: dict[DemandStage, int] = Field(description="longest a request may stay in a stage")
    scoring: DemandScoring
    flow_months: int = Field(ge=3, le=60, description="months shown in the flow charts")


class SpendParams(_Strict):
    exception_variance_pct: float = Field(gt=0, description="|Outlook − Plan| / Plan, in %")
    exception_min_amount: float = Field(ge=0, description="smallest amount worth an exception")
    exception_outlook_change_pct: float = Field(
        gt=0, description="Outlook move since the previous snapshot, in %"
    )
    eac_formula: Literal["BAC/CPI", "AC+(BAC-EV)"]
    benefits_at_risk_pct: float = Field(
        default=20,
        gt=0,
        le=100,
        description="a benefit is at risk when realised to date is behind planned to date by"
        " this % or more",
    )
    outlook_range_seed: int = Field(
        default=20_261,
        ge=0,
        description="seed of the Outlook range's Monte Carlo draws: the same store and seed give"
        " the same range every run",
    )


class HealthParams(_Strict):
    """Thresholds of the computed RAG; a value at or past a threshold takes its colour."""

    index_green_band: float = Field(gt=0, description="CPI/SPI green within 1 ± this")
    index_amber_band: float = Field(gt=0, description="CPI/SPI amber within 1 ± this, red outside")
    vac_pct_amber: float = Field(gt=0, description="|variance at completion| % beyond which amber")
    vac_pct_red: float = Field(gt=0, description="|variance at completion| % beyond which red")
    slip_days_amber: int = Field(gt=0)
    slip_days_red: int = Field(gt=0)
    overdue_milestones_amber: int = Field(gt=0)
    overdue_milestones_red: int = Field(gt=0)
    open_high_risks_amber: int = Field(gt=0)
    open_high_risks_red: int = Field(gt=0)
    overdue_issues_amber: int = Field(gt=0)
    overdue_issues_red: int = Field(gt=0)
    missing_artifacts_amber: int = Field(gt=0)
    missing_artifacts_red: int = Field(gt=0)
    stale_update_amber_days: int = Field(gt=0)
    stale_update_red_days: int = Field(gt=0)
    watch_list_size: int = Field(gt=0)
    min_rated_pct: float = Field(
        ge=0, le=100, description="a rule with data for fewer active projects is not rated"
    )


class ResourcingParams(_Strict):
    over_allocation_pct: float = Field(
        gt=0, description="booked above this % of capacity = over-allocated"
    )
    under_use_pct: float = Field(ge=0, description="booked below this % of capacity = under-used")
    full_time_hours: float = Field(gt=0, description="monthly hours of one FTE")
    past_months: int = Field(ge=1, le=24)
    next_months: int = Field(ge=3, le=24)


class MailParams(_Strict):
    """The monthly digest (pmo_lib/mail.py): who gets this scope's, and through which server."""

    to: list[str] = Field(
        default_factory=list, description="this scope's subscribers; none: no digest"
    )
    host: str = Field(default="localhost", min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = Field(default=True, description="upgrade the connection with STARTTLS")
    user: str = Field(default="", description="SMTP login; its password: $PMO_SMTP_PASSWORD")
    sender: str = Field(default="pmo-reports@localhost")
    reports_url: str = Field(
        default="", description="where the outputs folder is published (links); empty: paths"
    )
    ca_file: str = Field(default="", description="a CA certificate to trust for STARTTLS")
    outlook_over_plan_pct: float = Field(
        default=5, ge=0, description="alert when the Outlook passes the FY Plan by more than this %"
    )

    @model_validator(mode="after")
    def _addresses(self) -> MailParams:
        for address in [*self.to, self.sender]:
            if not re.fullmatch(r"[^@\s<>,;]+@[^@\s<>,;]+", address):
                raise ValueError(f"{address!r} is not an e-mail address")
        return self


class Kpi(_Strict):
    """One KPI of the executive summary's scorecard (pmo_lib/metrics/kpis.py)."""

    definition: str = Field(min_length=1, description="what it measures, in words")
    formula: str = Field(
        min_length=1, description="arithmetic over headline figure names, e.g. 100 * a / b"
    )
    unit: Literal["percent", "days", "count", "money"]
    target: float
    amber: float = Field(description="worse than this: amber")
    red: float = Field(description="worse than this: red")
    better: Literal["higher", "lower"]

    @model_validator(mode="after")
    def _in_order(self) -> Kpi:
        from pmo_lib.metrics.kpis import names_in

        red_is_better = self.red > self.amber if self.better == "higher" else self.red < self.amber
        if red_is_better:
            raise ValueError(
                f"red threshold {self.red:g} is better than its amber threshold {self.amber:g}"
                f" (better: {self.better})"
            )
        target_is_laxer = (
            self.target < self.amber if self.better == "higher" else self.target > self.amber
        )
        if target_is_laxer:
            raise ValueError(
                f"target {self.target:g} is worse than its amber threshold {self.amber:g}"
                f" (better: {self.better})"
            )
        try:
            names_in(self.formula)
        except PMOError as exc:
            raise ValueError(str(exc)) from exc
        return self


class Settings(_Strict):
    """What defaults.yaml holds; a portfolio's file may override any of it."""

    currency: str = Field(min_length=3, max_length=3, description="ISO code, e.g. USD")
    fiscal_year_start_month: int = Field(ge=1, le=12)
    reports: list[str] = Field(min_length=1, description="report notebooks to render")
    levels: list[Level] = Field(
        min_length=1,
        description="levels rendered in the batch: function (function.yaml's scope), portfolio"
        " (a portfolio file's own scope), sub_portfolio and program (one scope per sub-portfolio"
        " or program of the portfolio in the snapshot)",
    )
    customers: bool = Field(
        description="render one customer page per requesting business unit of this scope"
    )
    thresholds: Thresholds
    demand: DemandParams
    spend: SpendParams
    health: HealthParams
    resourcing: ResourcingParams
    mail: MailParams = Field(default_factory=MailParams)
    kpis: dict[str, Kpi] = Field(
        default_factory=dict,
        description="the executive summary's KPI scorecard, by name (none: no scorecard)",
    )


class ReportConfig(Settings):
    """The validated configuration of one report scope: a portfolio, or the whole function."""

    portfolio: str | None = Field(
        description="portfolio name as in the data; null = whole function"
    )
    title: str = Field(min_length=1)
    slug: str
    file: str

    @property
    def is_function(self) -> bool:
        return self.portfolio is None


def _read_yaml(path: Path) -> dict[str, Any]:
    content = safe_yaml.load(path, "parameters file")
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise PMOError(
            f"{path}: expected a mapping of keys to values, got {type(content).__name__}"
        )
    return content


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _has_path(data: Any, path: tuple) -> bool:
    for part in path:
        if isinstance(data, dict) and part in data:
            data = data[part]
        else:
            return False
    return True


def _explain(exc: ValidationError, files: list[tuple[Path, dict]]) -> PMOError:
    """Turn pydantic's errors into one message naming the file and key of each."""
    lines = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        key = ".".join(str(p) for p in loc)
        # Blame the last file that sets the key (or its section); else defaults.yaml.
        owner = next((p for p, data in reversed(files) if _has_path(data, loc)), None)
        owner = owner or next((p for p, d in reversed(files) if _has_path(d, loc[:1])), files[0][0])
        if error["type"] == "extra_forbidden":
            lines.append(f"{owner}: unknown key '{key}'")
        elif error["type"] == "missing":
            lines.append(f"{owner}: key '{key}' is missing")
        else:
            shown = safe_yaml.clip(error.get("input"))
            lines.append(f"{owner}: key '{key}': {error['msg']} (got {shown!r})")
    return PMOError("invalid parameters:\n  " + "\n  ".join(lines))


def scope_files(params_dir: Path | None = None) -> list[Path]:
    """Every report scope's file: the function's first, then portfolios by name."""
    params_dir = _folder(params_dir)
    if not Path(params_dir).is_dir():
        raise PMOError(f"{params_dir}: no such folder of parameter files")
    files = sorted(p for p in Path(params_dir).glob("*.yaml") if p.name != DEFAULTS_FILE)
    if not files:
        raise PMOError(
            f"{params_dir}: no parameter files; expected {DEFAULTS_FILE}, {FUNCTION_SLUG}.yaml"
            " and one file per portfolio"
        )
    return sorted(files, key=lambda p: (p.stem != FUNCTION_SLUG, p.stem))


def load_config(
    path: Path | str, params_dir: Path | None = None, notebooks_dir: Path = NOTEBOOKS_DIR
) -> ReportConfig:
    """Validate one scope file merged over defaults.yaml; errors name the file and the key."""
    path = Path(path)
    params_dir = Path(params_dir) if params_dir else path.parent
    defaults_path = params_dir / DEFAULTS_FILE
    defaults = _read_yaml(defaults_path)
    scope = _read_yaml(path)
    merged = _merge(defaults, scope)
    merged.setdefault("title", scope.get("portfolio") or "IT Function")
    if not SAFE_SLUG.fullmatch(path.stem):
        raise PMOError(
            f"{path}: the file name '{path.stem}' cannot name a report folder; use letters,"
            " digits, '-', '_' or '.', starting with a letter or digit (e.g. cloud-infra.yaml)"
        )
    merged["slug"] = path.stem
    merged["file"] = str(path)
    try:
        config = ReportConfig.model_validate(merged)
    except ValidationError as exc:
        raise _explain(exc, [(defaults_path, defaults), (path, scope)]) from None
    owner = path if "reports" in scope else defaults_path
    for report in config.reports:
        if not (notebooks_dir / f"{report}.ipynb").exists():
            known = ", ".join(sorted(p.stem for p in notebooks_dir.glob("*.ipynb")))
            raise PMOError(
                f"{owner}: key 'reports': no notebook for report '{report}'; known: {known}"
            )
    return config


def load_all(
    params_dir: Path | None = None, notebooks_dir: Path = NOTEBOOKS_DIR
) -> list[ReportConfig]:
    """Every scope's configuration, all validated before any report runs. Validated again only
    when a file of the folder (or the notebooks there are) changed: every report of a batch
    asks, and a folder of 48 portfolios' files took 10 ms a report."""
    params_dir = _folder(params_dir)
    files = scope_files(params_dir)
    state = _files_state([params_dir / DEFAULTS_FILE, *files], notebooks_dir)
    last = _validated[0]
    if last is not None and last[0] == state:
        return list(last[1])
    configs = _validate_all(files, params_dir, notebooks_dir)
    _validated[0] = (state, configs)
    return list(configs)


# (the folder's state, its configurations) of the last folder validated; configurations are
# frozen, so every caller may share them
_validated: list[tuple[tuple, list[ReportConfig]] | None] = [None]


def _files_state(files: list[Path], notebooks_dir: Path) -> tuple:
    """What load_all's answer depends on, cheaply: each file's identity, size and time of last
    change, and which notebooks there are."""
    stats = []
    for path in files:
        try:
            info = path.stat()
        except OSError:
            return (object(),)  # never equal: load_config says what is wrong with it
        stats.append((str(path), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns))
    return (*stats, tuple(sorted(p.name for p in Path(notebooks_dir).glob("*.ipynb"))))


def _validate_all(files: list[Path], params_dir: Path, notebooks_dir: Path) -> list[ReportConfig]:
    configs = [load_config(p, params_dir, notebooks_dir) for p in files]
    seen: dict[str | None, str] = {}
    for config in configs:
        if config.portfolio in seen:
            raise PMOError(
                f"{config.file}: key 'portfolio': '{config.portfolio}' is already declared in"
                f" {seen[config.portfolio]}"
            )
        seen[config.portfolio] = config.file
    # A scope is chosen by portfolio name or by file name: one must never name two scopes.
    by_slug = {c.slug: c for c in configs}
    for config in configs:
        other = by_slug.get(config.portfolio or "")
        if other is not None and other is not config:
            raise PMOError(
                f"ambiguous parameters: the portfolio '{config.portfolio}' of {config.file} is"
                f" also the file name of {other.file}; rename one of the two files"
            )
    return configs


def config_for(
    portfolio: str | None,
    params_dir: Path | None = None,
    notebooks_dir: Path = NOTEBOOKS_DIR,
) -> ReportConfig:
    """The configuration of a portfolio (by name or slug; empty/None = the whole function)."""
    params_dir = _folder(params_dir)
    return pick_config(load_all(params_dir, notebooks_dir), portfolio, params_dir)


def pick_config(
    configs: list[ReportConfig], portfolio: str | None, params_dir: Path | None = None
) -> ReportConfig:
    """The configuration of a portfolio among these (None = the whole function)."""
    wanted = (portfolio or "").strip()
    for config in configs:
        if (not wanted and config.is_function) or wanted in (config.portfolio, config.slug):
            return config
    known = ", ".join(c.portfolio or f"{c.slug} (whole function)" for c in configs)
    raise PMOError(
        f"unknown portfolio '{portfolio}': no file in {_folder(params_dir)} has portfolio:"
        f" {portfolio};"
        f" known: {known}"
    )


def check_portfolios_known(configs: list[ReportConfig], known: set[str]) -> None:
    """A portfolio named in a params file must exist in the data (in some snapshot)."""
    for config in configs:
        if config.portfolio is not None and config.portfolio not in known:
            raise PMOError(
                f"{config.file}: key 'portfolio': unknown portfolio '{config.portfolio}'; the data"
                f" has: {', '.join(sorted(known)) or 'no portfolios'}"
            )
