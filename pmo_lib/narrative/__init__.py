"""The words of each report: one module per report (narrative/<report>.py, beside
metrics/<report>.py and sections/<report>.py) whose functions turn the metrics' frames and
figures into the sentences and tiles its sections show. Pure: frames in, text out; no page, no
plotly, so each sentence is unit-tested on small hand-made frames."""
