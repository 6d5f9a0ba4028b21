"""The reports the suite knows, and the channel their headline figures travel on.

Kept apart from pmo_lib.report so that the runner and portal can read it without plotly.
"""

REPORTS: dict[str, str] = {  # report name (= notebook file stem) -> title on the page
    "portfolio_summary": "Executive summary",
    "data_quality": "Data quality",
    "demand_pipeline": "Demand pipeline",
    "spend": "Spend",
    "health": "Health",
    "resourcing": "Resourcing",
}
HEADLINES_MIME = "application/vnd.pmo.headlines+json"
