//! Integration tests: staff_report.
