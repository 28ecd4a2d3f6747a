"""The left column's patient and session controls: who, which session, pain regions, lead placements."""

from ui.patients.view import PatientPanel

__all__ = ["PatientPanel"]
