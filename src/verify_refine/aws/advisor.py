"""IAM Access Advisor: `generate-service-last-accessed-details --granularity ACTION_LEVEL` for a
principal, polled until done, and every page of the report."""

from __future__ import annotations

from .session import Aws, FetchError, poll

PAGES_MAX = 1000  # a report lists at most about 450 services; far more pages is a loop


def report(aws: Aws, arn: str, wait: float) -> list[dict]:
    """The pages of the principal's ACTION_LEVEL report, as `aws iam
    get-service-last-accessed-details` prints each (one page, or several when IsTruncated)."""
    iam = aws.client("iam")
    job = iam.generate_service_last_accessed_details(Arn=arn, Granularity="ACTION_LEVEL")
    job_id = job["JobId"]
    page = poll(lambda: iam.get_service_last_accessed_details(JobId=job_id),
                lambda r: r.get("JobStatus"), wait, aws.stop,
                f"the Access Advisor report (job {job_id})")
    if page.get("JobStatus") != "COMPLETED":
        error = page.get("Error") or {}
        raise FetchError(f"the Access Advisor job {job_id} has JobStatus "
                         f"{page.get('JobStatus')} ({error.get('Code', 'no code')}: "
                         f"{error.get('Message', 'no message')})")
    pages = [page]
    while page.get("IsTruncated") and page.get("Marker"):
        if len(pages) >= PAGES_MAX:
            raise FetchError(f"the Access Advisor report (job {job_id}) has over {PAGES_MAX} "
                             "pages")
        page = iam.get_service_last_accessed_details(JobId=job_id, Marker=page["Marker"])
        pages.append(page)
    return pages
