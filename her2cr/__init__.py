"""her2cr: the reproducible study report of the HER2 CR trial (NCT06663787)."""

__version__ = "0.1.0"
