"""Sensors: a landed dump starts its import (`landing`); a published import its load, and
committed loads a dbt build of their date (`follow_up`)."""
