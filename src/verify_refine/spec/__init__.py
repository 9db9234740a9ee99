"""The executable specification everything is tested against: IAM's glob matching and case
folding (the reference matcher), fast operations on glob languages held equal to it, the
CamelCase token rule, and AWS's alphabet of action names."""
