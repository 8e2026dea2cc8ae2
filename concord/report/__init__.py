"""`concord report`: an offline, self-contained HTML report of the marts (report.build)."""

from concord.report.build import ReportError, ReportResult, build_report

__all__ = ["ReportError", "ReportResult", "build_report"]
