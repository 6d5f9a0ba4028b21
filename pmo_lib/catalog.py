"""The reports the suite knows, and the channel their headline figures travel on.

Kept apart from pmo_lib.report so that the runner and portal can read it without plotly.
"""

REPORTS: dict[str, str] = {  # report name (= notebook file stem) -> title on the page
    "data_quality": "Data quality",
    "demand_pipeline": "Demand pipeline",
    "spend": "Spend: FY Plan, Outlook and earned value",
    "health": "Health: computed RAG, schedule, risks and gates",
    "resourcing": "Resourcing: capacity, allocation and workforce mix",
}
HEADLINES_MIME = "application/vnd.pmo.headlines+json"
