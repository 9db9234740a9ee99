"""What results say to their reader: the refined document and its diff, the refine summary
and JSON result, sizes against IAM's limits, future exposure, the gate's text/JSON/SARIF
reports, the batch summaries."""
